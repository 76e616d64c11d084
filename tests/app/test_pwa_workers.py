"""The service workers as the server sends them: any change to the app changes the bytes of
the worker the browser registered, so every phone installs the new release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# A change to any file changes what is sent: a statement, since comments are not sent (app/minify.py).
CHANGE = {".css": "\n.next-release { color: black }\n", ".js": "\nself.nextRelease = 1;\n"}


def first_line(client: Any, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/"
    assert resp.headers["Cache-Control"] == "no-cache"
    return resp.get_data(as_text=True).split("\n", 1)[0]


@pytest.mark.parametrize("changed", ["styles.css", "app/sync.js", "sw.js", "sw-push.js", "sw-sync.js"])
def test_module_worker_changes_with_any_file_of_the_app(client: Any, shell: Path, changed: str) -> None:
    release = first_line(client, "/sw-sync.js")
    assert release.startswith("// release ")
    assert first_line(client, "/sw-sync.js") == release  # stable while nothing changes
    with (shell / changed).open("a") as fh:
        fh.write(CHANGE[Path(changed).suffix])
    assert first_line(client, "/sw-sync.js") != release


def test_classic_worker_carries_the_shell_version(client: Any, shell: Path) -> None:
    version = client.get("/asset-manifest.json").get_json()["version"]
    assert first_line(client, "/sw.js") == f'self.SHELL_VERSION = "{version}";'
    (shell / "styles.css").write_text("body { color: black; }\n")
    changed = client.get("/asset-manifest.json").get_json()["version"]
    assert changed != version
    assert first_line(client, "/sw.js") == f'self.SHELL_VERSION = "{changed}";'
