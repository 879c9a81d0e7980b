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

/*
 * The caller's side: its answer (answered calls), given the call's earlier
 * attempts (a JSON array as text, or NULL), and one attempt as the answer's
 * list shows it.
 */
extern Jsonb *aigw_outcome_answer(const AigwOutcomeMsg *oc, const char *prior);
extern char *aigw_outcome_attempt_json(const AigwOutcomeMsg *oc);

#endif							/* AIGW_OUTCOME_H */
