-- Triggers (after every function they call): catalogue change
-- notification, guards on prices, currencies, wallets and routes, the
-- append-only ledger, the origin of shipped rows.

CREATE TRIGGER catalog_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON aigw.credentials FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

ALTER TABLE aigw.credentials ENABLE ALWAYS TRIGGER catalog_changed;

CREATE TRIGGER catalog_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON aigw.currencies FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

ALTER TABLE aigw.currencies ENABLE ALWAYS TRIGGER catalog_changed;

CREATE TRIGGER catalog_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON aigw.fx_rates FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

ALTER TABLE aigw.fx_rates ENABLE ALWAYS TRIGGER catalog_changed;

CREATE TRIGGER catalog_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON aigw.limits FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

CREATE TRIGGER catalog_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON aigw.models FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

ALTER TABLE aigw.models ENABLE ALWAYS TRIGGER catalog_changed;

CREATE TRIGGER catalog_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON aigw.prices FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

ALTER TABLE aigw.prices ENABLE ALWAYS TRIGGER catalog_changed;

CREATE TRIGGER catalog_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON aigw.providers FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

ALTER TABLE aigw.providers ENABLE ALWAYS TRIGGER catalog_changed;

CREATE TRIGGER catalog_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON aigw.role_wallets FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

CREATE TRIGGER catalog_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON aigw.wallet_grants FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

CREATE TRIGGER catalog_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON aigw.wallets FOR EACH STATEMENT EXECUTE FUNCTION aigw.catalog_changed();

ALTER TABLE aigw.wallets ENABLE ALWAYS TRIGGER catalog_changed;

CREATE TRIGGER currencies_guard BEFORE UPDATE ON aigw.currencies FOR EACH ROW EXECUTE FUNCTION aigw.currencies_guard();

CREATE TRIGGER deleted_rows_apply AFTER INSERT ON aigw.deleted_rows FOR EACH ROW EXECUTE FUNCTION aigw.deleted_rows_apply();

CREATE TRIGGER deleted_rows_once BEFORE INSERT ON aigw.deleted_rows FOR EACH ROW EXECUTE FUNCTION aigw.deleted_rows_apply();

CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON aigw.ledger FOR EACH STATEMENT EXECUTE FUNCTION aigw.ledger_is_append_only();

CREATE TRIGGER ledger_no_update_or_delete BEFORE DELETE OR UPDATE ON aigw.ledger FOR EACH ROW EXECUTE FUNCTION aigw.ledger_is_append_only();

CREATE TRIGGER prices_guard BEFORE INSERT OR DELETE OR UPDATE ON aigw.prices FOR EACH ROW EXECUTE FUNCTION aigw.prices_guard();

CREATE TRIGGER reseal_on_rename BEFORE UPDATE OF provider ON aigw.credentials FOR EACH ROW EXECUTE FUNCTION aigw.credentials_reseal();

ALTER TABLE aigw.credentials ENABLE ALWAYS TRIGGER reseal_on_rename;

CREATE TRIGGER routes_guard BEFORE INSERT OR UPDATE ON aigw.routes FOR EACH ROW EXECUTE FUNCTION aigw.routes_guard();

CREATE TRIGGER shipped_rows BEFORE INSERT OR UPDATE ON aigw.catalogue_providers FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

CREATE TRIGGER shipped_rows BEFORE INSERT OR UPDATE ON aigw.currencies FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

CREATE TRIGGER shipped_rows BEFORE INSERT OR UPDATE ON aigw.models FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

CREATE TRIGGER shipped_rows BEFORE INSERT OR UPDATE ON aigw.prices FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

CREATE TRIGGER shipped_rows BEFORE INSERT OR UPDATE ON aigw.providers FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

CREATE TRIGGER shipped_rows_deleted AFTER DELETE ON aigw.catalogue_providers FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

CREATE TRIGGER shipped_rows_deleted AFTER DELETE ON aigw.currencies FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

CREATE TRIGGER shipped_rows_deleted AFTER DELETE ON aigw.models FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

CREATE TRIGGER shipped_rows_deleted AFTER DELETE ON aigw.prices FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

CREATE TRIGGER shipped_rows_deleted AFTER DELETE ON aigw.providers FOR EACH ROW EXECUTE FUNCTION aigw.shipped_rows();

CREATE TRIGGER wallets_guard BEFORE UPDATE ON aigw.wallets FOR EACH ROW EXECUTE FUNCTION aigw.wallets_guard();
