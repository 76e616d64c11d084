"""Extension objects, created unbound and bound to an app in the factory."""

import logging

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from api.problems import ProblemApi
from app.models.base import Base
from app.tokens import JWTManager

log = logging.getLogger(__name__)


class Database(SQLAlchemy):
    """Flask-SQLAlchemy whose end-of-request cleanup survives a dead connection.

    Removing the request's session rolls back its transaction. When the database went away
    after the request's last statement (a restart), that rollback fails outside every error
    handler, and the server turned the finished answer into a 500. Nothing is left to undo
    on a dead connection: its connections are invalidated (the pool replaces them) and the
    session is dropped from the registry all the same.
    """

    def _teardown_session(self, exc: BaseException | None) -> None:
        try:
            self.session.remove()
        except Exception as error:  # noqa: BLE001 - a cleanup must not fail the answer
            log.warning("session cleanup on a dead connection: %s",
                        str(error).splitlines()[0][:200] if str(error) else type(error).__name__)
            try:
                self.session.registry().invalidate()
            except Exception:  # noqa: BLE001 - already gone; the pool drops it
                log.debug("invalidating the dead session failed too", exc_info=True)
            self.session.registry.clear()


db = Database(model_class=Base)
jwt = JWTManager()
migrate = Migrate()
api = ProblemApi()
