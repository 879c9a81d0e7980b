-- Billing: prices, exchange rates, wallets, top-ups, reserve-then-settle,
-- the append-only ledger and statements.  It runs in a database of its
-- own: once a database has a wallet, every call in it is billed
-- (aigw.billing = auto).  The mock reports exact usage when told to, so
-- every charge below can be checked by hand.
SELECT current_database() AS regress_db \gset
CREATE DATABASE aigw_billing;
\c aigw_billing
CREATE EXTENSION aigw;
\getenv mock_port MOCK_PORT
UPDATE aigw.providers SET base_url = 'http://127.0.0.1:' || :'mock_port' || '/v1' WHERE name = 'openai';
SELECT aigw.set_credential('openai', 'test-key-openai');
\set SHOW_CONTEXT never

--------------------------------------------------------------------------
-- The catalogue ships priced, with its source and date.
SELECT model, currency, input_per_mtok, output_per_mtok, cached_input_per_mtok, source
  FROM aigw.prices WHERE model IN ('openai/gpt-4o-mini', 'deepseek/deepseek-chat', 'qwen/qwen-turbo')
 ORDER BY model;
-- with the batch rates the price map gives, where it gives them (NULL: half
-- the standard rate)
SELECT model, input_per_mtok, output_per_mtok, input_batch_per_mtok, output_batch_per_mtok
  FROM aigw.prices WHERE model IN ('openai/gpt-4o-mini', 'openai/gpt-4.1', 'openai/gpt-5', 'openai/text-embedding-3-small')
 ORDER BY model;
SELECT count(*) AS unpriced_models FROM aigw.models m
 WHERE NOT EXISTS (SELECT 1 FROM aigw.prices p WHERE p.model = m.id);

-- Before any wallet exists, calls are not billed, but their cost is logged.
SELECT aigw.chat('openai/gpt-4o-mini', '[{"role": "user", "content": "hi"}]')->'aigw' ?& '{cost,currency}' AS cost_reported;
SELECT status, cost > 0 AS has_cost, currency, wallet_id FROM aigw.requests;

-- Models whose usage the mock reports exactly (see test/mock/README.md).
INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens) VALUES
    ('openai/metered',   'openai', 'gpt-4o-mini?prompt_tokens=100&completion_tokens=500', 1000),
    ('openai/cached',    'openai', 'gpt-4o-mini?prompt_tokens=100&cached=80&completion_tokens=100', 1000),
    ('openai/thinker',   'openai', 'o3-mini?prompt_tokens=100&completion_tokens=1000&reasoning_tokens=600', 2000),
    ('openai/tiny',      'openai', 'gpt-4o-mini?prompt_tokens=7&completion_tokens=3', 100),
    ('openai/failing',   'openai', 'gpt-4o-mini?status=500', 1000),
    ('openai/unpriced',  'openai', 'gpt-4o-mini', 1000),
    ('openai/unbounded', 'openai', 'gpt-4o-mini', NULL);

--------------------------------------------------------------------------
-- Prices, per million tokens.  set_price closes the period in force.
SELECT aigw.set_price('openai/metered', 2, 8);
SELECT aigw.set_price('openai/cached', 2, 8, 'USD', 0.5);
SELECT aigw.set_price('openai/thinker', 1, 4, reasoning_per_mtok => 6);
SELECT aigw.set_price('openai/tiny', 0.15, 0.6);
SELECT aigw.set_price('openai/failing', 2, 8);
SELECT aigw.set_price('openai/unbounded', 1, 1);
-- a price scheduled for tomorrow closes today's at that moment
SELECT aigw.set_price('openai/tiny', 0.3, 1.2, valid_from => now() + interval '1 day');
SELECT input_per_mtok, output_per_mtok, valid_to IS NOT NULL AS closed
  FROM aigw.prices WHERE model = 'openai/tiny' ORDER BY valid_from;

