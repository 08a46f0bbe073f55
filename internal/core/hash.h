/*
 * hash.h — FNV-1a (64 bits) of a NUL-terminated string, for in-memory hash
 * tables (the result cache, attainctl import's keys). Not for anything an
 * attacker's input must not collide in on purpose.
 */
#ifndef ATTAIN_CORE_HASH_H
#define ATTAIN_CORE_HASH_H

#include <stdint.h>

uint64_t hash_string(const char *s);

#endif
