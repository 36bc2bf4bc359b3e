#!/bin/bash
# Elastic Beanstalk platform hook (prebuild, and confighooks/prebuild for configuration changes),
# run as root before the app starts. It installs the same credential refresh the instance tiers
# run (webapp-db-env): DATABASE_URL from the secret named by the environment property
# DATABASE_SECRET_ARN, re-read every 5 minutes by a timer that restarts the `web` process when
# the password rotated. start.sh reads the file it writes.
# WEB_TIERS_ROOT prefixes every path; it is unset on a host and set only by the sandboxed tests.
set -Eeuo pipefail
ROOT=${WEB_TIERS_ROOT:-}
APP_DIR=$(cd "$(dirname "$0")/../../.." && pwd)
trap 'echo "web-tiers db-env hook FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

# All environment properties, as JSON: a failing get-config fails the hook (and the deployment),
# where reading one key could not tell "not set" from "could not read".
ENV_JSON=$("$ROOT/opt/elasticbeanstalk/bin/get-config" environment)
SECRET_ARN=$(printf '%s' "$ENV_JSON" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const v = JSON.parse(s).DATABASE_SECRET_ARN; process.stdout.write(typeof v === "string" ? v : ""); });')
unset ENV_JSON
if [ -z "$SECRET_ARN" ]; then
  echo "web-tiers: no DATABASE_SECRET_ARN, no database credentials"
  exit 0
fi
[[ $SECRET_ARN =~ ^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+$ ]] ||
  { echo "web-tiers: DATABASE_SECRET_ARN is not a Secrets Manager ARN" >&2; exit 1; }
REGION=${BASH_REMATCH[1]}

install -d -m 0750 "$ROOT/etc/webapp"
chgrp webapp "$ROOT/etc/webapp"
install -m 0700 "$APP_DIR/web-tiers/webapp-db-env.sh" "$ROOT/usr/local/sbin/webapp-db-env"
install -m 0644 "$APP_DIR/web-tiers/rds-ca.pem" "$ROOT/etc/webapp/rds-ca.pem"
# The platform's node, as a host path: webapp-db-env prefixes it with ROOT like every other path.
NODE_BIN=$(command -v node)
printf 'REGION=%q\nSECRET_ARN=%q\nNODE_BIN=%q\nCA_FILE=/etc/webapp/rds-ca.pem\nENV_FILE=/etc/webapp/db.env\nSERVICE=web\n' \
  "$REGION" "$SECRET_ARN" "${NODE_BIN#"$ROOT"}" >"$ROOT/etc/webapp/db-env.conf"
"$ROOT/usr/local/sbin/webapp-db-env" --install