-- Bad prices are refused and change nothing.
SELECT aigw.set_price('openai/nope', 1, 1);
SELECT aigw.set_price('openai/metered', -1, 1);
SELECT aigw.set_price('openai/metered', 'NaN', 1);
SELECT aigw.set_price('openai/metered', 1, NULL);
SELECT aigw.set_price('openai/metered', 1, 1, 'XYZ');
SELECT aigw.set_price('openai/metered', 1, 1, valid_from => now() - interval '1 hour');
-- A price that has taken effect is history: it cannot be edited or removed.
UPDATE aigw.prices SET input_per_mtok = 0 WHERE model = 'openai/gpt-4o-mini';
DELETE FROM aigw.prices WHERE model = 'openai/gpt-4o-mini';
INSERT INTO aigw.prices (model, currency, input_per_mtok, output_per_mtok, valid_from)
VALUES ('openai/metered', 'USD', 1, 1, '2026-01-01 00:00:00+00');
SELECT count(*) AS metered_prices FROM aigw.prices WHERE model = 'openai/metered';

-- Batch rates: what a line sent through a provider's batch API costs.
INSERT INTO aigw.models (id, provider, upstream_model, max_output_tokens) VALUES
    ('openai/batched', 'openai', 'gpt-4o-mini', 1000),
    ('openai/free-input', 'openai', 'gpt-4o-mini', 1000);
SELECT aigw.set_price('openai/batched', 2, 8, 'USD', 0.5, cache_write_per_mtok => 2.5, reasoning_per_mtok => 10,
                      input_batch_per_mtok => 1.2, output_batch_per_mtok => 3);
SELECT aigw.set_price('openai/free-input', 0, 4, cache_write_per_mtok => 1, input_batch_per_mtok => 0);
SELECT model, input_per_mtok, output_per_mtok, input_batch_per_mtok, output_batch_per_mtok
  FROM aigw.prices WHERE model IN ('openai/batched', 'openai/free-input') ORDER BY model;
-- out of range: refused, and nothing changes
SELECT aigw.set_price('openai/batched', 2, 8, input_batch_per_mtok => -0.5);
SELECT aigw.set_price('openai/batched', 2, 8, output_batch_per_mtok => 1000000);
SELECT aigw.set_price('openai/batched', 2, 8, output_batch_per_mtok => 'NaN');
DO $$
DECLARE
    c text;
BEGIN
    INSERT INTO aigw.prices (model, currency, input_per_mtok, output_per_mtok, output_batch_per_mtok, valid_from)
    VALUES ('openai/unpriced', 'USD', 2, 8, -3, now() + interval '1 day');
EXCEPTION WHEN check_violation THEN
    GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
    RAISE NOTICE 'refused by %', c;
END $$;
SELECT count(*) AS batched_prices, max(input_batch_per_mtok) AS input_batch,
       (SELECT count(*) FROM aigw.prices WHERE model = 'openai/unpriced') AS unpriced_prices
  FROM aigw.prices WHERE model = 'openai/batched';
-- once in force, they are history like the other rates
UPDATE aigw.prices SET input_batch_per_mtok = 0 WHERE model = 'openai/gpt-4o-mini';
-- The quote the C code reads gives every token class at the batch rate:
--   batched (2, 8, cached 0.5, cache write 2.5, reasoning 10; batch 1.2 and 3):
--     cached 0.5 x 1.2/2 = 0.3, cache write 2.5 x 1.2/2 = 1.5, reasoning 10 x 3/8 = 3.75;
--   thinker (1, 4, reasoning 6; no batch rates): half of each, cached and cache
--     write at the input's;
--   free-input (input 0, batch input 0, cache write 1): the ratio is 0.5;
--   gpt-4o-mini: the shipped batch rates; unpriced: no price, all NULL.
SELECT m.model_id, q.batch_input_per_mtok AS input, q.batch_output_per_mtok AS output,
       q.batch_cached_input_per_mtok AS cached, q.batch_cache_write_per_mtok AS cache_write,
       q.batch_reasoning_per_mtok AS reasoning, q.max_batch_input_rate AS max_input, q.max_batch_output_rate AS max_output
  FROM unnest(ARRAY['openai/batched', 'openai/thinker', 'openai/free-input', 'openai/gpt-4o-mini', 'openai/unpriced'])
       WITH ORDINALITY AS m(model_id, n), aigw.billing_quote(NULL, m.model_id, now()) q
 ORDER BY m.n;

