"""`flask push vapid-keys|deliver|worker`: Web Push keys, the delivery sweep, the RQ worker."""

from __future__ import annotations

import threading
import time

import click
from flask import current_app
from flask.cli import AppGroup

from app.jobs import push_worker
from app.services import vapid

cli = AppGroup("push", help="Web Push: VAPID keys, delivery sweep, RQ worker.")


@cli.command("vapid-keys")
@click.option("--pem", is_flag=True, help="Print the private key as PEM instead of raw base64url.")
def vapid_keys(pem: bool) -> None:
    """Print a new VAPID key pair (set VAPID_PRIVATE_KEY to the private part)."""
    key = vapid.generate_private_key()
    private = vapid.private_pem(key).strip() if pem else vapid.private_raw(key)
    public = vapid.VapidKeys(key, "mailto:unused@example.com").public_key
    click.echo(f"VAPID_PRIVATE_KEY={private}" if not pem else private)
    click.echo(f"VAPID_PUBLIC_KEY={public}")


@cli.command("deliver")
@click.option(
    "--every",
    type=float,
    default=0.0,
    help="Repeat every N seconds instead of one pass (a sweeper without cron).",
)
@click.option("--limit", type=int, default=500, show_default=True)
def deliver_cmd(every: float, limit: int) -> None:
    """Send every due delivery now: retries, and anything a crash left in the outbox."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    while True:
        counts = push_worker.sweep(app, inline=True, limit=limit)
        total = sum(counts.values())
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing due"
        click.echo(f"Push sweep: {total} deliveries tried ({detail}).")
        if every <= 0:
            return
        time.sleep(every)


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Quit once the queue is empty.")
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    help="Also move delayed retries to the queue when due (RQ scheduler).",
)
def worker_cmd(burst: bool, scheduler: bool) -> None:
    """Run an RQ worker for push deliveries (needs REDIS_URL); sweeps the outbox on start."""
    from rq import SimpleWorker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        raise click.UsageError("Set REDIS_URL to run an RQ worker.")
    push_worker.bind_worker_app(app)
    queue = push_worker.rq_queue(app)
    click.echo(f"Push sweep on start: {push_worker.sweep(app, inline=False)['queued']} deliveries queued.")
    if not burst:
        threading.Thread(target=push_worker.sweeper, args=(app,), name="push-sweep", daemon=True).start()
    SimpleWorker([queue], connection=queue.connection).work(burst=burst, with_scheduler=scheduler)


