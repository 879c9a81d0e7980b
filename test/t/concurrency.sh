#!/usr/bin/env bash
# 32 sessions call at once, each several times: every call is answered and
# logged exactly once, and the pool keeps them all in flight together.
source "$(dirname "$0")/lib.bash"
fresh_db
plan 4
sql "INSERT INTO aigw.models (id, provider, upstream_model) VALUES ('openai/slow', 'openai', 'gpt-4o-mini?latency_ms=200')"

sessions 32 "SELECT count(*) FILTER (WHERE a = 'Mock reply to: session {s} call ' || i)
               FROM (SELECT i, aigw.ask('openai/slow', 'session {s} call ' || i, '{\"tags\": {\"session\": {s}}}') AS a
                       FROM generate_series(1, 5) i) t"
ms=$session_ms
is "$session_failures" 0 "all 32 sessions finished without error"
is "$(cat "$AIGW_RUN"/session.* | sort | uniq -c | awk '{print $1 "x" $2}')" "32x5" "every session got its own 5 answers"
is "$(sql "SELECT count(*), count(DISTINCT tags->>'session'), count(*) FILTER (WHERE status = 'ok') FROM aigw.requests WHERE requested_model = 'openai/slow'")" "160|32|160" "160 attempts logged, once each"
# 32 sessions x 5 sequential calls of 200 ms: about 1 s if all 32 are in flight together
echo "# 160 calls of 200 ms from 32 sessions took $ms ms"
[ "$ms" -lt 4000 ]; ok $? "the calls overlapped (took $ms ms; serial would be 32 s)"
finish