--------------------------------------------------------------------------
-- Exchange rates: 1 base = rate quote.  The reverse is derived.
SELECT aigw.set_fx('USD', 'CNY', 7.1);
SELECT aigw.set_fx('USD', 'IDR', 16250);
SELECT aigw.fx_rate('USD', 'CNY') AS usd_cny, aigw.fx_rate('CNY', 'USD') AS cny_usd,
       aigw.fx_rate('USD', 'USD') AS usd_usd, aigw.fx_rate('USD', 'EUR') AS usd_eur;
SELECT aigw.set_fx('USD', 'CNY', 0);
SELECT aigw.set_fx('USD', 'USD', 1);
SELECT aigw.set_fx('USD', 'CNY', 7.2, now() - interval '1 day');

--------------------------------------------------------------------------
-- Wallets: one currency each, an owner role, a credit limit.
SELECT aigw.create_wallet('team-usd', 'USD') > 0 AS created;
SELECT aigw.create_wallet('team-cny', 'CNY') > 0 AS created;
SELECT aigw.create_wallet('team-idr', 'IDR') > 0 AS created;
SELECT aigw.create_wallet('team-eur', 'EUR') > 0 AS created;
SELECT aigw.create_wallet('bad', 'XXX');
SELECT aigw.create_wallet('bad', 'usd');
SELECT aigw.create_wallet('bad wallet', 'USD');
SELECT aigw.create_wallet('bad', 'USD', -1);
SELECT aigw.create_wallet('bad', 'USD', 0.001);
SELECT aigw.create_wallet('bad', 'IDR', 0.5);
SELECT aigw.create_wallet('bad', 'USD', 'Infinity');
-- balances are counted in 64-bit integers of a millionth of the minor unit:
-- a balance plus its credit limit stays within aigw.max_balance
SELECT aigw.max_balance('USD') AS max_usd, aigw.max_balance('IDR') AS max_idr;
SELECT aigw.create_wallet('bad', 'USD', 1e30);
SELECT aigw.create_wallet('team-usd', 'USD');
SELECT name, currency, credit_limit, owner FROM aigw.wallets ORDER BY id;
UPDATE aigw.wallets SET currency = 'EUR' WHERE name = 'team-usd';

--------------------------------------------------------------------------
-- Once a wallet exists, every call needs one.
SELECT aigw.ask('openai/metered', 'hi');
SELECT aigw.ask('openai/metered', 'hi', '{"wallet": "nope"}');
SELECT aigw.ask('openai/metered', 'hi', '{"wallet": 42}');
SET aigw.wallet = 'team-usd';
-- An empty wallet cannot cover the worst case: 114 bytes of request bound
-- the prompt, max_output_tokens (1000) the answer, at $2 and $8 per Mtok.
SELECT aigw.ask('openai/metered', 'hi');
SELECT count(*) AS logged_so_far FROM aigw.requests;

