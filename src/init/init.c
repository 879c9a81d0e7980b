/*
 * init.c
 *	  Module load: _PG_init registers the settings, reads the master key
 *	  and installs the hooks; the shared-memory hooks size and set up every
 *	  module's shared state (the one registry of aigw's shared memory).
 *
 * This file knows every module and no module includes anything of init/,
 * so a module never depends on start-up: what modules share at run time
 * (the settings' variables, error codes) is in common/settings.h.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "batch/dispatcher.h"
#include "batch/read_ahead.h"
#include "catalog/quote_cache.h"
#include "billing/wallet_cache.h"
#include "caller/cache.h"
#include "common/secret_box.h"
#include "common/settings.h"
#include "init/db_guard.h"
#include "pool/pool.h"
#include "routing/health.h"
#include "billing/usage_limits.h"

PG_MODULE_MAGIC;

static const struct config_enum_entry on_call_error_options[] = {
	{"raise", AIGW_ON_CALL_ERROR_RAISE, false},
	{"null", AIGW_ON_CALL_ERROR_NULL, false},
	{NULL, 0, false}
};

static const struct config_enum_entry billing_options[] = {
	{"auto", AIGW_BILLING_AUTO, false},
	{"on", AIGW_BILLING_ON, false},
	{"off", AIGW_BILLING_OFF, false},
	{"true", AIGW_BILLING_ON, true},
	{"false", AIGW_BILLING_OFF, true},
	{NULL, 0, false}
};

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

void		_PG_init(void);

/*
 * The registry of aigw's shared memory: the pool segment and each module's
 * table.  Sizing and set-up name the same modules, in one place.
 */
static Size
aigw_shmem_size(void)
{
	Size		size = aigw_pool_shmem_size();

	size = add_size(size, aigw_wallet_cache_size());
	size = add_size(size, aigw_quote_cache_shmem_size());
	size = add_size(size, aigw_health_shmem_size());
	size = add_size(size, aigw_dispatcher_shmem_size());
	size = add_size(size, aigw_limits_shmem_size());
	return size;
}

static void
aigw_shmem_init(void)
{
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	aigw_pool_shmem_init();
	aigw_wallet_cache_init();
	aigw_quote_cache_shmem_init();
	aigw_health_shmem_init();
	aigw_dispatcher_shmem_init();
	aigw_limits_shmem_init();
	LWLockRelease(AddinShmemInitLock);
	LWLockRegisterTranche(aigw_shared->dsa_tranche, "aigw_dsa");
}

static void
aigw_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(aigw_shmem_size());
	/* 0: pools and slots, 1: the wallet table, 2: the health table, 3: limits */
	RequestNamedLWLockTranche("aigw", 4);
}

static void
aigw_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	aigw_shmem_init();
}

