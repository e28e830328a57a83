#!/usr/bin/env bash
# A PostgreSQL streaming replica (hot standby) of the primary on 127.0.0.1:5432, for the read-replica tests.
#
#   tools/pg-replica.sh start PORT DIR   # pg_basebackup -R into DIR, start it on PORT, wait until it streams
#   tools/pg-replica.sh stop  PORT DIR   # stop it and remove DIR
#
# Run as root (CI) or as the postgres user. The primary must accept replication connections from 127.0.0.1:
# if its pg_hba.conf has no `replication` line, one trusting 127.0.0.1 is added and the configuration reloaded
# (pg_reload_conf: no restart, nothing else using the server notices). wal_level must be `replica` or `logical`
# and max_wal_senders above 0 (Debian's defaults); changing those needs a restart, which this script refuses to do.
set -euo pipefail
cmd=${1:?start|stop}
port=${2:?port}
dir=${3:?data directory}
primary_host=${LINLI_PG_PRIMARY_HOST:-127.0.0.1}
primary_port=${LINLI_PG_PRIMARY_PORT:-5432}
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_primary() { psql -h "$primary_host" -p "$primary_port" -U postgres -d postgres -Atqc "$1"; }

stop() {
  if [ -f "$dir/postmaster.pid" ]; then
    as_postgres "$bindir/pg_ctl" -D "$dir" -m fast -w -t 30 stop >/dev/null || true
  fi
  rm -rf "$dir"
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi
[ "$cmd" = start ] || { echo "pg-replica: start or stop" >&2; exit 2; }

wal_level=$(psql_primary "show wal_level")
senders=$(psql_primary "show max_wal_senders")
if [ "$wal_level" = minimal ] || [ "$senders" = 0 ]; then
  echo "pg-replica: the primary has wal_level=$wal_level max_wal_senders=$senders; a replica needs wal_level=replica" \
       "and max_wal_senders>0 (a restart of the primary, not done here)" >&2
  exit 1
fi
hba=$(psql_primary "show hba_file")
if ! psql_primary "select 1 from pg_hba_file_rules where 'replication' = any(database) and error is null" | grep -q 1; then
  if [ ! -w "$hba" ]; then
    echo "pg-replica: $hba allows no replication connections and is not writable here (run as root)" >&2
    exit 1
  fi
  echo "pg-replica: allowing replication from 127.0.0.1 in $hba (reload, no restart)"
  printf '%s\n' "# linli .ci/run (tools/pg-replica.sh): streaming replicas on this machine" \
    "host    replication     postgres        127.0.0.1/32            trust" >> "$hba"
  psql_primary "select pg_reload_conf()" >/dev/null
fi

stop  # a replica left over by an interrupted run
mkdir -p "$(dirname "$dir")"
if [ "$(id -u)" = 0 ]; then mkdir -p "$dir" && chown postgres: "$dir" && chmod 700 "$dir"; fi
# -X stream: the WAL written while the copy runs comes along; -R: standby.signal and primary_conninfo.
as_postgres "$bindir/pg_basebackup" -h "$primary_host" -p "$primary_port" -U postgres -D "$dir" -X stream -R \
  -c fast --no-sync
# The primary's own settings came along in the copy only if they live in the data directory (Debian keeps them in
# /etc): the replica gets its port, its socket directory and no log collector of its own.
cat >> "$dir/postgresql.auto.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
logging_collector = off
EOF
# A hot standby needs at least the primary's value of each of these.
for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
  echo "$setting = $(psql_primary "show $setting")" >> "$dir/postgresql.auto.conf"
done
[ -f "$dir/postgresql.conf" ] || : > "$dir/postgresql.conf"
[ -f "$dir/pg_hba.conf" ] || printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" > "$dir/pg_hba.conf"
[ -f "$dir/pg_ident.conf" ] || : > "$dir/pg_ident.conf"
[ "$(id -u)" = 0 ] && chown postgres: "$dir"/*.conf
as_postgres "$bindir/pg_ctl" -D "$dir" -l "$dir/replica.log" -w -t 60 start >/dev/null
for _ in $(seq 1 60); do
  if [ "$(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc 'select pg_is_in_recovery()' 2>/dev/null)" = t ] \
     && [ -n "$(psql_primary "select 1 from pg_stat_replication where state = 'streaming'")" ]; then
    echo "pg-replica: streaming replica of $primary_host:$primary_port on 127.0.0.1:$port ($dir)"
    exit 0
  fi
  sleep 0.5
done
echo "pg-replica: the replica on port $port did not start streaming; its log:" >&2
tail -30 "$dir/replica.log" >&2
exit 1
