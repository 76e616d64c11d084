"""What an iPhone reads when the app is added to its Home Screen: the icon (iOS ignores the
manifest's icons and fills a transparent one with black), the status bar style, and a launch
screen for each iPhone size, which iOS shows only when one is exactly the screen's size."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from PIL import Image

STARTUP = re.compile(r'<link rel="apple-touch-startup-image" media="\(device-width: (\d+)px\) and '
                     r'\(device-height: (\d+)px\) and \(-webkit-device-pixel-ratio: (\d)\) and '
                     r'\(orientation: portrait\)" href="([^"]+)">')


def image(client: Any, url: str) -> Image.Image:
    resp = client.get(url)
    assert resp.status_code == 200, url
    assert resp.mimetype == "image/png"
    return Image.open(io.BytesIO(resp.data))


def test_home_screen_icon_and_status_bar(client: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', page).group(1)
    icon = image(client, href)
    assert icon.size == (180, 180)
    assert icon.mode == "RGB"  # opaque: no black corners on the Home Screen
    assert '<meta name="apple-mobile-web-app-status-bar-style" content="black-translucent">' in page
    assert '<meta name="apple-mobile-web-app-title" content="Hồ sơ">' in page
    assert "viewport-fit=cover" in page  # the header pads itself below the status bar
    # The icon is in the app shell, so it is there offline.
    assert href in client.get("/asset-manifest.json").get_json()["files"]
    manifest = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))
    assert manifest["display"] == "standalone" and manifest["id"] == "/"


def test_a_launch_screen_of_the_exact_size_for_each_iphone(client: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    screens = STARTUP.findall(page)
    assert len(screens) >= 10
    assert page.count("apple-touch-startup-image") == len(screens)  # none malformed
    shell = client.get("/asset-manifest.json").get_json()["files"]
    for width, height, ratio, href in screens:
        assert image(client, href).size == (int(width) * int(ratio), int(height) * int(ratio)), href
        assert href not in shell  # fetched when added to the Home Screen, not on every first visit
