/*
 * outcome.h
 *	  Turning a logged attempt into the message its caller reads.
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

#endif							/* AIGW_OUTCOME_H */