--------------------------------------------------------------------------
-- Top-ups: idempotent by (rail, external_ref).  Bad ones change nothing.
SELECT aigw.topup('team-usd', 0, 'USD', 'card', 'ch_0');
SELECT aigw.topup('team-usd', -5, 'USD', 'card', 'ch_0');
SELECT aigw.topup('team-usd', 'NaN', 'USD', 'card', 'ch_0');
SELECT aigw.topup('team-usd', 'Infinity', 'USD', 'card', 'ch_0');
SELECT aigw.topup('team-usd', NULL, 'USD', 'card', 'ch_0');
SELECT aigw.topup('team-usd', 10.005, 'USD', 'card', 'ch_0');
SELECT aigw.topup('team-usd', 10, 'EUR', 'card', 'ch_0');
SELECT aigw.topup('team-usd', 10, 'USD', 'card', NULL);
SELECT aigw.topup('team-usd', 10, 'USD', '', 'ch_0');
SELECT aigw.topup('nope', 10, 'USD', 'card', 'ch_0');
SELECT aigw.topup('team-idr', 50000.5, 'IDR', 'qris', 'QR-000');
SELECT aigw.topup('team-usd', 1e30, 'USD', 'card', 'ch_0');
SELECT aigw.topup('team-idr', 9223372036855, 'IDR', 'qris', 'QR-000');
DO $$ BEGIN
    PERFORM aigw.topup('team-usd', 92233720368.55, 'USD', 'card', 'ch_0');
EXCEPTION WHEN numeric_value_out_of_range THEN
    RAISE NOTICE 'numeric_value_out_of_range';
END $$;
SELECT count(*) AS ledger_rows FROM aigw.ledger;

SELECT aigw.topup('team-usd', 10, 'USD', 'card', 'ch_1') AS first_id \gset
SELECT aigw.topup('team-usd', 10, 'USD', 'card', 'ch_1') = :first_id AS same_payment_same_id;
SELECT aigw.topup('team-usd', 20, 'USD', 'card', 'ch_1');
SELECT aigw.topup('team-cny', 100, 'CNY', 'alipay', '2026112922001') > 0 AS credited;
SELECT aigw.topup('team-cny', 10, 'USD', 'wechat_pay', '4200002611') > 0 AS converted;
SELECT aigw.topup('team-idr', 50000, 'IDR', 'qris', 'QR-001') > 0 AS credited;
SELECT aigw.topup('team-eur', 5, 'EUR', 'manual', 'grant-eur') > 0 AS credited;
SELECT w.name, l.kind, l.amount, l.currency, l.original_amount, l.original_currency, l.fx_rate, l.rail, l.external_ref
  FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id ORDER BY l.id;
SELECT aigw.balance('team-usd') AS usd, aigw.balance('team-cny') AS cny, aigw.balance('team-idr') AS idr;

--------------------------------------------------------------------------
-- Reserve, then settle to the usage the provider reported.
-- metered: 100 prompt x $2 + 500 completion x $8 per Mtok = $0.0042
SELECT (aigw.chat('openai/metered', '[{"role": "user", "content": "hi"}]')->'aigw')
       - '{request_id,call_id,latency_ms,ttfb_ms,attempts}'::text[] AS billed;
-- cached: 20 uncached x $2 + 80 cached x $0.50 + 100 x $8 = $0.00088
-- (at the input rate for every prompt token it would be $0.001)
SELECT aigw.chat('openai/cached', '[{"role": "user", "content": "hi"}]')->'aigw'->'cost' AS cached_cost;
-- thinker: 100 x $1 + 400 visible x $4 + 600 reasoning x $6 = $0.0053
SELECT aigw.chat('openai/thinker', '[{"role": "user", "content": "hi"}]')->'aigw'->'cost' AS reasoning_cost;
-- The CNY wallet pays the USD price at 7.1 CNY per USD: 0.0042 x 7.1 = 0.02982
SELECT aigw.chat('openai/metered', '[{"role": "user", "content": "hi"}]', '{"wallet": "team-cny"}')->'aigw'
       -> 'cost' AS cny_cost;
-- tiny: 7 x 0.15 + 3 x 0.6 = 2.85 micro-USD = 0.000020235 CNY, rounded half
-- away from zero to 8 places (a millionth of a fen): 0.00002024
SELECT aigw.chat('openai/tiny', '[{"role": "user", "content": "hi"}]', '{"wallet": "team-cny"}')->'aigw'
       -> 'cost' AS cny_rounded;
