#!/usr/bin/env bash
# `npm run dev`: the Earshot API and transcription workers (started and stopped with the work by
# the host supervisor, apps/worker/src/supervisor.ts) on this machine, against Redis and the
# local fs store (./data), no other server needed. Ctrl-C stops both (a second Ctrl-C kills them).
#
#   npm run dev                                    # fs store in ./data, Redis on 127.0.0.1:6379
#   S3_BUCKET=b S3_ENDPOINT=... npm run dev         # S3 settings given: the S3 store is used
#   EARSHOT_MODEL_DIR=/path/to/model npm run dev   # default ./models/sensevoice, else a synthetic model
#
# Redis: REDIS_URL when set; otherwise 127.0.0.1:6379, started here (data in ./data/redis) when
# nothing answers and redis-server is installed. Every other setting comes from the environment
# with the names of packages/core/src/config/*-config.ts.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[dev]\033[0m %s\n' "$*" >&2; }

# ---- build (incremental: quick when nothing changed) ----
say "building (tsc -b)"
npx tsc -b packages/core packages/modelgen apps/api apps/worker

# ---- settings ----
export EARSHOT_DATA_DIR=${EARSHOT_DATA_DIR:-./data}
if [[ -z ${EARSHOT_STORAGE:-} ]]; then
  if [[ -n ${S3_BUCKET:-} ]]; then export EARSHOT_STORAGE=s3; else export EARSHOT_STORAGE=fs; fi
fi
export EARSHOT_HOST=${EARSHOT_HOST:-127.0.0.1}
export EARSHOT_PORT=${EARSHOT_PORT:-8080}
export EARSHOT_PUBLIC_URL=${EARSHOT_PUBLIC_URL:-http://127.0.0.1:${EARSHOT_PORT}}
# Local development fetches audio from local http:// servers too (off by default: SSRF).
export EARSHOT_ALLOW_HTTP_SOURCES=${EARSHOT_ALLOW_HTTP_SOURCES:-true}
# ...and talks to webhook receivers and audio hosts on this machine (off by default: SSRF).
export EARSHOT_ALLOW_PRIVATE_NETWORK=${EARSHOT_ALLOW_PRIVATE_NETWORK:-true}
export EARSHOT_WORKER_METRICS_HOST=${EARSHOT_WORKER_METRICS_HOST:-127.0.0.1}
mkdir -p "$EARSHOT_DATA_DIR"

# ---- model ----
if [[ -z ${EARSHOT_MODEL_DIR:-} ]]; then
  if [[ -f models/sensevoice/tokens.txt ]]; then
    export EARSHOT_MODEL_DIR=models/sensevoice
  else
    export EARSHOT_MODEL_DIR=.cache/models/tiny
    node packages/modelgen/dist/main.js --size tiny --out "$EARSHOT_MODEL_DIR" > /dev/null
    say "################################################################################"
    say "WARNING: no model in ./models/sensevoice; using a SYNTHETIC model with random"
    say "weights ($EARSHOT_MODEL_DIR). Its output is NOT a transcription."
    say "Get the real one with: npm run build && npm run model:download"
    say "################################################################################"
  fi
fi

# ---- children: own process groups (set -m), so Ctrl-C reaches only this script, which then
# stops them in order; their output is prefixed by a sed that ignores SIGINT. ----
set -m
pids=()
REDIS_PID=""

prefixed() { # name command...: runs the command in the background with its output prefixed
  local name=$1
  shift
  "$@" > >(trap '' INT; exec sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}

if [[ -z ${REDIS_URL:-} ]]; then
  export REDIS_URL=redis://127.0.0.1:6379
  if ! (exec 3<> /dev/tcp/127.0.0.1/6379) 2> /dev/null; then
    if ! command -v redis-server > /dev/null; then
      say "no Redis on 127.0.0.1:6379 and redis-server is not installed (apt-get install redis-server), or set REDIS_URL"
      exit 1
    fi
    mkdir -p "$EARSHOT_DATA_DIR/redis"
    say "starting redis-server on 127.0.0.1:6379 (data in $EARSHOT_DATA_DIR/redis)"
    redis-server --port 6379 --bind 127.0.0.1 --appendonly yes --save '' --maxmemory-policy noeviction \
      --dir "$EARSHOT_DATA_DIR/redis" > >(trap '' INT; exec sed -u 's/^/[redis] /') 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 1 100); do (exec 3<> /dev/tcp/127.0.0.1/6379) 2> /dev/null && break; sleep 0.05; done
  fi
fi

stopping=0
stop() {
  if ((stopping)); then
    say "killing"
    kill -KILL "${pids[@]}" 2> /dev/null || true
  else
    stopping=1
    say "stopping API and workers (Ctrl-C again to kill)"
    kill -TERM "${pids[@]}" 2> /dev/null || true
  fi
}
trap stop INT TERM

say "storage: $EARSHOT_STORAGE${S3_BUCKET:+ (bucket $S3_BUCKET)}, data dir: $EARSHOT_DATA_DIR, Redis: $REDIS_URL"
say "model: $EARSHOT_MODEL_DIR"
say "API on $EARSHOT_PUBLIC_URL (development API key: printed by the API, kept in $EARSHOT_DATA_DIR/dev-api-key)"
prefixed api node apps/api/dist/main.js
# Workers through the host supervisor (`npm run workers`): none while idle, up to 2 under load.
prefixed workers node apps/worker/dist/supervisor.js --min "${EARSHOT_DEV_MIN_WORKERS:-0}" --max "${EARSHOT_DEV_MAX_WORKERS:-2}"

# When either process ends (or a signal arrives), stop the other and wait for both.
status=0
wait -n "${pids[@]}" || status=$?
if ((!stopping)); then
  say "a process exited (status $status); stopping the other"
  stop
fi
for pid in "${pids[@]}"; do
  while kill -0 "$pid" 2> /dev/null; do wait "$pid" 2> /dev/null || true; done
done
if [[ -n $REDIS_PID ]]; then
  say "stopping redis-server"
  kill -TERM "$REDIS_PID" 2> /dev/null || true
  wait "$REDIS_PID" 2> /dev/null || true
fi
say "stopped"
if ((stopping)); then exit 0; fi
exit "$status"
