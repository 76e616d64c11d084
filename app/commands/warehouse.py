"""`flask warehouse seed-demo-citizen`: a citizen with a verified profile, login printed."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.commands.demo import demo_password
from app.extensions import db
from app.services import warehouse

cli = AppGroup("warehouse", help="The citizen data warehouse.")


@cli.command("seed-demo-citizen")
@click.option("--phone", default="0912000001", show_default=True)
def seed_demo_citizen(phone: str) -> None:
    """Create (or refresh) a demo citizen with a verified profile and print the login."""
    password = demo_password()
    user = warehouse.seed_demo_citizen(db.session, phone, password)
    db.session.commit()
    click.echo(f"Demo citizen #{user.id} {user.full_name}: login {user.phone}, password {password}")
    for key, field in sorted(warehouse.ensure_profile(db.session, user).items()):
        click.echo(f"  {key}: {field.value}  ({field.source}, verified={field.verified})")
