"""The code's direction (api → sync → app.services → app.models) holds: the engine and the
domain import no Flask, and the import-linter contracts in `.importlinter` are kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLASKISH = ("flask", "flask_smorest", "flask_sqlalchemy", "flask_jwt_extended", "flask_migrate",
            "werkzeug")


def _modules_after_import(module: str) -> set[str]:
    code = (f"import sys, {module}\n"
            "print('\\n'.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                         text=True, timeout=120).stdout
    return set(out.split())


@pytest.mark.parametrize("module", ["sync", "sync.push", "sync.pull", "app.errors", "app.models"])
def test_importing_the_engine_and_the_domain_loads_no_flask(module: str) -> None:
    loaded = _modules_after_import(module)
    assert module in loaded
    assert not {m for m in loaded if m.split(".")[0] in FLASKISH}


def test_every_service_and_engine_module_imports_without_flask() -> None:
    code = ("import importlib, pkgutil, sys, app.services, sync\n"
            "for pkg in (app.services, sync):\n"
            "    for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + '.'):\n"
            "        importlib.import_module(info.name)\n"
            "print('\\n'.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                                text=True, timeout=120).stdout.split())
    assert {"app.services.dossiers", "app.services.push", "sync.documents"} <= loaded
    assert not {m for m in loaded if m.split(".")[0] in FLASKISH}


def test_import_contracts_are_kept() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout
