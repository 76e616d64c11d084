"""Public pages that need no account: `/verify/<code>` (what was issued and whether its
signature and hash hold) and `/s/<token>` (a shared document). HTML for people, JSON for
programs (`Accept: application/json`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request
from markupsafe import escape

from api.documents import pdf_response
from app.errors import DomainError
from app.extensions import db
from app.limits import per_address
from app.services import document_shares, signed_documents

bp = Blueprint("public_documents", __name__)

PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'"
STATES = {
    "valid": ("Hợp lệ", "Valid", "Chữ ký số và mã băm của văn bản đều đúng.",
              "The digital signature and the document's hash both hold."),
    "invalid": ("Không hợp lệ", "Invalid", "Chữ ký số hoặc mã băm không đúng: văn bản có thể đã bị sửa.",
                "The signature or the hash does not hold: the document may have been altered."),
    "revoked": ("Đã thu hồi", "Revoked", "Cơ quan cấp đã thu hồi văn bản này.",
                "The issuing agency has revoked this document."),
    "replaced": ("Đã được thay thế", "Replaced", "Văn bản này đã được thay bằng một văn bản mới.",
                 "This document has been replaced by a newer one."),
    "preparing": ("Đang chuẩn bị", "Being prepared",
                  "Cơ quan cấp đang ký số văn bản này. Vui lòng thử lại sau ít giây.",
                  "The issuing agency is signing this document. Try again in a few seconds."),
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)} · Hoso</title><link rel="stylesheet" href="/verify.css">'
            f'</head><body><main>{body}</main></body></html>')
    resp = Response(html, status=status, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = PAGE_CSP
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _row(label_vi: str, label_en: str, value: Any) -> str:
    return (f'<tr><th>{escape(label_vi)}<br><small>{escape(label_en)}</small></th>'
            f'<td>{escape(value)}</td></tr>')


@bp.get("/verify/<code>")
@per_address("RATELIMIT_PUBLIC_DOCUMENTS_IP")
def verify(code: str) -> Response:
    """Anyone holding the document (a bank, a school) checks it here, without signing in."""
    info = signed_documents.verification(db.session, code[:64])
    if info is None:
        if _wants_json():
            return current_app.json.response({"code": code[:64], "state": "unknown"}), 404
        return _page("Không tìm thấy", '<h1 class="state invalid">Không tìm thấy văn bản</h1>'
                     "<p>Mã kiểm tra không đúng. <small>No document has this code.</small></p>",
                     404)
    if _wants_json():
        return current_app.json.response(info)
    vi, en, detail_vi, detail_en = STATES[info["state"]]
    yes_no = {True: "Đúng · holds", False: "Sai · fails"}
    rows = "".join([
        _row("Văn bản", "Document", f"{info['title']} · {info['number']}"),
        _row("Thủ tục", "Procedure", info["procedure"].get("vi", "")),
        _row("Cơ quan cấp", "Issuing agency", info["agency"].get("vi", "")),
        _row("Ngày cấp", "Issued on", "/".join(reversed(info["issued_on"].split("-")))),
        _row("Người được cấp", "Holder", info["holder_initials"]),
        *([_row("Mã băm SHA-256", "SHA-256 hash", info["sha256"]),
           _row("Chữ ký số", "Digital signature", yes_no[info["signature_ok"]]),
           _row("Mã băm", "Hash", yes_no[info["hash_ok"]])] if info["sha256"] else []),
        *([_row("Dấu thời gian", "Timestamp", "Có · RFC 3161")] if info["timestamped"] else []),
        *([_row("Lý do thu hồi", "Reason", info["revoked_reason"] or "")]
          if info["state"] == "revoked" else []),
    ])
    replaced = ""
    if info["replaced_by"]:
        replaced = (f'<p><a href="/verify/{escape(info["replaced_by"])}">Xem văn bản thay thế · '
                    f'see the new document</a></p>')
    body = (f'<h1 class="state {info["state"]}" data-state="{info["state"]}">{vi} '
            f'<small>{en}</small></h1><p>{detail_vi}<br><small>{detail_en}</small></p>'
            f'{replaced}<table>{rows}</table>'
            '<p><small>Trang kiểm tra không hiển thị thông tin cá nhân ngoài chữ cái đầu họ tên. '
            "This page shows no personal data beyond the holder's initials.</small></p>")
    return _page(f"{vi} · {info['title']}", body)


@bp.get("/s/<token>")
@per_address("RATELIMIT_PUBLIC_DOCUMENTS_IP")
def shared(token: str) -> Response:
    """A document shared by its holder; a revoked or expired link says so (410)."""
    try:
        document = document_shares.open_shared(db.session, token[:128])
    except DomainError as exc:
        if _wants_json():
            return current_app.json.response(exc.to_problem()), exc.status
        reason = exc.extra.get("reason")
        text = {"revoked": "Liên kết chia sẻ đã bị thu hồi. <small>This link was revoked.</small>",
                "expired": "Liên kết chia sẻ đã hết hạn. <small>This link has expired.</small>"
                }.get(reason, "Không tìm thấy liên kết. <small>No such link.</small>")
        return _page("Liên kết không còn hiệu lực",
                     f'<h1 class="state invalid" data-state="{escape(reason or "unknown")}">'
                     f"{text}</h1>", exc.status)
    return pdf_response(document, cache="no-store")
