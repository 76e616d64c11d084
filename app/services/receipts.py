"""Receipt codes `{electronic identifier}-{yyMMdd}-{NNNN}` from a per-agency daily counter
(an agency made before the directory, without an identifier, uses its own code)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models.accounts import Agency
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
        agency = session.get(Agency, agency_code)
        prefix = agency.electronic_id if agency is not None and agency.electronic_id else agency_code
        return f"{prefix}-{day:%y%m%d}-{number:04d}"
    raise RuntimeError("could not allocate a receipt number")
