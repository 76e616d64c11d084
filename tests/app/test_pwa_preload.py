"""A first visit fetches every module of its first screen in one round trip after the HTML:
the HTML preloads each module that the app and its preloaded screens import statically, so
the browser never discovers one only after another has arrived (2 s a wave on Slow 3G)."""

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
