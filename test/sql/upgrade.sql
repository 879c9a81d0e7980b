-- A database on aigw 0.1.0 updates in place, keeping its request log; what
-- pg_dump must keep (configuration, the ledger, wallets, the log) is marked
-- for it.
SELECT current_database() AS regress_db \gset
CREATE DATABASE aigw_upgrade;
\c aigw_upgrade
CREATE EXTENSION aigw VERSION '0.1.0';
INSERT INTO aigw.requests (created_at, role_name, database_name, requested_model, status)
VALUES (now(), 'someone', 'somewhere', 'openai/gpt-4o-mini', 'ok');
ALTER EXTENSION aigw UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'aigw';
SELECT count(*) AS kept_requests, count(cost) AS with_cost FROM aigw.requests;
SELECT count(*) AS priced_models FROM aigw.models m WHERE EXISTS (SELECT 1 FROM aigw.prices p WHERE p.model = m.id);
-- every table an administrator or a user changes, and the sequences behind
-- them; of the tables aigw ships rows in, the rows that are not as shipped
SELECT c.relname, coalesce(nullif(t.cond, ''), '(every row)') AS dumped
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS t(oid, cond) JOIN pg_class c ON c.oid = t.oid
 WHERE e.extname = 'aigw' ORDER BY 1;
-- and no table of the schema is left out but the response cache
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'aigw'::regnamespace AND c.relkind IN ('r', 'p', 'S')
   AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'aigw')::oid[])
 ORDER BY 1;
\c :regress_db
DROP DATABASE aigw_upgrade;
