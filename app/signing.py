"""Wires signed documents (app/services/signed_documents.py) to the app's configuration:
the agencies' keys in PKI_DIR, the TSA, and the public address printed in QR codes."""

from __future__ import annotations

from flask import Flask

from app.public_urls import public_url
from app.services import pki, signed_documents


def init_app(app: Flask) -> None:
    signed_documents.configure(pki.AgencyKeys.from_environment(app.config["PKI_DIR"]),
                               app.config.get("TSA_URL"),
                               lambda: public_url("/", absolute=True))
