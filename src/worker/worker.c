/*
 * worker.c
 *	  A pool worker: the libcurl multi event loop of one database's pool.
 *
 * libcurl tells us which sockets to watch (on_socket) and when to call it
 * back (on_timer).  The sockets go into an epoll set of our own, and that
 * one descriptor sits in a PostgreSQL WaitEventSet beside the latch and
 * postmaster death, so one wait covers new requests, cancellations, network
 * events and timers.  The set of sockets changes all the time; a
 * WaitEventSet cannot drop a socket before PostgreSQL 17, so nesting an
 * epoll set is how it stays a single wait without rebuilding anything.
 *
 * Each turn of the loop takes queued requests (up to aigw.max_inflight in
 * flight), drops the ones whose caller left, collects finished transfers,
 * and commits once: the finished ones logged and charged, the new ones'
 * rows inserted and flushed (intent.c).  Only then are the new requests
 * sent and the finished ones' callers woken.
 */
#include "postgres.h"

#include <sys/epoll.h>
#include <curl/curl.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "common/pg_compat.h"
#include "common/settings.h"
#include "worker/http.h"
#include "worker/intent.h"
#include "pool/outcome.h"
#include "pool/pool.h"
#include "worker/settle.h"

PGDLLEXPORT void aigw_worker_main(Datum arg);

static volatile sig_atomic_t got_sigterm = false;

static AigwPool *my_pool;
static int	my_index;

static CURLM *multi;
static int	epfd = -1;
static bool timer_armed = false;
static TimestampTz timer_deadline;

static dlist_head active = DLIST_STATIC_INIT(active);
static int	nactive = 0;
static AigwTransfer **done;		/* finished this turn, sized max_inflight */
static int	ndone = 0;
static int	done_cap = 0;

static MemoryContext transfers_cxt;
static MemoryContext turn_cxt;

static void
on_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	got_sigterm = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

static void
on_exit_detach(int code, Datum arg)
{
	aigw_worker_detach(my_pool, my_index, true);
}

/* ---------------------------------------------------------------------
 * libcurl callbacks
 * ---------------------------------------------------------------------
 */

/*
 * curl keeps a pointer per socket for us (curl_multi_assign) and forgets it
 * when it says CURL_POLL_REMOVE: a socket that has it is in the epoll set.
 * A kept connection is removed when its transfer ends and added again when
 * the next one takes it, so this saves a failing syscall per call.
 */
static char in_epoll_set;

