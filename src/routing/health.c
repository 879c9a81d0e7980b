/*
 * health.c
 *	  The shared-memory table of upstream health (see health.h).
 *
 * The hash table is locked only to find or add an entry; an entry's fields
 * are under its own spinlock, held for a few instructions.  An entry is
 * keyed by database, kind and a 64-bit hash of the name: names are long
 * ("together/meta-llama/Llama-3.3-70B-Instruct-Turbo") and a collision of
 * two names of one database at 64 bits is not a practical concern.
 *
 * Latency estimate (auto/fastest): an exponentially weighted moving
 * average of the latency of successful answers, weight LATENCY_ALPHA for
 * the newest.  Unused, it drifts back toward the prior with a half-life of
 * LATENCY_HALF_LIFE_S, so a model that was slow once is tried again once
 * the others have proved no faster; a model with no answer yet is
 * estimated at aigw.latency_prior_ms.
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#include "common/settings.h"
#include "routing/health.h"
#include "common/shared_hash.h"

#define LATENCY_ALPHA 0.3
#define LATENCY_HALF_LIFE_S 300.0

int			aigw_circuit_failures = 5;
int			aigw_circuit_error_rate = 50;
int			aigw_circuit_min_requests = 20;
int			aigw_circuit_window_s = 60;
int			aigw_circuit_cooldown_ms = 30000;
int			aigw_latency_prior_ms = 1000;
int			aigw_max_health_entries = 4096;

typedef struct HealthKey
{
	Oid			dboid;
	int32		kind;
	uint64		name_hash;
} HealthKey;

typedef struct HealthEntry
{
	HealthKey	key;
	slock_t		mutex;			/* protects everything below */
	AigwHealthRow row;			/* state, counters, last error, latency */
	TimestampTz window_start;
	TimestampTz latency_at;		/* when the latest sample came */
	bool		probing;		/* half-open: the probe is out */
	TimestampTz probe_sent_at;
} HealthEntry;

static HTAB *entries = NULL;
static LWLock *entries_lock = NULL;

Size
aigw_health_shmem_size(void)
{
	return hash_estimate_size(aigw_max_health_entries, sizeof(HealthEntry));
}

void
aigw_health_shmem_init(void)
{
	entries = aigw_shared_hash_init("aigw health", aigw_max_health_entries,
									sizeof(HealthKey), sizeof(HealthEntry));
	entries_lock = &(GetNamedLWLockTranche("aigw"))[2].lock;
}

static HealthKey
make_key(Oid dboid, AigwCircuitKind kind, const char *name)
{
	HealthKey	key;

	memset(&key, 0, sizeof(key));
	key.dboid = dboid;
	key.kind = kind;
	key.name_hash = hash_bytes_extended((const unsigned char *) name, strlen(name), 0);
	return key;
}

static void
init_entry(void *entry, const void *arg)
{
	HealthEntry *e = entry;
	const char *name = arg;

	SpinLockInit(&e->mutex);
	memset(&e->row, 0, sizeof(e->row));
	e->row.kind = e->key.kind;
	strlcpy(e->row.name, name, sizeof(e->row.name));
	e->row.state = CIRCUIT_CLOSED;
	e->row.latency_ms = -1;
	e->window_start = 0;
	e->latency_at = 0;
	e->probing = false;
	e->probe_sent_at = 0;
}

/* The entry, or NULL when there is none (and create is false) or no room. */
static HealthEntry *
find_entry(Oid dboid, AigwCircuitKind kind, const char *name, bool create)
{
	HealthKey	key = make_key(dboid, kind, name);
	HealthEntry *e;

	if (!create)
		return aigw_shared_hash_find(entries, entries_lock, &key);
	e = aigw_shared_hash_enter(entries, entries_lock, &key, init_entry, name);
	if (e == NULL)
		ereport(WARNING,
				(errmsg("aigw's table of upstream health is full (aigw.max_health_entries = %d)",
						aigw_max_health_entries),
				 errdetail("No circuit breaker or latency estimate is kept for \"%s\".", name),
				 errhint("Raise aigw.max_health_entries and restart the server.")));
	return e;
}

bool
aigw_health_counts_as_failure(AigwAttemptStatus status, int http_status)
{
	switch (status)
	{
		case ATTEMPT_CONNECT_ERROR:
		case ATTEMPT_TIMEOUT:
		case ATTEMPT_MALFORMED:
			return true;
		case ATTEMPT_HTTP_ERROR:
			return http_status == 408 || http_status == 429 || http_status >= 500;
		default:
			return false;
	}
}

static void
open_circuit(HealthEntry *e, TimestampTz now)
{
	e->row.state = CIRCUIT_OPEN;
	e->row.opened_at = now;
	e->row.next_probe_at = TimestampTzPlusMilliseconds(now, aigw_circuit_cooldown_ms);
	e->row.times_opened++;
	e->probing = false;
}

