"""Receipt codes `{electronic identifier}-{yyMMdd}-{NNNN}` from a per-agency daily counter
(an agency made before the directory, without an identifier, uses its own code)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.database import side_engine
from app.models.accounts import Agency
from app.models.dossiers import ReceiptCounter


def next_receipt_code(session: Session, agency_code: str, day: date) -> str:
    """Allocate the next number for `agency_code` on `day`.

    PostgreSQL: in a transaction of its own, committed at once, so the counter's row is
    locked for one statement, not for the rest of the accept (its documents, its commit).
    Held to the accept's end, that lock queued every official of an agency behind one
    another and their requests filled the server's threads (docs/catalog.md). A
    number taken by an accept that then fails is not given again: the day's numbers can
    have a gap, never a duplicate. SQLite allows one writer at a time, so there the number
    is taken in the accept's own transaction, as the database serialises accepts anyway."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        stmt = (pg_insert(ReceiptCounter).values(agency_code=agency_code, day=day, last=1)
                .on_conflict_do_update(index_elements=["agency_code", "day"],
                                       set_={"last": ReceiptCounter.last + 1})
                .returning(ReceiptCounter.last))
        url = bind.engine.url.render_as_string(hide_password=False)
        with side_engine(url).connect() as conn:
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


def _code(session: Session, agency_code: str, day: date, number: int) -> str:
    agency = session.get(Agency, agency_code)
    prefix = agency.electronic_id if agency is not None and agency.electronic_id else agency_code
    return f"{prefix}-{day:%y%m%d}-{number:04d}"
