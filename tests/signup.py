"""Sign-up as a phone does it: register, read the code (the development outbox), verify."""

from __future__ import annotations

import re
from typing import Any

PASSWORD = "Mat-khau-rat-kho-9"


def last_code(client: Any, to: str, **kw: Any) -> str:
    messages = client.get("/api/v1/auth/dev-outbox", query_string={"to": to}, **kw).get_json()
    found = re.search(r"\b(\d{6})\b", messages["messages"][0]["text"])
    assert found, messages
    return found.group(1)


def sign_up(client: Any, phone: str = "0987654321", password: str = PASSWORD,
            full_name: str = "Trần Thị Bình", **kw: Any) -> dict[str, Any]:
    """The tokens of a new, verified account (`kw`: e.g. environ_base for the address)."""
    resp = client.post("/api/v1/auth/register", json={"phone": phone, "password": password,
                                                      "full_name": full_name}, **kw)
    assert resp.status_code == 202, resp.get_json()
    done = client.post("/api/v1/auth/verify", json={"login": phone,
                                                    "code": last_code(client, phone, **kw)}, **kw)
    assert done.status_code == 200, done.get_json()
    return done.get_json()
