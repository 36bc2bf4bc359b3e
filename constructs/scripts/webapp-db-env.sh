#!/bin/bash
# Renders DATABASE_URL from the RDS secret into an environment file the app's service reads, and
# with --restart restarts the service (which drains first) when the credentials changed: run at
# boot with --install, which also installs the systemd timer that runs it every 5 minutes with
# --restart, so a rotated password reaches the app.
#
# Settings come from /etc/webapp/db-env.conf (REGION SECRET_ARN NODE_BIN CA_FILE ENV_FILE SERVICE).
# TLS to the database is always verified, against the RDS CA bundle shipped with the app bundle.
# The secret's value is never printed: not on a parse error, not on a missing field.
# WEB_TIERS_ROOT prefixes every path; it is unset on a host and set only by the sandboxed tests.
set -Eeuo pipefail
ROOT=${WEB_TIERS_ROOT:-}
# shellcheck source=/dev/null # written by the boot script or the Beanstalk hook
. "$ROOT/etc/webapp/db-env.conf"
# shellcheck disable=SC2154 # REGION SECRET_ARN NODE_BIN CA_FILE ENV_FILE SERVICE come from the conf file
[ -s "$ROOT$CA_FILE" ] || { echo "webapp-db-env: no CA bundle at $CA_FILE" >&2; exit 1; }

SECRET_JSON=$(aws secretsmanager get-secret-value --region "$REGION" --secret-id "$SECRET_ARN" \
  --query SecretString --output text)
# Everything but unreserved characters is percent-encoded, so the URL is safe in an environment
# file (no quote, space or backslash) whatever the password holds.
# shellcheck disable=SC2016 # JavaScript, not shell: its ${...} are template literals
DATABASE_URL=$(SECRET_JSON="$SECRET_JSON" "$ROOT$NODE_BIN" -e '
  const fail = (m) => { console.error("webapp-db-env: " + m); process.exit(1); };
  let s;
  try { s = JSON.parse(process.env.SECRET_JSON); } catch { fail("the secret is not valid JSON"); }
  if (s === null || typeof s !== "object") fail("the secret is not a JSON object");
  const missing = ["username", "password", "host", "port"].filter((k) => s[k] === undefined || s[k] === "");
  if (missing.length) fail("the secret has no " + missing.join(", "));
  if (!/^[A-Za-z0-9.-]+$/.test(String(s.host)) || !/^[0-9]{1,5}$/.test(String(s.port))) fail("the secret has no valid host and port");
  const e = (v) => encodeURIComponent(String(v)).replace(/[!\x27()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  process.stdout.write(`postgresql://${e(s.username)}:${e(s.password)}@${s.host}:${s.port}/${e(s.dbname || "postgres")}?sslmode=verify-full`);')
unset SECRET_JSON

NEW=$(printf 'DATABASE_URL=%s\nNODE_EXTRA_CA_CERTS=%s' "$DATABASE_URL" "$CA_FILE")
if [ "$NEW" != "$(cat "$ROOT$ENV_FILE" 2>/dev/null)" ]; then
  install -m 0640 /dev/null "$ROOT$ENV_FILE.new"
  chgrp webapp "$ROOT$ENV_FILE.new"
  printf '%s\n' "$NEW" >"$ROOT$ENV_FILE.new"
  mv "$ROOT$ENV_FILE.new" "$ROOT$ENV_FILE"
  echo "webapp-db-env: database credentials written"
  if [ "${1:-}" = --restart ]; then systemctl try-restart "$SERVICE"; fi
fi

if [ "${1:-}" = --install ]; then
  cat >"$ROOT/etc/systemd/system/webapp-db-env.service" <<'UNIT'
[Unit]
Description=Refresh the web app's database credentials
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/webapp-db-env --restart
UNIT
  cat >"$ROOT/etc/systemd/system/webapp-db-env.timer" <<'UNIT'
[Unit]
Description=Refresh the web app's database credentials every 5 minutes
[Timer]
OnBootSec=5min
OnUnitActiveSec=5min
# Hosts restart one by one, spread over 4 minutes, rather than all within the same minute.
RandomizedDelaySec=240
[Install]
WantedBy=timers.target
UNIT
  systemctl daemon-reload
  systemctl enable --now webapp-db-env.timer
fi
