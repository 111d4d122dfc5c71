#!/usr/bin/env bash
# Makes sure NATS (JetStream) answers on 127.0.0.1:4222 and Redis on 127.0.0.1:6379, which the
# integration tests use. Servers already running are used as they are; missing ones are started
# here (installing Debian's packages first if the binaries are absent) and their PIDs written
# to .tools/run/*.pid so that `scripts/ensureServices.sh stop` stops only what this script started.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run="$root/.tools/run"
mkdir -p "$run"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install_pkg() {
  echo "services: installing Debian package $1" >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  else sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null; fi
}

wait_port() {
  for _ in $(seq 1 100); do listening "$1" && return 0; sleep 0.1; done
  echo "services: nothing answers on port $1 after 10 s" >&2
  return 1
}

start() {
  if ! listening 4222; then
    command -v nats-server >/dev/null || install_pkg nats-server
    mkdir -p "$run/nats-store"
    nats-server -a 127.0.0.1 -p 4222 -js -sd "$run/nats-store" -l "$run/nats.log" &
    echo $! >"$run/nats.pid"
    wait_port 4222
    echo "services: started nats-server (JetStream) on 127.0.0.1:4222" >&2
  fi
  if ! listening 6379; then
    command -v redis-server >/dev/null || install_pkg redis-server
    redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir "$run" \
      --logfile "$run/redis.log" --daemonize no &
    echo $! >"$run/redis.pid"
    wait_port 6379
    echo "services: started redis-server on 127.0.0.1:6379" >&2
  fi
}

stop() {
  for name in nats redis; do
    if [ -f "$run/$name.pid" ]; then
      kill "$(cat "$run/$name.pid")" 2>/dev/null || true
      rm -f "$run/$name.pid"
    fi
  done
  rm -rf "$run/nats-store"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