static int
on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct epoll_event ev;

	if (what == CURL_POLL_REMOVE)
	{
		epoll_ctl(epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = s;
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (socketp != NULL)
	{
		/* should not fail; if the set lost it anyway, put it back */
		if (epoll_ctl(epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT)
			epoll_ctl(epfd, EPOLL_CTL_ADD, s, &ev);
	}
	else
	{
		/* a descriptor closed without a REMOVE may still be in the set */
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST)
			epoll_ctl(epfd, EPOLL_CTL_MOD, s, &ev);
		curl_multi_assign(multi, s, &in_epoll_set);
	}
	return 0;
}

static int
on_timer(CURLM *m, long timeout_ms, void *userp)
{
	if (timeout_ms < 0)
		timer_armed = false;
	else
	{
		timer_armed = true;
		timer_deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * One turn of the loop
 * ---------------------------------------------------------------------
 */

static void
mark_done(AigwTransfer *t)
{
	if (ndone == done_cap)
	{
		done_cap = Max(64, done_cap * 2);
		done = done ? repalloc(done, sizeof(AigwTransfer *) * done_cap)
			: MemoryContextAlloc(TopMemoryContext, sizeof(AigwTransfer *) * done_cap);
	}
	done[ndone++] = t;
}

/* An active transfer has ended, one way or another. */
static void
retire(AigwTransfer *t)
{
	dlist_delete(&t->node);
	nactive--;
	mark_done(t);
}

static void
drive_sockets(void)
{
	struct epoll_event evs[64];
	int			n;
	int			running;

	do
	{
		n = epoll_wait(epfd, evs, lengthof(evs), 0);
		for (int i = 0; i < n; i++)
		{
			int			flags = 0;

			if (evs[i].events & EPOLLIN)
				flags |= CURL_CSELECT_IN;
			if (evs[i].events & EPOLLOUT)
				flags |= CURL_CSELECT_OUT;
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				flags |= CURL_CSELECT_ERR;
			curl_multi_socket_action(multi, evs[i].data.fd, flags, &running);
		}
	} while (n == lengthof(evs));
}

static void
drive_timer(void)
{
	int			running;

	while (timer_armed && GetCurrentTimestamp() >= timer_deadline)
	{
		timer_armed = false;
		curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
}

/*
 * Requests taken this turn, sent once the turn's commit has made their
 * rows durable (intent.c): nothing leaves before it is accounted for.
 */
static AigwTransfer **unsent;
static int	nunsent = 0;
static int	unsent_cap = 0;

static void
take_new_requests(void)
{
	int			room = aigw_max_inflight - nactive - nunsent;
	int		   *slots;
	int			n;
	dsa_area   *area = aigw_dsa();

	if (room <= 0)
		return;
	/* aigw.max_inflight may have been raised by a reload */
	if (nunsent + room > unsent_cap)
	{
		unsent_cap = nunsent + room;
		unsent = unsent ? repalloc(unsent, sizeof(AigwTransfer *) * unsent_cap)
			: MemoryContextAlloc(TopMemoryContext, sizeof(AigwTransfer *) * unsent_cap);
	}
	slots = palloc(sizeof(int) * room);
	n = aigw_pool_take(my_pool, my_index, slots, room);
	for (int i = 0; i < n; i++)
	{
		AigwSlot   *slot = &aigw_shared->slots[slots[i]];
		AigwTransfer *t;

		t = aigw_transfer_create(slots[i], dsa_get_address(area, slot->request),
								 transfers_cxt);
		aigw_request_free(area, slot->request);
		slot->request = InvalidDsaPointer;
		if (t->request->kind == RQ_KIND_LEDGER)
			mark_done(t);		/* nothing to send: it is settled below */
		else if (t->request->kind == RQ_KIND_HTTP)
		{
			/* no model call: no row to make durable first (intent.c) */
			if (aigw_transfer_start(multi, t))
			{
				dlist_push_tail(&active, &t->node);
				nactive++;
			}
			else
				mark_done(t);
		}
		else if (t->request->cached)
		{
			aigw_transfer_answer_from_cache(t);
			mark_done(t);
		}
		else
			unsent[nunsent++] = t;
	}
	pfree(slots);
}

/* The unsent requests end without leaving: logged as they are. */
static void
fail_unsent(const char *reason)
{
	for (int i = 0; i < nunsent; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(unsent[i]->cxt);

		aigw_attempt_fail(&unsent[i]->attempt, ATTEMPT_ABORTED, "%s", reason);
		MemoryContextSwitchTo(old);
		mark_done(unsent[i]);
	}
	nunsent = 0;
}

static void
send_unsent(void)
{
	for (int i = 0; i < nunsent; i++)
	{
		AigwTransfer *t = unsent[i];

		if (aigw_transfer_start(multi, t))
		{
			dlist_push_tail(&active, &t->node);
			nactive++;
		}
		else
			mark_done(t);		/* settled next turn */
	}
	nunsent = 0;
}

/*
 * Callers that gave up: abort their transfers (the mock sees the close).
 * The pool counts abandons, so a turn with none new skips the walk over
 * every transfer in flight.
 */
static void
drop_abandoned(void)
{
	static uint32 abandons_seen = 0;
	uint32		abandons = pg_atomic_read_u32(&my_pool->abandons);
	dlist_mutable_iter iter;

	if (abandons == abandons_seen)
		return;
	abandons_seen = abandons;
	dlist_foreach_modify(iter, &active)
	{
		AigwTransfer *t = dlist_container(AigwTransfer, node, iter.cur);

		if (pg_atomic_read_u32(&aigw_shared->slots[t->slotno].state) != SLOT_ABANDONED)
			continue;
		aigw_transfer_stop(multi, t, ATTEMPT_CANCELLED,
						   "the caller stopped waiting (statement_timeout, pg_cancel_backend or an error)");
		retire(t);
	}
}

static void
collect_finished(void)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
	{
		AigwTransfer *t;
		CURLcode	result = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
		aigw_transfer_finish(multi, t, result);
		retire(t);
	}
}

static void
abort_all(const char *reason)
{
	dlist_mutable_iter iter;

	dlist_foreach_modify(iter, &active)
	{
		AigwTransfer *t = dlist_container(AigwTransfer, node, iter.cur);

		aigw_transfer_stop(multi, t, ATTEMPT_ABORTED, reason);
		retire(t);
	}
}

/*
 * The turn's commit: log and charge everything that finished, and insert
 * the rows of the requests taken, in one transaction whose commit is
 * flushed when it holds any such row.  Then send those requests, release
 * the finished ones' reservations and tell their callers.
 */
static void
commit_turn(void)
{
	AigwRequestMsg **requests;
	AigwAttempt **attempts;
	AigwIntents intents = {unsent, nunsent};
	dsa_area   *area = aigw_dsa();
	MemoryContext old;
	int			n = ndone;
	bool		durable;

	if (ndone == 0 && nunsent == 0)
		return;
	old = MemoryContextSwitchTo(turn_cxt);
	requests = palloc(sizeof(AigwRequestMsg *) * Max(n, 1));
	attempts = palloc(sizeof(AigwAttempt *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		requests[i] = done[i]->request;
		attempts[i] = &done[i]->attempt;
	}
	durable = aigw_settle(requests, attempts, n, nunsent > 0 ? aigw_intents_insert : NULL, &intents);

	/* nothing leaves before its row is durable (intent.c) */
	if (nunsent > 0 && !durable)
	{
		for (int i = 0; i < nunsent; i++)
			unsent[i]->attempt.intent_id = 0;
		if (!aigw_intents_record(unsent, nunsent))
			fail_unsent("aigw could not record the call before sending it (see the server log); it was not sent");
	}
	send_unsent();

	for (int i = 0; i < n; i++)
	{
		AigwTransfer *t = done[i];
		AigwSlot   *slot = &aigw_shared->slots[t->slotno];

		aigw_slot_release_reservation(t->slotno);

		if (pg_atomic_read_u32(&slot->state) == SLOT_ABANDONED)
			aigw_slot_release_abandoned(t->slotno);
		else
			aigw_slot_complete(t->slotno, aigw_outcome_publish(area, t->request, &t->attempt));
		aigw_transfer_destroy(t);
	}
	my_pool->workers[my_index].completed += n;
	/* what ended since (a request that could not be sent) is the next turn's */
	memmove(done, done + n, sizeof(AigwTransfer *) * (ndone - n));
	ndone -= n;
	MemoryContextSwitchTo(old);
	MemoryContextReset(turn_cxt);
}

static void
setup_curl(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		elog(ERROR, "could not initialize libcurl");
	multi = curl_multi_init();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (multi == NULL || epfd < 0)
		elog(ERROR, "could not set up the aigw event loop: %m");
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long) CURLPIPE_MULTIPLEX);
	/* Keep idle connections for reuse; enough for one per call in flight. */
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long) Max(aigw_max_inflight, 16));
}

