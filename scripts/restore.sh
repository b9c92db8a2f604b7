#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh, replacing what the database holds.
#   scripts/restore.sh FILE
# With DATABASE_URL set: pg_restore --clean into that database (stop the web and jobs apps first).
# Without it: unpacks the PGlite tarball in place of PGLITE_DIR (the old one is kept beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a

file=${1:?usage: scripts/restore.sh FILE}
[ -f "$file" ] || { echo "no such backup: $file" >&2; exit 1; }
if [ -n "${DATABASE_URL:-}" ]; then
  pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --dbname="$DATABASE_URL" "$file"
else
  dir=${PGLITE_DIR:-./data/pglite}
  if [ -d "$dir" ]; then mv "$dir" "$dir.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"; fi
  mkdir -p "$(dirname "$dir")"
  tar -xzf "$file" -C "$(dirname "$dir")"
fi
echo "restored from $file"
