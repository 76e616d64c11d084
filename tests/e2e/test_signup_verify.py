"""Sign-up, phone verification and password reset on a 360x740 phone, in Vietnamese and
English: the code arrives (the development outbox shows it), a weak password gets the
server's own message as it is typed, a forgotten password is reset with a new code."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.flows import PASSWORD

SMALL = {"width": 360, "height": 740}
TEXT = {
    "vi": {"name": "Họ và tên", "phone": "Số điện thoại", "password": "Mật khẩu",
           "sign_up": "Đăng ký tài khoản", "verify": "Xác thực số điện thoại", "confirm": "Xác nhận",
           "mine": "Hồ sơ của tôi", "weak": "quá dễ đoán", "forgot": "Quên mật khẩu?",
           "login": "Số điện thoại hoặc email", "send": "Gửi mã xác thực",
           "new": "Mật khẩu mới", "set": "Đặt mật khẩu mới", "account": "Tài khoản",
           "sign_out": "Đăng xuất", "reset": "Đặt lại mật khẩu"},
    "en": {"name": "Full name", "phone": "Phone number", "password": "Password",
           "sign_up": "Create an account", "verify": "Verify your phone number", "confirm": "Confirm",
           "mine": "My dossiers", "weak": "too easy to guess", "forgot": "Forgot password?",
           "login": "Phone number or email", "send": "Send code",
           "new": "New password", "set": "Set new password", "account": "Account",
           "sign_out": "Sign out", "reset": "Reset password"},
}


def _code(page: Any) -> str:
    notice = page.get_by_test_id("dev-outbox")
    expect(notice).to_contain_text("Hoso")
    return re.search(r"\b(\d{6})\b", notice.inner_text()).group(1)  # type: ignore[union-attr]


def _fits(page: Any) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sign_up_verify_and_reset_on_a_small_phone(new_context: Any, lang: str) -> None:
    text = TEXT[lang]
    context = new_context(viewport=SMALL)
    context.add_init_script(f"localStorage.setItem('hoso.lang', '{lang}')")
    page = context.new_page()
    phone = f"09{uuid.uuid4().int % 10**8:08d}"

    page.goto("/#/signup")
    page.get_by_label(text["name"]).fill("Trần Thị Bình")
    page.get_by_label(text["phone"]).fill(phone)
    page.get_by_label(text["password"], exact=True).fill("tranthibinh")
    expect(page.locator("#signup-password-err")).to_contain_text(text["weak"])  # as typed
    shot(page, f"signup-weak-{lang}")
    _fits(page)
    page.get_by_label(text["password"], exact=True).fill(PASSWORD)
    expect(page.locator("#signup-password-err")).to_have_text("")
    page.get_by_role("button", name=text["sign_up"]).click()

    expect(page.locator("h1")).to_have_text(text["verify"])
    code = _code(page)
    shot(page, f"verify-{lang}")
    _fits(page)
    page.locator("#verify-code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name=text["confirm"]).click()
    expect(page.locator("#verify-code-err")).not_to_have_text("")
    page.locator("#verify-code").fill(code)
    page.get_by_role("button", name=text["confirm"]).click()
    expect(page.locator("h1")).to_have_text(text["mine"])

    # Signed out and the password forgotten: a new code sets a new one.
    page.goto("/#/account")
    page.get_by_role("button", name=text["sign_out"], exact=True).click()
    # The number typed on the sign-in screen is carried to the reset screen, not typed twice.
    page.get_by_label(text["login"]).fill(phone)
    page.get_by_role("link", name=text["forgot"]).click()
    expect(page.locator("h1")).to_have_text(text["reset"])
    expect(page.get_by_label(text["login"])).to_have_value(phone)
    page.get_by_role("button", name=text["send"]).click()
    code = _code(page)
    page.locator("#reset-code").fill(code)
    page.get_by_label(text["new"]).fill("Mat-khau-moi-hoan-toan-7")
    shot(page, f"reset-{lang}")
    _fits(page)
    page.get_by_role("button", name=text["set"]).click()
    expect(page.locator("h1")).to_have_text(text["mine"])
    context.close()
