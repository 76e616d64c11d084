"""Biên lai điện tử: the receipt for a paid fee, numbered per agency and year, kept in the
citizen's data warehouse; its PDF is signed by the agency and verifiable at /verify like a
result (app/services/signed_documents.py), or rendered unsigned where the agency has no key."""

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
from app.models.signed import IssuedDocument
from app.models.warehouse import RESULT, WarehouseRecord
from app.services import clock, signed_documents
from app.services.i18n import localise
from app.services.ids import as_uuid as parse_uuid
from app.services.warehouse import add_record

KIND = "fee_receipt"
TITLE = "BIÊN LAI THU PHÍ, LỆ PHÍ"
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
    if signed_documents.can_sign(dossier.agency_code):
        signed_documents.issue(session, dossier, signed_documents.FEE_RECEIPT,
                               _number(receipt), TITLE, [_section(receipt, dossier)], moment,
                               replaces=False)
    record = add_record(session, WarehouseRecord(
        owner_id=dossier.owner_id, origin=RESULT, kind=KIND, label=LABEL,
        number=_number(receipt), issued_on=clock.local_date(moment),
        data=receipt_dict(receipt, dossier), dossier_id=dossier.id,
        agency_code=dossier.agency_code))
    receipt.record_id = record.id
    return receipt


def _number(receipt: FeeReceipt) -> str:
    return f"{receipt.series} {receipt.number:07d}"


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


def signed_copy(session: Session, receipt: FeeReceipt) -> IssuedDocument | None:
    """The signed document issued with the receipt (none where the agency had no key)."""
    return session.scalars(select(IssuedDocument).where(
        IssuedDocument.dossier_id == receipt.dossier_id,
        IssuedDocument.kind == signed_documents.FEE_RECEIPT,
        IssuedDocument.number == _number(receipt))).first()


def pdf(session: Session, receipt: FeeReceipt, dossier: Dossier) -> bytes:
    """The receipt's PDF: the agency's signed one, else an unsigned rendering."""
    signed = signed_copy(session, receipt)
    return signed.pdf if signed is not None else render_pdf(receipt, dossier, dossier.agency.name)


def _section(receipt: FeeReceipt, dossier: Dossier) -> Any:
    """What a fee receipt says, signed or not (app/services/pdf_render.py's Section)."""
    from app.services.pdf_render import Section

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
    return Section(title="", rows=rows)


def render_pdf(receipt: FeeReceipt, dossier: Dossier, agency_name: dict[str, str] | str) -> bytes:
    """The receipt as an unsigned PDF (shared renderer), for an agency with no key."""
    from app.services.pdf_render import Document, render_document

    issued = clock.local_date(receipt.issued_at)
    doc = Document(
        title=TITLE,
        subtitle=f"(Bản thể hiện của biên lai điện tử) — ngày {issued:%d/%m/%Y}",
        header=[localise(agency_name, "vi"), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                "Độc lập - Tự do - Hạnh phúc"],
        sections=[_section(receipt, dossier)],
        footer=["Biên lai điện tử do Hoso lập khi nhận lệ phí."],
        author=localise(agency_name, "vi"), created_at=receipt.issued_at,
    )
    return render_document(doc)
