"""`flask sync prune --days 30`; `flask sync dead-letters list|replay`: mutations a server fault kept."""

from __future__ import annotations

import json
import uuid

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.models.faults import MutationFault
from app.services.change_feed import prune
from sync import faults

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


dead_cli = AppGroup("dead-letters", help="Mutations a server fault kept from applying.")
cli.add_command(dead_cli)


def _key(row: MutationFault) -> str:
    return f"{row.client_id}:{row.mutation_id}"


@dead_cli.command("list")
@click.option("--all", "everything", is_flag=True, help="Also those already replayed.")
def list_command(everything: bool) -> None:
    """One line per dead letter: key, account, mutation, deliveries, last error, arguments."""
    rows = faults.dead_letters(db.session, include_replayed=everything)
    for row in rows:
        replayed = (f" replayed {row.replayed_at.isoformat()}: {row.replay_result.get('status')}"
                    if row.replayed_at and isinstance(row.replay_result, dict) else "")
        click.echo(f"{_key(row)} user={row.user_id} {row.name} deliveries={row.deliveries} "
                   f"dead={row.dead_at.isoformat() if row.dead_at else '-'}{replayed}\n"
                   f"  error: {row.last_error}\n"
                   f"  args: {json.dumps(row.args, ensure_ascii=False)}")
    click.echo(f"{len(rows)} dead letters.")
    db.session.rollback()


@dead_cli.command("replay")
@click.argument("keys", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Replay every dead letter not yet replayed.")
def replay_command(keys: tuple[str, ...], everything: bool) -> None:
    """Apply dead letters now (KEY is CLIENT_ID:MUTATION_ID from `list`), each in its own
    transaction, with their original capture time; one still failing stays a dead letter."""
    if everything:
        rows = faults.dead_letters(db.session)
    else:
        rows = []
        for key in keys:
            client, _, mutation = key.partition(":")
            try:
                row = db.session.get(MutationFault, (uuid.UUID(client), int(mutation)))
            except ValueError:
                raise click.BadParameter(f"{key!r} is not CLIENT_ID:MUTATION_ID") from None
            if row is None or row.dead_at is None:
                raise click.BadParameter(f"no dead letter {key}")
            rows.append(row)
    if not rows:
        click.echo("Nothing to replay.")
    config = current_app.config
    inject = faults.injector(config.get("SYNC_TEST_FAULT")) if config.get("TESTING") else None
    failed = 0
    for row in rows:
        key = _key(row)
        try:
            result = faults.replay(db.session, row, inject=inject)
        except (faults.Fault, LookupError) as exc:
            db.session.rollback()
            failed += 1
            click.echo(f"{key}: still failing: {exc}")
            continue
        db.session.commit()
        click.echo(f"{key}: {result['status']}")
    if failed:
        raise SystemExit(1)
