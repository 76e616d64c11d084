#!/usr/bin/env bash
# Installs everything (Debian's browsers included: chromium for tests/e2e, WebKitGTK's
# WebDriver and Xvfb for tests/webkit) and runs the whole suite twice: on SQLite, then on the
# PostgreSQL at 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null || missing+=(chromium fonts-noto-core)
command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver fonts-noto-core)
command -v Xvfb >/dev/null || missing+=(xvfb)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] \
   && [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  # Signed documents need a font with every Vietnamese glyph (app/services/pdf_render.py).
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core >/dev/null
fi
# nginx (Debian's nginx-light) for the production-shape tests (tests/production/).
if ! command -v nginx >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi
bash scripts/bootstrap.sh requirements-dev.txt
bash scripts/services.sh
PY=.venv/bin/python
$PY -m ruff check .
.venv/bin/lint-imports   # the layer contracts in .importlinter
status=0
echo "== SQLite =="
HOSO_TEST_DATABASE_URL="" $PY -m pytest -q -rfER --durations=15 "$@" || status=$?
echo "== PostgreSQL =="
psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS hoso_test WITH (FORCE)" >/dev/null
psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE hoso_test" >/dev/null
# The test database does not wait for each commit's WAL flush (a crash of the server could lose
# the last commits; the suite never crashes it, and a clean restart keeps them), so the suite
# does not wait on the disk at every commit. Production keeps the default (on).
psql -h 127.0.0.1 -U postgres -d test -qc "ALTER DATABASE hoso_test SET synchronous_commit = off" >/dev/null
HOSO_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/hoso_test" \
  $PY -m pytest -q -rfER --durations=15 "$@" || status=$?
exit $status
