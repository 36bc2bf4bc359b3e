#!/bin/bash
# Moves the app's PostgreSQL data from tier 1 (PostgreSQL on the instance) to the managed database
# of a higher tier, without the old owner's roles or grants, the sequences where they were.
#
#   data-move.sh dump FILE      on the tier-1 instance, as the postgres user: database webapp
#                               into FILE (pg_dump's custom format, compressed)
#   data-move.sh restore FILE   from inside the target's VPC, as the target's app user (the RDS
#                               secret's username): FILE into an EMPTY database, in one transaction
#   data-move.sh counts         rows per table and each sequence's last value, one line each:
#                               run it on both sides and compare
#
# The connection is libpq's environment: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (default
# webapp), PGSSLMODE and PGSSLROOTCERT (verify-full against the RDS CA bundle on AWS). Nothing is
# ever dropped: a restore into a database that already holds tables stops before writing.
set -Eeuo pipefail
export PGDATABASE=${PGDATABASE:-webapp}

fail() {
  echo "data-move: $*" >&2
  exit 1
}

# The server's major version, e.g. 15.
server_major() {
  psql -X -tAc 'SHOW server_version_num' | awk '{ print int($1 / 10000) }'
}

dump() {
  local file=$1
  [ ! -e "$file" ] || fail "$file exists: not overwriting it"
  # Objects are re-owned by whoever restores; grants to tier 1's roles mean nothing on RDS.
  pg_dump --format=custom --no-owner --no-privileges --file="$file.partial"
  mv "$file.partial" "$file"
  echo "data-move: dumped $PGDATABASE (PostgreSQL $(server_major)) to $file ($(wc -c <"$file") bytes)"
}

restore() {
  local file=$1 listing source target tables
  [ -r "$file" ] || fail "cannot read $file"
  listing=$(pg_restore --list "$file" 2>&1) || fail "$file is not a pg_dump archive (${listing##*$'\n'})"
  source=$(sed -n 's/^;[[:space:]]*Dumped from database version: \([0-9]*\).*/\1/p' <<<"$listing")
  [[ $source =~ ^[0-9]+$ ]] || fail "$file is not a dump this script made (no source version in its header)"
  target=$(server_major)
  [ "$target" -ge "$source" ] || fail "the dump is from PostgreSQL $source, the target runs $target: restore into the same major version or a newer one"
  tables=$(psql -X -tAc "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
  [ "$tables" = 0 ] || fail "the target database $PGDATABASE already holds $tables table(s): restore only into an empty database (nothing is dropped)"
  pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname="$PGDATABASE" "$file"
  echo "data-move: restored $file (PostgreSQL $source) into $PGDATABASE (PostgreSQL $target) as $(psql -X -tAc 'SELECT current_user')"
}

counts() {
  local table sequence
  while IFS= read -r table; do
    [ -n "$table" ] || continue
    printf 'table %s %s\n' "$table" "$(psql -X -tAc "SELECT count(*) FROM $table")"
  done < <(psql -X -tAc "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")
  while IFS= read -r sequence; do
    [ -n "$sequence" ] || continue
    printf 'sequence %s %s\n' "$sequence" "$(psql -X -tAc "SELECT coalesce(last_value::text, 'unused') FROM pg_sequences WHERE schemaname || '.' || sequencename = '$sequence'")"
  done < <(psql -X -tAc "SELECT schemaname || '.' || sequencename FROM pg_sequences ORDER BY 1")
}

case "${1:-}" in
  dump) [ $# -eq 2 ] || fail 'usage: data-move.sh dump FILE'; dump "$2" ;;
  restore) [ $# -eq 2 ] || fail 'usage: data-move.sh restore FILE'; restore "$2" ;;
  counts) [ $# -eq 1 ] || fail 'usage: data-move.sh counts'; counts ;;
  *) fail 'usage: data-move.sh dump FILE | restore FILE | counts' ;;
esac
