#!/usr/bin/env bash
# Backs up Bursar's database to a file.
#   scripts/backup.sh [FILE]              PostgreSQL (DATABASE_URL set): pg_dump in custom format
#                                         embedded PGlite: a tarball of PGLITE_DIR (stop Bursar first)
#   scripts/backup.sh --portable [FILE]   either: every row as a portable dump that any PostgreSQL
#                                         loads (scripts/restore.sh): how an `npm start` install
#                                         moves to a server (stop Bursar first on PGlite)
# Without FILE the backup goes to BACKUP_DIR (./backups), where only the newest BACKUP_KEEP (14)
# of its kind are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a

portable=""
if [ "${1:-}" = --portable ]; then portable=1; shift; fi
dir=${BACKUP_DIR:-backups}
keep=${BACKUP_KEEP:-14}
stamp=$(date -u +%Y%m%dT%H%M%SZ)

if [ -n "$portable" ]; then
  kind=bursar-portable; ext=jsonl.gz
elif [ -n "${DATABASE_URL:-}" ]; then
  kind=bursar; ext=dump
else
  kind=bursar-pglite; ext=tar.gz
fi
out=${1:-$dir/$kind-$stamp.$ext}
mkdir -p "$(dirname "$out")"

if [ -n "$portable" ]; then
  node --import tsx scripts/portable-dump.ts dump "$out"
elif [ -n "${DATABASE_URL:-}" ]; then
  pg_dump --format=custom --no-owner --no-privileges --file="$out" "$DATABASE_URL"
else
  pgdir=${PGLITE_DIR:-./data/pglite}
  tar -czf "$out" -C "$(dirname "$pgdir")" "$(basename "$pgdir")"
fi
echo "backup written to $out"

# Retention: in the backup folder, the newest $keep backups of this kind stay.
if [ -z "${1:-}" ]; then
  ls -1t "$dir"/"$kind"-*."$ext" 2>/dev/null | tail -n +"$((keep + 1))" | while read -r old; do
    rm -f -- "$old" && echo "removed old backup $old"
  done
fi
