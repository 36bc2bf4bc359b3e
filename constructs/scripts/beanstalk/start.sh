#!/bin/bash
# The `web` process of the Procfile, started by Beanstalk's Node.js platform in the app folder with
# PORT set. The database credentials are in /etc/webapp/db.env (written by the db-env hook and
# refreshed by its timer); they are read line by line, never evaluated as shell.
set -euo pipefail
ROOT=${WEB_TIERS_ROOT:-}
ENV_FILE=$ROOT/etc/webapp/db.env
if [ -n "${DATABASE_SECRET_ARN:-}" ] && [ ! -r "$ENV_FILE" ]; then
  echo "web-tiers: DATABASE_SECRET_ARN is set but $ENV_FILE cannot be read: did the prebuild hook run?" >&2
  exit 1
fi
if [ -r "$ENV_FILE" ]; then
  while IFS= read -r line; do
    case $line in
      DATABASE_URL=*) export "DATABASE_URL=${line#*=}" ;;
      # A host path, prefixed with ROOT like every path here.
      NODE_EXTRA_CA_CERTS=*) export "NODE_EXTRA_CA_CERTS=$ROOT${line#*=}" ;;
    esac
  done <"$ENV_FILE"
fi
exec node --enable-source-maps server.js
