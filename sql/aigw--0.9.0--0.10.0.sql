-- aigw 0.9.0 -> 0.10.0: AI in plain SQL (calls read ahead by a custom scan,
-- semantic functions), PostgreSQL 16-18.
\echo Use "ALTER EXTENSION aigw UPDATE TO '0.10.0'" to load this file. \quit

--------------------------------------------------------------------------
-- Plain SQL reads calls ahead (DESIGN.md, "AI in plain SQL").  A call
-- function costs what a model call costs next to any other condition: with
-- a high COST, PostgreSQL evaluates the cheap conditions of a WHERE first,
-- and only the rows that pass them are sent.
--------------------------------------------------------------------------
ALTER FUNCTION aigw.ask(text, text, jsonb) COST 10000;
ALTER FUNCTION aigw.chat(text, jsonb, jsonb) COST 10000;
ALTER FUNCTION aigw.auto(text, jsonb, jsonb) COST 10000;
ALTER FUNCTION aigw.embed(text, text, jsonb) COST 10000;
