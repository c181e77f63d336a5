#!/bin/sh
# The streaming replica: on first start, copy the primary with pg_basebackup -R
# (which writes primary_conninfo and standby.signal), then run as a hot standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup --host=pg-primary \
        --username=replicator --pgdata="$PGDATA" --write-recovery-conf \
        --wal-method=stream --checkpoint=fast; do
        echo "pg_basebackup failed (is the primary up?); retrying" >&2
        rm -rf "${PGDATA:?}"/*
        sleep 2
    done
    chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