-- The IDR wallet: 0.0042 x 16250 = 68.25 rupiah; 0.0053 x 16250 = 86.125
SELECT aigw.chat('openai/metered', '[{"role": "user", "content": "hi"}]', '{"wallet": "team-idr"}')->'aigw'
       -> 'cost' AS idr_cost;
SELECT aigw.chat('openai/thinker', '[{"role": "user", "content": "hi"}]', '{"wallet": "team-idr"}')->'aigw'
       -> 'cost' AS idr_reasoning_cost;
SELECT w.name, l.amount, l.currency, l.original_amount, l.original_currency, l.fx_rate, l.model
  FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id WHERE l.kind = 'charge' ORDER BY l.id;
SELECT aigw.balance('team-usd') AS usd, aigw.balance('team-cny') AS cny, aigw.balance('team-idr') AS idr;

-- A failed attempt without usage is logged, costs nothing and releases
-- its reservation.
SELECT aigw.ask('openai/failing', 'hi');
SELECT status, cost, reserved > 0 AS had_reserved FROM aigw.requests
 WHERE requested_model = 'openai/failing';
SELECT wallet, reserved, calls_in_flight FROM aigw.wallet_status WHERE wallet = 'team-usd';

-- Calls that cannot be billed fail before anything is sent.
SELECT aigw.ask('openai/unpriced', 'hi');
SELECT aigw.ask('openai/unbounded', 'hi');
SELECT aigw.ask('openai/unbounded', 'hi', '{"max_tokens": 10}') IS NOT NULL AS bounded_by_max_tokens;
SELECT aigw.ask('openai/metered', 'hi', '{"wallet": "team-eur"}');
UPDATE aigw.wallets SET enabled = false WHERE name = 'team-eur';
SELECT aigw.ask('openai/metered', 'hi', '{"wallet": "team-eur"}');
BEGIN;
SELECT aigw.create_wallet('brand-new', 'USD') > 0 AS created;
SELECT aigw.ask('openai/metered', 'hi', '{"wallet": "brand-new"}');
ROLLBACK;
-- max_tokens and n bound the reservation
SELECT aigw.chat('openai/metered', '[{"role": "user", "content": "hi"}]', '{"max_tokens": 10, "n": 2}')->'aigw'->'reserved' AS reserved;

-- With billing off (superusers only) nothing is reserved or charged.
SET aigw.billing = off;
SELECT aigw.chat('openai/metered', '[{"role": "user", "content": "hi"}]')->'aigw' ? 'wallet' AS charged;
RESET aigw.billing;

--------------------------------------------------------------------------
-- The ledger is append-only.
UPDATE aigw.ledger SET amount = 1000;
DELETE FROM aigw.ledger;
TRUNCATE aigw.ledger;
-- Corrections append: a refund of a charge (once), an adjustment with a note.
SELECT request_id AS charged FROM aigw.ledger WHERE kind = 'charge' AND currency = 'USD' ORDER BY id LIMIT 1 \gset
SELECT aigw.refund(:charged) AS refund_id \gset
SELECT aigw.refund(:charged) = :refund_id AS refunded_once;
SELECT aigw.refund(:charged, 0.001);
SELECT aigw.refund(:charged, 1);
SELECT aigw.refund(-1);
SELECT aigw.adjust('team-usd', -1, NULL);
SELECT aigw.adjust('team-usd', -1.5, 'goodwill credit reversed') > 0 AS adjusted;
SELECT aigw.adjust('team-usd', 1e30, 'too much');
SELECT aigw.adjust('team-usd', -1e30, 'too much');
SELECT aigw.set_credit_limit('team-usd', 1e30);
SELECT aigw.refund(:charged, 1e30);
SELECT aigw.balance('team-usd');
SELECT * FROM aigw.verify_ledger();
-- ... which finds a balance that is not the sum of its ledger
BEGIN;
UPDATE aigw.wallet_balances SET balance = balance + 1
 WHERE wallet_id = (SELECT id FROM aigw.wallets WHERE name = 'team-usd');
