"""Paying a fee from the phone: a citizen files the criminal-record certificate, pays in the
sandbox bank's page, the app shows it paid (the webhook) and opens the receipt; the same
citizen's second phone sees it paid after a pull."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e import docs_flows as docs
from tests.e2e import flows
from tests.e2e.conftest import shot

CRIMINAL = "criminal-record-certificate"


def fill_criminal_record(page: Page) -> None:
    page.locator("#f-certificate_type-0").check()
    page.locator("#f-purpose").fill("Bổ sung hồ sơ xin việc")
    page.locator("#f-copies").fill("3")  # the third certificate costs 5 000 đ more
    page.locator("#f-fee_category-0").check()  # no reduction
    page.locator("#f-applicant_full_name").fill("Trần Thị Bình")
    page.locator("#f-applicant_sex-1").check()
    page.locator("#f-applicant_birth_date").fill("1992-05-14")
    page.locator("#f-applicant_birth_place").fill("Hà Nội")
    page.locator("#f-applicant_national_id").fill("001192012345")
    phone = page.locator("#f-applicant_phone")
    if not phone.input_value():
        phone.fill("0912345678")
    flows.fill_address(page, "applicant_residence")
    group = page.locator(".field[data-key='residence_history']")
    if page.locator("#f-residence_history-0-from_date").count() == 0:
        group.get_by_role("button").filter(has_text="+").first.click()
    page.locator("#f-residence_history-0-from_date").fill("2006-05-14")
    page.locator("#f-residence_history-0-address").fill("12 Hàng Bạc, Hoàn Kiếm, Hà Nội")
    page.locator("#f-residence_history-0-occupation").fill("Kế toán")
    docs.photo(page, "id_card", docs.camera_jpeg(page, 1200, 800))


def test_pay_in_the_sandbox_bank_and_see_it_paid_on_both_phones(
        page: Page, live_server: Any, new_context: Any, official_of: Any) -> None:
    phone = flows.sign_up(page, "Trần Thị Bình")
    dossier_id = docs.start(page, CRIMINAL)
    # The quote before submit: a charge (phí), reductions exist; then the surcharge it adds.
    expect(page.locator("p.fee")).to_contain_text("Phí: 200.000")
    expect(page.locator("p.fee")).to_contain_text("có trường hợp được miễn, giảm")
    expect(page.locator("p.fee")).to_contain_text("Nộp phí khi nộp hồ sơ")  # a phí, said so
    fill_criminal_record(page)
    expect(page.locator("p.fee")).to_contain_text("205.000")
    expect(page.locator("p.fee")).to_contain_text("thêm 5.000 đồng mỗi phiếu từ phiếu thứ 3")
    flows.submit(page)
    fee = page.locator("#fee")
    # the submission goes once the photo is uploaded: on a loaded machine that can take a while
    expect(fee.locator("#fee-status")).to_have_text("Chờ thanh toán", timeout=60000)
    expect(fee).to_contain_text("205.000")
    page.locator("#pay").click()
    expect(page.locator("#pay-qr")).to_be_visible()
    shot(page, "payment-request")
    # A pull or push that redraws the page (as one may at any moment) keeps the request.
    page.evaluate("window.dispatchEvent(new CustomEvent('hoso:rerender'))")
    expect(page.locator("#pay-qr")).to_be_visible()
    expect(page.locator("#pay")).to_have_count(0)
    page.locator("#pay-bank").click()  # the "banking app": the sandbox's page
    expect(page.get_by_role("heading", name="Ngân hàng thử nghiệm")).to_be_visible()
    page.get_by_role("button", name="Xác nhận thanh toán").click()
    # Back in the app: the webhook marked it paid, the phone learns it by its pull.
    expect(page).to_have_url(re.compile(rf"#/d/{dossier_id}$"))
    expect(page.locator("#fee-status")).to_have_text("Đã thanh toán", timeout=30000)
    shot(page, "payment-paid")
    with page.expect_response(re.compile(r"/api/v1/fee-receipts/.+\.pdf$")) as answer, \
            page.context.expect_page() as popup:
        page.locator("#pay-receipt").click()
    response = answer.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    receipt = popup.value
    assert receipt.url.startswith("blob:")  # the PDF opened from the app
    assert int(response.headers["content-length"]) > 1000
    # The same citizen's second phone: paid, after a pull.
    other = new_context().new_page()
    flows.sign_in(other, phone)
    other.goto(f"/#/d/{dossier_id}")
    expect(other.locator("#fee-status")).to_have_text("Đã thanh toán", timeout=30000)

    # The desk: the day's reconciliation lists it with the bank's reference, and exports CSV.
    official = official_of(CRIMINAL)
    desk = new_context(viewport={"width": 1280, "height": 900}).new_page()
    flows.open_app(desk, "#/login")
    desk.get_by_label("Số điện thoại hoặc email").fill(official.email)
    desk.get_by_label("Mật khẩu").fill(official.password)
    desk.get_by_role("button", name="Đăng nhập").click()
    desk.locator("#office-payments").click()
    expect(desk.locator("#rec-totals")).to_contain_text("Chuyển khoản qua VietQR")
    expect(desk.locator("#rec-totals")).to_contain_text("205.000")
    expect(desk.locator("main")).to_contain_text(re.compile(r"FT\d{12}"))
    shot(desk, "desk-payments")
    with desk.expect_download() as download:
        desk.locator("#rec-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "provider_reference" in text and ",online,payos,205000," in text
