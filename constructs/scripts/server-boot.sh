#!/bin/bash
# The boot of a server-tier host (tiers 1-3) after boot-loader.sh: sourced by it, in its shell, so
# the prelude's inputs (listed there), the failure trap and its helpers (fail, retry, signal),
# ROOT, STEP and INSTANCE_ID are all set. Not meant to run on its own.
# shellcheck disable=SC2154 # the inputs are assigned by the prelude of boot-loader.sh
# shellcheck disable=SC2034 # STEP is read by the loader's failure trap
STEP=packages
read -ra package_list <<<"$PACKAGES"
# --allowerasing: a PostgreSQL server of another major, left by an interrupted upgrade, gives way.
retry 3 dnf install -y --allowerasing "${package_list[@]}"
systemctl enable --now rsyslog
mkdir -p "$ROOT/var/log/webapp" "$ROOT/opt/aws/amazon-cloudwatch-agent/etc"
printf '%s\n' "$AGENT_CONFIG" >"$ROOT/opt/aws/amazon-cloudwatch-agent/etc/web-tiers.json"
"$ROOT/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl" -a fetch-config -m ec2 -s \
  -c file:/opt/aws/amazon-cloudwatch-agent/etc/web-tiers.json
id webapp >/dev/null 2>&1 || useradd --system --home-dir /opt/webapp --shell /sbin/nologin webapp

# Attaches the data volume. A volume still held by the host being replaced is waited for: an
# Auto Scaling group member goes as it terminates; the single instance of stacks made before the
# group existed (tagged LEGACY_INSTANCE_TAG) is stopped first, so PostgreSQL shuts down cleanly,
# and remembered (TOOK_OVER_FROM) so that a failed boot gives the volume back and starts it again.
# Any other answer from EC2 ends the boot at once.
TOOK_OVER_FROM=
attach_volume() {
  local i out holder state
  for ((i = 1; i <= 120; i++)); do
    [ -e "$DEVICE" ] && return 0
    if out=$(aws ec2 attach-volume --region "$REGION" --volume-id "$DATA_VOLUME_ID" --instance-id "$INSTANCE_ID" --device /dev/sdf 2>&1); then
      echo "== attaching $DATA_VOLUME_ID"
    else
      case $out in
        *VolumeInUse* | *IncorrectState* | *IncorrectInstanceState* | *RequestLimitExceeded* | *Throttling*)
          echo "== data volume not free yet ($i/120): $out"
          read -r holder state < <(retry 3 aws ec2 describe-volumes --region "$REGION" --volume-ids "$DATA_VOLUME_ID" \
            --query 'Volumes[0].Attachments[0].[InstanceId,State]' --output text)
          # Only a settled attachment is taken over: one that is detaching is waited for.
          if [ -n "$LEGACY_INSTANCE_TAG" ] && [ "$state" = attached ] && [ "$holder" != "$INSTANCE_ID" ] &&
            [ "$(retry 3 aws ec2 describe-tags --region "$REGION" --filters "Name=resource-id,Values=$holder" \
              "Name=key,Values=aws:cloudformation:logical-id" --query 'Tags[0].Value' --output text)" = "$LEGACY_INSTANCE_TAG" ]; then
            echo "== stopping $holder, the instance this group replaces, to take over its volume"
            aws ec2 stop-instances --region "$REGION" --instance-ids "$holder" --output text
            TOOK_OVER_FROM=$holder
            aws ec2 wait instance-stopped --region "$REGION" --instance-ids "$holder"
            if ! out=$(aws ec2 detach-volume --region "$REGION" --volume-id "$DATA_VOLUME_ID" --instance-id "$holder" --output text 2>&1); then
              case $out in *IncorrectState*) echo "== already detaching: $out" ;; *) fail "cannot detach $DATA_VOLUME_ID from $holder: $out" ;; esac
            fi
            aws ec2 wait volume-available --region "$REGION" --volume-ids "$DATA_VOLUME_ID"
            continue
          fi
          ;;
        *) fail "data volume $DATA_VOLUME_ID cannot be attached: $out" ;;
      esac
    fi
    sleep 10
  done
  fail "data volume $DATA_VOLUME_ID did not attach within 20 minutes"
}

