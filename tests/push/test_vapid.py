"""VAPID keys: from the environment (PEM or raw), or generated once into instance/."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from app.services import vapid


def test_public_key_endpoint_serves_the_configured_key(client: Any, push_env: Any) -> None:
    resp = client.get("/api/v1/push/vapid-public-key")
    assert resp.status_code == 200
    key = resp.get_json()["public_key"]
    assert key == push_env.public_key
    raw = vapid.b64url_decode(key)
    assert len(raw) == 65 and raw[0] == 4 and "=" not in key


def test_pem_and_raw_forms_are_the_same_key() -> None:
    key = vapid.generate_private_key()
    from_pem = vapid.parse_private_key(vapid.private_pem(key))
    from_raw = vapid.parse_private_key(vapid.private_raw(key))
    escaped = vapid.parse_private_key(vapid.private_pem(key).replace("\n", "\\n"))
    public = {vapid.VapidKeys(k, "mailto:a@b.c").public_key for k in (key, from_pem, from_raw, escaped)}
    assert len(public) == 1


def test_a_key_that_is_not_p256_is_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    with pytest.raises(ValueError):
        vapid.parse_private_key(other)


def test_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = vapid._instance_key(tmp_path)
    path = tmp_path / vapid.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = vapid._instance_key(tmp_path)
    assert vapid.private_raw(first) == vapid.private_raw(again)
    assert [p.name for p in tmp_path.iterdir()] == [vapid.KEY_FILE]


def test_subject_must_be_mailto_or_https(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", vapid.private_raw(vapid.generate_private_key()))
    for subject in ("ops@hoso.example", "mailto:nobody", "https://hoso.example/contact", "http://x.vn"):
        monkeypatch.setitem(app.config, "VAPID_SUBJECT", subject)
        monkeypatch.delitem(app.extensions, "hoso_vapid", raising=False)
        with pytest.raises(ValueError):
            vapid.keys(app)
    monkeypatch.delitem(app.extensions, "hoso_vapid", raising=False)


def test_cli_prints_a_usable_pair(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["push", "vapid-keys"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split("=", 1) for line in result.output.strip().splitlines())
    key = vapid.parse_private_key(lines["VAPID_PRIVATE_KEY"])
    assert vapid.VapidKeys(key, "mailto:a@b.c").public_key == lines["VAPID_PUBLIC_KEY"]
    pem = app.test_cli_runner().invoke(args=["push", "vapid-keys", "--pem"]).output
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")


def test_vapid_jwt_claims(push_env: Any) -> None:
    import jwt as pyjwt

    keys = vapid.VapidKeys(vapid.generate_private_key(), "https://hoso.example")
    header = keys.authorization("https://fcm.googleapis.com/fcm/send/abc?x=1", now=1_800_000_000)
    token = header.split("t=", 1)[1].split(",", 1)[0]
    claims = pyjwt.decode(token, options={"verify_signature": False})
    assert claims == {"aud": "https://fcm.googleapis.com", "exp": 1_800_000_000 + 12 * 3600,
                      "sub": "https://hoso.example"}
