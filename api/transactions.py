"""The one place a write request commits: `@commits` around a view (as ODK Central's
endpoint wrapper and Indico's request handler do). Views and services only flush; the
wrapper commits once the view has returned, or rolls back when it raises. The other
entry points that commit are the sync engine's batches (`sync/push.py`), background jobs
(`app/jobs/`) and operator commands (`app/commands/`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from app.errors import DomainError
from app.extensions import db

View = TypeVar("View", bound=Callable[..., Any])


def commits(view: View | None = None, *, keep_on_refusal: bool = False) -> Any:
    """Commit what the view did once it returns. `keep_on_refusal`: a domain error still
    commits what was recorded before it (a failed sign-in's count, a revoked token family)."""

    def wrap(func: View) -> View:
        @wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                result = func(*args, **kwargs)
            except DomainError:
                if keep_on_refusal:
                    db.session.commit()
                else:
                    db.session.rollback()
                raise
            except BaseException:
                db.session.rollback()
                raise
            db.session.commit()
            return result

        return run  # type: ignore[return-value]

    return wrap(view) if view is not None else wrap


def commit_step() -> None:
    """Commit one step of a flow that must not hold a transaction open: the tus upload
    body, which arrives over minutes while nothing may stay locked (`api/uploads/body.py`)."""
    db.session.commit()
