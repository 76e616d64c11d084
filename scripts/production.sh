#!/usr/bin/env bash
# Hoso in its production shape on this machine: nginx (TLS, HTTP/2, compression) in front of
# two gunicorn app nodes, one RQ worker (push delivery and background sweeps), PostgreSQL,
# Redis and S3-compatible object storage for uploads; migrations run once, not per node.
#
#   bash scripts/production.sh start          # install what is missing, migrate, start all
#   bash scripts/production.sh stop           # stop what `start` started
#   bash scripts/production.sh roll           # rolling restart: each node in turn, gracefully
#   bash scripts/production.sh restart-node N # graceful restart of node N (1, 2, …)
#   bash scripts/production.sh kill-node N    # drill: SIGKILL node N (master and workers)
#   bash scripts/production.sh status
#
# Settings (environment; defaults in brackets):
#   HOSO_SHAPE_DIR  [instance/production]  state: certificate, secrets, pids, logs, nginx.conf
#   HTTPS_PORT      [8443]                 the front's port (https://127.0.0.1:8443/)
#   NODE_PORTS      ["8001 8002"]          one gunicorn node per port
#   DATABASE_URL    [postgresql://postgres@127.0.0.1:5432/hoso_production] (created if missing)
#   REDIS_URL       [redis://127.0.0.1:6379/5]
#   UPLOAD_S3_BUCKET, UPLOAD_S3_ENDPOINT_URL, AWS_*: real object storage; when no endpoint is
#                   given a local S3-compatible server (moto_server) is started on S3_PORT [9000]
#   TLS_CERT, TLS_KEY  real certificate paths; else a self-signed one is made in HOSO_SHAPE_DIR
#   WEB_CONCURRENCY [2], GUNICORN_THREADS [4]  per node
# docs/operations.md explains each piece; deploy/nginx/ holds the nginx files an operator installs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
STATE="${HOSO_SHAPE_DIR:-$ROOT/instance/production}"
HTTPS_PORT="${HTTPS_PORT:-8443}"
read -r -a PORTS <<< "${NODE_PORTS:-8001 8002}"
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/hoso_production}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/5}"
export FLASK_APP=wsgi
PY="$ROOT/.venv/bin/python"

log() { echo "[production] $*" >&2; }

install_system() {
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx-light)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts its own nginx on port 80 after installing; this shape runs its own.
  if [ -f /run/nginx.pid ] && [ ! -f "$STATE/nginx.pid" ] && [ -n "${HOSO_STOP_DEBIAN_NGINX:-}" ]; then
    nginx -s quit || true
  fi
}

pidfile() { echo "$STATE/run/$1.pid"; }

alive() {  # alive NAME: its recorded process runs
  local f; f="$(pidfile "$1")"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

wait_http() {  # wait_http URL SECONDS [curl options]
  local url="$1" seconds="$2"; shift 2
  for _ in $(seq 1 $((seconds * 10))); do
    if curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "$url did not answer within ${seconds}s"
  return 1
}

secrets() {
  # One set of secrets for every node (never one per node: tokens signed on one node must
  # verify on the other). In production these come from the secret store instead.
  local env="$STATE/secrets.env"
  if [ ! -f "$env" ]; then
    umask 077
    {
      echo "SECRET_KEY=$(openssl rand -hex 32)"
      echo "JWT_SECRET_KEY=$(openssl rand -hex 32)"
      echo "VAPID_PRIVATE_KEY=$("$PY" -m flask push vapid-keys | sed -n 's/^VAPID_PRIVATE_KEY=//p')"
    } > "$env"
    umask 022
  fi
  set -a; . "$env"; set +a
  [ -n "${VAPID_PRIVATE_KEY:-}" ] || unset VAPID_PRIVATE_KEY
}

certificate() {
  if [ -n "${TLS_CERT:-}" ]; then
    CERT="$TLS_CERT"; KEY="${TLS_KEY:?TLS_KEY goes with TLS_CERT}"
    return
  fi
  CERT="$STATE/tls/cert.pem"; KEY="$STATE/tls/key.pem"
  if [ ! -f "$CERT" ]; then
    mkdir -p "$STATE/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
      -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$KEY" -out "$CERT" 2>/dev/null
    chmod 600 "$KEY"
    log "self-signed certificate for local use: $CERT"
  fi
}

object_storage() {
  export UPLOAD_S3_BUCKET="${UPLOAD_S3_BUCKET:-hoso-uploads}"
  if [ -z "${UPLOAD_S3_ENDPOINT_URL:-}" ]; then
    # A local S3-compatible server stands in for the province's object storage.
    local port="${S3_PORT:-9000}"
    export UPLOAD_S3_ENDPOINT_URL="http://127.0.0.1:$port"
    export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-hoso-local}"
    export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-hoso-local-secret}"
    if ! alive s3; then
      "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$STATE/log/s3.log" 2>&1 &
      echo $! > "$(pidfile s3)"
      wait_http "$UPLOAD_S3_ENDPOINT_URL/" 30
    fi
  fi
  "$PY" -c "from app.services.upload_s3 import S3Store; S3Store.from_env({}).ensure_bucket()"
  {
    echo "UPLOAD_S3_BUCKET=$UPLOAD_S3_BUCKET"
    echo "UPLOAD_S3_ENDPOINT_URL=$UPLOAD_S3_ENDPOINT_URL"
  } > "$STATE/storage.env"
}

