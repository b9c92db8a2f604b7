#!/usr/bin/env bash
# Deploys Bursar with pm2 over SSH (ecosystem.config.js, deploy.production), one host after another.
#   scripts/deploy.sh setup        once: clone the repository on every host of DEPLOY_HOSTS
#   scripts/deploy.sh [update]     DEPLOY_REF on every host: npm ci, preflight, migrate, pm2 reload
#   scripts/deploy.sh revert [N]   back to the Nth release before the current one (1 by default)
#   scripts/deploy.sh preflight    on a host, in the release about to run (post-deploy runs it):
#                                  configuration valid, database reachable, migrations to apply listed
# DEPLOY_USER, DEPLOY_HOSTS, DEPLOY_REF, DEPLOY_REPO and DEPLOY_PATH come from the environment or
# this checkout's .env (see .env.example).
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:-update}
[ $# -gt 0 ] && shift

if [ "$cmd" = preflight ]; then
  exec node --import tsx scripts/preflight.ts
fi

[ -f .env ] && set -a && . ./.env && set +a
for name in DEPLOY_HOSTS DEPLOY_REPO; do
  [ -n "${!name:-}" ] || { echo "deploy: set $name (in the environment or .env)" >&2; exit 1; }
done

case "$cmd" in
  setup | update | list | current | previous)
    exec npx pm2 deploy ecosystem.config.js production "$cmd" ;;
  revert)
    exec npx pm2 deploy ecosystem.config.js production revert "${1:-1}" ;;
  *)
    sed -n '2,9p' "$0" >&2
    exit 1 ;;
esac
