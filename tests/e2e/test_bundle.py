"""The newborn bundle in the browser at 360 × 740: the catalog shows it first, the form (the
version written for the corrected member forms) is filled once, the photos taken, one
submission; the dossier page lists the three linked dossiers, each routed by the address to
its own desk (the ward's People's Committee, the ward's police, social security), and the
social-security desk reads the birth certificate's number on its dossier's linked dossiers."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import docs_flows as docs
from tests.e2e import flows
from tests.e2e.test_screens import check as axe_check

BUNDLE = "newborn-bundle"
# The address chosen on the form: the first ward of Hà Nội in the code table (Ba Đình).
DESKS = {"birth-registration": ("UBP-BADINH", "UBND phường Ba Đình"),
         "permanent-residence-registration": ("CAP-BADINH", "Công an phường Ba Đình"),
         "child-health-insurance": ("BHXH-HANOI", "Bảo hiểm xã hội thành phố Hà Nội")}


def test_a_parent_files_the_bundle_once_and_three_desks_receive_it(
        new_context: Any, live_server: Any, make_official: Any, db: Any) -> None:
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    flows.sign_up(page, "Trần Thị Hoa")
    flows.wait_offline_ready(page)
    flows.open_app(page, "#/")
    first = page.locator("main ul.cards > li.card").first
    expect(first).to_have_class("card bundle")
    expect(first).to_contain_text("Liên thông · khai một lần")
    expect(first).to_contain_text("Thời hạn theo từng hồ sơ")
    first.locator("a").click()
    # Each linked dossier's agency and time, not one agency for all.
    expect(page.locator("#agency li")).to_have_count(3)
    expect(page.locator("#agency")).to_contain_text("Công an xã, phường nơi cư trú")
    expect(page.locator("#time")).to_contain_text("Đăng ký thường trú: 7 ngày làm việc")
    page.get_by_role("button", name="Bắt đầu điền hồ sơ").click()
    expect(page.locator("#f-requester_full_name")).to_be_visible()

    born = docs.recent_birth().isoformat()
    for key, value in (("requester_full_name", "Trần Thị Hoa"),
                       ("requester_national_id", "001194012345"),
                       ("requester_phone", "0912345678"),
                       ("child_full_name", docs.CHILD), ("child_birth_date", born),
                       ("mother_full_name", "Trần Thị Hoa"), ("mother_birth_date", "1994-02-03"),
                       ("mother_national_id", "001194012345"),
                       ("father_full_name", "Nguyễn Văn Nam"), ("father_birth_date", "1992-06-15"),
                       ("father_national_id", "001092054321")):
        page.locator(f"#f-{key}").fill(value)
    page.locator("#f-requester_relationship").select_option("mother")
    for part, value in (("line", "Bệnh viện Phụ sản Hà Nội"), ("ward", "Phường Đống Đa"),
                        ("province", "Hà Nội")):
        page.locator(f"#f-child_birth_place-{part}").fill(value)
    page.get_by_label("Đã đăng ký kết hôn", exact=True).check()  # the marriage certificate is then asked
    flows.fill_rest(page)  # the coded addresses (Hà Nội, its first ward), selects and radios
    page.locator("#f-relationship_to_head").select_option("child")  # joins the parents
    page.locator("#f-household_head_full_name").fill("Nguyễn Văn Nam")
    page.locator("#f-household_head_national_id").fill("001092054321")
    page.locator("#f-guardian_full_name").fill("Trần Thị Hoa")
    for box in ("owner_consent", "head_consent", "guardian_consent"):
        page.locator(f"#f-{box}").check()
    flows.fill_rest(page)  # what the answers showed
    expect(page.locator("#doc-relationship_proof-photo")).to_have_count(0)  # the bundle's own
    jpeg = docs.camera_jpeg(page, 1200, 800)
    for code in ("birth_notice", "marriage_certificate"):
        docs.photo(page, code, jpeg)
    flows.submit(page)

    linked = page.locator("section.linked li.card")
    expect(linked).to_have_count(3, timeout=20000)
    expect(page.locator("section.linked h2")).to_have_text("Hồ sơ liên thông")
    for procedure, (_, agency) in DESKS.items():
        card = page.locator(f"section.linked li[data-procedure='{procedure}']")
        expect(card).to_contain_text(agency)
        expect(card.locator(".status")).to_have_attribute("data-status", "submitted")
    # One journey: the dossiers list shows the bundle, its members open from its page.
    page.goto("/#/dossiers")
    expect(page.locator("main ul.cards > li.card")).to_have_count(1)

    # Each member reached the desk of the agency its address names, and only that one.
    officials = {p: make_official(role="leader", agency=code) for p, (code, _) in DESKS.items()}
    email = officials["child-health-insurance"].user.email
    ward_email = officials["birth-registration"].user.email
    db.session.rollback()  # the test holds no SQLite lock while the server signs people in
    members: dict[str, str] = {}
    for procedure, official in officials.items():
        items = live_server.api("GET", "/api/v1/office/dossiers", official.access).json()["items"]
        assert [d["procedure_code"] for d in items] == [procedure], (procedure, items)
        members[procedure] = items[0]["id"]
        name = ("applicant_full_name" if procedure == "permanent-residence-registration"
                else "child_full_name")
        assert items[0]["fields"][name] == docs.CHILD
    # The ward registers the birth; the social-security desk reads the certificate's number.
    birth = officials["birth-registration"]
    for body in ({"action": "accept"}, {"action": "start"},
                 {"action": "complete", "result": {"number": "125/2026/KS", "method": "electronic"}}):
        url = f"/api/v1/office/dossiers/{members['birth-registration']}/transitions"
        resp = live_server.api("POST", url, birth.access, json=body)
        assert resp.status_code == 200, resp.text
    # The ward's desk filters by the procedures it handles: the bundle is not one of them.
    ward = _desk(new_context, ward_email, birth.password)
    expect(ward.locator("#flt-procedure option[value='birth-registration']")).to_have_count(1)
    expect(ward.locator(f"#flt-procedure option[value='{BUNDLE}']")).to_have_count(0)
    desk = _desk(new_context, email, officials["child-health-insurance"].password)
    desk.goto(f"/#/office/{members['child-health-insurance']}")
    section = desk.locator("#linked")
    expect(section.locator("h2")).to_have_text("Hồ sơ liên thông")
    expect(section.locator("li.card")).to_have_count(2)
    born_card = section.locator("li[data-procedure='birth-registration']")
    expect(born_card).to_contain_text("UBND phường Ba Đình")
    expect(born_card.locator(".status")).to_have_attribute("data-status", "result_ready")
    expect(born_card.locator(".result")).to_have_text("125/2026/KS")
    expect(born_card.locator(".receipt")).to_contain_text("-")
    police = section.locator("li[data-procedure='permanent-residence-registration']")
    expect(police).to_contain_text("Công an phường Ba Đình")
    # The linked dossiers are for reference: no link into another agency's dossier.
    expect(section.locator("a")).to_have_count(0)
    axe_check(desk, "bundle-desk-linked", "#linked")  # nothing serious for axe-core


def _desk(new_context: Any, email: str, password: str) -> Any:
    """An official signed in at the desk on a 360 x 740 phone."""
    desk = new_context(viewport={"width": 360, "height": 740}).new_page()
    flows.open_app(desk, "#/login")
    desk.get_by_label("Số điện thoại hoặc email").fill(email)
    desk.get_by_label("Mật khẩu").fill(password)
    desk.get_by_role("button", name="Đăng nhập").click()
    expect(desk.locator("h1")).to_have_text("Bàn làm việc")
    return desk