database() {
  if [[ "$DATABASE_URL" == postgresql://* ]]; then
    local name="${DATABASE_URL##*/}"; name="${name%%\?*}"
    local admin="${DATABASE_URL%/*}/postgres"
    if ! psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname='$name'" | grep -q 1; then
      psql "$admin" -qc "CREATE DATABASE \"$name\"" >/dev/null
    fi
  fi
  # Migrations once, before any node starts (never per node).
  "$PY" -m flask db upgrade 2>&1 | tail -1 >&2
  "$PY" -m flask demo load >/dev/null
  "$PY" -m flask pki init >/dev/null   # demo agency signing keys (instance/pki/), shared by the nodes
}

node_env() {  # node_env N PORT: the environment of one app node
  export GUNICORN_BIND="127.0.0.1:$2"
  export PROXY_FIX=1
  export UPLOAD_DIR="$STATE/node$1/uploads"   # this node's scratch space and file cache only
  export PROMETHEUS_MULTIPROC_DIR="$STATE/node$1/metrics"
  export WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"
  export GUNICORN_THREADS="${GUNICORN_THREADS:-4}"
}

start_node() {  # start_node N
  local n="$1" port="${PORTS[$(($1 - 1))]}"
  if alive "node$n"; then return; fi
  mkdir -p "$STATE/node$n/uploads"
  (
    node_env "$n" "$port"
    # A session of its own: the node (master and workers) is one process group.
    exec setsid "$ROOT/.venv/bin/gunicorn" -c gunicorn.conf.py --pid "$(pidfile "node$n")" wsgi:app \
      >>"$STATE/log/node$n.log" 2>&1
  ) &
  wait_http "http://127.0.0.1:$port/readyz" 60
  log "node $n: http://127.0.0.1:$port/"
}

stop_node() {  # stop_node N: SIGTERM, gunicorn finishes what is in flight
  local f; f="$(pidfile "node$1")"
  if alive "node$1"; then
    local pid; pid="$(cat "$f")"
    kill -TERM "$pid"
    for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}

start_worker() {
  if alive worker; then return; fi
  # Supervised as systemd's Restart=always would: a worker that exits is started again. Its
  # own process group, so stopping it (or pausing it, SIGSTOP) reaches the loop and the worker.
  UPLOAD_DIR="$STATE/worker/uploads" setsid bash -c '
    while true; do
      "$0" -m flask push worker
      echo "[production] RQ worker exited ($?); starting it again in 1 s"
      sleep 1
    done' "$PY" >>"$STATE/log/worker.log" 2>&1 &
  echo $! > "$(pidfile worker)"
  log "RQ worker: push delivery and background sweeps"
}

nginx_conf() {
  local upstream=""
  for port in "${PORTS[@]}"; do
    upstream+="        server 127.0.0.1:$port max_fails=1 fail_timeout=2s;"$'\n'
  done
  mkdir -p "$STATE/nginx"
  cp deploy/nginx/hoso-site.conf deploy/nginx/hoso-proxy.conf "$STATE/nginx/"
  cat > "$STATE/nginx/nginx.conf" <<EOF
# Written by scripts/production.sh; the server block an operator writes (deploy/nginx/hoso-site.conf).
worker_processes 1;
pid $STATE/run/nginx.pid;
error_log $STATE/log/nginx-error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log $STATE/log/nginx-access.log;
    client_body_temp_path $STATE/nginx/tmp-body;
    proxy_temp_path $STATE/nginx/tmp-proxy;
    fastcgi_temp_path $STATE/nginx/tmp-fastcgi;
    uwsgi_temp_path $STATE/nginx/tmp-uwsgi;
    scgi_temp_path $STATE/nginx/tmp-scgi;
    upstream hoso {
        least_conn;
$upstream        keepalive 32;
    }
    server {
        listen 127.0.0.1:$HTTPS_PORT ssl http2;
        server_name localhost;
        ssl_certificate     $CERT;
        ssl_certificate_key $KEY;
        include $STATE/nginx/hoso-site.conf;
    }
}
EOF
}

start_nginx() {
  nginx_conf
  nginx -t -q -c "$STATE/nginx/nginx.conf" -p "$STATE/nginx"
  if alive nginx; then
    nginx -s reload -c "$STATE/nginx/nginx.conf" -p "$STATE/nginx"
  else
    nginx -c "$STATE/nginx/nginx.conf" -p "$STATE/nginx"
  fi
  wait_http "https://127.0.0.1:$HTTPS_PORT/readyz" 30 -k
}

start() {
  mkdir -p "$STATE/run" "$STATE/log"
  install_system
  bash scripts/bootstrap.sh requirements-dev.txt   # moto_server, the local S3 stand-in, is a dev tool
  if [[ "$DATABASE_URL" == *127.0.0.1:5432* || "$REDIS_URL" == *127.0.0.1:6379* ]]; then
    bash scripts/services.sh
  fi
  secrets
  certificate
  object_storage
  database
  for n in $(seq 1 ${#PORTS[@]}); do start_node "$n"; done
  start_worker
  start_nginx
  echo "Hoso (production shape) is up: https://127.0.0.1:$HTTPS_PORT/ (self-signed unless TLS_CERT)"
}

load_env() {
  set -a
  for f in "$STATE/secrets.env" "$STATE/storage.env"; do [ -f "$f" ] && . "$f"; done
  set +a
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-hoso-local}"
  export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-hoso-local-secret}"
}

stop() {
  if alive nginx; then nginx -s quit -c "$STATE/nginx/nginx.conf" -p "$STATE/nginx" || true; fi
  for n in $(seq 1 ${#PORTS[@]}); do stop_node "$n" & done
  wait
  if alive worker; then kill -TERM -- "-$(cat "$(pidfile worker)")" 2>/dev/null || kill -TERM "$(cat "$(pidfile worker)")"; fi
  if alive s3; then kill -TERM "$(cat "$(pidfile s3)")"; fi
  rm -f "$(pidfile worker)" "$(pidfile s3)"
  log "stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  restart-node)
    load_env; n="${2:?which node}"
    stop_node "$n"; start_node "$n" ;;
  kill-node)
    f="$(pidfile "node${2:?which node}")"
    if alive "node$2"; then kill -KILL -- "-$(cat "$f")"; fi
    rm -f "$f" ;;
  roll)
    load_env
    for n in $(seq 1 ${#PORTS[@]}); do stop_node "$n"; start_node "$n"; done
    log "rolled ${#PORTS[@]} nodes" ;;
  status)
    for name in nginx $(for n in $(seq 1 ${#PORTS[@]}); do echo "node$n"; done) worker s3; do
      if alive "$name"; then echo "$name: running ($(cat "$(pidfile "$name")"))"; else echo "$name: stopped"; fi
    done ;;
  *) echo "usage: $0 start|stop|roll|restart-node N|kill-node N|status" >&2; exit 2 ;;
esac
