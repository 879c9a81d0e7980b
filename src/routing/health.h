/*
 * health.h
 *	  What every backend knows of each upstream: circuit breakers per
 *	  provider and per model, and the latency estimate that auto/fastest
 *	  ranks by.  Kept in shared memory, so one backend's failures spare the
 *	  others a wasted request.
 *
 * A caller reports each attempt it sent (aigw_health_observe) and asks
 * before sending (aigw_health_admit).  A circuit is
 *	closed		requests pass; failures are counted;
 *	open		nothing is sent until the cooldown has passed;
 *	half_open	the cooldown has passed: one request (the probe) is let
 *				through; its success closes the circuit, its failure
 *				opens it again for another cooldown.
 */
#ifndef AIGW_HEALTH_H
#define AIGW_HEALTH_H

#include "postgres.h"

#include "utils/timestamp.h"

#include "common/message.h"

typedef enum AigwCircuitKind
{
	CIRCUIT_PROVIDER = 0,
	CIRCUIT_MODEL = 1
} AigwCircuitKind;

typedef enum AigwCircuitState
{
	CIRCUIT_CLOSED = 0,
	CIRCUIT_OPEN,
	CIRCUIT_HALF_OPEN
} AigwCircuitState;

/* GUCs (registered by init/init.c) */
extern int	aigw_circuit_failures;
extern int	aigw_circuit_error_rate;
extern int	aigw_circuit_min_requests;
extern int	aigw_circuit_window_s;
extern int	aigw_circuit_cooldown_ms;
extern int	aigw_latency_prior_ms;
extern int	aigw_max_health_entries;

extern Size aigw_health_shmem_size(void);
extern void aigw_health_shmem_init(void);

/*
 * Whether a failure says something about the upstream's health (and so
 * counts against its circuit): no answer, a timeout, 408, 429, 5xx or an
 * unusable body.  A request the upstream rejected (400, 401, 404, ...) or
 * a caller that gave up says nothing of it.
 */
extern bool aigw_health_counts_as_failure(AigwAttemptStatus status, int http_status);

/*
 * The report of one finished attempt of a model of a provider in database
 * dboid, by the caller that sent it (so the thresholds in force are its
 * session's: cluster-wide, per database or, for a superuser, per session).
 */
extern void aigw_health_observe(Oid dboid, const char *provider, const char *model,
								AigwAttemptStatus status, int http_status,
								double latency_ms, const char *error);

/*
 * May a request go to this model of this provider now?  True when both
 * circuits let it through (claiming the probe of a half-open one); false
 * with *why ("circuit of provider \"x\" is open until ...") otherwise.
 */
extern bool aigw_health_admit(const char *provider, const char *model, TimestampTz now,
							  char **why);

/* The latency estimate of a model (ms) at `now`. */
extern double aigw_health_latency(const char *model, TimestampTz now);

/* For aigw.provider_health: every entry of this database. */
typedef struct AigwHealthRow
{
	AigwCircuitKind kind;
	char		name[128];
	AigwCircuitState state;
	int32		consecutive_failures;
	int32		window_requests;
	int32		window_failures;
	int64		requests;
	int64		failures;
	int32		times_opened;
	int32		last_http_status;
	char		last_status[16];
	char		last_error[256];
	TimestampTz last_failure_at;
	TimestampTz last_success_at;
	TimestampTz opened_at;
	TimestampTz next_probe_at;
	double		latency_ms;		/* < 0: no sample yet */
	int64		latency_samples;
} AigwHealthRow;

extern int	aigw_health_list(Oid dboid, AigwHealthRow **rows);

/* Close the circuits of a provider or model of this database; how many were reset. */
extern int	aigw_health_reset(const char *name);

#endif							/* AIGW_HEALTH_H */
