/*
 * outcome.h
 *	  Turning a logged attempt into the message its caller reads, and that
 *	  message into the caller's answer.
 */
#ifndef AIGW_OUTCOME_H
#define AIGW_OUTCOME_H

#include "postgres.h"

#include "attempt.h"
#include "message.h"
#include "utils/dsa.h"

/* Build the outcome in the DSA area; InvalidDsaPointer if it is full. */
extern dsa_pointer aigw_outcome_publish(dsa_area *area, const AigwRequestMsg *request,
										AigwAttempt *a);

/* The caller's side: its answer (answered calls), and one attempt as aigw.attempts lists it. */
extern Jsonb *aigw_outcome_answer(const AigwOutcomeMsg *oc);
extern char *aigw_outcome_attempt_json(const AigwOutcomeMsg *oc);

#endif							/* AIGW_OUTCOME_H */
