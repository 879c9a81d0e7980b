/*
 * settings.c
 *	  The variables behind aigw's settings (declared in settings.h), with
 *	  their defaults, and whether aigw was preloaded.
 *
 * init/init.c registers them with the GUC machinery at load; every module
 * only reads them, so this file and its header depend on nothing of aigw's.
 * A C initialiser is the setting's registered default.
 */
#include "postgres.h"

#include "common/settings.h"

int			aigw_workers = 1;
int			aigw_max_inflight = 1024;
int			aigw_request_slots = 4096;
int			aigw_max_databases = 16;
int			aigw_shared_memory_mb = 256;
int			aigw_request_timeout_ms = 120000;
int			aigw_connect_timeout_ms = 10000;
int			aigw_max_request_bytes = 4 * 1024 * 1024;
int			aigw_max_response_bytes = 16 * 1024 * 1024;
int			aigw_pool_idle_timeout_s = 300;
int			aigw_max_wallets = 10000;
char	   *aigw_wallet = NULL;
int			aigw_billing = AIGW_BILLING_AUTO;
int			aigw_max_retries = 2;
char	   *aigw_default_model = NULL;
int			aigw_query_concurrency = 64;
bool		aigw_read_ahead = true;
int			aigw_on_call_error = AIGW_ON_CALL_ERROR_RAISE;
double		aigw_statement_max_cost = 0;
char	   *aigw_master_key_file = NULL;
char	   *aigw_master_key_command = NULL;
char	   *aigw_previous_master_key_file = NULL;
char	   *aigw_previous_master_key_command = NULL;

bool		aigw_preloaded = false;

void
aigw_require_preload(void)
{
	if (!aigw_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("aigw is not loaded through shared_preload_libraries"),
				 errdetail("aigw's worker pool and shared memory are set up when the server starts."),
				 errhint("Add aigw to shared_preload_libraries in postgresql.conf and restart the server.")));
}
