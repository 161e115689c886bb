#!/usr/bin/env bash
# Throwaway S3 server for tests and local development: a single-node Ceph (1 mon + 1 in-memory
# "memstore" OSD, no cephx between the daemons) with radosgw answering S3 on 127.0.0.1:$RGW_PORT.
# S3 requests are still SigV4-checked against the keys below (wrong secret => 403).
# Recipe and its reasons: infra-notes §2.4. Data lives in RAM; `stop` throws everything away.
#
# Usage: scripts/s3-server.sh start|stop|status
#   CEPH_DIR       work dir (default ${TMPDIR:-/tmp}/earshot-ceph; wiped on start/stop)
#   RGW_PORT       S3 port (default 7480)      MON_PORT   ceph-mon port (default 6799)
#   S3_ACCESS_KEY  (default earshot-test)      S3_SECRET_KEY (default earshot-test-secret)
# `start` is idempotent: if an S3 server already answers on RGW_PORT and accepts these keys, it
# exits 0 without touching anything. Runs without a TTY (daemons log to $CEPH_DIR/log).
set -euo pipefail

B=${CEPH_DIR:-${TMPDIR:-/tmp}/earshot-ceph}
RGW_PORT=${RGW_PORT:-7480}
MON_PORT=${MON_PORT:-6799}
AK=${S3_ACCESS_KEY:-earshot-test}
SK=${S3_SECRET_KEY:-earshot-test-secret}
ENDPOINT="http://127.0.0.1:$RGW_PORT"
MARKER=.earshot-ceph # proves a directory is ours before we rm -rf it
# SHA-256 of the empty body, required by radosgw on signed requests without payload.
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

log() { echo "s3-server: $*" >&2; }
die() { log "error: $*"; exit 1; }

# HTTP status of an anonymous GET / (000 when nothing answers).
anon_status() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$ENDPOINT/" || true; }
# HTTP status of a GET / (ListBuckets) signed with our keys.
signed_status() {
  curl -s -o /dev/null -m 5 -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: $EMPTY_SHA" "$ENDPOINT/" || true
}
s3() { curl -s -m 30 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" -H "x-amz-content-sha256: $EMPTY_SHA" "$@"; }

# PIDs from our pid files whose process is still a ceph daemon (never a recycled PID).
our_pids() {
  local f p comm
  [ -d "$B/run" ] || return 0
  for f in "$B"/run/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f" 2>/dev/null || true)
    [[ "$p" =~ ^[0-9]+$ ]] || continue
    comm=$(cat "/proc/$p/comm" 2>/dev/null || true)
    case "$comm" in ceph-mon | ceph-osd | radosgw) echo "$p" ;; esac
  done
}

wipe_dir() {
  [ -e "$B" ] || return 0
  if [ -f "$B/$MARKER" ] || [ -z "$(ls -A "$B" 2>/dev/null)" ]; then
    rm -rf "$B"
  else
    die "$B exists and was not created by this script; set CEPH_DIR to another directory"
  fi
}