# Undoes, on a failed boot, what must not stay half done (called by the loader's failure trap, with
# errexit off; each step is best effort and logged): an unfinished PostgreSQL upgrade is rolled
# back to the old data directory, and a volume taken over from the pre-group instance is given
# back and that instance started again, so a rolled-back deploy leaves the site as it was.
UPGRADE_FROM=
on_failure() {
  local data=$ROOT$DATA_MOUNT/data
  if [ -n "$UPGRADE_FROM" ] && [ -d "$data-$UPGRADE_FROM" ]; then
    echo "== putting the version $UPGRADE_FROM data back"
    systemctl stop postgresql
    if [ -d "$data" ]; then mv "$data" "$data-failed-$POSTGRES_MAJOR-$(date +%s)"; fi
    mv "$data-$UPGRADE_FROM" "$data" && rm -f "$ROOT$DATA_MOUNT/upgrade-$UPGRADE_FROM-to-$POSTGRES_MAJOR.unfinished"
  fi
  if [ -n "$TOOK_OVER_FROM" ]; then
    echo "== giving the data volume back to $TOOK_OVER_FROM and starting it"
    systemctl stop webapp postgresql
    if mountpoint -q "$ROOT$DATA_MOUNT"; then umount "$ROOT$DATA_MOUNT"; fi
    aws ec2 detach-volume --region "$REGION" --volume-id "$DATA_VOLUME_ID" --instance-id "$INSTANCE_ID" --output text
    aws ec2 wait volume-available --region "$REGION" --volume-ids "$DATA_VOLUME_ID"
    aws ec2 start-instances --region "$REGION" --instance-ids "$TOOK_OVER_FROM" --output text
  fi
}

# Brings the data directory to POSTGRES_MAJOR: a directory made by an older major is dumped with
# that major's server, moved aside (never deleted) and restored into a new one.
upgrade_postgres() {
  local old=$1 data=$ROOT$DATA_MOUNT/data dump unfinished
  dump=$ROOT$DATA_MOUNT/upgrade-$old-to-$POSTGRES_MAJOR.sql
  unfinished=$ROOT$DATA_MOUNT/upgrade-$old-to-$POSTGRES_MAJOR.unfinished
  local used free
  used=$(du -sb "$data" | cut -f1)
  free=$(df --output=avail -B1 "$ROOT$DATA_MOUNT" | tail -n 1)
  # The dump and the new directory sit beside the old one until the restore is done.
  ((free > 2 * used)) ||
    fail "upgrading PostgreSQL $old to $POSTGRES_MAJOR needs twice the data's size free on the volume ($used bytes of data, $free free): grow dataVolumeSize first"
  echo "== PostgreSQL data is version $old; upgrading to $POSTGRES_MAJOR"
  UPGRADE_FROM=$old
  retry 3 dnf install -y --allowerasing "postgresql$old-server"
  systemctl start postgresql
  sudo -u postgres pg_dumpall --file "$dump"
  systemctl stop postgresql
  retry 3 dnf install -y --allowerasing "postgresql$POSTGRES_MAJOR-server"
  # From here until the restore succeeds, data/ is not the database: a later boot must not use it.
  touch "$unfinished"
  mv "$data" "$data-$old"
  postgresql-setup --initdb
  systemctl start postgresql
  # The dump recreates the postgres role, which exists already; any other error fails the boot.
  sudo -u postgres psql --quiet --file "$dump" 2>"$dump.errors"
  # grep -c reads to the end: grep -q would stop at the first match, and the first grep, killed
  # by SIGPIPE, would make the pipeline fail (pipefail) and hide the errors of a long output.
  if grep -v 'role "postgres" already exists' "$dump.errors" | grep -c ERROR >/dev/null; then
    fail "restoring the version $old dump failed: see $DATA_MOUNT/upgrade-$old-to-$POSTGRES_MAJOR.sql.errors"
  fi
  rm -f "$unfinished"
  UPGRADE_FROM=
  echo "== upgraded; the version $old directory and the dump are kept at $DATA_MOUNT/data-$old and ${dump#"$ROOT"}: remove them once the app is verified"
}

