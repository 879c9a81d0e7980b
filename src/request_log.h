/*
 * request_log.h
 *	  Writing attempts to aigw.requests from a pool worker.
 */
#ifndef AIGW_REQUEST_LOG_H
#define AIGW_REQUEST_LOG_H

#include "postgres.h"

#include "attempt.h"
#include "message.h"

/*
 * Log n attempts in one transaction of the worker's own (group commit: one
 * WAL flush for every call that finished in one turn of the event loop).
 * On success each attempt gets its request_id and recorded = true; if the
 * transaction fails, none is recorded and the error is in the server log.
 */
extern void aigw_request_log_write(AigwRequestMsg **requests, AigwAttempt **attempts, int n);

#endif							/* AIGW_REQUEST_LOG_H */
