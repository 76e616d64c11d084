"""Operator commands, registered one way: each group is a `flask.cli.AppGroup` in
`app/commands/<group>.py`, added here. Commands are entry points: each commits its own work."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from app.commands import demo, payments, pki, push, quality, sync, uploads, warehouse

    for group in (demo.demo, demo.officials, push.cli, sync.cli, uploads.cli, warehouse.cli, pki.cli,
                  payments.cli, quality.cli):
        app.cli.add_command(group)
