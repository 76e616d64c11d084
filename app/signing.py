"""Wires signed documents (app/services/signed_documents.py) to the app's configuration:
the agencies' keys in PKI_DIR, the TSA, and the public address printed in QR codes."""

from __future__ import annotations

from flask import Flask, has_request_context, request

from app.services import pki, signed_documents


def init_app(app: Flask) -> None:
    def base_url() -> str:
        if app.config.get("PUBLIC_URL"):
            return str(app.config["PUBLIC_URL"])
        if has_request_context():
            return request.host_url
        return "http://127.0.0.1:8000"

    signed_documents.configure(pki.AgencyKeys.from_environment(app.config["PKI_DIR"]),
                               app.config.get("TSA_URL"), base_url)
