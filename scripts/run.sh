#!/usr/bin/env bash
# Installs everything and runs Hoso on the embedded default (SQLite in instance/).
set -euo pipefail
cd "$(dirname "$0")/.."
# Signed documents need a TrueType font with every Vietnamese glyph (app/services/pdf_render.py).
if [ ! -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] \
   && [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core >/dev/null
fi
bash scripts/bootstrap.sh requirements.txt
export FLASK_APP=wsgi
# The demo pays fees in the payOS-compatible sandbox Hoso serves itself (docs/payments.md);
# set PAYOS_SANDBOX=0 and the PAYOS_* keys to use the real payOS.
export PAYOS_SANDBOX="${PAYOS_SANDBOX:-1}"
.venv/bin/flask db upgrade
.venv/bin/flask demo load
.venv/bin/flask pki init    # demo CA + a signing certificate per agency, in instance/pki/
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
echo "Hoso is up: http://$HOST:$PORT/  (API docs: http://$HOST:$PORT/api/v1/docs)"
exec .venv/bin/gunicorn -c gunicorn.conf.py --bind "$HOST:$PORT" wsgi:app
