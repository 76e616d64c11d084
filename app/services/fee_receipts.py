"""Biên lai điện tử: the receipt for a paid fee, numbered per agency and year, kept in the
citizen's data warehouse and rendered as a PDF by the shared renderer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models.accounts import User
from app.models.dossiers import Dossier, ReceiptCounter
from app.models.payments import FeeReceipt, Payment
from app.models.warehouse import RESULT, WarehouseRecord
from app.services import clock
from app.services.i18n import localise
from app.services.ids import as_uuid as parse_uuid
from app.services.warehouse import add_record

KIND = "fee_receipt"
LABEL = {"vi": "Biên lai thu phí, lệ phí", "en": "Fee receipt"}
METHOD_LABELS = {
    "online": {"vi": "Chuyển khoản qua VietQR (payOS)", "en": "Bank transfer by VietQR (payOS)"},
    "cash": {"vi": "Tiền mặt", "en": "Cash"},
    "transfer": {"vi": "Chuyển khoản", "en": "Bank transfer"},
}


def series_of(agency_code: str, year: int) -> str:
    """Ký hiệu biên lai: the agency, the year's two digits, E for electronic."""
    return f"BL-{agency_code}/{year % 100:02d}E"


def _next_number(session: Session, series: str, year: int) -> int:
    """The counter row (keyed by series and 1 January) serialises concurrent receipts."""
    key, day = f"fee:{series}"[:32], date(year, 1, 1)
    for _ in range(3):
        number = session.execute(
            update(ReceiptCounter).where(ReceiptCounter.agency_code == key, ReceiptCounter.day == day)
            .values(last=ReceiptCounter.last + 1).returning(ReceiptCounter.last)
            .execution_options(synchronize_session=False)).scalar_one_or_none()
        if number is not None:
            return number
        try:
            with session.begin_nested():
                session.execute(insert(ReceiptCounter).values(agency_code=key, day=day, last=1))
            return 1
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a receipt number")


def issue(session: Session, dossier: Dossier, payment: Payment, moment: datetime) -> FeeReceipt:
    year = clock.local_date(moment).year
    series = series_of(dossier.agency_code, year)
    owner = dossier.owner
    receipt = FeeReceipt(payment_id=payment.id, dossier_id=dossier.id, series=series,
                         number=_next_number(session, series, year), amount=payment.amount,
                         currency=payment.currency, payer=owner.full_name or owner.phone or "",
                         receipt_code=dossier.receipt_code, method=payment.method,
                         provider_reference=payment.provider_reference, issued_at=moment)
    session.add(receipt)
    session.flush()
    record = add_record(session, WarehouseRecord(
        owner_id=dossier.owner_id, origin=RESULT, kind=KIND, label=LABEL,
        number=f"{series} {receipt.number:07d}", issued_on=clock.local_date(moment),
        data=receipt_dict(receipt, dossier), dossier_id=dossier.id,
        agency_code=dossier.agency_code))
    receipt.record_id = record.id
    return receipt


def receipt_dict(receipt: FeeReceipt, dossier: Dossier) -> dict[str, Any]:
    return {
        "id": str(receipt.id), "series": receipt.series, "number": f"{receipt.number:07d}",
        "amount": receipt.amount, "currency": receipt.currency, "payer": receipt.payer,
        "receipt_code": receipt.receipt_code, "method": receipt.method,
        "provider_reference": receipt.provider_reference,
        "issued_at": receipt.issued_at.isoformat(), "dossier_id": str(dossier.id),
        "procedure_name": dossier.procedure.name, "agency_code": dossier.agency_code,
        "fee_rule": (dossier.fee_quote or {}).get("rule"),
    }


def get_for(session: Session, user: User, receipt_id: Any) -> tuple[FeeReceipt, Dossier]:
    """A receipt its payer may open, or an official of the agency that collected it."""
    key = parse_uuid(receipt_id)
    receipt = session.get(FeeReceipt, key) if key else None
    dossier = session.get(Dossier, receipt.dossier_id) if receipt else None
    if dossier is None or not (dossier.owner_id == user.id or (
            user.is_official and user.agency_code == dossier.agency_code)):
        raise NotFound("No such receipt.")
    return receipt, dossier


def of_payment(session: Session, payment_id: Any) -> FeeReceipt | None:
    return session.scalars(select(FeeReceipt).where(FeeReceipt.payment_id == payment_id)).first()


def of_dossier(session: Session, dossier: Dossier) -> list[FeeReceipt]:
    return list(session.scalars(select(FeeReceipt).where(FeeReceipt.dossier_id == dossier.id)
                                .order_by(FeeReceipt.issued_at)))


def _money(amount: int, currency: str) -> str:
    return f"{amount:,}".replace(",", ".") + (" đồng" if currency == "VND" else f" {currency}")


def render_pdf(receipt: FeeReceipt, dossier: Dossier, agency_name: dict[str, str] | str) -> bytes:
    """The receipt as a PDF (shared renderer, app/services/pdf_render.py)."""
    from app.services.pdf_render import Document, Section, render_document

    issued = clock.local_date(receipt.issued_at)
    local_time = receipt.issued_at.astimezone(clock.TZ)
    rows = [
        ("Ký hiệu (Series)", receipt.series),
        ("Số (No.)", f"{receipt.number:07d}"),
        ("Người nộp (Payer)", receipt.payer),
        ("Mã hồ sơ (Dossier)", receipt.receipt_code or str(dossier.id)),
        ("Thủ tục (Procedure)", localise(dossier.procedure.name, "vi")),
        ("Số tiền (Amount)", _money(receipt.amount, receipt.currency)),
        ("Hình thức (Method)", METHOD_LABELS.get(receipt.method, {}).get("vi", receipt.method)),
        ("Thời điểm (Time)", local_time.strftime("%H:%M %d/%m/%Y")),
    ]
    if receipt.provider_reference:
        rows.append(("Mã giao dịch (Reference)", receipt.provider_reference))
    doc = Document(
        title="BIÊN LAI THU PHÍ, LỆ PHÍ",
        subtitle=f"(Bản thể hiện của biên lai điện tử) — ngày {issued:%d/%m/%Y}",
        header=[localise(agency_name, "vi"), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                "Độc lập - Tự do - Hạnh phúc"],
        sections=[Section(title="", rows=rows)],
        footer=["Biên lai điện tử do Hoso lập khi nhận lệ phí."],
        author=localise(agency_name, "vi"), created_at=receipt.issued_at,
    )
    return render_document(doc)
