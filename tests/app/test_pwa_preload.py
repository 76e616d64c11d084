"""A first visit fetches every module of its first screen in one round trip after the HTML:
the HTML preloads each module that the app and its preloaded screens import statically, so
the browser never discovers one only after another has arrived (2 s a wave on Slow 3G), and
nothing else: every other module's bytes would share the same slow link before the catalog."""

from __future__ import annotations

import posixpath
import re

from tests.servers import ROOT

PWA = ROOT / "pwa"
STATIC_IMPORT = re.compile(r"^\s*(?:import|export)\s+(?:[^'\"();]*?\s+from\s+)?['\"](\.{1,2}/[^'\"]+)['\"]",
                           re.MULTILINE)


def _preloaded() -> set[str]:
    html = (PWA / "index.html").read_text()
    return set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', html))


def _imports(url: str) -> set[str]:
    text = (PWA / url.lstrip("/")).read_text()
    return {posixpath.normpath(posixpath.join(posixpath.dirname(url), m))
            for m in STATIC_IMPORT.findall(text)}


def test_every_module_the_first_screen_imports_is_preloaded() -> None:
    preloaded = _preloaded()
    assert {"/app/main.js", "/app/ui/catalog.js", "/app/ui/intro.js"} <= preloaded
    missing = {f"{dep} (imported by {url})" for url in preloaded for dep in _imports(url)
               if dep not in preloaded}
    assert not missing, sorted(missing)


def test_the_import_scan_sees_multi_line_imports() -> None:
    assert "/app/dom.js" in _imports("/app/ui/catalog.js")


def _closure(roots: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        url = todo.pop()
        if url not in seen:
            seen.add(url)
            todo.extend(_imports(url))
    return seen


def test_nothing_beyond_the_first_screen_is_preloaded() -> None:
    first_screen = _closure({"/app/main.js", "/app/ui/catalog.js", "/app/ui/intro.js"})
    assert _preloaded() == first_screen
    # What a signed-out first visit does not use loads after the catalog is on screen.
    later = {"/app/sync.js", "/app/outbox.js", "/app/reconcile.js", "/app/device.js", "/app/telemetry.js",
             "/app/code_tables.js", "/app/rules.js", "/app/forms.js", "/app/ui/procedure.js",
             "/app/worker_client.js"}
    assert not later & first_screen, sorted(later & first_screen)


TEXT_KEY = re.compile(r"\bt\(\s*['\"]([\w.]+)['\"]")


def test_the_first_screen_uses_only_the_texts_that_load_with_it() -> None:
    """The first screen (catalog, welcome) renders with /i18n/<lang>.first.json alone: every text
    key its modules name is in that share (app/pwa.py FIRST_TEXTS), in both languages."""
    import json

    from app.pwa import FIRST_TEXTS

    used = {key for url in _closure({"/app/main.js", "/app/ui/catalog.js", "/app/ui/intro.js"})
            for key in TEXT_KEY.findall((PWA / url.lstrip("/")).read_text())}
    assert "catalog.title" in used
    outside = sorted(k for k in used if not k.startswith(FIRST_TEXTS))
    assert not outside, outside
    for lang in ("vi", "en"):
        texts = json.loads((PWA / "i18n" / f"{lang}.json").read_text())
        assert not [k for k in used if k not in texts], lang
