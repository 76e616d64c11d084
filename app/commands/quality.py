"""`flask quality rebuild`: recompute every dossier's quality facts from its event log."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services import quality_facts

cli = AppGroup("quality", help="The service-quality index (docs/quality.md).")


@cli.command("rebuild")
def rebuild() -> None:
    """Recompute the facts the index reads from the dossiers' events (commits)."""
    count = quality_facts.rebuild(db.session)
    db.session.commit()
    click.echo(f"Quality facts rebuilt for {count} dossiers.")
