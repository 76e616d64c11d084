"""A dossier's receipt and result, laid out and signed by the RQ worker after the commit.

The transition that issues a document stores it with what it says and no PDF
(`signed_documents.issue(..., later=True)`, when REDIS_URL is set); once that transaction
commits, each such document is handed to the queue the push deliveries use, and the worker
(`flask push worker`) signs it in a transaction of its own. If the hand-over fails (Redis
down, the process killed) the document stays unsigned in the database and the workers'
periodic sweep hands it over again. Without REDIS_URL the request signs it before its commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs import push_worker
from app.services import clock, signed_documents

log = logging.getLogger(__name__)
# A document issued longer ago than this and still unsigned was lost on its way to a worker.
STRANDED_AFTER = timedelta(seconds=30)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop(signed_documents.TO_SIGN, None)
    if ids and has_app_context():
        dispatch(current_app._get_current_object(), ids)  # type: ignore[attr-defined]


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(signed_documents.TO_SIGN, None)


def dispatch(app: Flask, ids: Iterable[uuid.UUID | str]) -> None:
    """One job per document; a job already queued for it is not queued twice. A failure here
    only delays the document to the sweep."""
    from rq.exceptions import DuplicateJobError

    try:
        queue = push_worker.rq_queue(app)
        for document_id in ids:
            try:
                queue.enqueue(sign_job, str(document_id), job_id=f"hoso-sign-{document_id}",
                              unique=True, result_ttl=0, failure_ttl=300)
            except DuplicateJobError:
                pass
    except Exception:  # noqa: BLE001 - the unsigned row is the source of truth
        log.exception("could not hand documents to a worker; the sweep will")


def sign(app: Flask, document_id: uuid.UUID | str) -> bool:
    """Sign one document and commit (inside an app context); False when there was nothing
    to sign (signed already, or another worker holds it)."""
    try:
        doc = signed_documents.sign_pending(db.session, uuid.UUID(str(document_id)))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return doc is not None


def sign_job(document_id: str) -> bool:
    """The RQ job."""
    app = push_worker.job_app()
    with app.app_context():
        return sign(app, document_id)


def sweep(app: Flask, limit: int = 200) -> int:
    """Hand over again the documents still unsigned long after they were issued."""
    if not app.config.get("REDIS_URL"):
        return 0
    ids = signed_documents.unsigned_ids(db.session, clock.now() - STRANDED_AFTER, limit)
    db.session.rollback()
    if ids:
        dispatch(app, ids)
    return len(ids)


push_worker.PERIODIC.append(("document signing sweep", sweep))
