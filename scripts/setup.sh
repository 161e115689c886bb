#!/usr/bin/env bash
# Installs everything Earshot needs on a fresh Debian machine (idempotent):
# Debian packages (ffmpeg for non-WAV audio; espeak-ng + sox for test speech;
# Ceph radosgw as the test S3 server; redis; docker-compose to validate the
# compose file; chromium and a CJK font for the console's browser test and its screenshot;
# chromium's SwiftShader Vulkan driver also runs the WebGPU provider's tests without a GPU),
# npm packages (npm ci), the TypeScript build, and a running Redis.
#   bash scripts/setup.sh            # everything
#   bash scripts/setup.sh --no-apt   # skip Debian packages
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg espeak-ng sox redis-server redis-tools curl ceph-mon ceph-osd radosgw ceph-common docker-compose chromium fonts-wqy-zenhei)

if [[ "${1:-}" != "--no-apt" ]]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} > 0)); then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

echo "setup: building TypeScript"
npm run build --silent

# Redis for the queue (tests and `npm run dev`); no persistence, as BullMQ tests want.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "setup: starting redis-server on 127.0.0.1:6379"
  mkdir -p /tmp/earshot-redis
  redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --maxmemory-policy noeviction \
    --dir /tmp/earshot-redis --daemonize yes --logfile /tmp/earshot-redis/redis.log
  for _ in $(seq 1 200); do redis-cli -p 6379 ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
fi
echo "setup: done"
