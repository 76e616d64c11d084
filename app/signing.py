"""Wires signed documents (app/services/signed_documents.py) to the app's configuration:
the agencies' keys in PKI_DIR, the TSA, the public address printed in QR codes, and who
signs a dossier's receipt and result: the RQ worker when REDIS_URL is set, else the request."""

from __future__ import annotations

from flask import Flask, current_app

from app.jobs import document_signing  # noqa: F401  (hooks the commit: a worker signs after it)
from app.public_urls import public_url
from app.services import pki, signed_documents

EXTENSION = "hoso.signing"


def init_app(app: Flask) -> None:
    """This app's own settings, kept on the app: another app built in the same process
    (the tests build several) keeps its own keys."""
    app.extensions[EXTENSION] = signed_documents.SigningSettings(
        keys=pki.AgencyKeys.from_environment(app.config["PKI_DIR"]),
        timestamp_url=app.config.get("TSA_URL"),
        base_url=lambda: public_url("/", absolute=True),
        later=lambda: bool(app.config.get("REDIS_URL")))
    signed_documents.configure(settings_of_current_app)


def settings_of_current_app() -> signed_documents.SigningSettings:
    return current_app.extensions[EXTENSION]
