#!/usr/bin/env bash
# Regenerates docs/screens.md and its pictures (docs/screens/*.png) from the newcomer's walk
# in tests/e2e/test_journey.py, in Vietnamese then English, at 360 x 740.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f docs/screens/*.png
HOSO_SCREENS=1 .venv/bin/python -m pytest -q "tests/e2e/test_journey.py::test_a_newcomer_does_it_alone"
