"""Documents from the phone: a photo taken offline is compressed, kept, uploaded after
reconnecting (progress shown) and the dossier submitted offline is applied exactly once; an
official asks for the document again (supplement); the result is returned, and a second
procedure is prefilled from it and reuses it with one tap, with no typing and no upload."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Route, expect

from tests.e2e import docs_flows as docs
from tests.e2e import flows
from tests.e2e.test_screens import check


def test_photo_offline_submit_supplement_then_reuse(context: Any, page: Any, live_server: Any,
                                                     official_of: Any) -> None:
    flows.sign_up(page, "Trần Thị Hoa")
    flows.wait_offline_ready(page)
    token = flows.tokens_of(page)["access_token"]
    original = docs.camera_jpeg(page)
    sync = page.locator("#sync")

    # Airplane mode: fill the form, take the photo, submit.
    context.set_offline(True)
    dossier_id = docs.start(page, docs.BIRTH)
    notice = page.locator("[data-doc=birth_notice]")
    expect(notice).to_have_attribute("data-state", "missing")
    expect(notice.locator(".tag")).to_have_text("Bắt buộc")
    check(page, "docs-01-empty", "[data-doc=birth_notice]")
    docs.fill_birth(page, docs.recent_birth())
    docs.photo(page, "birth_notice", original)
    expect(notice).to_have_attribute("data-state", "queued")
    expect(notice.locator(".doc-state")).to_have_text("Chờ có mạng để tải lên")
    expect(notice.locator("img.thumb")).to_be_visible()
    expect(notice).to_contain_text("đã nén từ")
    flows.submit(page)
    expect(page.locator("#status")).to_have_text("Chờ gửi (đã nộp trên máy)")
    expect(sync).to_have_attribute("data-state", "offline")
    assert int(sync.get_attribute("data-waiting") or 0) >= 3  # save, submit, the photo's bytes

    # Back online, with the second chunk held until the progress has been seen.
    held: list[Route] = []
    patches: list[int] = []

    def uploads(route: Route) -> None:
        if route.request.method == "PATCH":
            patches.append(int(route.request.headers["upload-offset"]))
            if len(patches) == 2:
                held.append(route)
                return
        route.continue_()

    context.route("**/api/v1/uploads/**", uploads)
    second_chunk = lambda r: r.method == "PATCH" and r.headers.get("upload-offset", "0") != "0"  # noqa: E731
    with page.expect_request(second_chunk, timeout=20000):
        context.set_offline(False)
    item = page.locator("[data-doc=birth_notice]")
    expect(item).to_have_attribute("data-state", "uploading")
    # The item is drawn again as the screen updates: wait until a drawing shows progress.
    page.wait_for_function(
        "() => (document.querySelector('[data-doc=birth_notice] progress') || {}).value > 0")
    assert len(held) == 1 and patches[0] == 0 and patches[1] > 0  # the second chunk waits for us
    expect(item.locator(".doc-state")).to_contain_text("Đang tải lên")
    expect(sync).not_to_have_attribute("data-state", "saved")
    check(page, "docs-02-uploading", "[data-doc=birth_notice]")
    held[0].continue_()
    expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=30000)
    expect(item).to_have_attribute("data-state", "ready", timeout=20000)
    expect(sync).to_have_attribute("data-state", "saved")
    check(page, "docs-03-ready", "[data-doc=birth_notice]")

    detail = live_server.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json()
    assert [e["action"] for e in detail["history"]].count("submit") == 1
    stored = detail["documents"]["birth_notice"]
    assert stored["status"] == "ready" and stored["source"] == "upload"
    sent = live_server.api("GET", f"/api/v1/uploads/{stored['upload_id']}/content", token).content
    assert len(sent) < len(original) and stored["size"] == len(sent)
    width, height = docs.jpeg_size(sent)
    assert max(width, height) <= 1600 and (width, height) != (3000, 2000), (width, height)

    # The agency asks for the birth notice again: the citizen replaces it and answers.
    official = official_of(docs.BIRTH)
    docs.transition(live_server, official, dossier_id, "accept")
    docs.transition(live_server, official, dossier_id, "start")
    docs.transition(live_server, official, dossier_id, "request_supplement", documents=["birth_notice"],
                    note="Ảnh giấy chứng sinh bị mờ, xin chụp lại.")
    page.reload()
    expect(page.locator("#status")).to_have_text("Yêu cầu bổ sung", timeout=20000)
    supplement = page.locator("section.notice")
    expect(supplement.locator("[data-doc]")).to_have_count(1)  # exactly the documents asked for
    docs.photo(page, "birth_notice", docs.camera_jpeg(page, 2000, 3000), "IMG_20260102_1015.jpg")
    expect(supplement.locator("[data-doc=birth_notice]")).to_contain_text("IMG_20260102_1015.jpg")
    page.get_by_role("button", name="Gửi bổ sung").click()
    expect(page.locator("#status")).to_have_text("Đang xử lý", timeout=30000)
    detail = live_server.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json()
    assert detail["documents"]["birth_notice"]["upload_id"] != stored["upload_id"]
    assert detail["documents"]["birth_notice"]["status"] == "ready"

    # The official reads the new file (the citizen will see it in the access log), then the result.
    upload_id = detail["documents"]["birth_notice"]["upload_id"]
    assert live_server.api("GET", f"/api/v1/uploads/{upload_id}/content", official.access).status_code == 200
    docs.transition(live_server, official, dossier_id, "complete")
    docs.transition(live_server, official, dossier_id, "return_result",
                    result={"number": "123/2026", "method": "electronic"})

    # A second procedure: the child's details and the birth certificate come from the result.
    second = docs.start(page, docs.INSURANCE)
    expect(page.locator("#f-child_full_name")).to_have_value(docs.CHILD, timeout=15000)
    expect(page.locator("#f-child_birth_date")).to_have_value(docs.recent_birth().strftime("%d/%m/%Y"))
    expect(page.locator("#f-child_sex-1")).to_be_checked()
    expect(page.locator("#f-birth_certificate_number")).to_have_value("123/2026")
    expect(page.locator("[data-key=child_full_name] .note-src")).to_have_text("Từ Giấy khai sinh số 123/2026")
    expect(page.locator("[data-key=requester_full_name] .note-src")).to_contain_text(
        "Từ Thông tin đăng ký tài khoản")
    certificate = page.locator("[data-doc=birth_certificate]")
    expect(certificate.locator(".offer")).to_contain_text("Giấy khai sinh số 123/2026")
    certificate.get_by_role("button", name="Dùng giấy tờ đã có").click()
    expect(certificate).to_have_attribute("data-state", "reused")
    check(page, "docs-04-reused", "[data-doc=birth_certificate]")
    flows.fill_address(page, "child_residence")
    page.locator("#f-child_personal_id").fill("001226012345")
    page.locator("#f-birth_registration_place").fill("UBND phường Hoàn Kiếm, Hà Nội")
    page.locator("#f-preferred_facility").select_option(index=1)
    page.locator("#f-requester_national_id").fill("001194012345")
    page.locator("#f-requester_relationship").select_option("mother")
    flows.submit(page)
    expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=30000)

    detail = live_server.api("GET", f"/api/v1/dossiers/{second}", token).json()
    assert detail["fields"]["child_full_name"] == docs.CHILD
    assert detail["fields"]["birth_certificate_number"] == "123/2026"
    assert detail["documents"]["birth_certificate"]["source"] == "dossier"
    assert detail["documents"]["birth_certificate"]["status"] == "ready"
    mine = live_server.api("GET", "/api/v1/uploads", token).json()["items"]
    assert {u["procedure_code"] for u in mine} == {docs.BIRTH}  # nothing uploaded for the second

    # The warehouse: the result, and who read what (the official's download included).
    page.goto("/#/warehouse")
    expect(page.locator("h1")).to_have_text("Kho dữ liệu của tôi")
    expect(page.locator("main")).to_contain_text("Giấy khai sinh số 123/2026")
    expect(page.locator(".log li[data-purpose=download]")).to_contain_text("tải tệp về")
    expect(page.locator(".log li[data-purpose=prefill]").first).to_be_visible()
    check(page, "docs-05-warehouse")
