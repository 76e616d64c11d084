"""`flask uploads expire`: the sweep of abandoned uploads, now."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.jobs import upload_sweep

cli = AppGroup("uploads", help="Document uploads.")


@cli.command("expire")
def expire_command() -> None:
    """Expire unfinished uploads past their time and remove bytes nothing uses any more.

    The periodic sweep does this on its own; the command is for operators who want it now.
    """
    counts = upload_sweep.run(current_app)
    click.echo(
        f"Expired {counts['expired']} unfinished uploads, forgot {counts['forgotten']} "
        f"old ones, removed {counts['orphan_files']} orphaned partial files."
    )
