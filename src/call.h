/*
 * call.h
 *	  One chat call from the calling backend's side.
 */
#ifndef AIGW_CALL_H
#define AIGW_CALL_H

#include "postgres.h"
#include "utils/jsonb.h"

/* The whole call: OpenAI-shaped answer plus the "aigw" object, or an error. */
extern Jsonb *aigw_call_chat(const char *model, Jsonb *messages, Jsonb *options);

#endif							/* AIGW_CALL_H */