SELECT wallet, balance - ledger_sum AS off_by, problem FROM aigw.verify_ledger();
ROLLBACK;

--------------------------------------------------------------------------
-- Statements and spend views read the ledger.
SELECT line, model, provider, items, amount, currency
  FROM aigw.statement('team-usd', now() - interval '1 hour', now() + interval '1 hour');
SELECT line, items, amount FROM aigw.statement('team-idr', now() - interval '1 hour', now() + interval '1 hour');
-- a period that starts after the top-ups: they are the opening balance,
-- and the closing balance is the wallet's
WITH t AS (SELECT min(l.created_at) AS at FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id
            WHERE w.name = 'team-usd' AND l.kind = 'charge')
SELECT s.line, s.amount,
       s.amount = CASE s.line
                  WHEN 'opening balance' THEN (SELECT sum(l.amount) FROM aigw.ledger l JOIN aigw.wallets w ON w.id = l.wallet_id
                                                WHERE w.name = 'team-usd' AND l.created_at < t.at)
                  ELSE aigw.balance('team-usd') END AS agrees
  FROM t, aigw.statement('team-usd', t.at, now() + interval '1 hour') s
 WHERE s.line LIKE '%balance';
SELECT aigw.statement('nope', now(), now());
SELECT aigw.ask('openai/metered', 'tagged', '{"tags": {"project": "churn", "env": "prod"}}') IS NOT NULL AS called;
SELECT wallet, currency, model, calls, spend FROM aigw.spend_by_model ORDER BY wallet, model;
SELECT wallet, tag, value, calls, spend FROM aigw.spend_by_tag ORDER BY tag;
SELECT wallet, role_name, calls FROM aigw.spend_by_role ORDER BY wallet;
SELECT wallet, calls, spend FROM aigw.spend_daily ORDER BY wallet;

--------------------------------------------------------------------------
-- Who may spend: roles with the privileges of the wallet's owner.
CREATE ROLE aigw_test_team;
CREATE ROLE aigw_test_alice IN ROLE aigw_test_team, aigw_user;
CREATE ROLE aigw_test_bob IN ROLE aigw_user;
SELECT aigw.create_wallet('shared', 'USD', owner => 'aigw_test_team') > 0 AS created;
SELECT aigw.topup('shared', 1, 'USD', 'manual', 'shared-1') > 0 AS credited;
SET ROLE aigw_test_alice;
SELECT wallet, balance, currency FROM aigw.wallet_status;
SELECT aigw.chat('openai/metered', '[{"role": "user", "content": "hi"}]', '{"wallet": "shared"}')->'aigw'->'cost' AS alice_paid;
SELECT aigw.balance('team-usd');
SELECT aigw.topup('shared', 1, 'USD', 'manual', 'shared-2');
SELECT kind, amount, role_name FROM aigw.ledger ORDER BY id;
RESET ROLE;
SET ROLE aigw_test_bob;
SELECT aigw.ask('openai/metered', 'hi', '{"wallet": "shared"}');
SELECT count(*) AS visible_wallets FROM aigw.wallets;
SELECT count(*) AS visible_ledger_rows FROM aigw.ledger;
SELECT count(*) AS visible_reservations FROM aigw.wallet_reservations();
RESET ROLE;
SET ROLE aigw_test_alice;
SELECT count(*) AS visible_reservations FROM aigw.wallet_reservations();
RESET ROLE;
SELECT * FROM aigw.verify_ledger();

\c :regress_db
DROP DATABASE aigw_billing;
DROP ROLE aigw_test_alice, aigw_test_bob, aigw_test_team;
