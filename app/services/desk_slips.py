"""The desk's slips, after the forms of Circular 01/2018/TT-VPCP (docs/desk.md): the receipt
with the appointment date (form 01), the supplement request (02), the refusal (03) and the
apology with a new date (04). One content for both outputs: the desk prints it from its
HTML layout (`GET …/slips/<kind>`), the citizen gets it as a PDF, signed with the agency's
key when one is configured (`pdf()`). Official papers: in Vietnamese only. No Flask here.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models.accounts import Agency
from app.models.dossiers import Dossier, DossierEvent
from app.services import clock, forms, pdf_render, pki
from app.services.desk import official_names
from app.services.dossiers import form_version

log = logging.getLogger(__name__)
KINDS = ("receipt", "supplement", "refusal", "apology")
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
TITLES = {
    "receipt": ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "01"),
    "supplement": ("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "02"),
    "refusal": ("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "03"),
    "apology": ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "04"),
}
# The event each slip is made from (its note, its official, its moment).
EVENTS = {"receipt": "accept", "supplement": "request_supplement", "refusal": "refuse",
          "apology": "apologise"}


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.local_date(value)
    return value.strftime("%d/%m/%Y")


def _last(dossier: Dossier, action: str) -> DossierEvent | None:
    return next((e for e in reversed(dossier.events) if e.action == action), None)


def slip(session: Session, dossier: Dossier, kind: str) -> dict[str, Any]:
    """What the slip says: header, title, numbered sections, the signatures. A slip the
    dossier has no event for (no refusal, no apology…) does not exist."""
    event = _last(dossier, EVENTS.get(kind, ""))
    if kind not in KINDS or event is None:
        raise NotFound("This dossier has no such slip.")
    agency = session.get(Agency, dossier.agency_code)
    agency_name = (agency.name or {}).get("vi", dossier.agency_code) if agency else dossier.agency_code
    owner = dossier.owner
    procedure = (dossier.procedure.name or {}).get("vi", dossier.procedure_code)
    official = official_names(session, {event.actor_id} - {None}).get(event.actor_id, "")
    local = event.at.astimezone(clock.TZ)
    title, number = TITLES[kind]
    applicant = [("Ông/bà", owner.full_name), ("Số điện thoại", owner.phone or ""),
                 ("Email", owner.email or ""), ("Nội dung yêu cầu giải quyết", procedure)]
    applicant = [r for r in applicant if r[1]]
    sections: list[dict[str, Any]] = []
    signatures = []
    if kind == "receipt":
        form = form_version(session, dossier.procedure_code, dossier.form_version).form
        labels = {d["code"]: (d.get("label") or {}).get("vi", d["code"]) for d in form.get("documents", [])}
        docs = [labels.get(code, code) for code in (dossier.documents or {})] or ["Không có"]
        sections = [
            {"title": f"Bộ phận Tiếp nhận và Trả kết quả {agency_name} tiếp nhận hồ sơ của:",
             "rows": applicant},
            {"title": "1. Thành phần hồ sơ nộp gồm:", "items": docs},
            {"title": "", "rows": [
                ("2. Số lượng hồ sơ", "01 bộ"),
                ("3. Thời gian giải quyết theo quy định",
                 f"{dossier.procedure.processing_days} ngày làm việc"),
                ("4. Thời gian nhận hồ sơ", local.strftime("%H giờ %M phút, ngày %d/%m/%Y")),
                ("5. Thời gian trả kết quả", f"ngày {_day(dossier.appointment_date)}"),
                ("6. Đăng ký nhận kết quả tại", "Bộ phận Tiếp nhận và Trả kết quả, "
                 "hoặc bản điện tử trên ứng dụng"),
            ]},
        ]
        signatures = [("NGƯỜI NỘP HỒ SƠ", owner.full_name), ("NGƯỜI TIẾP NHẬN HỒ SƠ", official)]
    elif kind == "supplement":
        form = form_version(session, dossier.procedure_code, dossier.form_version).form
        fields = forms.field_map(form)
        labels = {d["code"]: (d.get("label") or {}).get("vi", d["code"]) for d in form.get("documents", [])}
        request = event.data or {}
        items = [(fields.get(f, {}).get("label") or {}).get("vi", f) for f in request.get("fields", [])]
        items += [f"Giấy tờ: {labels.get(d, d)}" for d in request.get("documents", [])]
        sections = [
            {"title": f"Bộ phận Tiếp nhận và Trả kết quả {agency_name} tiếp nhận hồ sơ của:",
             "rows": applicant + [("Mã hồ sơ", dossier.receipt_code or "")]},
            {"title": "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:", "items": items},
            {"title": "", "rows": [("Lý do", event.note or "")], "paragraphs": [
                "Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ với "
                f"{official} để được hướng dẫn. Thời hạn giải quyết tạm dừng cho đến khi "
                "ông/bà bổ sung đủ hồ sơ."]},
        ]
        signatures = [("NGƯỜI HƯỚNG DẪN", official)]
    elif kind == "refusal":
        sections = [
            {"title": f"Bộ phận Tiếp nhận và Trả kết quả {agency_name} tiếp nhận hồ sơ của:",
             "rows": applicant},
            {"title": "", "paragraphs": [
                f"Qua xem xét, {agency_name} thông báo không tiếp nhận, giải quyết hồ sơ này "
                f"với lý do cụ thể như sau: {event.note or ''}",
                "Xin thông báo cho ông/bà được biết và thực hiện./."]},
        ]
        signatures = [("NGƯỜI TIẾP NHẬN", official)]
    else:
        data = event.data or {}
        was = date.fromisoformat(data["was"]) if data.get("was") else dossier.appointment_date
        new = date.fromisoformat(data["new_date"])
        sections = [
            {"title": f"{agency_name} xin gửi lời xin lỗi tới ông/bà: {owner.full_name}", "rows": [
                ("Ngày tiếp nhận hồ sơ", _day(dossier.accepted_at)),
                ("Nội dung yêu cầu giải quyết", procedure),
                ("Mã hồ sơ", dossier.receipt_code or ""),
                ("Thời hẹn trả kết quả giải quyết hồ sơ", _day(was)),
            ]},
            {"title": "", "paragraphs": [
                f"Tuy nhiên đến nay, {agency_name} chưa trả kết quả giải quyết hồ sơ cho "
                f"ông/bà. Lý do: {event.note or ''}",
                f"Sự chậm trễ này đã gây phiền hà cho ông/bà. {agency_name} xin lỗi ông/bà về "
                "sự bất tiện này và sẽ trả kết quả giải quyết hồ sơ cho ông/bà vào ngày "
                f"{_day(new)}.",
                "Xin trân trọng cảm ơn sự hợp tác của ông/bà./."]},
        ]
        signatures = [("THỦ TRƯỞNG CƠ QUAN", official)]
    return {
        "kind": kind, "title": title, "form": f"Mẫu số {number} (Thông tư 01/2018/TT-VPCP)",
        "agency": agency_name, "motto": list(MOTTO), "receipt_code": dossier.receipt_code,
        "number": dossier.receipt_code or str(dossier.id)[:8].upper(),
        "place_date": f"Ngày {local.day:02d} tháng {local.month:02d} năm {local.year}",
        "date": local.date().isoformat(),
        "sections": [{"title": s.get("title", ""), "rows": [list(r) for r in s.get("rows", [])],
                      "items": s.get("items", []), "paragraphs": s.get("paragraphs", [])}
                     for s in sections],
        "signatures": [{"title": t, "name": n} for t, n in signatures],
    }


def pdf(session: Session, dossier: Dossier, kind: str, keys: pki.AgencyKeys | None) -> bytes:
    """The slip as a PDF, signed by the agency's key when it has one."""
    content = slip(session, dossier, kind)
    sections = []
    for s in content["sections"]:
        paragraphs = [f"{i}. {text}" for i, text in enumerate(s["items"], 1)] + s["paragraphs"]
        sections.append(pdf_render.Section(s["title"], rows=[tuple(r) for r in s["rows"]],
                                           paragraphs=paragraphs))
    sections.append(pdf_render.Section("", paragraphs=[
        f"{sig['title']}: {sig['name']}" for sig in content["signatures"]]))
    document = pdf_render.Document(
        title=content["title"], header=(content["agency"].upper(), *MOTTO),
        subtitle=f"Số: {content['number']} · {content['place_date']}", sections=sections,
        footer=(content["form"],), author=content["agency"], created_at=clock.now(),
        # Machine-readable facts in the metadata: the receipt code, the slip's date and the
        # appointment it promises (a checker, or a test, reads them without parsing pages).
        keywords=tuple(k for k in (
            f"receipt:{dossier.receipt_code}" if dossier.receipt_code else "",
            f"date:{content['date']}",
            f"appointment:{(dossier.new_appointment_date or dossier.appointment_date).isoformat()}"
            if (dossier.new_appointment_date or dossier.appointment_date) else "") if k))
    data = pdf_render.render_document(document)
    if keys is not None and keys.pkcs12_path(dossier.agency_code).exists():
        signer = pki.load_signer(keys, dossier.agency_code)
        data = pdf_render.sign_pdf(data, signer, reason=content["title"].capitalize(),
                                   location=content["agency"])
    return data
