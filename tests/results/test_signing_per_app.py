"""Each app signs with its own keys: two apps built in one process (as the tests build
several) do not share their signing settings."""

from __future__ import annotations

from pathlib import Path

from app import create_app
from app.services import pdf_render, pki, signed_documents

AGENCY = "UBP-HOANKIEM"


def _app(tmp: Path, name: str):
    keys = pki.AgencyKeys(tmp / f"pki-{name}")
    pki.init_demo(keys, [(AGENCY, "UBND phường Hoàn Kiếm")])
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / name}.db",
                      "SECRET_KEY": "x" * 40, "JWT_SECRET_KEY": "x" * 40,
                      "PKI_DIR": str(keys.directory)})
    return app, keys


def test_two_apps_sign_with_their_own_keys(tmp_path: Path) -> None:
    first, first_keys = _app(tmp_path, "first")
    second, second_keys = _app(tmp_path, "second")  # built last: it once set everyone's keys
    pdf = pdf_render.render_document(pdf_render.Document(title="Thử", sections=[]))
    signed = {}
    for app in (first, second):
        with app.app_context():
            signed[app] = signed_documents.sign(AGENCY, pdf, reason="Thử", location="Hà Nội")
    assert pdf_render.check_signature(signed[first], first_keys.trust_roots()).valid
    assert not pdf_render.check_signature(signed[first], second_keys.trust_roots()).valid
    assert pdf_render.check_signature(signed[second], second_keys.trust_roots()).valid
    assert not pdf_render.check_signature(signed[second], first_keys.trust_roots()).valid
