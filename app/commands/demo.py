"""`flask demo load` and `flask officials create`: the demo catalog and back-office accounts."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models.accounts import ROLES, Agency, User
from app.services import accounts, catalog, clock, quality_demo

demo = AppGroup("demo", help="Demo catalog and accounts.")
officials = AppGroup("officials", help="Back-office accounts.")


def demo_password() -> str:
    """A stable demo password kept in instance/ (or DEMO_PASSWORD), never in the repo."""
    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    path = Path(current_app.instance_path) / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Hoso-{secrets.token_urlsafe(9)}")
        path.chmod(0o600)
    return path.read_text().strip()


@demo.command("load")
def demo_load() -> None:
    """Load the demo catalog and holidays, and one leader account per agency."""
    codes = catalog.load_demo(db.session)
    password = demo_password()
    lines = []
    for agency in db.session.scalars(select(Agency).order_by(Agency.code)):
        email = f"leader.{agency.code.lower()}@hoso.demo"
        user = db.session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            accounts.create_official(db.session, email=email, password=password,
                                     full_name=f"Lãnh đạo {agency.code}",
                                     agency_code=agency.code, role="leader")
        else:
            user.password_hash = accounts.hasher.hash(password)
        lines.append(f"  {email}  ({agency.name.get('vi')})")
    db.session.commit()
    # Six months of plausible history, so the leaders' dashboard has something to show.
    history = quality_demo.seed_demo(db.session, clock.today())
    db.session.commit()
    click.echo(f"Demo catalog: {len(codes)} procedures ({', '.join(codes)}).")
    if history:
        click.echo(f"Demo history for the quality dashboard: {history} dossiers over six months.")
    click.echo("Demo officials (role leader), password: " + password)
    click.echo("\n".join(lines))


@officials.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--agency", "agency_code", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.password_option()
def officials_create(email: str, full_name: str, agency_code: str, role: str,
                     password: str) -> None:
    """Create an official of an agency with a role."""
    user = accounts.create_official(db.session, email=email, password=password,
                                    full_name=full_name, agency_code=agency_code, role=role)
    db.session.commit()
    click.echo(f"Created official #{user.id} {user.email} ({role}, {agency_code}).")
