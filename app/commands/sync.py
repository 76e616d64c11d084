"""`flask sync prune --days 30`: drop old sync changes and stored results."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services.change_feed import prune

cli = AppGroup("sync", help="Offline sync maintenance.")


@cli.command("prune")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=30),
              help="Keep changes and mutation results this many days (the contract says 30+).")
def prune_command(days: int) -> None:
    """Remove old changes and stored results; phones behind the new floor reset."""
    counts = prune(db.session, days)
    db.session.commit()
    click.echo(f"Pruned {counts['changes']} changes and {counts['results']} mutation results; "
               f"raised the floor of {counts['users']} users.")
