#!/usr/bin/env bash
# Connections to a provider are reused: 100 sequential calls open far fewer
# than 100 TCP connections (the mock counts them).
source "$(dirname "$0")/lib.bash"
fresh_db
plan 2
sql "SELECT aigw.ask('openai/gpt-4o-mini', 'warm up')" >/dev/null
mock_reset
is "$(sql "SET aigw.read_ahead = off; SELECT count(*) FROM generate_series(1, 100) i WHERE aigw.ask('openai/gpt-4o-mini', 'call ' || i) IS NOT NULL")" 100 "100 sequential calls answered"
conns=$(mock_stat connections_total)
echo "# 100 calls used $conns new TCP connection(s)"
[ "$conns" -le 4 ]; ok $? "they reused connections ($conns new connections for 100 calls)"
finish
