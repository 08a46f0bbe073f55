/*
 * people.h — the reader of a person body, shared by the people handlers and
 * `attainctl import people` (each row checked as the API checks a body).
 */
#ifndef ATTAIN_API_PEOPLE_H
#define ATTAIN_API_PEOPLE_H

#include <stdbool.h>

#include <jansson.h>

#include "core/issue.h"
#include "org/service.h"

/* Read a create (`create`) or patch body into in; false with e's issues when it is wrong. */
bool person_read(json_t *body, bool create, struct person_input *in, struct issues *e);

#endif
