"""HTTP resources: one thin blueprint per resource, each with its marshmallow schemas."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(api: Api, app: Flask) -> None:
    from api.agencies import blp as agencies
    from api.auth import blp as auth
    from api.code_tables import blp as code_tables
    from api.dossiers import blp as dossiers
    from api.health import bp as health
    from api.office import blp as office
    from api.procedures import blp as procedures

    for blp in (auth, procedures, code_tables, agencies, dossiers, office):
        api.register_blueprint(blp)
    from api.notifications import blp as notifications_blp
    from api.push import blp as push_blp

    for blp in (push_blp, notifications_blp):
        api.register_blueprint(blp)
    from api.sync import blp as sync_blp
    from api.sync.telemetry import blp as telemetry_blp

    api.register_blueprint(sync_blp)
    api.register_blueprint(telemetry_blp)
    from api.uploads import blp as uploads_blp

    api.register_blueprint(uploads_blp)
    from api.warehouse import blp as warehouse_blp
    from api.warehouse import stats_blp

    for blp in (warehouse_blp, stats_blp):
        api.register_blueprint(blp)
    from api.quality import blp as quality_blp

    api.register_blueprint(quality_blp)
    from api.payments import blp as payments_blp

    api.register_blueprint(payments_blp)
    app.register_blueprint(health)
    from api.documents import blp as documents_blp
    from api.documents.public import bp as public_documents

    api.register_blueprint(documents_blp)
    app.register_blueprint(public_documents)
    from api.account import blp as account_blp

    api.register_blueprint(account_blp)
    from api import problem_language

    problem_language.init_app(app)
