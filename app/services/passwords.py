"""Password strength: the one rule the server and the phone apply (no Flask here).

A real estimator (zxcvbn) judges the password with the person's own name, phone number
and email as known words, so `abcabcab`, `qwertyui` or `tranthibinh` are refused. The PWA
asks the server's estimator as the person types (`POST /api/v1/auth/password-check`), so
the rule and the message are the same on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from argon2 import PasswordHasher
from zxcvbn import zxcvbn


class Hasher:
    """The one argon2 hasher; its cost comes from the configuration (PASSWORD_HASH_*:
    argon2's own defaults in production, cheaper in tests that sign up hundreds of people).
    A hash made at any cost still verifies."""

    def __init__(self) -> None:
        self.inner = PasswordHasher()
        self._dummy: str | None = None

    def configure(self, **params: int) -> None:
        self.inner = PasswordHasher(**params) if params else PasswordHasher()
        self._dummy = None

    @property
    def dummy(self) -> str:
        """A hash to check unknown accounts against, at the same cost as real ones."""
        if self._dummy is None:
            self._dummy = self.inner.hash("not-a-real-password")
        return self._dummy

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


hasher = Hasher()

MIN_LENGTH, MAX_LENGTH = 8, 256
MIN_SCORE = 3  # zxcvbn: 0 too guessable … 4 very unguessable

MESSAGES = {
    "too_short": {"vi": "Mật khẩu cần ít nhất 8 ký tự.", "en": "Use at least 8 characters."},
    "too_long": {"vi": "Mật khẩu không được quá 256 ký tự.", "en": "Use at most 256 characters."},
    "too_weak": {
        "vi": "Mật khẩu quá dễ đoán. Hãy dùng một cụm vài từ ít gặp, thêm chữ số hoặc ký hiệu; "
              "không dùng tên, số điện thoại hay email của bạn.",
        "en": "This password is too easy to guess. Use a few uncommon words with digits or "
              "symbols; do not use your name, phone number or email."},
}


def _plain(text: str) -> str:
    """Lower case without Vietnamese marks: "Trần Thị Bình" → "tran thi binh"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def known_words(*identifiers: str | None) -> list[str]:
    """The person's own words: name parts (and all of them run together), phone, email."""
    words: list[str] = []
    for value in identifiers:
        if not value:
            continue
        plain = _plain(value)
        parts = [p for p in re.split(r"[^0-9a-z]+", plain) if p]
        words += parts + ["".join(parts)]
        if "@" in plain:
            words.append(plain.split("@")[0])
    return [w for w in dict.fromkeys(words) if len(w) >= 2]


def problems(password: str, *identifiers: str | None, lang: str = "vi") -> list[str]:
    """Messages (in `lang`) for what is wrong with `password`; empty when it is fine."""
    lang = lang if lang in ("vi", "en") else "vi"
    if len(password) < MIN_LENGTH:
        return [MESSAGES["too_short"][lang]]
    if len(password) > MAX_LENGTH:
        return [MESSAGES["too_long"][lang]]
    if strength(password, *identifiers)["score"] < MIN_SCORE:
        return [MESSAGES["too_weak"][lang]]
    return []


def strength(password: str, *identifiers: str | None) -> dict[str, Any]:
    result = zxcvbn(password[:100], user_inputs=known_words(*identifiers))
    return {"score": int(result["score"])}
