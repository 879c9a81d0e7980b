-- aigw 0.9.0 -> 0.10.0: AI in plain SQL (calls read ahead by a custom scan,
-- semantic functions), PostgreSQL 16-18.
\echo Use "ALTER EXTENSION aigw UPDATE TO '0.10.0'" to load this file. \quit