static void
observe_one(HealthEntry *e, AigwAttemptStatus status, int http_status, double latency_ms,
			const char *error, TimestampTz now)
{
	bool		failed = aigw_health_counts_as_failure(status, http_status);

	SpinLockAcquire(&e->mutex);
	if (status == ATTEMPT_CANCELLED || status == ATTEMPT_ABORTED)
	{
		/* the caller or the worker gave up: nothing learned, but the probe is back */
		if (e->row.state == CIRCUIT_HALF_OPEN)
			e->probing = false;
		SpinLockRelease(&e->mutex);
		return;
	}
	if (e->window_start == 0 ||
		now - e->window_start >= (int64) aigw_circuit_window_s * USECS_PER_SEC)
	{
		e->window_start = now;
		e->row.window_requests = 0;
		e->row.window_failures = 0;
	}
	e->row.requests++;
	e->row.window_requests++;
	e->row.last_http_status = http_status;
	strlcpy(e->row.last_status, aigw_attempt_status_name(status), sizeof(e->row.last_status));
	if (failed)
	{
		e->row.failures++;
		e->row.window_failures++;
		e->row.consecutive_failures++;
		e->row.last_failure_at = now;
		strlcpy(e->row.last_error, error ? error : "", sizeof(e->row.last_error));
		if (e->row.state == CIRCUIT_HALF_OPEN)
			open_circuit(e, now);
		else if (e->row.state == CIRCUIT_CLOSED &&
				 ((aigw_circuit_failures > 0 &&
				   e->row.consecutive_failures >= aigw_circuit_failures) ||
				  (aigw_circuit_error_rate > 0 &&
				   e->row.window_requests >= aigw_circuit_min_requests &&
				   (int64) e->row.window_failures * 100 >=
				   (int64) aigw_circuit_error_rate * e->row.window_requests)))
			open_circuit(e, now);
	}
	else
	{
		/* an answer, even a refusal, shows the upstream is up */
		e->row.consecutive_failures = 0;
		e->row.last_success_at = now;
		if (e->row.state != CIRCUIT_CLOSED)
		{
			e->row.state = CIRCUIT_CLOSED;
			e->probing = false;
			e->window_start = now;
			e->row.window_requests = 0;
			e->row.window_failures = 0;
		}
		if (status == ATTEMPT_OK && latency_ms >= 0)
		{
			e->row.latency_ms = e->row.latency_ms < 0 ? latency_ms
				: LATENCY_ALPHA * latency_ms + (1 - LATENCY_ALPHA) * e->row.latency_ms;
			e->row.latency_samples++;
			e->latency_at = now;
		}
	}
	SpinLockRelease(&e->mutex);
}

void
aigw_health_observe(Oid dboid, const char *provider, const char *model,
					AigwAttemptStatus status, int http_status,
					double latency_ms, const char *error)
{
	TimestampTz now = GetCurrentTimestamp();
	HealthEntry *e;

	if (provider != NULL && (e = find_entry(dboid, CIRCUIT_PROVIDER, provider, true)) != NULL)
		observe_one(e, status, http_status, latency_ms, error, now);
	if (model != NULL && (e = find_entry(dboid, CIRCUIT_MODEL, model, true)) != NULL)
		observe_one(e, status, http_status, latency_ms, error, now);
}

/*
 * Let a request through one circuit, or say why not.  A half-open circuit
 * whose probe has been out longer than a cooldown lets another one go: the
 * first may have been lost with its worker.
 */
static bool
admit_one(HealthEntry *e, TimestampTz now, bool claim, const char *what, char **why)
{
	bool		ok = true;
	TimestampTz until = 0;
	int			failures;
	char		last[sizeof(e->row.last_error)];

	SpinLockAcquire(&e->mutex);
	failures = e->row.consecutive_failures;
	strlcpy(last, e->row.last_error[0] ? e->row.last_error : e->row.last_status, sizeof(last));
	if (e->row.state == CIRCUIT_OPEN && now >= e->row.next_probe_at)
	{
		e->row.state = CIRCUIT_HALF_OPEN;
		e->probing = false;
	}
	if (e->row.state == CIRCUIT_OPEN)
	{
		ok = false;
		until = e->row.next_probe_at;
	}
	else if (e->row.state == CIRCUIT_HALF_OPEN)
	{
		if (e->probing &&
			now < TimestampTzPlusMilliseconds(e->probe_sent_at, aigw_circuit_cooldown_ms))
		{
			ok = false;
			until = TimestampTzPlusMilliseconds(e->probe_sent_at, aigw_circuit_cooldown_ms);
		}
		else if (claim)
		{
			e->probing = true;
			e->probe_sent_at = now;
			e->row.next_probe_at = TimestampTzPlusMilliseconds(now, aigw_circuit_cooldown_ms);
		}
	}
	SpinLockRelease(&e->mutex);

	if (!ok && why != NULL)
		*why = psprintf("the circuit of %s is open (%d consecutive failures, last: %s); next probe at %s",
						what, failures, last, timestamptz_to_str(until));
	return ok;
}

