-- Backup and restore: the keys of shipped rows an administrator deleted
-- (see sql/api/backup.sql).

CREATE TABLE aigw.deleted_rows (
    table_name text NOT NULL,
    key jsonb NOT NULL,
    deleted_at timestamp with time zone DEFAULT now() NOT NULL,
    deleted_by name DEFAULT SESSION_USER NOT NULL,
    CONSTRAINT deleted_rows_key_check CHECK ((jsonb_typeof(key) = 'object'::text)),
    CONSTRAINT deleted_rows_table_name_check CHECK ((table_name = ANY (ARRAY['providers'::text, 'models'::text, 'prices'::text, 'currencies'::text, 'catalogue_providers'::text])))
);

COMMENT ON TABLE aigw.deleted_rows IS 'Rows aigw ships that this database does not have: deleted (or renamed) by an administrator, or missing when it was updated to aigw 0.9.0. A restore deletes them again after CREATE EXTENSION has made them; a later release does not bring them back. key is the row''s primary key (timestamps in UTC). Inserting the row again removes its entry.';

ALTER TABLE ONLY aigw.deleted_rows
    ADD CONSTRAINT deleted_rows_pkey PRIMARY KEY (table_name, key);

GRANT SELECT ON TABLE aigw.deleted_rows TO aigw_user;
GRANT SELECT ON TABLE aigw.deleted_rows TO aigw_reader;

-- What pg_dump keeps of this topic's tables (the rest CREATE EXTENSION makes again).
SELECT pg_catalog.pg_extension_config_dump('aigw.deleted_rows', '');