void
aigw_worker_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	WaitEventSet *wes;
	WaitEvent	events[3];
	TimestampTz last_busy;

	memcpy(&my_index, MyBgworkerEntry->bgw_extra, sizeof(int));
	pqsignal(SIGTERM, on_sigterm);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	/* A cancel must not interrupt a log transaction half way. */
	pqsignal(SIGINT, SIG_IGN);
	BackgroundWorkerUnblockSignals();

	/*
	 * Join the pool before connecting: if connecting fails (the database
	 * was just dropped, say), the exit callback still takes this worker
	 * out of the pool, so callers don't wait for a worker that never came.
	 */
	my_pool = aigw_pool_for_worker(dboid, my_index);
	if (my_pool == NULL)
		proc_exit(0);
	before_shmem_exit(on_exit_detach, (Datum) 0);

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("aigw worker");

	/*
	 * The worker runs as a superuser: resolve nothing through a search_path
	 * that a database owner could have pointed at functions of their own.
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * The log must be durable before a caller sees its answer (DESIGN.md,
	 * invariant 2), whatever the database's defaults say.
	 */
	SetConfigOption("synchronous_commit", "on", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);

	if (!aigw_extension_installed())
	{
		ereport(LOG, (errmsg("aigw worker exiting: extension aigw is not installed in this database")));
		proc_exit(0);
	}
	(void) aigw_dsa();

	/* what a worker that died left in flight, before this one sends anything */
	aigw_intents_resolve();

	transfers_cxt = AllocSetContextCreate(TopMemoryContext, "aigw transfers",
										  ALLOCSET_DEFAULT_SIZES);
	turn_cxt = AllocSetContextCreate(TopMemoryContext, "aigw turn",
									 ALLOCSET_DEFAULT_SIZES);
	setup_curl();

	wes = aigw_process_wait_event_set(3);
	AddWaitEventToSet(wes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(wes, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	AddWaitEventToSet(wes, WL_SOCKET_READABLE, epfd, NULL, NULL);

	last_busy = GetCurrentTimestamp();
	for (;;)
	{
		long		timeout;
		int			nevents;
		TimestampTz now;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		/*
		 * New requests are taken before and after the answers are read, and
		 * all leave with the turn's commit, which makes their rows durable
		 * along with the answers' (one transaction, one flush a turn).
		 */
		take_new_requests();
		drive_timer();
		drive_sockets();
		drive_timer();
		drop_abandoned();
		collect_finished();
		/* and what came meanwhile, before the turn's commit */
		take_new_requests();
		drive_timer();
		commit_turn();
		my_pool->workers[my_index].inflight = nactive;

		if (got_sigterm)
		{
			abort_all("the aigw worker was stopped (server shutdown, DROP DATABASE or pg_terminate_backend)");
			fail_unsent("the aigw worker was stopped (server shutdown, DROP DATABASE or pg_terminate_backend) before the call was sent");
			commit_turn();
			proc_exit(0);
		}

		now = GetCurrentTimestamp();
		if (nactive > 0)
			last_busy = now;
		else if (TimestampDifferenceExceeds(last_busy, now, aigw_pool_idle_timeout_s * 1000) &&
				 aigw_pool_idle_exit(my_pool, my_index))
			proc_exit(0);

		/* Sleep until a socket, the latch, curl's timer or the idle check. */
		timeout = nactive > 0 ? 1000 : Min(1000L, aigw_pool_idle_timeout_s * 1000L);
		if (ndone > 0)
			timeout = 0;		/* a request that could not be sent is logged at once */
		if (timer_armed)
		{
			long		ms = (long) ((timer_deadline - now + 999) / 1000);

			timeout = Max(0, Min(timeout, ms));
		}
		nevents = WaitEventSetWait(wes, timeout, events, lengthof(events), PG_WAIT_EXTENSION);

		/*
		 * Absorb procsignal barriers and the like: DROP DATABASE, for one,
		 * waits until every process has (SIGTERM and SIGINT are ours).
		 */
		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < nevents; i++)
			if (events[i].events & WL_LATCH_SET)
				ResetLatch(MyLatch);
		/* the sockets are read at the top of the loop, after the new requests are sent */
	}
}
