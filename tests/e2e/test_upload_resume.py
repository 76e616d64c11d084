"""An upload cut mid-way resumes from the offset the server holds: the chunk that reached
the server before the connection dropped is not sent again, and nothing restarts from zero."""

from __future__ import annotations

import base64
import os
import re
from typing import Any

from playwright.sync_api import Route, expect

from tests.e2e import docs_flows as docs
from tests.e2e import flows

CHUNK = 256 * 1024


def test_cut_upload_resumes_from_the_server_offset(context: Any, page: Any, live_server: Any) -> None:
    flows.sign_up(page)
    token = flows.tokens_of(page)["access_token"]
    docs.start(page, docs.BIRTH)
    pdf = b"%PDF-1.4\n" + os.urandom(3 * CHUNK + 5000) + b"\n%%EOF\n"  # sent as it is: 4 chunks

    patches: list[tuple[int, int]] = []
    heads: list[int] = []

    def cut(route: Route) -> None:
        request = route.request
        if request.method == "HEAD":
            heads.append(len(patches))
        if request.method == "PATCH":
            patches.append((int(request.headers["upload-offset"]), len(request.post_data_buffer or b"")))
            if len(patches) == 2:
                route.fetch()  # the server stores the second chunk ...
                route.abort("connectionreset")  # ... and the phone never hears back
                return
        route.continue_()

    context.route("**/api/v1/uploads/**", cut)
    # Checked on the phone first, with the server's own words.
    page.locator("#doc-birth_notice-file").set_input_files(
        files=[{"name": "ghi-chu.txt", "mimeType": "text/plain", "buffer": b"not a document"}])
    refused = "Loại tệp này không được nhận. Chỉ nhận: JPEG, PNG, PDF."
    expect(page.locator("#doc-birth_notice-err")).to_have_text(refused)
    too_big = 20 * 1024 * 1024
    local = page.evaluate("""async (size) => {
        const m = await import('/app/uploads.js');
        try { m.checkFile({accept: ['application/pdf'], max_bytes: 10485760}, 'application/pdf', size); }
        catch (e) { return e.message; }
    }""", too_big)
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in (
        ("procedure_code", docs.BIRTH), ("document_code", "birth_notice"), ("filetype", "application/pdf")))
    server = live_server.api("POST", "/api/v1/uploads", token, headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": str(too_big), "Upload-Metadata": meta,
        "Accept-Language": "vi"})
    assert server.status_code == 413 and local == "Tệp quá lớn: tối đa 10 MB, tệp này 20 MB."
    assert server.json()["detail"].endswith(local)
    page.locator("#doc-birth_notice-file").set_input_files(
        files=[{"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    item = page.locator("[data-doc=birth_notice]")
    expect(item).to_have_attribute("data-state", re.compile("uploaded|ready"), timeout=30000)

    offsets = [o for o, _ in patches]
    assert offsets == [0, CHUNK, 2 * CHUNK, 3 * CHUNK], offsets  # the third PATCH starts where the server was
    assert heads == [2]  # after the cut, the phone asked the server how far it got
    assert sum(n for _, n in patches) == len(pdf)  # no byte sent twice
    uploads = live_server.api("GET", "/api/v1/uploads", token).json()["items"]
    assert [(u["status"], u["offset"], u["length"]) for u in uploads] == [("complete", len(pdf), len(pdf))]
