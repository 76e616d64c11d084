"""The newborn bundle in the browser at 360 × 740: the catalog shows it first, the form is
filled once (a coded address for the mother and the child), two photos, one submission, and
the dossier page lists the three linked dossiers, each with its agency and status."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import docs_flows as docs
from tests.e2e import flows

BUNDLE = "newborn-bundle"


def test_a_parent_files_the_bundle_once_and_follows_three_linked_dossiers(
        new_context: Any, live_server: Any) -> None:
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    flows.sign_up(page, "Trần Thị Hoa")
    flows.wait_offline_ready(page)
    flows.open_app(page, "#/")
    first = page.locator("main ul.cards > li.card").first
    expect(first).to_have_class("card bundle")
    expect(first).to_contain_text("Liên thông · khai một lần")
    first.locator("a").click()
    page.get_by_role("button", name="Bắt đầu điền hồ sơ").click()
    expect(page.locator("#f-child_full_name")).to_be_visible()

    born = docs.recent_birth().isoformat()
    for key, value in (("child_full_name", docs.CHILD), ("child_birth_date", born),
                       ("mother_full_name", "Trần Thị Hoa"), ("mother_birth_date", "1994-02-03"),
                       ("mother_national_id", "001194012345"),
                       ("requester_national_id", "001194012345"),
                       ("requester_full_name", "Trần Thị Hoa"), ("requester_phone", "0912345678")):
        page.locator(f"#f-{key}").fill(value)
    for part, value in (("line", "Bệnh viện Phụ sản Hà Nội"), ("ward", "Phường Đống Đa"),
                        ("province", "Hà Nội")):
        page.locator(f"#f-child_birth_place-{part}").fill(value)
    page.locator("#f-father_known").uncheck()
    flows.fill_rest(page)  # the coded addresses (Hà Nội, its first ward), selects and radios
    flows.fill_rest(page)  # what the answers showed (the residence registration's questions)
    page.locator("#f-relationship_to_head").select_option("self")
    jpeg = docs.camera_jpeg(page, 1200, 800)
    for code in ("birth_notice", "residence_proof"):
        docs.photo(page, code, jpeg)
    flows.submit(page)

    linked = page.locator("section.linked li.card")
    expect(linked).to_have_count(3, timeout=20000)
    expect(page.locator("section.linked h2")).to_have_text("Hồ sơ liên thông")
    for procedure, agency in (("birth-registration", "UBND phường Ba Đình"),
                              ("permanent-residence-registration", "Công an phường Ba Đình"),
                              ("child-health-insurance", "Bảo hiểm xã hội thành phố Hà Nội")):
        card = page.locator(f"section.linked li[data-procedure='{procedure}']")
        expect(card).to_contain_text(agency)
        expect(card.locator(".status")).to_have_attribute("data-status", "submitted")
    # One journey: the dossiers list shows the bundle, its members open from its page.
    page.goto("/#/dossiers")
    expect(page.locator("main ul.cards > li.card")).to_have_count(1)
