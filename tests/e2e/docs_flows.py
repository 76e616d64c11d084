"""Documents in the browser tests: a real camera-sized JPEG made in the page, the birth
registration form filled by field id, and the official's steps through the API."""

from __future__ import annotations

import base64
import re
import struct
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e import flows

BIRTH = "birth-registration"
INSURANCE = "child-health-insurance"
CHILD = "Nguyễn Bảo Ngọc"


def camera_jpeg(page: Page, width: int = 3000, height: int = 2000) -> bytes:
    """A phone-camera-sized JPEG (quality 0.95), drawn with a canvas in the page."""
    data = page.evaluate("""async ([w, h]) => {
        const c = document.createElement('canvas'); c.width = w; c.height = h;
        const g = c.getContext('2d');
        const grad = g.createLinearGradient(0, 0, w, h);
        grad.addColorStop(0, '#f7f3e8'); grad.addColorStop(1, '#d9e6f2');
        g.fillStyle = grad; g.fillRect(0, 0, w, h);
        let seed = 7;
        const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
        for (let i = 0; i < 12000; i += 1) {
          g.fillStyle = `hsl(${Math.floor(rnd() * 360)}, 40%, ${30 + Math.floor(rnd() * 50)}%)`;
          g.fillRect(rnd() * w, rnd() * h, 4 + rnd() * 40, 3 + rnd() * 20);
        }
        g.fillStyle = '#111'; g.font = '120px serif';
        g.fillText('GIẤY CHỨNG SINH', 300, 300);
        const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.95));
        const bytes = new Uint8Array(await blob.arrayBuffer());
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) {
          s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        }
        return btoa(s);
    }""", [width, height])
    return base64.b64decode(data)


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's SOF marker."""
    assert data[:3] == b"\xff\xd8\xff", "not a JPEG"
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no SOF marker")


def photo(page: Page, code: str, data: bytes, name: str = "IMG_20260101_0930.jpg") -> None:
    page.locator(f"#doc-{code}-photo").set_input_files(
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": data}])


def start(page: Page, code: str) -> str:
    page.goto(f"/#/p/{code}")
    page.get_by_role("button", name="Bắt đầu điền hồ sơ").click()
    expect(page).to_have_url(re.compile(r"#/d/[0-9a-f-]+/edit$"))
    return page.url.split("#/d/")[1].split("/")[0]


def fill_birth(page: Page, born: date) -> None:
    """Every required field of the birth registration (the birth notice is asked for)."""
    values = {"child_full_name": CHILD, "child_birth_date": born.isoformat(), "child_home_town": "Nam Định",
              "mother_full_name": "Trần Thị Hoa", "mother_birth_date": "1994-02-03",
              "mother_national_id": "001194012345", "requester_national_id": "001194012345"}
    for key, value in values.items():
        page.locator(f"#f-{key}").fill(value)
    page.locator("#f-child_sex-1").check()
    page.locator("#f-child_birth_place-line").fill("Bệnh viện Phụ sản Hà Nội")
    page.locator("#f-child_birth_place-ward").fill("Phường Hoàn Kiếm")
    page.locator("#f-child_birth_place-province").fill("Hà Nội")
    flows.fill_address(page, "mother_residence")
    page.locator("#f-parents_married-1").check()  # not married: no certificate to attach
    page.locator("#f-father_known").uncheck()
    page.locator("#f-requester_relationship").select_option("mother")
    for key, value in (("requester_full_name", "Trần Thị Hoa"), ("requester_phone", "0912345678")):
        if not page.locator(f"#f-{key}").input_value():  # prefilled when the form opened online
            page.locator(f"#f-{key}").fill(value)


def transition(live: Any, official: Any, dossier_id: str, action: str, **body: Any) -> dict[str, Any]:
    current = live.api("GET", f"/api/v1/office/dossiers/{dossier_id}", official.access).json()
    r = live.api("POST", f"/api/v1/office/dossiers/{dossier_id}/transitions", official.access,
                 json={"action": action, "expected_version": current["version"], **body})
    assert r.status_code == 200, r.text
    return dict(r.json())


def today_vn() -> date:
    return date.today()


def recent_birth() -> date:
    return today_vn() - timedelta(days=12)
