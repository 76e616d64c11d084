"""Inbox notifications created in the same transaction as the status change they report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.accounts import User
from app.models.dossiers import Dossier
from app.models.notifications import Notification
from app.services import change_feed, lifecycle, links
from app.services.i18n import localise
from app.services.pagination import page_of

# Status → (urgency, title, body) per language; {name}, {receipt}, {date} are filled in.
TEXTS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    lifecycle.ACCEPTED: ("normal",
                  {"vi": "Hồ sơ đã được tiếp nhận", "en": "Application accepted"},
                  {"vi": "{name}: mã hồ sơ {receipt}, hẹn trả kết quả ngày {date}.",
                   "en": "{name}: receipt {receipt}, result due on {date}."}),
    lifecycle.REFUSED: ("high",
                 {"vi": "Hồ sơ không được tiếp nhận", "en": "Application not accepted"},
                 {"vi": "{name}: hồ sơ không được tiếp nhận. Xem lý do trong ứng dụng.",
                  "en": "{name}: the application was not accepted. See why in the app."}),
    lifecycle.SUPPLEMENT_REQUESTED: ("high",
                              {"vi": "Cần bổ sung hồ sơ", "en": "More information needed"},
                              {"vi": "{name} ({receipt}): cán bộ yêu cầu bổ sung thông tin.",
                               "en": "{name} ({receipt}): the office asks you to add or fix items."}),
    lifecycle.AWAITING_FEE: ("high",
                      {"vi": "Cần nộp phí, lệ phí", "en": "Fee payment needed"},
                      {"vi": "{name} ({receipt}): vui lòng nộp phí, lệ phí.",
                       "en": "{name} ({receipt}): please pay the fee."}),
    lifecycle.STOPPED: ("normal",
                 {"vi": "Hồ sơ bị dừng xử lý", "en": "Handling stopped"},
                 {"vi": "{name} ({receipt}): hồ sơ bị dừng xử lý.",
                  "en": "{name} ({receipt}): handling of the application stopped."}),
    lifecycle.RESULT_READY: ("high",
                      {"vi": "Đã có kết quả", "en": "Result ready"},
                      {"vi": "{name} ({receipt}): đã có kết quả giải quyết.",
                       "en": "{name} ({receipt}): the result is ready."}),
    lifecycle.RETURNED: ("normal",
                  {"vi": "Đã trả kết quả", "en": "Result returned"},
                  {"vi": "{name} ({receipt}): đã trả kết quả. Mời bạn đánh giá.",
                   "en": "{name} ({receipt}): the result was returned. Please rate the service."}),
    # Not a status: the agency is late and apologises with a new date (services/handoffs.py).
    "apology": ("high",
                {"vi": "Xin lỗi vì trễ hẹn", "en": "Sorry for the delay"},
                {"vi": "{name} ({receipt}): hồ sơ chưa có kết quả đúng hẹn. Cơ quan xin lỗi và "
                       "hẹn trả kết quả ngày {date}.",
                 "en": "{name} ({receipt}): the result is late. The office apologises and "
                       "will return it on {date}."}),
    # Not a status: the answers named an address another agency serves, so the dossier was
    # transferred to it (services/dossiers.py::_transfer); {agency} is the new agency's name.
    "transferred": ("high",
                    {"vi": "Hồ sơ được chuyển cơ quan", "en": "Application transferred"},
                    {"vi": "{name} ({receipt}): theo địa chỉ bạn bổ sung, hồ sơ đã được chuyển "
                           "đến {agency} để giải quyết. Mã hồ sơ và ngày hẹn trả giữ nguyên.",
                     "en": "{name} ({receipt}): for the address you gave, the application was "
                           "transferred to {agency}. The receipt code and due date stay the same."}),
    # Not a status: the fee was received (services/payments.py).
    "fee_paid": ("normal",
                 {"vi": "Đã thanh toán", "en": "Fee received"},
                 {"vi": "{name}: đã nhận lệ phí. Biên lai có trong ứng dụng.",
                  "en": "{name}: the fee was received. The receipt is in the app."}),
}

LOCK_SCREEN = {"vi": "{name}: có cập nhật mới. Mở Hồ sơ để xem.",
               "en": "{name}: there is an update. Open Hoso to see it."}

def render(kind: str, params: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Title and body in both languages (the inbox shows the reader's, whatever it was when
    the notification was made). `params["name"]` may be a {"vi", "en"} procedure name."""
    spec = TEXTS.get(kind)
    if spec is None:
        return {}
    _urgency, title, body = spec
    return {lang: {"title": title[lang],
                   "body": body[lang].format(**{**params, "name": localise(params.get("name"), lang),
                                                "agency": localise(params.get("agency"), lang)})}
            for lang in ("vi", "en")}


# Called with each new notification after it is flushed; push delivery registers here.
listeners: list[Callable[[Session, Notification], None]] = []


def notify_status(session: Session, dossier: Dossier, owner: User, kind: str | None = None,
                  params: dict[str, Any] | None = None) -> Notification | None:
    """Create the inbox row for a status change (or `kind` of event) that matters, if any;
    `params` fill a kind's own placeholders (e.g. the agency's answer to a rating)."""
    kind = kind or dossier.status
    spec = TEXTS.get(kind)
    if spec is None:
        return None
    urgency, title, _body = spec
    lang = owner.language if owner.language in ("vi", "en") else "vi"
    due = dossier.new_appointment_date or dossier.appointment_date
    params: dict[str, Any] = {
        "name": dossier.procedure.name,
        "receipt": dossier.receipt_code or "",
        "date": due.strftime("%d/%m/%Y") if due else "",
        **(params or {}),
    }
    texts = render(kind, params)
    # The push payload shows on a lock screen: the procedure's name only, no receipt code or date.
    lock_screen = LOCK_SCREEN[lang].format(name=localise(dossier.procedure.name, lang))
    note = Notification(
        user_id=owner.id,
        dossier_id=dossier.id,
        kind=kind,
        title=title[lang],
        body=texts[lang]["body"],
        urgency=urgency,
        data={"dossier_id": str(dossier.id), "status": dossier.status,
              "url": links.dossier(dossier.id), "lock_screen": lock_screen, "params": params},
    )
    session.add(note)
    session.flush()
    change_feed.record(session, owner.id, "notification", note.id)
    for listener in listeners:
        listener(session, note)
    return note


def inbox(session: Session, user: User, *, unread: bool | None, page: int, per_page: int
          ) -> dict[str, Any]:
    """A page of the user's notifications, newest first, and how many are unread."""
    mine = Notification.user_id == user.id
    stmt = select(Notification).where(mine)
    if unread is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    found = page_of(session, stmt, Notification.created_at.desc(), Notification.id.desc(),
                    page=page, per_page=per_page)
    found["unread"] = session.scalar(select(func.count()).select_from(Notification)
                                     .where(mine, Notification.read_at.is_(None)))
    return found
