"""What a person does in the app, in WebKit through Selenium (the Chromium tests' flows.py
speaks Playwright): sign up, open a procedure, fill and submit the marital-status form."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from selenium.common.exceptions import (
    ElementNotInteractableException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.servers import wait_for
from tests.webkit.conftest import WAIT, until

MARITAL = "marital-status-confirmation"
PASSWORD = "Mat-khau-rat-kho-2026"
FORM = {"f-applicant_full_name": "Trần Thị Bình", "f-applicant_national_id": "001190012345",
        "f-applicant_phone": "0912345678", "f-applicant_residence-line": "12 Hàng Bạc",
        "f-other_purpose": "Bổ sung hồ sơ vay vốn", "f-copies": "1"}
# The coded residence: the province first, then one of its wards (official unit codes).
ADDRESS = (("f-applicant_residence-province", "01"), ("f-applicant_residence-ward", "00070"))


def heading(driver: Any, text: str | None = None) -> str:
    """Waits for the screen's <h1> (with `text`, for that one) and returns its text."""
    return until(driver, """const h = document.querySelector('main h1');
        const t = h && h.textContent.trim();
        return t && (!arguments[0] || t === arguments[0]) ? t : null;""", f"the heading {text or ''}", text)


def open_app(driver: Any, base: str, hash_: str = "#/") -> None:
    driver.get(f"{base}/{hash_}")
    heading(driver)


def _retry(action: Callable[[], Any], what: str) -> None:
    """Does `action` once its element is there and enabled; again with the element found anew
    if the screen redrew it in between (a sync brought news, the first render was replaced)."""
    def attempt() -> bool:
        try:
            return action() is not False
        except (NoSuchElementException, StaleElementReferenceException, ElementNotInteractableException):
            return False
    wait_for(attempt, WAIT, what, 0.1)


def type_into(driver: Any, element_id: str, text: str) -> None:
    def action() -> None:
        el = driver.find_element(By.ID, element_id)
        el.clear()
        el.send_keys(text)
    _retry(action, f"typing into #{element_id}")


def _click(driver: Any, by: str, target: str, what: str) -> None:
    def action() -> bool:
        el = driver.find_element(by, target)
        if not el.is_enabled():
            return False
        el.click()
        return True
    _retry(action, what)


def click(driver: Any, css: str) -> None:
    _click(driver, By.CSS_SELECTOR, css, css)


def click_text(driver: Any, tag: str, text: str) -> None:
    """Clicks the `tag` (a, button…) whose text is `text`."""
    _click(driver, By.XPATH, f"//{tag}[normalize-space()='{text}']", f"{tag} {text!r}")


def sign_up(driver: Any, base: str, name: str = "Trần Thị Bình") -> str:
    phone = f"09{uuid.uuid4().int % 10**8:08d}"
    open_app(driver, base, "#/signup")
    type_into(driver, "signup-full_name", name)
    type_into(driver, "signup-phone", phone)
    type_into(driver, "signup-password", PASSWORD)
    click(driver, "main form button[type=submit]")
    enter_code(driver)
    heading(driver, "Hồ sơ của tôi")
    return phone


def enter_code(driver: Any) -> None:
    """The SMS code, as the development outbox shows it on the screen, typed and confirmed."""
    code = until(driver, "const n = document.querySelector('[data-testid=dev-outbox]');"
                 " const m = n && !n.hidden && /\\b(\\d{6})\\b/.exec(n.textContent);"
                 " return m && m[1];", "the SMS code on the screen")
    type_into(driver, "verify-code", str(code))
    click(driver, "main form button[type=submit]")


def wait_offline_ready(driver: Any) -> None:
    """After one online visit the worker holds the shell, the catalog and every form."""
    until(driver, "return document.documentElement.dataset.offlineReady === '1'", "offline ready", timeout=40)


def start_marital(driver: Any, base: str) -> str:
    driver.get(f"{base}/#/p/{MARITAL}")
    heading(driver, "Xác nhận tình trạng hôn nhân")
    click_text(driver, "button", "Bắt đầu điền hồ sơ")
    url = until(driver, "return /#\\/d\\/[0-9a-f-]+\\/edit$/.test(location.hash) && location.hash",
                "the editor of a new draft")
    return str(url).split("#/d/")[1].split("/")[0]


def fill_marital(driver: Any) -> None:
    """The form typed as a person would (keys and taps); a date through its value, since a
    date control's typing differs between engines."""
    until(driver, "return document.getElementById('f-applicant_full_name')", "the form")
    for element_id, code in ADDRESS:
        _retry(lambda element_id=element_id, code=code: Select(
            driver.find_element(By.ID, element_id)).select_by_value(code), f"choosing {element_id}")
    for element_id, text in FORM.items():
        if element_id == "f-other_purpose":
            _retry(lambda: Select(driver.find_element(By.ID, "f-purpose")).select_by_value("other"),
                   "choosing the purpose")
        type_into(driver, element_id, text)
    click(driver, "input[name=f-applicant_sex][value=female]")
    click(driver, "input[name=f-marital_status][value=never_married]")
    driver.execute_script("""const d = document.getElementById('f-applicant_birth_date');
        d.value = '1990-05-17';
        d.dispatchEvent(new Event('input', {bubbles: true}));
        d.dispatchEvent(new Event('change', {bubbles: true}));""")


def submit(driver: Any) -> None:
    click_text(driver, "button", "Nộp hồ sơ")
    until(driver, "return /#\\/d\\/[0-9a-f-]+$/.test(location.hash)", "the dossier's page after submitting")


def wait_status(driver: Any, text: str, timeout: float = WAIT) -> None:
    """Waits for the dossier page's status to read `text`."""
    until(driver, """const s = document.getElementById('status');
        return s && s.textContent.trim() === arguments[0];""", f"the status {text!r}", text, timeout=timeout)


def wait_badge(driver: Any, state: str) -> dict[str, Any]:
    """Waits for the sync badge in the header to be in `state`; its state, count and words."""
    return dict(until(driver, """const s = document.getElementById('sync');
        return s.dataset.state === arguments[0]
          && {state: s.dataset.state, waiting: Number(s.dataset.waiting || 0), text: s.textContent};""",
                      f"the sync badge {state!r}", state))


def access_token(driver: Any) -> str:
    return str(driver.execute_async_script("""const done = arguments[arguments.length - 1];
        const r = indexedDB.open('hoso');
        r.onsuccess = () => {
          const g = r.result.transaction('kv').objectStore('kv').get('session');
          g.onsuccess = () => done(g.result && g.result.access_token);
        };"""))
