"""`flask pki init`: the demo CA and a signing certificate per agency (docs/results.md)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models.accounts import Agency
from app.services import pki

cli = AppGroup("pki", help="Agency signing keys and certificates.")


def agency_keys() -> pki.AgencyKeys:
    """The deployment's key store, from PKI_DIR and the environment."""
    return pki.AgencyKeys.from_environment(current_app.config["PKI_DIR"])


@cli.command("init")
def pki_init() -> None:
    """Create the demo CA and a certificate for each agency that has none (keeps existing)."""
    keys = agency_keys()
    agencies = [(a.code, a.name.get("vi") or a.code)
                for a in db.session.scalars(select(Agency).order_by(Agency.code))]
    created = pki.init_demo(keys, agencies)
    click.echo(f"Demo PKI in {keys.directory}: "
               + (f"new certificates for {', '.join(created)}" if created
                  else "every agency already has a certificate"))
