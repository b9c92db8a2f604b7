#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh, replacing what the database holds. Stop the web and
# jobs apps first (`npx pm2 stop all`, or the `npm start` process).
#   scripts/restore.sh FILE.dump        pg_restore --clean into DATABASE_URL
#   scripts/restore.sh FILE.tar.gz      the PGlite data directory, in place of PGLITE_DIR (the old one kept beside it)
#   scripts/restore.sh FILE.jsonl.gz    a portable dump, into DATABASE_URL or embedded PGlite: migrated to this
#                                       release first (it must be the release that wrote the dump), then every row
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a

file=${1:?usage: scripts/restore.sh FILE}
[ -f "$file" ] || { echo "no such backup: $file" >&2; exit 1; }
case "$file" in
  *.jsonl.gz)
    node --import tsx scripts/portable-dump.ts load "$file" ;;
  *.tar.gz)
    dir=${PGLITE_DIR:-./data/pglite}
    if [ -d "$dir" ]; then mv "$dir" "$dir.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"; fi
    mkdir -p "$(dirname "$dir")"
    tar -xzf "$file" -C "$(dirname "$dir")" ;;
  *)
    : "${DATABASE_URL:?set DATABASE_URL to restore a pg_dump backup}"
    pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --dbname="$DATABASE_URL" "$file" ;;
esac
echo "restored from $file"
