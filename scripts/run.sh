#!/usr/bin/env bash
# Installs everything and runs Hoso on the embedded default (SQLite in instance/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh requirements.txt
export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask demo load
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
echo "Hoso is up: http://$HOST:$PORT/  (API docs: http://$HOST:$PORT/api/v1/docs)"
exec .venv/bin/gunicorn -c gunicorn.conf.py --bind "$HOST:$PORT" wsgi:app