if [ -n "$DATA_VOLUME_ID" ]; then
  STEP='data volume'
  DEVICE=$ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${DATA_VOLUME_ID/-/}
  attach_volume
  # Never formats a volume that has a file system: blkid exits 2 only when it finds none.
  found=0
  blkid "$DEVICE" >/dev/null || found=$?
  case $found in
    0) ;;
    2) mkfs.xfs "$DEVICE" ;;
    *) fail "blkid could not read $DEVICE (exit $found)" ;;
  esac
  UUID=$(blkid -s UUID -o value "$DEVICE")
  [ -n "$UUID" ] || fail "data volume $DATA_VOLUME_ID has no file-system UUID"
  mkdir -p "$ROOT$DATA_MOUNT"
  grep -q "UUID=$UUID " "$ROOT/etc/fstab" || echo "UUID=$UUID $DATA_MOUNT xfs defaults,nofail 0 2" >>"$ROOT/etc/fstab"
  mountpoint -q "$ROOT$DATA_MOUNT" || mount "$ROOT$DATA_MOUNT"
  chown postgres:postgres "$ROOT$DATA_MOUNT"
  chmod 700 "$ROOT$DATA_MOUNT"
  if command -v restorecon >/dev/null; then restorecon -R "$ROOT$DATA_MOUNT"; fi
  # The fstab line is nofail (a missing volume must not stop the host from booting), so PostgreSQL
  # itself waits for the mount: it never starts on the root disk.
  mkdir -p "$ROOT/etc/systemd/system/postgresql.service.d"
  printf '[Unit]\nRequiresMountsFor=%s\n' "$DATA_MOUNT" >"$ROOT/etc/systemd/system/postgresql.service.d/web-tiers.conf"
  systemctl daemon-reload

  STEP=postgres
  for unfinished in "$ROOT$DATA_MOUNT"/upgrade-*.unfinished; do
    [ -e "$unfinished" ] || continue
    old=${unfinished##*/upgrade-}
    old=${old%%-to-*}
    fail "the PostgreSQL upgrade from version $old did not finish: data/ is incomplete, the version $old data is in $DATA_MOUNT/data-$old (see ${unfinished#"$ROOT"} and the .sql.errors file beside it)"
  done
  if [ -f "$ROOT$DATA_MOUNT/data/PG_VERSION" ]; then
    on_disk=$(cat "$ROOT$DATA_MOUNT/data/PG_VERSION")
    [[ $on_disk =~ ^[0-9]+$ ]] || fail "$DATA_MOUNT/data/PG_VERSION holds $(printf %q "$on_disk"), not a PostgreSQL major"
    if [ "$on_disk" != "$POSTGRES_MAJOR" ]; then
      [ "$on_disk" -lt "$POSTGRES_MAJOR" ] || fail "PostgreSQL data is version $on_disk, newer than $POSTGRES_MAJOR: not downgrading"
      upgrade_postgres "$on_disk"
    fi
  else
    postgresql-setup --initdb
  fi
  systemctl enable --now postgresql
  # psql failing is a failure, not "no such role".
  role=$(sudo -u postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'webapp'")
  [ "$role" = 1 ] || sudo -u postgres createuser webapp
  db=$(sudo -u postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'webapp'")
  [ "$db" = 1 ] || sudo -u postgres createdb -O webapp webapp
fi

STEP=bundle
retry 3 aws s3 cp --region "$REGION" "$BUNDLE_URL" "$ROOT/tmp/webapp.zip"
rm -rf "$ROOT/opt/webapp.next"
mkdir -p "$ROOT/opt/webapp.next"
unzip -q "$ROOT/tmp/webapp.zip" -d "$ROOT/opt/webapp.next"
rm -f "$ROOT/tmp/webapp.zip"
[ -f "$ROOT/opt/webapp.next/$BUNDLE_FILE" ] || fail "the bundle has no $BUNDLE_FILE"
rm -rf "$ROOT/opt/webapp.prev"
if [ -d "$ROOT/opt/webapp" ]; then mv "$ROOT/opt/webapp" "$ROOT/opt/webapp.prev"; fi
mv "$ROOT/opt/webapp.next" "$ROOT/opt/webapp"
install -d -m 0750 "$ROOT/etc/webapp"
chgrp webapp "$ROOT/etc/webapp"
install -m 0640 /dev/null "$ROOT/etc/webapp.env"
chgrp webapp "$ROOT/etc/webapp.env"
printf '%s\n' "$APP_ENV" >"$ROOT/etc/webapp.env"
chown webapp:webapp "$ROOT/var/log/webapp"

if [ -n "$DATABASE_SECRET_ARN" ]; then
  STEP='database credentials'
  install -m 0700 "$ROOT/opt/webapp/web-tiers/webapp-db-env.sh" "$ROOT/usr/local/sbin/webapp-db-env"
  install -m 0644 "$ROOT/opt/webapp/web-tiers/rds-ca.pem" "$ROOT/etc/webapp/rds-ca.pem"
  printf 'REGION=%q\nSECRET_ARN=%q\nNODE_BIN=%q\nCA_FILE=/etc/webapp/rds-ca.pem\nENV_FILE=/etc/webapp/db.env\nSERVICE=webapp\n' \
    "$REGION" "$DATABASE_SECRET_ARN" "$NODE_BIN" >"$ROOT/etc/webapp/db-env.conf"
  "$ROOT/usr/local/sbin/webapp-db-env" --install
fi

STEP=service
after=network-online.target
if [ -n "$DATA_VOLUME_ID" ]; then after="$after postgresql.service"; fi
cat >"$ROOT/etc/systemd/system/webapp.service" <<UNIT
[Unit]
Description=web app (cdk-web-tiers)
After=$after
Wants=network-online.target
[Service]
User=webapp
EnvironmentFile=/etc/webapp.env
EnvironmentFile=-/etc/webapp/db.env
ExecStart=$NODE_BIN --enable-source-maps /opt/webapp/$BUNDLE_FILE
Restart=always
RestartSec=2
KillSignal=SIGTERM
TimeoutStopSec=40
AmbientCapabilities=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=/var/log/webapp
StandardOutput=append:/var/log/webapp/app.log
StandardError=append:/var/log/webapp/app.log
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable webapp
systemctl restart webapp

if [ -n "$TLS_DOMAIN" ]; then
  STEP=tls
  # The Caddyfile is made of checked values only: a domain name and an e-mail address.
  [[ $TLS_DOMAIN =~ ^[A-Za-z0-9.-]+$ ]] || fail "TLS domain $(printf %q "$TLS_DOMAIN") is not a domain name"
  [[ -z $TLS_EMAIL || $TLS_EMAIL =~ ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$ ]] || fail "TLS e-mail is not an address"
  caddy=$ROOT/usr/local/bin/caddy
  if [ "$("$caddy" version 2>/dev/null | cut -d' ' -f1)" != "v$CADDY_VERSION" ]; then
    release=https://github.com/caddyserver/caddy/releases/download/v$CADDY_VERSION
    tarball=caddy_${CADDY_VERSION}_linux_$CADDY_ARCH.tar.gz
    retry 3 curl -sfL -o "$ROOT/tmp/$tarball" "$release/$tarball"
    retry 3 curl -sfL -o "$ROOT/tmp/caddy-checksums.txt" "$release/caddy_${CADDY_VERSION}_checksums.txt"
    (cd "$ROOT/tmp" && grep " $tarball\$" caddy-checksums.txt | sha512sum -c -)
    mkdir -p "$ROOT/usr/local/bin"
    tar -xzf "$ROOT/tmp/$tarball" -C "$ROOT/usr/local/bin" caddy
    rm -f "$ROOT/tmp/$tarball" "$ROOT/tmp/caddy-checksums.txt"
  fi
  id caddy >/dev/null 2>&1 || useradd --system --home-dir /var/lib/caddy --create-home --shell /sbin/nologin caddy
  mkdir -p "$ROOT/etc/caddy"
  {
    if [ -n "$TLS_EMAIL" ]; then printf '{\n  email %s\n}\n' "$TLS_EMAIL"; fi
    printf '%s {\n  encode zstd gzip\n  reverse_proxy 127.0.0.1:%s\n}\n' "$TLS_DOMAIN" "$PORT"
  } >"$ROOT/etc/caddy/Caddyfile"
  cat >"$ROOT/etc/systemd/system/caddy.service" <<'UNIT'
[Unit]
Description=Caddy (TLS for the web app)
After=network-online.target webapp.service
Wants=network-online.target
[Service]
User=caddy
Environment=XDG_DATA_HOME=/var/lib/caddy XDG_CONFIG_HOME=/var/lib/caddy
ExecStart=/usr/local/bin/caddy run --config /etc/caddy/Caddyfile
ExecReload=/usr/local/bin/caddy reload --config /etc/caddy/Caddyfile
Restart=always
AmbientCapabilities=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable caddy
  systemctl restart caddy
fi

# The app must answer its health route on this host within 3 minutes, or the boot fails.
STEP=health
health_url="http://127.0.0.1:$PORT$HEALTH_PATH"
for ((i = 1; i <= 90; i++)); do
  if curl -sf -o /dev/null --max-time 5 -- "$health_url"; then break; fi
  ((i < 90)) || fail "the app did not answer $health_url within 3 minutes (see /var/log/webapp/app.log)"
  sleep 2
done
echo "== app healthy"

# The address moves to this host only once it serves: until then it stays where it was.
if [ -n "$ELASTIC_IP_ALLOCATION" ]; then
  STEP='elastic IP'
  retry 5 aws ec2 associate-address --region "$REGION" --allocation-id "$ELASTIC_IP_ALLOCATION" \
    --instance-id "$INSTANCE_ID" --allow-reassociation --output text
fi
trap - ERR
signal SUCCESS
echo "== web-tiers boot done $(date -Is)"
