/*
 * teams.h — the reader of a team body, shared by the team handlers and
 * `attainctl import teams` (each row checked as the API checks a body).
 */
#ifndef ATTAIN_API_TEAMS_H
#define ATTAIN_API_TEAMS_H

#include <stdbool.h>

#include <jansson.h>

#include "core/issue.h"
#include "org/service.h"

/* Read a create (`create`) or patch body into in; false with e's issues when it is wrong. */
bool team_read(json_t *body, bool create, struct team_input *in, struct issues *e);

#endif
