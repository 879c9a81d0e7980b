-- Row security: who sees which rows (policies call functions of
-- sql/api/billing.sql, so they come after them).

CREATE POLICY admin_updates ON aigw.wallets FOR UPDATE USING (pg_has_role('aigw_admin'::name, 'USAGE'::text));

CREATE POLICY admin_writes ON aigw.limits USING (pg_has_role('aigw_admin'::name, 'USAGE'::text));

CREATE POLICY own_inserts ON aigw.job_errors FOR INSERT WITH CHECK ((EXISTS ( SELECT 1
   FROM aigw.jobs j
  WHERE ((j.id = job_errors.job_id) AND (j.role_name = CURRENT_USER)))));

CREATE POLICY own_inserts ON aigw.jobs FOR INSERT WITH CHECK ((role_name = CURRENT_USER));

CREATE POLICY own_updates ON aigw.jobs FOR UPDATE USING ((role_name = CURRENT_USER)) WITH CHECK ((role_name = CURRENT_USER));

CREATE POLICY tenant_reads ON aigw.job_batches FOR SELECT USING ((EXISTS ( SELECT 1
   FROM aigw.jobs j
  WHERE (j.id = job_batches.job_id))));

CREATE POLICY tenant_reads ON aigw.job_errors FOR SELECT USING ((EXISTS ( SELECT 1
   FROM aigw.jobs j
  WHERE (j.id = job_errors.job_id))));

CREATE POLICY tenant_reads ON aigw.jobs FOR SELECT USING ((( SELECT aigw.sees_all() AS sees_all) OR (role_name = ANY (COALESCE(( SELECT aigw.my_roles() AS my_roles), '{}'::name[])))));

CREATE POLICY tenant_reads ON aigw.ledger FOR SELECT USING ((( SELECT aigw.sees_all() AS sees_all) OR (EXISTS ( SELECT 1
   FROM aigw.wallets w
  WHERE (w.id = ledger.wallet_id)))));

CREATE POLICY tenant_reads ON aigw.limits FOR SELECT USING ((( SELECT aigw.sees_all() AS sees_all) OR ((role IS NOT NULL) AND pg_has_role((role)::oid, 'MEMBER'::text)) OR (EXISTS ( SELECT 1
   FROM aigw.wallets w
  WHERE (w.name = limits.wallet)))));

CREATE POLICY tenant_reads ON aigw.requests FOR SELECT USING ((( SELECT aigw.sees_all() AS sees_all) OR ((role_name = ANY (COALESCE(( SELECT aigw.my_roles() AS my_roles), '{}'::name[]))) AND ((( SELECT aigw.end_user() AS end_user) IS NULL) OR (end_user = ( SELECT aigw.end_user() AS end_user))))));

CREATE POLICY tenant_reads ON aigw.role_wallets FOR SELECT USING ((( SELECT aigw.sees_all() AS sees_all) OR pg_has_role((role)::oid, 'USAGE'::text)));

CREATE POLICY tenant_reads ON aigw.wallet_balances FOR SELECT USING ((EXISTS ( SELECT 1
   FROM aigw.wallets w
  WHERE (w.id = wallet_balances.wallet_id))));

CREATE POLICY tenant_reads ON aigw.wallet_grants FOR SELECT USING ((( SELECT aigw.sees_all() AS sees_all) OR (EXISTS ( SELECT 1
   FROM aigw.wallets w
  WHERE (w.id = wallet_grants.wallet_id)))));

CREATE POLICY tenant_reads ON aigw.wallets FOR SELECT USING ((( SELECT aigw.sees_all() AS sees_all) OR ((EXISTS ( SELECT 1
   FROM unnest(aigw.wallet_spenders(wallets.id)) s(role)
  WHERE pg_has_role(s.role, 'USAGE'::text))) AND ((( SELECT aigw.end_user() AS end_user) IS NULL) OR (name = ( SELECT aigw.current_wallet() AS current_wallet))))));