/* Give back a probe claimed by admit_one when the other circuit said no. */
static void
release_probe(HealthEntry *e)
{
	SpinLockAcquire(&e->mutex);
	if (e->row.state == CIRCUIT_HALF_OPEN)
		e->probing = false;
	SpinLockRelease(&e->mutex);
}

static bool
is_blocked(HealthEntry *e, TimestampTz now)
{
	bool		blocked;

	SpinLockAcquire(&e->mutex);
	blocked = (e->row.state == CIRCUIT_OPEN && now < e->row.next_probe_at) ||
		(e->row.state == CIRCUIT_HALF_OPEN && e->probing &&
		 now < TimestampTzPlusMilliseconds(e->probe_sent_at, aigw_circuit_cooldown_ms));
	SpinLockRelease(&e->mutex);
	return blocked;
}

bool
aigw_health_admit(const char *provider, const char *model, TimestampTz now, char **why)
{
	HealthEntry *p = find_entry(MyDatabaseId, CIRCUIT_PROVIDER, provider, false);
	HealthEntry *m = find_entry(MyDatabaseId, CIRCUIT_MODEL, model, false);
	char	   *what;

	/* look at both before claiming either probe */
	if (m != NULL && is_blocked(m, now))
	{
		what = psprintf("model \"%s\"", model);
		return admit_one(m, now, false, what, why);
	}
	if (p != NULL)
	{
		what = psprintf("provider \"%s\"", provider);
		if (!admit_one(p, now, true, what, why))
			return false;
	}
	if (m != NULL)
	{
		what = psprintf("model \"%s\"", model);
		if (!admit_one(m, now, true, what, why))
		{
			if (p != NULL)
				release_probe(p);
			return false;
		}
	}
	return true;
}

double
aigw_health_latency(const char *model, TimestampTz now)
{
	HealthEntry *e = find_entry(MyDatabaseId, CIRCUIT_MODEL, model, false);
	double		ms = -1;
	TimestampTz at = 0;

	if (e != NULL)
	{
		SpinLockAcquire(&e->mutex);
		ms = e->row.latency_ms;
		at = e->latency_at;
		SpinLockRelease(&e->mutex);
	}
	if (ms < 0)
		return aigw_latency_prior_ms;
	else
	{
		double		age_s = (double) (now - at) / USECS_PER_SEC;
		double		keep = pow(0.5, Max(age_s, 0) / LATENCY_HALF_LIFE_S);

		return aigw_latency_prior_ms + (ms - aigw_latency_prior_ms) * keep;
	}
}

int
aigw_health_list(Oid dboid, AigwHealthRow **rows)
{
	HASH_SEQ_STATUS seq;
	HealthEntry *e;
	int			n = 0;
	int			cap = 16;
	TimestampTz now = GetCurrentTimestamp();

	*rows = palloc(sizeof(AigwHealthRow) * cap);
	LWLockAcquire(entries_lock, LW_SHARED);
	hash_seq_init(&seq, entries);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (e->key.dboid != dboid)
			continue;
		if (n == cap)
		{
			cap *= 2;
			*rows = repalloc(*rows, sizeof(AigwHealthRow) * cap);
		}
		SpinLockAcquire(&e->mutex);
		(*rows)[n] = e->row;
		/* an open circuit past its cooldown lets the next request probe */
		if (e->row.state == CIRCUIT_OPEN && now >= e->row.next_probe_at)
			(*rows)[n].state = CIRCUIT_HALF_OPEN;
		SpinLockRelease(&e->mutex);
		n++;
	}
	LWLockRelease(entries_lock);
	return n;
}

int
aigw_health_reset(const char *name)
{
	int			n = 0;

	for (int kind = CIRCUIT_PROVIDER; kind <= CIRCUIT_MODEL; kind++)
	{
		HealthEntry *e = find_entry(MyDatabaseId, kind, name, false);

		if (e == NULL)
			continue;
		SpinLockAcquire(&e->mutex);
		e->row.state = CIRCUIT_CLOSED;
		e->row.consecutive_failures = 0;
		e->row.window_requests = 0;
		e->row.window_failures = 0;
		e->window_start = 0;
		e->probing = false;
		SpinLockRelease(&e->mutex);
		n++;
	}
	return n;
}
