/*
 * outcome.h
 *	  Turning a logged attempt into the message its caller reads, and that
 *	  message into the caller's answer.
 */
#ifndef AIGW_OUTCOME_H
#define AIGW_OUTCOME_H

#include "postgres.h"

#include "common/attempt.h"
#include "common/message.h"
#include "nodes/pg_list.h"
#include "utils/dsa.h"

/* Build the outcome in the DSA area; InvalidDsaPointer if it is full. */
extern dsa_pointer aigw_outcome_publish(dsa_area *area, const AigwRequestMsg *request,
										AigwAttempt *a);

/*
 * The caller's side: one attempt as the answer's list shows it, and the
 * answer (answered calls) given the call's earlier attempts (a List of
 * what aigw_outcome_attempt made of them).
 */
extern Jsonb *aigw_outcome_attempt(const AigwOutcomeMsg *oc);
extern Jsonb *aigw_outcome_answer(const AigwOutcomeMsg *oc, const List *prior);

#endif							/* AIGW_OUTCOME_H */
