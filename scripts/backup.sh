#!/usr/bin/env bash
# Backs up Bursar's database to a file.
#   scripts/backup.sh [FILE]
# With DATABASE_URL set: pg_dump in custom format (restore with scripts/restore.sh).
# Without it (embedded PGlite): a tarball of PGLITE_DIR; stop Bursar first so the files are consistent.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a

stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [ -n "${DATABASE_URL:-}" ]; then
  out=${1:-backups/bursar-$stamp.dump}
  mkdir -p "$(dirname "$out")"
  pg_dump --format=custom --no-owner --no-privileges --file="$out" "$DATABASE_URL"
else
  dir=${PGLITE_DIR:-./data/pglite}
  out=${1:-backups/bursar-pglite-$stamp.tar.gz}
  mkdir -p "$(dirname "$out")"
  tar -czf "$out" -C "$(dirname "$dir")" "$(basename "$dir")"
fi
echo "backup written to $out"
