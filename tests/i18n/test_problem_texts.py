"""Server problems in the reader's language: every text the code raises is in the catalogue,
and a client asking for Vietnamese (or saying nothing) never reads English."""

from __future__ import annotations

import re

import pytest

from app.services.problem_texts import VI, translate
from tests.i18n.harvest import harvest


def test_every_text_the_code_raises_has_a_vietnamese_translation():
    missing = sorted(t for t in harvest() if t not in VI)
    assert not missing, f"add to app/services/problem_texts.py: {missing}"


def test_texts_with_values_keep_the_values():
    assert translate("Made for birth_notice.", "vi") == "Dành cho birth_notice."
    assert translate("Procedure x has no form version 7.", "vi") == "Thủ tục x không có mẫu đơn phiên bản 7."
    assert translate("Made for birth_notice.", "en") == "Made for birth_notice."


def _register(client, lang: str | None, **body):
    payload = {"full_name": "Trần Thị Bình", "phone": "123", "password": "abc", **body}
    headers = {"Accept-Language": lang} if lang else {}
    return client.post("/api/v1/auth/register", json=payload, headers=headers)


ENGLISH_WORDS = re.compile(r"\b(the|valid|least|characters|missing|invalid|required|Wrong)\b", re.I)


@pytest.mark.parametrize("lang", ["vi", "vi-VN,vi;q=0.9,en;q=0.5", None])
def test_sign_up_problems_are_vietnamese_for_a_vietnamese_reader(client, lang):
    body = _register(client, lang).get_json()
    texts = [body["title"], body["detail"], *body["errors"]["phone"], *body["errors"]["password"]]
    assert body["errors"]["phone"] == ["Số điện thoại di động không hợp lệ (ví dụ: 0912345678)."]
    assert body["errors"]["password"] == ["Mật khẩu cần ít nhất 8 ký tự."]
    assert not [t for t in texts if ENGLISH_WORDS.search(t)]


def test_sign_up_problems_are_english_for_an_english_reader(client):
    resp = _register(client, "en-GB,en;q=0.9")
    body = resp.get_json()
    assert "Accept-Language" in resp.headers["Vary"]
    assert body["errors"]["password"] == ["Use at least 8 characters."]
    assert body["detail"] == "Some fields are missing or invalid."


def test_sign_in_and_schema_problems_are_translated(client):
    wrong = client.post("/api/v1/auth/login", json={"login": "0911111111", "password": "x" * 10},
                        headers={"Accept-Language": "vi"})
    assert wrong.get_json()["detail"] == "Số điện thoại/email hoặc mật khẩu không đúng."
    assert wrong.get_json()["title"] == "Cần đăng nhập"
    schema = client.post("/api/v1/auth/login", json={"password": 5}, headers={"Accept-Language": "vi"})
    assert schema.status_code == 422
    texts = [schema.get_json()["detail"], *[m for ms in schema.get_json()["errors"].values() for m in ms]]
    assert not [t for t in texts if ENGLISH_WORDS.search(t)], texts
