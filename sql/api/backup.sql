-- Backup and restore: which rows aigw shipped ('shipped', 'changed',
-- 'added'), and the tombstones of deleted shipped rows.  Only aigw's own
-- install and upgrade scripts write 'shipped' (aigw.installing()).

CREATE FUNCTION aigw.deleted_rows_apply() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    tbl constant text := format('aigw.%I', NEW.table_name);
    key_columns text;
BEGIN
    IF TG_WHEN = 'BEFORE' THEN
        UPDATE aigw.deleted_rows d SET deleted_at = NEW.deleted_at, deleted_by = NEW.deleted_by
         WHERE d.table_name = NEW.table_name AND d.key = NEW.key AND d.deleted_at > NEW.deleted_at;
        IF EXISTS (SELECT 1 FROM aigw.deleted_rows d WHERE d.table_name = NEW.table_name AND d.key = NEW.key) THEN
            RETURN NULL;
        END IF;
        RETURN NEW;
    END IF;
    -- Only a deletion loaded here (pg_restore's COPY) is applied: one that
    -- aigw.shipped_rows records, from inside a trigger, is already done, or
    -- is a rename whose row must not be deleted under it.
    IF pg_trigger_depth() > 1 THEN
        RETURN NULL;
    END IF;
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO key_columns
      FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
     WHERE i.indrelid = tbl::regclass AND i.indisprimary;
    EXECUTE format('DELETE FROM %s t WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1) k) AND t.origin = ''shipped''',
                   tbl, key_columns, key_columns, tbl)
        USING NEW.key;
    RETURN NULL;
END
$_$;

CREATE FUNCTION aigw.installing() RETURNS boolean
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'aigw_installing';

COMMENT ON FUNCTION aigw.installing() IS 'Whether the running statement is part of aigw''s own install or upgrade script (CREATE EXTENSION aigw, ALTER EXTENSION aigw UPDATE): what marks a row as shipped.';

CREATE FUNCTION aigw.row_key(r anyelement) RETURNS jsonb
    LANGUAGE sql STABLE
    SET "TimeZone" TO 'UTC'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT jsonb_object_agg(a.attname, to_jsonb(r) -> a.attname::text)
      FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
     WHERE i.indisprimary
       AND i.indrelid = (SELECT t.typrelid FROM pg_type t WHERE t.oid = pg_typeof(r))
$$;

CREATE FUNCTION aigw.shipped_fingerprint(r anyelement) RETURNS text
    LANGUAGE sql STABLE
    SET "TimeZone" TO 'UTC'
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
SELECT left(md5((
    SELECT jsonb_agg(to_jsonb(r) -> c ORDER BY n)
      FROM unnest(CASE pg_typeof(r)
               WHEN 'aigw.providers'::regtype THEN
                   ARRAY['name', 'api_style', 'base_url', 'auth_scheme', 'enabled', 'request_timeout_ms',
                         'connect_timeout_ms', 'extra_headers', 'description', 'api_version']
               WHEN 'aigw.models'::regtype THEN
                   ARRAY['id', 'provider', 'upstream_model', 'context_window', 'max_output_tokens', 'capabilities',
                         'enabled', 'quality', 'quality_source', 'kind', 'dimensions', 'max_inputs_per_request',
                         'max_tokens_per_request', 'dimensions_settable']
               WHEN 'aigw.prices'::regtype THEN
                   ARRAY['model', 'currency', 'input_per_mtok', 'output_per_mtok', 'cached_input_per_mtok',
                         'cache_write_per_mtok', 'reasoning_per_mtok', 'valid_from', 'valid_to', 'source',
                         'input_batch_per_mtok', 'output_batch_per_mtok']
               WHEN 'aigw.currencies'::regtype THEN ARRAY['code', 'minor_units', 'name']
               WHEN 'aigw.catalogue_providers'::regtype THEN ARRAY['litellm_provider', 'provider', 'key_prefix']
           END) WITH ORDINALITY AS u(c, n))::text), 16)
$$;

CREATE FUNCTION aigw.shipped_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    by_aigw constant boolean := aigw.installing();
    tbl constant text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
    key_columns text;
    all_columns text;
    new_key jsonb;
    merged integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- CREATE EXTENSION would make it again in a restored copy, and a
        -- later release might
        IF NOT by_aigw AND OLD.origin <> 'added' THEN
            INSERT INTO aigw.deleted_rows (table_name, key)
            VALUES (TG_TABLE_NAME, aigw.row_key(OLD))
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN OLD;
    END IF;

    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO key_columns
      FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
     WHERE i.indrelid = TG_RELID AND i.indisprimary;
    new_key := aigw.row_key(NEW);

    IF by_aigw THEN
        IF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM aigw.deleted_rows d WHERE d.table_name = TG_TABLE_NAME AND d.key = new_key) THEN
                RETURN NULL;    -- an administrator deleted it: it stays deleted
            END IF;
            -- an administrator's own row under a key aigw now ships stays
            -- theirs (ON CONFLICT DO NOTHING), but it is a shipped key now
            EXECUTE format('UPDATE %s t SET origin = ''changed'' WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1) k) AND t.origin = ''added''',
                           tbl, key_columns, key_columns, tbl)
                USING to_jsonb(NEW);
            NEW.origin := 'shipped';
            -- the same in every database, whoever installed it and when: a
            -- restored copy is then the same row for row
            IF TG_TABLE_NAME = 'prices' THEN
                NEW.created_at := NEW.valid_from;
                NEW.created_by := 'aigw';
            END IF;
        END IF;
        RETURN NEW;
    END IF;

    IF TG_OP = 'UPDATE' THEN
        NEW.origin := CASE OLD.origin WHEN 'added' THEN 'added' ELSE 'changed' END;
        IF new_key IS DISTINCT FROM aigw.row_key(OLD) THEN
            -- renamed: the old key is gone, as if deleted
            IF OLD.origin <> 'added' THEN
                INSERT INTO aigw.deleted_rows (table_name, key)
                VALUES (TG_TABLE_NAME, aigw.row_key(OLD))
                ON CONFLICT DO NOTHING;
            END IF;
            DELETE FROM aigw.deleted_rows d WHERE d.table_name = TG_TABLE_NAME AND d.key = new_key;
            NEW.origin := CASE WHEN FOUND THEN 'changed' ELSE 'added' END;
        END IF;
        RETURN NEW;
    END IF;

    -- INSERT by anyone but aigw's scripts
    NEW.origin := CASE NEW.origin WHEN 'changed' THEN 'changed' ELSE 'added' END;
    DELETE FROM aigw.deleted_rows d WHERE d.table_name = TG_TABLE_NAME AND d.key = new_key;
    IF FOUND THEN
        NEW.origin := 'changed';
    END IF;
    -- The key of an untouched shipped row: what pg_restore does with a
    -- changed row after CREATE EXTENSION has made the shipped one again.
    -- The insert becomes the change.
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO all_columns
      FROM pg_attribute a
     WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
    EXECUTE format('UPDATE %s t SET (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1) r) WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1) k) AND t.origin = ''shipped''',
                   tbl, all_columns, all_columns, tbl, key_columns, key_columns, tbl)
        USING to_jsonb(NEW) || '{"origin": "changed"}';
    GET DIAGNOSTICS merged = ROW_COUNT;
    IF merged > 0 THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$_$;

REVOKE ALL ON FUNCTION aigw.deleted_rows_apply() FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.installing() FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.row_key(r anyelement) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.shipped_fingerprint(r anyelement) FROM PUBLIC;

REVOKE ALL ON FUNCTION aigw.shipped_rows() FROM PUBLIC;
