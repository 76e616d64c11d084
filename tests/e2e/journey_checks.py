"""What every screen of the newcomer's walk must hold, checked by tests/e2e/test_journey.py:
no "not found" screen, nothing of the other language's catalogue on screen, no raw codes,
every interactive element at least 44 × 44 CSS px, no horizontal overflow, and no serious or
critical axe-core finding (with a screenshot of the step)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.e2e.test_screens import check as axe_check

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "app" / "demo" / "catalog"


@cache
def texts(lang: str) -> dict[str, str]:
    return dict(json.loads((ROOT / "pwa" / "i18n" / f"{lang}.json").read_text()))


def t(lang: str, key: str, **params: Any) -> str:
    text = texts(lang)[key]
    return text.format(**params) if params else text


@cache
def foreign_fragments(lang: str) -> tuple[str, ...]:
    """Pieces of the other language's texts that can only come from it: each text split at
    its placeholders, pieces of two words or more that this language does not also use."""
    other = "en" if lang == "vi" else "vi"
    mine = " ".join(texts(lang).values())
    out = set()
    for text in texts(other).values():
        for piece in re.split(r"\{\w+\}", text):
            piece = piece.strip(" .,:;·()…–-—“”\"'?!")
            if len(piece) >= 8 and " " in piece and piece not in mine:
                out.add(piece)
    return tuple(sorted(out))


@cache
def raw_codes() -> tuple[str, ...]:
    """Field and document codes of the demo forms (snake_case names a person must never read)."""
    codes = set()
    for path in CATALOG.glob("*.json"):
        spec = json.loads(path.read_text())
        for version in spec.get("versions", []):
            form = version.get("form", {})
            codes.update(d["code"] for d in form.get("documents", []))
            for section in form.get("sections", []):
                for field in section.get("fields", []):
                    codes.add(field["name"])
    return tuple(sorted(c for c in codes if "_" in c))


PLACEHOLDER_WORDS = re.compile(r"\b(null|undefined|NaN)\b|\[object Object\]")


def no_placeholder_words(page: Page, name: str) -> None:
    """A missing value printed as a programmer's word ("null", "undefined") instead of left out."""
    visible = page.evaluate("() => document.body.innerText")
    found = PLACEHOLDER_WORDS.findall(visible)
    assert not found, f"{name}: placeholder words on screen: {found}"


AGENCY_CODE = re.compile(r"\b[A-Z]{2,5}-[A-Z]{4,}\b")

SMALL_TARGETS = """() => {
  const sel = ['a[href]', 'button', 'input:not([type=hidden])', 'select', 'textarea', 'summary',
               '[tabindex]:not([tabindex="-1"])'].join(',');
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.closest('[hidden]')) continue;
    let box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right < 0 || box.bottom < 0 || box.left > innerWidth + 1) continue; // the skip link
    // A radio, a checkbox or a hidden file input is tapped through its label.
    const tappedViaLabel = el.matches('input[type=radio], input[type=checkbox], input[type=file]');
    const label = (tappedViaLabel && el.closest('label'))
      || (tappedViaLabel && el.id && document.querySelector(`label[for="${el.id}"]`));
    if (label) box = label.getBoundingClientRect();
    if (box.width < 43.5 || box.height < 43.5) {
      const what = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`;
      const text = (el.textContent || el.value || '').trim().slice(0, 30);
      out.push(`${what} "${text}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return out;
}"""


def audit(page: Page, lang: str, name: str, focus: str | None = None, allowed: tuple[str, ...] = ()) -> None:
    """All of the walk's checks on the screen as it is now, and its screenshot."""
    axe_check(page, f"journey-{lang}-{name}", focus)
    heading = page.locator("main h1").inner_text()
    assert heading not in (t("vi", "error.not_found"), t("en", "error.not_found")), name
    assert heading not in (t("vi", "error.title"), t("en", "error.title")), name
    no_placeholder_words(page, name)
    visible = page.evaluate("() => document.body.innerText")
    for keep in allowed:  # what the person typed, a receipt number: shown as they are
        visible = visible.replace(keep, "")
    foreign = [f for f in foreign_fragments(lang) if f in visible]
    assert not foreign, f"{name}: text of the other language on screen: {foreign}"
    codes = [c for c in raw_codes() if re.search(rf"\b{re.escape(c)}\b", visible)]
    codes += AGENCY_CODE.findall(visible)
    assert not codes, f"{name}: raw codes on screen: {codes}"
    small = page.evaluate(SMALL_TARGETS)
    assert not small, f"{name}: targets under 44x44 CSS px: {small}"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than the screen"