stop_daemons() {
  local pids alive p i
  mapfile -t pids < <(our_pids)
  [ ${#pids[@]} -gt 0 ] || return 0
  kill "${pids[@]}" 2>/dev/null || true
  alive=("${pids[@]}")
  for i in $(seq 1 30); do
    alive=()
    for p in "${pids[@]}"; do
      if kill -0 "$p" 2>/dev/null; then alive+=("$p"); fi
    done
    if [ ${#alive[@]} -eq 0 ]; then break; fi
    sleep 0.1
  done
  # The memstore OSD usually ignores TERM for a long time (infra-notes §2.4).
  if [ ${#alive[@]} -gt 0 ]; then
    kill -9 "${alive[@]}" 2>/dev/null || true
    for p in "${alive[@]}"; do
      for i in $(seq 1 20); do
        if ! kill -0 "$p" 2>/dev/null; then break; fi
        sleep 0.05
      done
    done
  fi
}

require_binaries() {
  local missing=() b
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool curl; do
    command -v "$b" >/dev/null 2>&1 || missing+=("$b")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  die "missing ${missing[*]}. Install Ceph radosgw (Debian/Ubuntu):
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common curl
or point the tests at another S3 server with EARSHOT_TEST_S3_ENDPOINT (+ _ACCESS_KEY/_SECRET_KEY)."
}

write_conf() {
  cat >"$B/ceph.conf" <<CONF
[global]
fsid = $1
mon host = [v2:127.0.0.1:$MON_PORT]
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
ms bind msgr1 = false
ms bind ipv6 = false
# without crc mode radosgw loops on "get_initial_auth_request returned -13"
ms mon client mode = crc
ms client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
# default 1 s per pool creation made startup 14-16 s instead of ~3 s
paxos propose interval = 0.05
paxos min wait = 0.01
osd crush chooseleaf type = 0
run dir = $B/run
admin socket = $B/run/\$name.asok
log file = $B/log/\$name.log
pid file = $B/run/\$name.pid
mon data = $B/mon/\$cluster-\$id
osd data = $B/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 4294967296
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $B/rgw
# A deleted object's data is freed by radosgw's garbage collector, by default no sooner than 2 h
# after the delete: a server left up through suite after suite fills its memstore (the buckets'
# cleanup frees nothing for hours) until requests hang. Collect within a minute instead.
rgw gc obj min wait = 30
rgw gc processor period = 30
CONF
}

start() {
  local code t0 fsid osd up i C
  code=$(anon_status)
  if [ "$code" != 000 ]; then
    [ "$(signed_status)" = 200 ] || die "port $RGW_PORT answers (HTTP $code) but rejects key $AK with this secret (another S3 server?); stop it or set RGW_PORT"
    log "already running: $ENDPOINT (key $AK)"
    return 0
  fi
  require_binaries
  t0=$EPOCHREALTIME
  stop_daemons # leftovers of a half-started or crashed run in the same dir
  wipe_dir
  mkdir -p "$B"/{mon,osd,log,run,rgw}
  touch "$B/$MARKER"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"
  C=(-c "$B/ceph.conf")
  # --addv with an explicit v2 address: plain --add hangs the CLI (v1/v2 mismatch).
  monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$B/monmap" >/dev/null
  ceph-mon "${C[@]}" --mkfs -i a --monmap "$B/monmap" </dev/null >>"$B/log/start.out" 2>&1 ||
    die "ceph-mon --mkfs failed (see $B/log/start.out)"
  # 9>&-: the daemons must not inherit (and keep holding) the start/stop lock.
  ceph-mon "${C[@]}" -i a 9>&- </dev/null >>"$B/log/start.out" 2>&1 || die "ceph-mon failed (port $MON_PORT in use? see $B/log)"
  osd=$(timeout 30 ceph "${C[@]}" osd create 2>>"$B/log/start.out") || die "ceph osd create failed (see $B/log)"
  mkdir -p "$B/osd/ceph-$osd"
  ceph-osd "${C[@]}" -i "$osd" --mkfs --osd-uuid "$(cat /proc/sys/kernel/random/uuid)" </dev/null >>"$B/log/start.out" 2>&1 ||
    die "ceph-osd --mkfs failed (see $B/log)"
  timeout 30 ceph "${C[@]}" osd crush add "osd.$osd" 1.0 host=localhost root=default >>"$B/log/start.out" 2>&1 ||
    die "ceph osd crush add failed (see $B/log)"
  ceph-osd "${C[@]}" -i "$osd" 9>&- </dev/null >>"$B/log/start.out" 2>&1 || die "ceph-osd failed (see $B/log)"
  radosgw "${C[@]}" -n client.rgw.a 9>&- </dev/null >>"$B/log/start.out" 2>&1 || die "radosgw failed (see $B/log)"
  for i in $(seq 1 600); do
    if [ "$(anon_status)" = 200 ]; then break; fi
    if [ "$i" = 600 ]; then die "radosgw did not answer on $ENDPOINT within 60 s (see $B/log/client.rgw.a.log)"; fi
    sleep 0.1
  done
  timeout 60 radosgw-admin "${C[@]}" user create --uid=earshot-test --display-name=earshot-test \
    --access-key="$AK" --secret="$SK" >/dev/null 2>>"$B/log/start.out" || die "radosgw-admin user create failed"
  # Warm-up: the first bucket and the first multipart upload each create pools (~2 s each).
  s3 -o /dev/null -X PUT "$ENDPOINT/earshot-warmup"
  up=$(s3 -X POST "$ENDPOINT/earshot-warmup/mp?uploads=" | sed -n 's/.*<UploadId>\(.*\)<\/UploadId>.*/\1/p')
  [ -n "$up" ] || die "warm-up multipart upload failed (see $B/log/client.rgw.a.log)"
  s3 -o /dev/null -X DELETE "$ENDPOINT/earshot-warmup/mp?uploadId=$up"
  s3 -o /dev/null -X DELETE "$ENDPOINT/earshot-warmup"
  [ "$(signed_status)" = 200 ] || die "radosgw answers but rejects key $AK"
  log "S3 ready: $ENDPOINT key $AK (started in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s, dir $B)"
}

stop() {
  stop_daemons
  if [ -d "$B" ]; then wipe_dir; fi
  log "stopped (dir $B removed)"
}

status() {
  local code pids
  code=$(anon_status)
  mapfile -t pids < <(our_pids)
  if [ "$code" = 200 ]; then
    echo "running: $ENDPOINT (daemons from $B: ${pids[*]:-none})"
    return 0
  fi
  echo "not answering on $ENDPOINT (HTTP $code; daemons from $B: ${pids[*]:-none})"
  return 3
}

# One start/stop at a time per CEPH_DIR (parallel test runs call start concurrently).
mkdir -p "$(dirname "$B")"
exec 9>"$B.lock"
flock -w 120 9 || die "timed out waiting for the lock $B.lock"

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
