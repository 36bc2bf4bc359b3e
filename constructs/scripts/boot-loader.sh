#!/bin/bash
# Start of the boot of a server-tier host (tiers 1-3), run by cloud-init on every boot.
#
# The user data is this file behind a generated prelude of single-quoted assignments (see
# serverUserData in constructs/shared/server-bootstrap.ts): values never become code. It sets up
# the failure report, then downloads the rest of the boot, server-boot.sh (an S3 asset: EC2 user
# data is limited to 16 KB), and runs it in this shell. Every step is idempotent, so a reboot runs
# it again safely (a changed app or image reaches tiers 1-3 as a new instance). Any failing command
# ends the boot: the reason goes to the boot log (shipped to CloudWatch once the agent runs) and
# the serial console, what the boot had begun is undone where it must be (on_failure, defined by
# server-boot.sh), and CloudFormation gets a FAILURE signal at once.
#
# Inputs (from the prelude; empty means "not on this tier"):
#   BOOT_SCRIPT_URL                     server-boot.sh in S3
#   REGION STACK_NAME SIGNAL_RESOURCE   where to send the boot's outcome (none when SIGNAL_RESOURCE is empty)
#   PACKAGES NODE_BIN AGENT_CONFIG      packages to install, the Node.js binary, CloudWatch agent config
#   BUNDLE_URL BUNDLE_FILE APP_ENV      the app bundle (zip in S3), its entry file, its environment file
#   PORT HEALTH_PATH                    where the app answers its health route
#   DATA_VOLUME_ID DATA_MOUNT POSTGRES_MAJOR LEGACY_INSTANCE_TAG   local PostgreSQL on a kept EBS volume
#   ELASTIC_IP_ALLOCATION               an Elastic IP the host takes over
#   TLS_DOMAIN TLS_EMAIL CADDY_VERSION CADDY_ARCH                  Caddy terminates TLS
#   DATABASE_SECRET_ARN                 RDS credentials, rendered to DATABASE_URL by webapp-db-env
# WEB_TIERS_ROOT prefixes every path; it is unset on a host and set only by the sandboxed tests.
# shellcheck disable=SC2154 # the inputs above are assigned by the generated prelude
set -Eeuo pipefail
ROOT=${WEB_TIERS_ROOT:-}
mkdir -p "$ROOT/var/log"
exec >>"$ROOT/var/log/web-tiers-bootstrap.log" 2>&1
echo "== web-tiers boot $(date -Is)"

INSTANCE_ID=
STEP=start
SIGNALLED=

# Reports the outcome to CloudFormation. The AWS CLI ships with Amazon Linux 2023, so a failed
# package install can still be reported. Outside a deploy nothing waits for a signal, and the
# refusal is only logged.
# SIGNAL_RESOURCE 'tag' stands for the resource named by the host's aws:cloudformation:logical-id tag.
signal() {
  [ -n "$SIGNAL_RESOURCE" ] && [ -z "$SIGNALLED" ] || return 0
  SIGNALLED=1
  local resource=$SIGNAL_RESOURCE
  if [ "$resource" = tag ]; then
    resource=
    if [ -n "$INSTANCE_ID" ]; then
      resource=$(aws ec2 describe-tags --region "$REGION" --filters "Name=resource-id,Values=$INSTANCE_ID" \
        "Name=key,Values=aws:cloudformation:logical-id" --query 'Tags[0].Value' --output text) || resource=
    fi
    if [ -z "$resource" ] || [ "$resource" = None ]; then
      echo "== cannot signal $1: this host's CloudFormation resource is unknown"
      return 0
    fi
  fi
  aws cloudformation signal-resource --region "$REGION" --stack-name "$STACK_NAME" \
    --logical-resource-id "$resource" --unique-id "${INSTANCE_ID:-$(hostname)}" --status "$1" ||
    echo "== no $1 signal taken (nothing waits for one outside a deploy)"
}

failed() {
  local status=$1 line=$2 command=$3
  # set -E runs this trap in a failing $(...) too: leave the report (and the one signal) to the
  # main shell, which fails on the assignment next, or the log and the signal would say it twice.
  [ "$BASHPID" = "$$" ] || exit "$status"
  trap - ERR
  echo "== boot FAILED in step '$STEP' (line $line, exit $status): $command"
  { echo "web-tiers boot FAILED in step '$STEP': $command (exit $status); see /var/log/web-tiers-bootstrap.log"; } >"$ROOT/dev/console" 2>/dev/null || true
  if declare -F on_failure >/dev/null; then on_failure || echo "== undoing the boot did not complete"; fi
  signal FAILURE
  exit "$status"
}
trap 'failed $? "$LINENO" "$BASH_COMMAND"' ERR

# A failure to report with its own reason (not a failing command).
fail() { echo "== $*"; false; }

# Runs a command up to $1 times, 5 s apart, for steps that hit the network.
retry() {
  local tries=$1 i
  shift
  for ((i = 1; ; i++)); do
    "$@" && return 0
    ((i < tries)) || return 1
    # The command's name only: its arguments can hold a metadata token.
    echo "== retry $i/$tries: $1" >&2
    sleep 5
  done
}

STEP=metadata
TOKEN=$(retry 5 curl -sf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 600")
INSTANCE_ID=$(retry 5 curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id)
echo "== instance $INSTANCE_ID"


STEP='boot script'
mkdir -p "$ROOT/var/lib/web-tiers"
retry 3 aws s3 cp --region "$REGION" "$BOOT_SCRIPT_URL" "$ROOT/var/lib/web-tiers/server-boot.sh"
# shellcheck source=/dev/null # server-boot.sh, checked on its own
. "$ROOT/var/lib/web-tiers/server-boot.sh"
