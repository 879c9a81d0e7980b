/*
 * billing.h
 *	  The caller's side of billing a call: which wallet pays, at what price,
 *	  and the worst-case reservation made before the call is sent.
 */
#ifndef AIGW_BILLING_H
#define AIGW_BILLING_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/timestamp.h"

#include "catalog/catalog.h"
#include "catalog/quote_cache.h"
#include "catalog/chat_request.h"
#include "billing/wallet_cache.h"

/*
 * Upper bound of the prompt tokens of an image part, whose URL's bytes say
 * nothing of its size (OpenAI's high-detail tiling tops out near 1,500,
 * patch-based models near 2,500).
 */
#define AIGW_IMAGE_TOKEN_BOUND 3000

typedef struct AigwBill
{
	const AigwQuote *quote;		/* wallet, price, FX (valid for this call) */
	bool		billed;			/* a wallet pays */
	char	   *wallet;
	Oid			relid;			/* aigw.wallet_balances */
	char	   *currency;		/* of the cost: the wallet's, else the price's */
	int			scale;			/* ledger scale of `currency` */
	int64		input_bound;	/* tokens */
	int64		output_bound;
	int64		reserve;		/* ledger units */
	AigwWallet *entry;			/* set by aigw_billing_reserve */
} AigwBill;

/*
 * Decide who pays and at what price; raise the error that explains why a
 * call cannot be billed (no wallet, not allowed, no price, no FX rate).
 * request_bytes bounds the prompt tokens: no tokenizer makes a token of
 * less than one byte, and the body has every token of the prompt.
 */
extern void aigw_billing_quote(const AigwTarget *target, const AigwChatInput *input,
							   int64 request_bytes, TimestampTz at, AigwBill *bill);

/* Reserve the worst case, or raise "insufficient funds" with the figures. */
extern void aigw_billing_reserve(const AigwTarget *target, AigwBill *bill);

/* The billing fields of the request message, and their size. */
extern void aigw_billing_put(StringInfo msg, const AigwBill *bill);
extern Size aigw_billing_size(const AigwBill *bill);

/*
 * The call's worst-case cost in units of bill->scale of bill->currency:
 * what is reserved when a wallet pays, else the same bound at the price
 * (-1: the model has no price or no output bound).
 */
extern int64 aigw_billing_worst_case(const AigwBill *bill);

/*
 * After a statement (SPI) that changed wallet balances and returned, per
 * wallet, (wallet_id, (balance - held) in ledger units, version): those
 * are published to the wallet cache when the transaction commits, never
 * before (a balance that is rolled back must not be spent), and forgotten
 * if it aborts.
 */
extern void aigw_billing_publish_balances(void);

/* The same for a line of a provider batch, at the model's batch rates. */
extern int64 aigw_billing_batch_worst_case(const AigwBill *bill);

/* "12.34000000" from ledger units at a scale. */
extern char *aigw_units_text(int64 units, int scale);
/* The reverse, for a decimal with at most `scale` decimals (more are cut off). */
extern int64 aigw_units_from_text(const char *text, int scale);

/* A wallet created by this very transaction is not visible to the pool. */
extern void aigw_billing_check_committed(const char *wallet, TransactionId xmin);

#endif							/* AIGW_BILLING_H */
