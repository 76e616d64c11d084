"""`flask payments …`: fee payments (docs/payments.md)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

cli = AppGroup("payments", help="Fee payments.")


@cli.command("expire")
def expire_command() -> None:
    """Close payment requests past their expiry and cancel them at the gateway."""
    from app.extensions import db
    from app.services.payments import expire_stale

    count = expire_stale(db.session, current_app.extensions.get("payment_provider"))
    click.echo(f"expired {count} payment request(s)")
