/*
 * settings.h
 *	  Settings and error codes shared by every part of aigw.
 */
#ifndef AIGW_H
#define AIGW_H

#include "postgres.h"

/* AIGW_VERSION comes from the Makefile (EXTVERSION), the one place it is written. */
#ifndef AIGW_VERSION
#error "AIGW_VERSION is not defined: build with the Makefile"
#endif

/* Hard cap on aigw.workers: the per-database worker table is sized by it. */
#define AIGW_MAX_WORKERS_PER_POOL 32

/* GUCs (defined in settings.c, registered by init/init.c) */
extern int	aigw_workers;
extern int	aigw_max_inflight;
extern int	aigw_request_slots;
extern int	aigw_max_databases;
extern int	aigw_shared_memory_mb;
extern int	aigw_request_timeout_ms;
extern int	aigw_connect_timeout_ms;
extern int	aigw_max_request_bytes;
extern int	aigw_max_response_bytes;
extern int	aigw_pool_idle_timeout_s;
extern int	aigw_max_wallets;
extern char *aigw_wallet;
extern int	aigw_billing;
extern int	aigw_max_retries;
extern int	aigw_batch_concurrency;

/* Plain SQL (batch/read_ahead.c, caller/sql_call.c). */
extern char *aigw_default_model;	/* for a call function given model NULL */
extern int	aigw_query_concurrency; /* calls one plan node keeps in flight */
extern bool aigw_read_ahead;	/* whether the planner places the read-ahead node */
extern int	aigw_on_call_error;	/* what a call function gives when its call fails */
extern double aigw_statement_max_cost;	/* 0: no budget */

typedef enum AigwOnCallError
{
	AIGW_ON_CALL_ERROR_RAISE,
	AIGW_ON_CALL_ERROR_NULL
} AigwOnCallError;

/* The master keys (secret_box.h): at most one of file / command per key. */
extern char *aigw_master_key_file;
extern char *aigw_master_key_command;
extern char *aigw_previous_master_key_file;
extern char *aigw_previous_master_key_command;

typedef enum AigwBillingMode
{
	AIGW_BILLING_AUTO,
	AIGW_BILLING_ON,
	AIGW_BILLING_OFF
} AigwBillingMode;

/*
 * A name the caller gave (model, route, wallet, provider) as an error quotes
 * it: "name", or its first 100 characters and its length when longer.
 */
extern char *aigw_quote_name(const char *name);

/* True when loaded through shared_preload_libraries (see aigw_require_preload). */
extern bool aigw_preloaded;
extern void aigw_require_preload(void);

/*
 * SQLSTATEs of aigw's own failures, in the implementation-defined class "5G"
 * (gateway).  Input errors use PostgreSQL's standard codes (22023, 42704,
 * 55000, 54000); these are for what happens upstream.
 */
#define ERRCODE_AIGW_UPSTREAM_BAD_REQUEST	MAKE_SQLSTATE('5','G','0','0','1')
#define ERRCODE_AIGW_UPSTREAM_AUTH			MAKE_SQLSTATE('5','G','0','0','2')
#define ERRCODE_AIGW_UPSTREAM_NOT_FOUND		MAKE_SQLSTATE('5','G','0','0','3')
#define ERRCODE_AIGW_UPSTREAM_RATE_LIMITED	MAKE_SQLSTATE('5','G','0','0','4')
#define ERRCODE_AIGW_UPSTREAM_UNAVAILABLE	MAKE_SQLSTATE('5','G','0','0','5')
#define ERRCODE_AIGW_UPSTREAM_TIMEOUT		MAKE_SQLSTATE('5','G','0','0','6')
#define ERRCODE_AIGW_UPSTREAM_UNREACHABLE	MAKE_SQLSTATE('5','G','0','0','7')
#define ERRCODE_AIGW_UPSTREAM_BAD_RESPONSE	MAKE_SQLSTATE('5','G','0','0','8')
#define ERRCODE_AIGW_UPSTREAM_TOO_LARGE		MAKE_SQLSTATE('5','G','0','0','9')
#define ERRCODE_AIGW_WORKER_FAILURE			MAKE_SQLSTATE('5','G','0','1','0')
#define ERRCODE_AIGW_NO_CREDENTIAL			MAKE_SQLSTATE('5','G','0','1','1')
#define ERRCODE_AIGW_CIRCUIT_OPEN			MAKE_SQLSTATE('5','G','0','1','2')
#define ERRCODE_AIGW_NO_ROUTE				MAKE_SQLSTATE('5','G','0','1','3')

/* Billing: in class 5G too, so that an application can catch "top up". */
#define ERRCODE_AIGW_INSUFFICIENT_FUNDS		MAKE_SQLSTATE('5','G','0','2','0')
#define ERRCODE_AIGW_NO_WALLET				MAKE_SQLSTATE('5','G','0','2','1')
#define ERRCODE_AIGW_NO_PRICE				MAKE_SQLSTATE('5','G','0','2','2')
#define ERRCODE_AIGW_NO_FX_RATE				MAKE_SQLSTATE('5','G','0','2','3')

/* aigw.limits refused the call before anything was sent. */
#define ERRCODE_AIGW_LIMIT_EXCEEDED			MAKE_SQLSTATE('5','G','0','3','0')
#define ERRCODE_AIGW_MODEL_NOT_ALLOWED		MAKE_SQLSTATE('5','G','0','3','1')

#endif							/* AIGW_H */
