#!/usr/bin/env bash
# Install what aigw needs on Debian (when missing), then build and install
# the extension into the local PostgreSQL.  Which major: AIGW_PG_MAJOR,
# PG_CONFIG or AIGW_PGBIN (scripts/pg_major.sh; by default the newest
# installed, else Debian's).  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg_major.sh

PACKAGES=(postgresql-$AIGW_PG_MAJOR postgresql-server-dev-$AIGW_PG_MAJOR libcurl4-openssl-dev
          libssl-dev build-essential curl procps nodejs npm python3)

missing=()
for p in "${PACKAGES[@]}"; do
    # node may come from outside Debian (as on the project's machines)
    if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
    # Debian's nodejs has no npm (test/t/openai_contract.sh needs it); NodeSource's has
    if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
    if [ "$p" = python3 ] && command -v python3 >/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

pgbin=$PGBIN
export PATH="$pgbin:$PATH"
echo "== building aigw for PostgreSQL $AIGW_PG_MAJOR ($pgbin)"
make -s PG_CONFIG="$pgbin/pg_config" >/dev/null
make -s PG_CONFIG="$pgbin/pg_config" install >/dev/null
