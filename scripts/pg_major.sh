# Sourced by scripts/setup.sh and scripts/cluster.sh: which PostgreSQL they
# build against and run, a setting rather than a constant.  The first that
# is set wins:
#   AIGW_PGBIN      a server's bin directory (a relocated copy, another major)
#   PG_CONFIG       a pg_config (as `make PG_CONFIG=...` takes it): its --bindir
#   AIGW_PG_MAJOR   a major, e.g. 17: Debian's /usr/lib/postgresql/17/bin
# and else the newest major installed under /usr/lib/postgresql, else the
# one Debian's `postgresql` package stands for (bookworm 15, trixie 17).
# Sets PGBIN and AIGW_PG_MAJOR, and exports AIGW_PGBIN so that every test
# and script run from here uses the same server.  The bin directory need
# not exist yet (scripts/setup.sh installs postgresql-$AIGW_PG_MAJOR).

# the major of a pg_config, or of a Debian path /usr/lib/postgresql/NN/bin
aigw_major_of() {
    if [ -x "$1/pg_config" ]; then
        "$1/pg_config" --version | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p'
    else
        sed -n 's|.*/postgresql/\([0-9][0-9]*\)/bin/*$|\1|p' <<<"$1"
    fi
}

if [ -n "${AIGW_PGBIN:-}" ]; then
    PGBIN=$AIGW_PGBIN
elif [ -n "${PG_CONFIG:-}" ]; then
    PGBIN=$("$PG_CONFIG" --bindir) || { echo "PG_CONFIG=$PG_CONFIG: not a pg_config" >&2; return 1; }
elif [ -n "${AIGW_PG_MAJOR:-}" ]; then
    PGBIN=/usr/lib/postgresql/$AIGW_PG_MAJOR/bin
else
    AIGW_PG_MAJOR=$(ls -d /usr/lib/postgresql/*/bin/pg_config 2>/dev/null | sed 's|^/usr/lib/postgresql/\([0-9]*\)/.*|\1|' | sort -n | tail -1)
    if [ -z "$AIGW_PG_MAJOR" ]; then
        [ -n "$(ls /var/lib/apt/lists/*_Packages 2>/dev/null)" ] || apt-get update -qq >&2
        AIGW_PG_MAJOR=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -1)
    fi
    [ -n "$AIGW_PG_MAJOR" ] || { echo "which PostgreSQL? set AIGW_PG_MAJOR (e.g. 17), PG_CONFIG or AIGW_PGBIN" >&2; return 1; }
    PGBIN=/usr/lib/postgresql/$AIGW_PG_MAJOR/bin
fi
AIGW_PG_MAJOR=$(aigw_major_of "$PGBIN")
[ -n "$AIGW_PG_MAJOR" ] || { echo "$PGBIN: cannot tell its PostgreSQL major (no pg_config there)" >&2; return 1; }
AIGW_PGBIN=$PGBIN
export AIGW_PGBIN AIGW_PG_MAJOR
