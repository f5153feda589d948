#!/usr/bin/env bash
# The full benchmark run (see docs/benchmarks.md): each size in its own empty database,
# on SQLite and, when BENCH_POSTGRES is set (e.g. postgres://postgres@127.0.0.1:5432),
# on PostgreSQL too; then the comparison tables and the 60-second load test.
#   bench/full.sh [SIZES...]        default: 1000 100000
set -euo pipefail
cd "$(dirname "$0")/.."
SH=.venv/bin/safehaven
SIZES=("${@:-1000 100000}")
read -r -a SIZES <<< "${SIZES[*]}"
for n in "${SIZES[@]}"; do
  dir="var/bench/sqlite-$n"
  if [ ! -f "$dir/safehaven.sqlite3" ]; then
    mkdir -p "$dir"
    SAFEHAVEN_VAR_DIR="$dir" $SH migrate -v0
    SAFEHAVEN_VAR_DIR="$dir" $SH bench --generate "$n"
  fi
  SAFEHAVEN_VAR_DIR="$dir" $SH bench --measure "sqlite-$n"
  if [ -n "${BENCH_POSTGRES:-}" ]; then
    db="sh_bench_$n"
    url="$BENCH_POSTGRES/$db"
    if ! psql "$BENCH_POSTGRES/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      psql "$BENCH_POSTGRES/postgres" -qc "CREATE DATABASE $db"
      DATABASE_URL="$url" $SH migrate -v0
      DATABASE_URL="$url" $SH bench --generate "$n"
    fi
    DATABASE_URL="$url" $SH bench --measure "postgresql-$n"
  fi
done
first="${SIZES[0]}"; last="${SIZES[${#SIZES[@]}-1]}"
$SH bench --table "sqlite-$first" "sqlite-$last"
if [ -n "${BENCH_POSTGRES:-}" ]; then $SH bench --table "postgresql-$first" "postgresql-$last"; fi
.venv/bin/python bench/load.py --seconds 60
