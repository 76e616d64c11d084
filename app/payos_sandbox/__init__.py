"""A payOS-compatible sandbox gateway served by Hoso itself (docs/payments.md).

Only registered when PAYOS_SANDBOX=1 (scripts/run.sh and the tests); production never
serves it. It implements what the official SDK calls (create, get and cancel a payment
request, signed like payOS), a "bank app" page where a tester pays or declines, and
signed webhooks to Hoso; for tests it holds, replays, reorders and forges deliveries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

import httpx
import segno
from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request
from markupsafe import escape
from payos._crypto import CryptoProvider
from payos.types import WebhookData

from app.payos_sandbox.store import connect, row_dict

bp = Blueprint("payos_sandbox", __name__, url_prefix="/payos-sandbox")
crypto = CryptoProvider()
log = logging.getLogger(__name__)
PREFIX = "/payos-sandbox"
WEBHOOK_PATH = "/api/v1/payments/payos/webhook"
BANK = {"bin": "970422", "account_number": "0000123456789", "account_name": "KHO BAC NHA NUOC"}


@bp.before_request
def _read_body() -> None:
    """Read the body up front: past MAX_CONTENT_LENGTH that is a 413, as on every route."""
    if request.method == "POST":
        request.get_data()


def _cfg(name: str) -> Any:
    return current_app.config[name]


def _now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def _answer(data: dict[str, Any] | None, code: str = "00", desc: str = "success") -> Response:
    body: dict[str, Any] = {"code": code, "desc": desc, "data": data}
    if data is not None:
        body["signature"] = crypto.create_signature_from_object(data, _cfg("PAYOS_CHECKSUM_KEY"))
    return jsonify(body)


def _authorised() -> bool:
    return (request.headers.get("x-client-id") == _cfg("PAYOS_CLIENT_ID")
            and request.headers.get("x-api-key") == _cfg("PAYOS_API_KEY"))


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def _crc16(data: str) -> str:
    crc = 0xFFFF
    for byte in data.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def vietqr(amount: int, description: str) -> str:
    """An EMVCo VietQR payload (NAPAS 247 transfer to the sandbox's account)."""
    account = _tlv("00", BANK["bin"]) + _tlv("01", BANK["account_number"])
    merchant = _tlv("00", "A000000727") + _tlv("01", account) + _tlv("02", "QRIBFTTA")
    body = (_tlv("00", "01") + _tlv("01", "12") + _tlv("38", merchant) + _tlv("53", "704")
            + _tlv("54", str(amount)) + _tlv("58", "VN") + _tlv("62", _tlv("08", description))
            + "6304")
    return body + _crc16(body)


def _link(row: dict[str, Any]) -> dict[str, Any]:
    body = row["body"]
    paid = sum(t["amount"] for t in row["transactions"])
    return {"id": row["link_id"], "orderCode": row["order_code"], "amount": body["amount"],
            "amountPaid": paid, "amountRemaining": max(0, body["amount"] - paid),
            "status": row["status"], "createdAt": row["created_at"],
            "transactions": row["transactions"], "cancellationReason": row["cancellation_reason"],
            "canceledAt": row["canceled_at"]}


def _find(conn: Any, key: str) -> dict[str, Any] | None:
    column = "order_code" if key.isdigit() else "link_id"
    return row_dict(conn.execute(f"SELECT * FROM requests WHERE {column} = ?", (key,)).fetchone())


@bp.post("/v2/payment-requests")
def create() -> Response:
    if not _authorised():
        return _answer(None, "401", "Unauthorized")
    body = request.get_json(silent=True) or {}
    expected = crypto.create_signature_of_payment_request(body, _cfg("PAYOS_CHECKSUM_KEY"))
    if not expected or body.get("signature") != expected:
        return _answer(None, "201", "Signature không hợp lệ")
    order_code = body.get("orderCode")
    if not isinstance(order_code, int) or order_code <= 0 or not isinstance(body.get("amount"), int):
        return _answer(None, "20", "Dữ liệu không hợp lệ")
    link_id = secrets.token_hex(16)
    with connect(_cfg("PAYOS_SANDBOX_DB")) as conn:
        if conn.execute("SELECT 1 FROM requests WHERE order_code = ?", (order_code,)).fetchone():
            return _answer(None, "231", "Đơn thanh toán đã tồn tại")
        conn.execute("INSERT INTO requests (order_code, link_id, client_id, body, status, created_at)"
                     " VALUES (?, ?, ?, ?, 'PENDING', ?)",
                     (order_code, link_id, _cfg("PAYOS_CLIENT_ID"), json.dumps(body), _now()))
    return _answer({
        "bin": BANK["bin"], "accountNumber": BANK["account_number"],
        "accountName": BANK["account_name"], "amount": body["amount"],
        "description": body.get("description", ""), "orderCode": order_code, "currency": "VND",
        "paymentLinkId": link_id, "status": "PENDING", "expiredAt": body.get("expiredAt"),
        "checkoutUrl": f"{_cfg('PAYOS_SANDBOX_PUBLIC_URL')}{PREFIX}/checkout/{link_id}",
        "qrCode": vietqr(body["amount"], str(body.get("description", ""))),
    })


@bp.get("/v2/payment-requests/<key>")
def get(key: str) -> Response:
    if not _authorised():
        return _answer(None, "401", "Unauthorized")
    with connect(_cfg("PAYOS_SANDBOX_DB")) as conn:
        row = _find(conn, key)
    return _answer(_link(row)) if row else _answer(None, "101", "Không tìm thấy đơn thanh toán")


@bp.post("/v2/payment-requests/<key>/cancel")
def cancel(key: str) -> Response:
    if not _authorised():
        return _answer(None, "401", "Unauthorized")
    reason = (request.get_json(silent=True) or {}).get("cancellationReason")
    with connect(_cfg("PAYOS_SANDBOX_DB")) as conn:
        row = _find(conn, key)
        if row is None:
            return _answer(None, "101", "Không tìm thấy đơn thanh toán")
        if row["status"] == "PENDING":
            conn.execute("UPDATE requests SET status = 'CANCELLED', canceled_at = ?, "
                         "cancellation_reason = ? WHERE order_code = ?",
                         (_now(), reason, row["order_code"]))
        row = _find(conn, key)
    return _answer(_link(row))


# ---- The "bank app" ----------------------------------------------------------------------

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ngân hàng thử nghiệm (sandbox)</title><link rel="stylesheet" href="{prefix}/bank.css">
</head><body><main><p class="tag">SANDBOX · payOS</p><h1>Ngân hàng thử nghiệm</h1>
<p>Chuyển khoản đến <strong>{account_name}</strong> · {account}</p>
<p class="amount">{amount} đ</p><p>Nội dung: <strong>{description}</strong></p>
<div class="qr">{qr}</div><p class="status">Trạng thái: <strong id="status">{status}</strong></p>
{actions}</main></body></html>"""
ACTIONS = """<form method="post" action="{prefix}/checkout/{link}/pay">
<button class="pay" type="submit">Xác nhận thanh toán</button></form>
<form method="post" action="{prefix}/checkout/{link}/decline">
<button class="decline" type="submit">Từ chối</button></form>"""
CSS = """body{font-family:system-ui,sans-serif;margin:0;background:#f2f6f4;color:#1b2b24}
main{max-width:26rem;margin:0 auto;padding:1rem}.tag{color:#a33;font-weight:700}
.amount{font-size:2rem;font-weight:700}.qr svg{width:12rem;height:12rem;background:#fff}
button{width:100%;padding:.9rem;margin:.4rem 0;font-size:1.1rem;border-radius:.5rem;border:0}
.pay{background:#0a6b46;color:#fff}.decline{background:#ddd}"""


@bp.get("/bank.css")
def bank_css() -> Response:
    return Response(CSS, mimetype="text/css")


@bp.get("/checkout/<link>")
def checkout(link: str) -> Response:
    with connect(_cfg("PAYOS_SANDBOX_DB")) as conn:
        row = _find(conn, link)
    if row is None:
        return Response("Không tìm thấy đơn thanh toán", status=404, mimetype="text/plain")
    body = row["body"]
    qr = segno.make(vietqr(body["amount"], body.get("description", "")), error="m")
    svg = qr.svg_inline(scale=4, border=2)
    actions = ACTIONS.format(prefix=PREFIX, link=escape(link)) if row["status"] == "PENDING" else ""
    html = PAGE.format(prefix=PREFIX, account_name=BANK["account_name"],
                       account=BANK["account_number"], amount=f"{body['amount']:,}".replace(",", "."),
                       description=escape(body.get("description", "")), qr=svg,
                       status=row["status"], actions=actions)
    return Response(html, mimetype="text/html")


@bp.post("/checkout/<link>/pay")
def pay(link: str) -> Response:
    """The tester pays: the request is PAID, its webhook is signed and delivered."""
    row = settle(link, amount=None, hold=False)
    if row is None:
        return Response("Không tìm thấy đơn thanh toán", status=404, mimetype="text/plain")
    return redirect(row["body"].get("returnUrl") or f"{PREFIX}/checkout/{link}", code=303)


@bp.post("/checkout/<link>/decline")
def decline(link: str) -> Response:
    with connect(_cfg("PAYOS_SANDBOX_DB")) as conn:
        row = _find(conn, link)
        if row is None:
            return Response("Không tìm thấy đơn thanh toán", status=404, mimetype="text/plain")
        if row["status"] == "PENDING":
            conn.execute("UPDATE requests SET status = 'CANCELLED', canceled_at = ?, "
                         "cancellation_reason = 'Người dùng từ chối' WHERE order_code = ?",
                         (_now(), row["order_code"]))
    return redirect(row["body"].get("cancelUrl") or f"{PREFIX}/checkout/{link}", code=303)


def settle(link: str, amount: int | None, hold: bool) -> dict[str, Any] | None:
    """Record a transfer for the request (of `amount`, default the full sum) and queue its
    webhook; deliver it now unless `hold`."""
    with connect(_cfg("PAYOS_SANDBOX_DB")) as conn:
        row = _find(conn, link)
        if row is None:
            return None
        body = row["body"]
        paid = body["amount"] if amount is None else amount
        reference = f"FT{secrets.randbelow(10**12):012d}"
        when = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        transaction = {"reference": reference, "amount": paid,
                       "accountNumber": BANK["account_number"],
                       "description": body.get("description", ""), "transactionDateTime": when,
                       "virtualAccountName": None, "virtualAccountNumber": None,
                       "counterAccountBankId": "970436", "counterAccountBankName": "Vietcombank",
                       "counterAccountName": "NGUOI NOP THU", "counterAccountNumber": "0011000000"}
        transactions = [*row["transactions"], transaction]
        status = "PAID" if sum(t["amount"] for t in transactions) >= body["amount"] else "UNDERPAID"
        conn.execute("UPDATE requests SET status = ?, transactions = ? WHERE order_code = ?",
                     (status, json.dumps(transactions), row["order_code"]))
        data = WebhookData(order_code=row["order_code"], amount=paid,
                           description=body.get("description", ""),
                           account_number=BANK["account_number"], reference=reference,
                           transaction_date_time=when, currency="VND", payment_link_id=row["link_id"],
                           code="00", desc="success", counter_account_bank_id="970436",
                           counter_account_bank_name="Vietcombank",
                           counter_account_name="NGUOI NOP THU",
                           counter_account_number="0011000000").model_dump_camel_case()
        conn.execute("INSERT INTO deliveries (order_code, payload, state) VALUES (?, ?, 'queued')",
                     (row["order_code"], json.dumps(data)))
        row = _find(conn, link)
    if not hold:
        deliver(order="forward", order_code=row["order_code"])
    return row


def signed_webhook(data: dict[str, Any], forged: bool = False) -> dict[str, Any]:
    key = _cfg("PAYOS_CHECKSUM_KEY")
    if forged:
        key = hashlib.sha256(key.encode()).hexdigest()  # any other key
    return {"code": "00", "desc": "success", "success": True, "data": data,
            "signature": crypto.create_signature_from_object(data, key)}


def deliver(*, order: str = "forward", order_code: int | None = None, replay: int = 0,
            forged: bool = False, only_queued: bool = True) -> list[int]:
    """Send queued webhooks (forward or reverse order), each `1 + replay` times; returns
    Hoso's HTTP statuses."""
    db_path = _cfg("PAYOS_SANDBOX_DB")
    with connect(db_path) as conn:
        sql = "SELECT * FROM deliveries" + (" WHERE state = 'queued'" if only_queued else "")
        rows = [dict(r) for r in conn.execute(sql + " ORDER BY id")]
    rows = [r for r in rows if order_code is None or r["order_code"] == order_code]
    if order == "reverse":
        rows.reverse()
    statuses = []
    for row in rows:
        payload = signed_webhook(json.loads(row["payload"]), forged)
        for _ in range(1 + replay):
            statuses.append(post_webhook(current_app._get_current_object(), payload))
        with connect(db_path) as conn:
            conn.execute("UPDATE deliveries SET state = 'sent', attempts = attempts + ?, "
                         "last_status = ? WHERE id = ?", (1 + replay, statuses[-1], row["id"]))
    return statuses


def post_webhook(app: Flask, payload: dict[str, Any]) -> int:
    """POST a webhook to Hoso: over HTTP when PAYOS_SANDBOX_WEBHOOK_URL is set, else into
    this very app (on a thread of its own, so its request has contexts of its own)."""
    url = app.config.get("PAYOS_SANDBOX_WEBHOOK_URL")
    if url:
        return httpx.post(url, json=payload, timeout=30).status_code
    client = httpx.Client(transport=ThreadedWSGITransport(app), base_url="http://hoso.internal")
    return client.post(WEBHOOK_PATH, json=payload).status_code


class ThreadedWSGITransport(httpx.BaseTransport):
    """httpx's WSGI transport, run on a fresh thread: an in-process call from inside a
    request then gets its own Flask contexts and database session."""

    def __init__(self, app: Flask) -> None:
        self.inner = httpx.WSGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        out: dict[str, Any] = {}

        def run() -> None:
            try:
                response = self.inner.handle_request(request)
                response.read()
                out["response"] = response
            except BaseException as exc:  # handed to the caller's thread
                out["error"] = exc

        worker = threading.Thread(target=run, name="payos-sandbox-call")
        worker.start()
        worker.join()
        if "error" in out:
            raise out["error"]
        return out["response"]


# ---- Test controls -------------------------------------------------------------------------

@bp.post("/test/pay/<link>")
def test_pay(link: str) -> Response:
    """Pay (optionally another amount) and hold the webhook instead of sending it."""
    body = request.get_json(silent=True) or {}
    amount = body.get("amount")
    row = settle(link, amount=amount if isinstance(amount, int) else None,
                 hold=bool(body.get("hold")))
    if row is None:
        return jsonify({"error": "not found"}), 404
    return jsonify(_link(row))


@bp.post("/test/deliver")
def test_deliver() -> Response:
    """Deliver held webhooks: {"order": "reverse", "replay": 2, "forged": true, "all": true}."""
    body = request.get_json(silent=True) or {}
    statuses = deliver(order=str(body.get("order", "forward")),
                       order_code=body.get("order_code"), replay=int(body.get("replay", 0)),
                       forged=bool(body.get("forged")), only_queued=not body.get("all"))
    return jsonify({"statuses": statuses})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
