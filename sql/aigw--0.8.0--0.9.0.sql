-- aigw 0.8.0 -> 0.9.0: money and data safety.  Charges bounded by their
-- reservation, an intent row made durable before a request leaves, every
-- table an administrator changes in the dump, keys encrypted at rest.
\echo Use "ALTER EXTENSION aigw UPDATE TO '0.9.0'" to load this file. \quit
