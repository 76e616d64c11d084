"""The page as the server sends it: what the first screen needs that is the same for everyone
comes inside it (the stylesheet, the first texts, the header's mark), so on a 2G line those
bytes arrive while the browser waits for the modules the page preloads (app/pwa.py `_inline`)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from app import minify
from tests.servers import ROOT


def _page(client: Any) -> tuple[str, Any]:
    resp = client.get("/")
    assert resp.status_code == 200
    return resp.get_data(as_text=True), resp


def test_the_page_carries_its_stylesheet_allowed_by_hash(client: Any) -> None:
    html, resp = _page(client)
    assert 'href="/styles.css"' not in html
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert style == minify.css((ROOT / "pwa" / "styles.css").read_bytes()).decode()
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = resp.headers["Content-Security-Policy"]
    assert f"style-src 'self' 'sha256-{digest}';" in csp  # that style, and no other inline one
    assert "unsafe-inline" not in csp
    # Not a shell file of its own any more: the worker does not download it twice.
    assert "/styles.css" not in client.get("/asset-manifest.json").get_json()["files"]


def test_the_page_carries_the_first_texts_and_the_mark(client: Any) -> None:
    html, _resp = _page(client)
    block = re.search(r'<script type="application/json" id="first-texts" data-lang="vi">(.*?)</script>',
                      html, re.S).group(1)
    assert json.loads(block) == client.get("/i18n/vi.first.json").get_json()
    mark = re.search(r'<img src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(mark) == (ROOT / "pwa" / "icons" / "brand-56.png").read_bytes()


def test_a_text_cannot_end_the_block_it_is_carried_in(client: Any, shell: Path) -> None:
    texts = json.loads((shell / "i18n" / "vi.json").read_text())
    texts["app.title"] = "Hồ sơ</script><script>alert(1)</script>"
    (shell / "i18n" / "vi.json").write_text(json.dumps(texts, ensure_ascii=False))
    html, _resp = _page(client)
    assert "alert(1)</script>" not in html
    block = re.search(r'id="first-texts" data-lang="vi">(.*?)</script>', html, re.S).group(1)
    assert json.loads(block)["app.title"] == texts["app.title"]


def test_the_modules_are_sent_minified(client: Any) -> None:
    resp = client.get("/app/main.js")
    source = (ROOT / "pwa" / "app" / "main.js").read_bytes()
    assert resp.get_data() == minify.js(source) != source
    assert resp.headers["ETag"].strip('"') == hashlib.sha256(resp.get_data()).hexdigest()[:32]
