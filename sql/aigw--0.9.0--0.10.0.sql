-- aigw 0.9.0 -> 0.10.0: AI in plain SQL (calls read ahead by a custom scan,
-- semantic functions), PostgreSQL 16-18.
\echo Use "ALTER EXTENSION aigw UPDATE TO '0.10.0'" to load this file. \quit

-- PostgreSQL 16-18 (pgver) ------------------------------------------------
-- PostgreSQL 18 keeps NOT NULL constraints in pg_constraint, named after
-- table and column when made, and a renamed column keeps its constraint's
-- name: 0.9.0 renamed credentials.secret to ciphertext, so a database that
-- came through it on 18 has credentials_secret_not_null where a fresh
-- install has credentials_ciphertext_not_null.  Before 18 there is none.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint
                WHERE conrelid = 'aigw.credentials'::regclass AND conname = 'credentials_secret_not_null') THEN
        ALTER TABLE aigw.credentials RENAME CONSTRAINT credentials_secret_not_null TO credentials_ciphertext_not_null;
    END IF;
END $$;
