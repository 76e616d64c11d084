"""What a session has read once, kept for the session's life (a request, a job, a command).

The identity map holds objects weakly, so a row read for one dossier (or mutation) is read
again for the next unless something keeps it; and some answers are not rows at all (the
holiday table as a set, which agency serves a ward). Each kind of answer is kept under a name
of its own in `session.info`, keyed by what was asked:

    FORM_VERSIONS = "dossiers.form_versions"
    form = held.remembered(session, FORM_VERSIONS, (code, version),
                           lambda: session.get(FormVersion, (code, version)))
    held.forget(session, FORM_VERSIONS)   # after a change the kept answers no longer show

An answer of None is not kept: what was missing may be created later in the session.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


def remembered(session: Session, name: str, key: Hashable, load: Callable[[], T]) -> T:
    """`load()`'s answer to `key`, asked once per session under `name`."""
    kept: dict[Hashable, Any] = session.info.setdefault(name, {})
    found = kept.get(key)
    if found is None:
        found = load()
        if found is not None:
            kept[key] = found
    return found


def forget(session: Session, name: str) -> None:
    """Drop every answer kept under `name` (the next question reads again)."""
    session.info.pop(name, None)
