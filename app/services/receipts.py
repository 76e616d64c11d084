"""Receipt codes `{electronic identifier}-{yyMMdd}-{NNNN}` from a per-agency daily counter
(an agency made before the directory, without an identifier, uses its own code)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Engine, create_engine, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.accounts import Agency
from app.models.dossiers import ReceiptCounter


def next_receipt_code(session: Session, agency_code: str, day: date) -> str:
    """Allocate the next number for `agency_code` on `day`.

    PostgreSQL: in a transaction of its own, committed at once, so the counter's row is
    locked for one statement, not for the rest of the accept (its documents, its commit).
    Held to the accept's end, that lock queued every official of an agency behind one
    another and their requests filled the server's threads (docs/desk.md, Receipt codes). A
    number taken by an accept that then fails is not given again: the day's numbers can
    have a gap, never a duplicate. SQLite allows one writer at a time, so there the number
    is taken in the accept's own transaction, as the database serialises accepts anyway."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        stmt = (pg_insert(ReceiptCounter).values(agency_code=agency_code, day=day, last=1)
                .on_conflict_do_update(index_elements=["agency_code", "day"],
                                       set_={"last": ReceiptCounter.last + 1})
                .returning(ReceiptCounter.last))
        with _counter_engine(bind).connect() as conn:
            number = conn.execute(stmt).scalar_one()
            conn.commit()
        return _code(session, agency_code, day, number)
    for _ in range(3):
        number = session.execute(
            update(ReceiptCounter)
            .where(ReceiptCounter.agency_code == agency_code, ReceiptCounter.day == day)
            .values(last=ReceiptCounter.last + 1)
            .returning(ReceiptCounter.last)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if number is None:
            try:
                with session.begin_nested():
                    session.execute(
                        insert(ReceiptCounter).values(agency_code=agency_code, day=day, last=1)
                    )
                number = 1
            except IntegrityError:
                continue  # another accept created today's row first; increment it
        return _code(session, agency_code, day, number)
    raise RuntimeError("could not allocate a receipt number")


# Counter connections come from a small pool of their own: taken from the request's pool, a
# second connection per accept could wait for ever on requests that each hold their first.
# A counter connection is held for one statement, so a wait for one is short.
_COUNTER_ENGINES: dict[str, Engine] = {}


def _counter_engine(bind: Engine | Connection) -> Engine:
    url = bind.engine.url
    key = url.render_as_string(hide_password=False)
    engine = _COUNTER_ENGINES.get(key)
    if engine is None:
        engine = _COUNTER_ENGINES.setdefault(key, create_engine(
            url, pool_size=1, max_overflow=3, pool_pre_ping=True))
    return engine


def _code(session: Session, agency_code: str, day: date, number: int) -> str:
    agency = session.get(Agency, agency_code)
    prefix = agency.electronic_id if agency is not None and agency.electronic_id else agency_code
    return f"{prefix}-{day:%y%m%d}-{number:04d}"
