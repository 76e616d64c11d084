"""Receipt codes `{agency}-{yyMMdd}-{NNNN}` from a per-agency daily counter."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.dossiers import ReceiptCounter


def next_receipt_code(session: Session, agency_code: str, day: date) -> str:
    """Allocate the next number; the UPDATE row lock keeps concurrent accepts distinct."""
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
        return f"{agency_code}-{day:%y%m%d}-{number:04d}"
    raise RuntimeError("could not allocate a receipt number")
