"""Wires the payment gateway from configuration (docs/payments.md).

PAYOS_CLIENT_ID / PAYOS_API_KEY / PAYOS_CHECKSUM_KEY / PAYOS_BASE_URL select real payOS.
With PAYOS_SANDBOX=1 Hoso also serves a payOS-compatible sandbox; unset keys are then
generated into instance/, and without PAYOS_BASE_URL the SDK calls the sandbox inside
this process. The sandbox refuses to run against the real payOS address.
"""

from __future__ import annotations

import logging

import httpx
from flask import Flask

from app.config import _instance_secret
from app.services import payment_providers

log = logging.getLogger(__name__)
REAL_PAYOS = "api-merchant.payos.vn"
SANDBOX_BASE = "http://hoso.internal/payos-sandbox/"


def init_app(app: Flask) -> None:
    config = app.config
    if config.get("PAYOS_SANDBOX"):
        if REAL_PAYOS in (config.get("PAYOS_BASE_URL") or ""):
            raise RuntimeError("PAYOS_SANDBOX=1 with the real payOS address: refusing to start")
        instance = app.instance_path
        config["PAYOS_CLIENT_ID"] = config.get("PAYOS_CLIENT_ID") or "hoso-sandbox"
        for name, file in (("PAYOS_API_KEY", "payos_sandbox_api_key"),
                           ("PAYOS_CHECKSUM_KEY", "payos_sandbox_checksum_key")):
            if not config.get(name):
                from pathlib import Path

                config[name] = _instance_secret(Path(instance), file)
        from app import payos_sandbox

        payos_sandbox.init_app(app)
    if not (config.get("PAYOS_CLIENT_ID") and config.get("PAYOS_API_KEY")
            and config.get("PAYOS_CHECKSUM_KEY")):
        log.info("no payment gateway configured: online payment is off")
        app.extensions["payment_provider"] = None
        return
    from app.services.payment_providers.payos import PayOSProvider

    http_client = None
    base_url = config.get("PAYOS_BASE_URL")
    if config.get("PAYOS_SANDBOX") and not base_url:
        from app.payos_sandbox import ThreadedWSGITransport

        http_client, base_url = httpx.Client(transport=ThreadedWSGITransport(app)), SANDBOX_BASE
    provider = PayOSProvider(config["PAYOS_CLIENT_ID"], config["PAYOS_API_KEY"],
                             config["PAYOS_CHECKSUM_KEY"], base_url, http_client=http_client)
    app.extensions["payment_provider"] = provider
    # For code that runs outside a request (the withdrawal listener, commands).
    payment_providers.install(provider)