static void
define_settings(void)
{
	DefineCustomIntVariable("aigw.workers",
							"Worker processes in each database's pool.",
							"Takes effect when a pool (re)starts; each uses one of max_worker_processes. "
							"One worker carries a few thousand calls a second on one core; more only help "
							"when it is CPU-bound and cores are free.",
							&aigw_workers, 1, 1, AIGW_MAX_WORKERS_PER_POOL,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.max_inflight",
							"Upstream requests one worker keeps in flight at once.",
							NULL, &aigw_max_inflight, 1024, 1, 65536,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.request_slots",
							"Requests that can be queued or in flight across the cluster.",
							NULL, &aigw_request_slots, 4096, 16, 1048576,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.max_databases",
							"Databases that can have a worker pool at the same time.",
							NULL, &aigw_max_databases, 16, 1, 1024,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.shared_memory",
							"Shared memory for request and answer payloads in flight.",
							NULL, &aigw_shared_memory_mb, 256, 8, 65536,
							PGC_POSTMASTER, GUC_UNIT_MB, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.request_timeout_ms",
							"Default time limit of one upstream request.",
							"A provider's request_timeout_ms and a call's timeout_ms option override it.",
							&aigw_request_timeout_ms, 120000, 1, 3600000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.connect_timeout_ms",
							"Default time limit for connecting to a provider.",
							NULL, &aigw_connect_timeout_ms, 10000, 1, 600000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.max_request_bytes",
							"Largest request body aigw sends.",
							NULL, &aigw_max_request_bytes, 4 * 1024 * 1024, 1024, MaxAllocSize / 2,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.max_response_bytes",
							"Largest answer body aigw accepts; a larger one fails the call.",
							NULL, &aigw_max_response_bytes, 16 * 1024 * 1024, 1024, MaxAllocSize / 2,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.pool_idle_timeout",
							"A worker with nothing to do for this long exits.",
							NULL, &aigw_pool_idle_timeout_s, 300, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.max_wallets",
							"Wallets whose balance and reservations are kept in shared memory.",
							"Across all databases; a call on a wallet beyond it fails until the server restarts with more.",
							&aigw_max_wallets, 10000, 16, 10000000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("aigw.wallet",
							   "Wallet that pays for this session's calls.",
							   "A call's \"wallet\" option overrides it.",
							   &aigw_wallet, "",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("aigw.billing",
							 "Whether calls are charged to a wallet.",
							 "auto: on in a database that has a wallet. on: every call needs a wallet. off: nothing is reserved or charged (costs are still logged).",
							 &aigw_billing, AIGW_BILLING_AUTO, billing_options,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.max_retries",
							"Retries of the same model after a transient failure, when the call has no other model to fall back to.",
							"A call's \"retries\" option and a route's retries override it; a call with fallbacks moves on at once.",
							&aigw_max_retries, 2, 0, 10,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("aigw.cache",
							 "Whether calls at temperature 0 are answered from, and stored in, aigw.response_cache.",
							 "A call's \"cache\" option overrides it either way (true also caches calls at a higher temperature).",
							 &aigw_cache_enabled, false,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.cache_ttl",
							"How long a cached answer is served.",
							"A call's \"cache_ttl\" option (seconds) overrides it.",
							&aigw_cache_ttl_s, 86400, 1, 315360000,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.batch_concurrency",
							"Calls one batch statement (aigw.chat_many) keeps in flight at once.",
							"A call's \"concurrency\" option overrides it.",
							&aigw_batch_concurrency, 64, 1, 4096,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("aigw.default_model",
							   "Model of the semantic functions (aigw.is_true, classify, extract, score, agg) when their model argument is NULL.",
							   "A model, a meta-model such as auto/cheapest, or a route.",
							   &aigw_default_model, "",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.query_concurrency",
							"Calls one plan node of an ordinary query keeps in flight at once.",
							"Calls in a SELECT list, a WHERE clause or an UPDATE's SET are read ahead this far; the pool's in-flight limit still applies.",
							&aigw_query_concurrency, 64, 1, 4096,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("aigw.read_ahead",
							 "Whether ordinary queries read calls ahead (many in flight) instead of one row at a time.",
							 "Applies to statements planned after it changes.",
							 &aigw_read_ahead, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("aigw.on_call_error",
							 "What a call function (aigw.ask, chat, the semantic functions...) in a query gives when its call fails.",
							 "raise: the statement fails (the calls in flight are abandoned). null: the function gives NULL for that row and the statement goes on.",
							 &aigw_on_call_error, AIGW_ON_CALL_ERROR_RAISE, on_call_error_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("aigw.statement_max_cost",
							 "What the calls of one statement may cost before it stops with an error (0: no limit).",
							 "Counted in the charges' own currency as the answers come in; calls already in flight when it is passed are abandoned.",
							 &aigw_statement_max_cost, 0, 0, 1e12,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.circuit_failures",
							"Consecutive failures of a provider or model that open its circuit.",
							"Failures are connect errors, timeouts, 408, 429, 5xx and unusable answers; 0 turns this rule off.",
							&aigw_circuit_failures, 5, 0, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.circuit_error_rate",
							"Failure percentage over aigw.circuit_window that opens a circuit.",
							"Only once the window has aigw.circuit_min_requests requests; 0 turns this rule off.",
							&aigw_circuit_error_rate, 50, 0, 100,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.circuit_min_requests",
							"Requests a window needs before its error rate can open a circuit.",
							NULL, &aigw_circuit_min_requests, 20, 1, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.circuit_window",
							"Length of the window the error rate is counted over.",
							NULL, &aigw_circuit_window_s, 60, 1, 86400,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.circuit_cooldown",
							"How long an open circuit sends nothing before one probe request.",
							NULL, &aigw_circuit_cooldown_ms, 30000, 1, 86400000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.latency_prior",
							"Latency auto/fastest assumes for a model with no answer yet.",
							NULL, &aigw_latency_prior_ms, 1000, 0, 3600000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.max_health_entries",
							"Providers and models whose circuit and latency are tracked in shared memory.",
							"Across all databases.",
							&aigw_max_health_entries, 4096, 64, 10000000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("aigw.max_limits",
							"Rows of aigw.limits whose usage is tracked in shared memory.",
							"Across all databases; a call under a limit beyond it fails until the server restarts with more.",
							&aigw_max_limits, 1024, 16, 1000000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);

	/*
	 * The master key: read by the postmaster at start (so PGC_POSTMASTER),
	 * and where it lives is for superusers only to see.
	 */
	DefineCustomStringVariable("aigw.master_key_file",
							   "File holding the master key that encrypts provider keys (64 hex digits).",
							   "Read once when the server starts; must be readable by its owner only. Keep it outside the data directory and its backups.",
							   &aigw_master_key_file, "",
							   PGC_POSTMASTER, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("aigw.master_key_command",
							   "Shell command that prints the master key (64 hex digits), instead of aigw.master_key_file.",
							   "Run once when the server starts, as the server's OS user; it must exit with status 0.",
							   &aigw_master_key_command, "",
							   PGC_POSTMASTER, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("aigw.previous_master_key_file",
							   "File holding the master key before a rotation: still decrypts, never encrypts.",
							   "aigw.rotate_credentials() re-encrypts what it decrypts under aigw.master_key_file.",
							   &aigw_previous_master_key_file, "",
							   PGC_POSTMASTER, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("aigw.previous_master_key_command",
							   "Shell command that prints the previous master key, instead of aigw.previous_master_key_file.",
							   NULL, &aigw_previous_master_key_command, "",
							   PGC_POSTMASTER, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	MarkGUCPrefixReserved("aigw");
}

void
_PG_init(void)
{
	/*
	 * Loaded later (by CREATE EXTENSION or a function call) the pool cannot
	 * exist; every function then says so through aigw_require_preload.
	 */
	if (!process_shared_preload_libraries_in_progress)
		return;

	define_settings();
	aigw_preloaded = true;
	aigw_master_keys_load();

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = aigw_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = aigw_shmem_startup;
	aigw_db_guard_install();
	aigw_read_ahead_init();
	aigw_dispatcher_register_launcher();
}
