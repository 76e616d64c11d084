"""The officials' desk at 1366x768 in Vietnamese: what an official sees and does in a day."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows
from tests.e2e.journey_checks import no_placeholder_words
from tests.factories import make_dossier

DESK = {"width": 1366, "height": 768}


def desk_page(new_context: Any, official: Any) -> Any:
    page = new_context(viewport=DESK).new_page()
    flows.open_app(page, "#/login")
    page.get_by_label("Số điện thoại hoặc email").fill(official.email)
    page.get_by_label("Mật khẩu").fill(official.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text("Bàn làm việc")
    return page


def test_lost_race_reloads_and_errors_read_as_text(new_context: Any, live_server: Any, db: Any,
                                                   citizen: Any, official_of: Any) -> None:
    leader = official_of(flows.MARITAL)
    ready = make_dossier(db.session, citizen.user, flows.MARITAL, "result_ready", official=leader.user)
    ready_id = str(ready.id)
    db.session.rollback()
    fee = live_server.api("GET", f"/api/v1/office/dossiers/{ready_id}", leader.access).json()["fee_status"]
    if fee == "unpaid":  # a fee due at the decision is taken before the result goes out
        paid = live_server.api("POST", f"/api/v1/office/dossiers/{ready_id}/payments", leader.access,
                               json={"method": "cash"})
        assert paid.status_code in (200, 201), paid.text
    desk = desk_page(new_context, leader)
    desk.get_by_label("Trạng thái").select_option("result_ready")
    desk.get_by_role("button", name="Lọc").click()
    desk.locator(f"tr[data-id='{ready_id}'] a").click()
    # The back link keeps the filter the list had.
    expect(desk.locator("#back-to-list")).to_have_attribute(
        "href", "#/office?view=waiting&status=result_ready")

    # A result with no number: the field's message in words, never "[object Object]".
    desk.locator(".actions").get_by_role("button", name="Trả kết quả", exact=True).click()
    panel = desk.locator("form.action[data-action=return_result]")
    panel.get_by_role("button", name="Trả kết quả").click()
    message = panel.locator("p.summary[role=alert]")
    expect(message).to_contain_text("Trường này là bắt buộc.")
    expect(message).not_to_contain_text("object")

    # Another official returns it first: this page reloads with the new status and says why.
    r = live_server.api("POST", f"/api/v1/office/dossiers/{ready_id}/transitions", leader.access,
                        json={"action": "return_result", "result": {"number": "9/2026", "method": "desk"}})
    assert r.status_code == 200, r.text
    panel.get_by_label("Số văn bản kết quả").fill("10/2026")
    panel.get_by_role("button", name="Trả kết quả").click()
    expect(desk.locator("#desk-flash")).to_contain_text("tải lại")
    expect(desk.locator(".status").first).to_have_text("Đã trả kết quả")
    expect(desk.locator(".actions button")).to_have_count(0)
    desk.locator("#back-to-list").click()
    expect(desk.get_by_label("Trạng thái")).to_have_value("result_ready")


def _pdf_facts(data: bytes) -> set[str]:
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    return set(str(PdfFileReader(io.BytesIO(data)).trailer["/Info"]["/Keywords"]).split())


def _act(page: Any, action: str, fill: Any = None) -> None:
    """Open a step's form on the dossier screen, fill it, send it."""
    page.locator(f".actions button[data-action={action}]").click()
    panel = page.locator(f"form.action[data-action={action}]")
    if fill:
        fill(panel)
    panel.locator("button[type=submit]").click()


def test_a_ward_day_with_four_roles(new_context: Any, live_server: Any, db: Any,
                                    make_citizen: Any, official_of: Any) -> None:
    """Twenty arrivals, search by name and ID, accept with a printed receipt (its PDF read),
    assign, one supplement (a second refused), what changed, the leader approves, reception
    returns; due-soon and overdue views with an apology slip; names in the history; a list
    that pages past 100."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.models.dossiers import Dossier
    from app.services import clock
    from app.services import dossiers as dossier_service
    from app.services.catalog import get_form
    from app.services.workdays import add_working_days, holidays
    from tests.factories import sample_values

    reception = official_of(flows.MARITAL, "reception")
    specialist = official_of(flows.MARITAL, "specialist")
    official_of(flows.MARITAL, "specialist")  # a colleague: the assignment is a real choice
    leader = official_of(flows.MARITAL, "leader")
    proc = dossier_service.form_version(db.session, flows.MARITAL, 1).procedure
    form = get_form(db.session, proc.code, proc.current_version).form
    today = clock.today()

    # Last month's 105 finished dossiers, then twenty arrivals this morning.
    old = make_citizen("Lê Văn Cũ")
    for _ in range(105):
        make_dossier(db.session, old.user, flows.MARITAL, "refused", official=leader.user)
    given = ("An", "Bảo", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hùng", "Khánh", "Lan", "Long",
             "Mai", "Minh", "Nam", "Ngọc", "Phúc", "Quân", "Sơn", "Tâm")
    people = [make_citizen(f"Phạm Văn {name}") for name in given]
    binh = make_citizen("Trần Thị Bình", phone="0987000111")
    arrivals = []
    for person in [*people, binh]:
        values = {**sample_values(form), "applicant_full_name": person.user.full_name,
                  "applicant_national_id": "079300001234" if person is binh else "001099012345"}
        arrivals.append(make_dossier(db.session, person.user, flows.MARITAL, "submitted",
                                     official=leader.user, fields=values))
    target = str(arrivals[-1].id)
    # Two dossiers in the hands of the specialist: one due soon, one already late.
    soon = make_dossier(db.session, people[0].user, flows.MARITAL, "in_progress", official=leader.user)
    late = make_dossier(db.session, people[1].user, flows.MARITAL, "in_progress", official=leader.user)
    earlier = clock.now() - timedelta(days=30)
    db.session.execute(update(Dossier).where(Dossier.owner_id == old.id).values(submitted_at=earlier))
    soon.submitted_at = late.submitted_at = earlier
    soon.appointment_date = add_working_days(today, 1, holidays(db.session))
    late.appointment_date = today - timedelta(days=6)
    soon_id, late_id = str(soon.id), str(late.id)
    new_date = add_working_days(today, 3, holidays(db.session))
    names = {who: who.user.full_name for who in (reception, specialist, leader)}
    db.session.commit()
    # Hold no read transaction while the server writes (SQLite would make it wait).
    db.session.rollback()

    # Reception: the morning's arrivals, found by name without accents and by ID number.
    desk = desk_page(new_context, reception)
    expect(desk.locator("[data-count=new_today]")).to_have_text("(20)")
    desk.locator("a.view-tab[data-view=to_accept]").click()
    expect(desk.locator("#page-info")).to_contain_text("20")
    desk.get_by_label("Tìm hồ sơ").fill("tran thi binh")
    desk.get_by_role("button", name="Lọc").click()
    expect(desk.locator("tbody tr")).to_have_count(1)
    expect(desk.locator(f"tr[data-id='{target}']")).to_be_visible()
    desk.get_by_label("Tìm hồ sơ").fill("079300001234")
    desk.get_by_role("button", name="Lọc").click()
    expect(desk.locator("tbody tr")).to_have_count(1)
    desk.locator(f"tr[data-id='{target}'] a").click()
    # The dossier: answers by section with labels, documents beside, the next step.
    expect(desk.locator("section.answers h3").first).to_be_visible()  # the form's sections
    expect(desk.locator("[data-field=applicant_full_name]")).to_have_text("Trần Thị Bình")
    expect(desk.locator("#next-step")).to_contain_text("Tiếp nhận")
    _act(desk, "accept")
    expect(desk.locator(".status").first).to_have_text("Đã tiếp nhận")
    detail = live_server.api("GET", f"/api/v1/office/dossiers/{target}", reception.access).json()
    receipt, appointment = detail["receipt_code"], detail["appointment_date"]
    # The receipt with the appointment date, printed, and the citizen's PDF.
    desk.locator("#slips a[data-slip=receipt]").click()
    slip = desk.locator("article.slip[data-slip=receipt]")
    expect(slip).to_contain_text("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
    expect(slip).to_contain_text(receipt)
    day = f"{appointment[8:10]}/{appointment[5:7]}/{appointment[:4]}"
    expect(slip).to_contain_text(day)
    pdf = live_server.api("GET", f"/api/v1/dossiers/{target}/slips/receipt/pdf", binh.access)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert {f"receipt:{receipt}", f"appointment:{appointment}"} <= _pdf_facts(pdf.content)
    # Assign it to the specialist.
    desk.goto(f"/#/office/{target}")
    expect(desk.locator("#next-step")).to_contain_text("Giao hồ sơ")
    _act(desk, "assign", lambda p: p.get_by_label("Giao cho").select_option(str(specialist.id)))
    expect(desk.locator("#holder")).to_contain_text(names[specialist])

    # The specialist: mine, start, one supplement request naming the phone.
    spec = desk_page(new_context, specialist)
    spec.locator("a.view-tab[data-view=mine]").click()
    expect(spec.locator(f"tr[data-id='{target}']")).to_be_visible()
    spec.goto(f"/#/office/{target}")
    _act(spec, "start")
    expect(spec.locator(".status").first).to_have_text("Đang xử lý")
    _act(spec, "request_supplement", lambda p: (
        p.locator("input[name=fields][value=applicant_phone]").check(),
        p.get_by_label("Ghi chú").fill("Số điện thoại không liên lạc được")))
    expect(spec.locator(".status").first).to_have_text("Yêu cầu bổ sung")
    expect(spec.locator("#slips a[data-slip=supplement]")).to_be_visible()
    # The citizen answers; the specialist sees what changed, and no second request.
    fresh = db.session.get(Dossier, arrivals[-1].id)
    dossier_service.transition(db.session, fresh, binh.user, "supplement",
                               values={"applicant_phone": "0987000222"})
    db.session.commit()
    db.session.rollback()
    spec.reload()
    changed = spec.locator("li.changed[data-field=applicant_phone]")
    expect(changed).to_contain_text("0987000222")
    expect(spec.locator(".actions button[data-action=request_supplement]")).to_have_count(0)
    second = live_server.api("POST", f"/api/v1/office/dossiers/{target}/transitions", specialist.access,
                             json={"action": "request_supplement", "note": "Lần hai",
                                   "fields": ["applicant_phone"]})
    assert second.status_code == 409 and second.json()["reason"] == "supplement_once"
    # To the leader, with a draft result.
    _act(spec, "propose", lambda p: (p.get_by_label("Số văn bản dự thảo").fill("25/XNTTHN"),
                                     p.get_by_label("Trình lãnh đạo").select_option(str(leader.id))))
    expect(spec.locator("#draft-result")).to_contain_text("25/XNTTHN")

    # The leader: approves from the approval view; the late and soon dossiers in theirs.
    boss = desk_page(new_context, leader)
    boss.locator("a.view-tab[data-view=approval]").click()
    boss.locator(f"tr[data-id='{target}'] a").click()
    expect(boss.locator("#next-step")).to_contain_text("phê duyệt")
    _act(boss, "complete")
    expect(boss.locator(".status").first).to_have_text("Đã có kết quả")
    boss.goto("/#/office?view=due_soon")
    expect(boss.locator(f"tr[data-id='{soon_id}']")).to_contain_text("Sắp đến hạn")
    boss.goto("/#/office?view=overdue")
    expect(boss.locator(f"tr[data-id='{late_id}']")).to_contain_text("Quá hạn")
    boss.locator(f"tr[data-id='{late_id}'] a").click()
    _act(boss, "apologise", lambda p: (p.get_by_label("Ngày hẹn mới").fill(f"{new_date:%d/%m/%Y}"),
                                       p.get_by_label("Lý do chậm trễ").fill("Chờ kết quả xác minh")))
    expect(boss.locator("#new-appointment")).to_have_text(f"{new_date:%d/%m/%Y}")
    boss.locator("#slips a[data-slip=apology]").click()
    expect(boss.locator("article.slip[data-slip=apology]")).to_contain_text(f"{new_date:%d/%m/%Y}")
    expect(boss.locator("article.slip[data-slip=apology]")).to_contain_text("PHIẾU XIN LỖI")

    # Reception takes the fee and returns the result; the number and day stay on the dossier.
    # Its page still shows the dossier as it assigned it (the same address: going there again
    # redraws nothing until the desk's poll notices the change); it opens the dossier afresh.
    desk.goto(f"/#/office/{target}")
    desk.reload()
    expect(desk.locator(".status").first).to_have_text("Đã có kết quả")
    fee = live_server.api("GET", f"/api/v1/office/dossiers/{target}", reception.access).json()
    if fee["fee_status"] == "unpaid":  # the fee, when the catalog gives an amount, shown and taken
        expect(desk.locator("#desk-fee")).to_contain_text(f"{fee['fee_amount']:,}".replace(",", "."))
        desk.get_by_role("button", name="Ghi nhận đã thu lệ phí").click()
        expect(desk.locator("#desk-fee")).to_contain_text("Đã thanh toán")
    elif fee["fee_quote"] and fee["fee_amount"] is None:
        expect(desk.locator("#desk-fee")).to_contain_text("Chưa có mức lệ phí")
    _act(desk, "return_result", lambda p: p.get_by_label("Hình thức trả").select_option("desk"))
    expect(desk.locator(".status").first).to_have_text("Đã trả kết quả")
    expect(desk.locator("#result-number")).to_contain_text("25/XNTTHN")
    expect(desk.locator("#returned-on")).to_contain_text(f"{today:%d/%m/%Y}")
    history = desk.locator("ol.timeline")
    for person in (reception, specialist, leader):
        expect(history).to_contain_text(names[person])

    # The finished list pages past a hundred, with its total.
    desk.goto("/#/office?view=finished")
    expect(desk.locator("#page-info")).to_have_text("Trang 1/3 · tổng số 106 hồ sơ")
    no_placeholder_words(desk, "finished, first page")  # no "previous" link: nothing in its place
    desk.locator("#next-page").click()
    expect(desk.locator("#page-info")).to_have_text("Trang 2/3 · tổng số 106 hồ sơ")
    desk.locator("#next-page").click()
    expect(desk.locator("#page-info")).to_have_text("Trang 3/3 · tổng số 106 hồ sơ")
    expect(desk.locator("tbody tr")).to_have_count(6)


def test_bulk_accept_bulk_print_and_a_list_that_refreshes(new_context: Any, live_server: Any, db: Any,
                                                          citizen: Any, official_of: Any) -> None:
    reception = official_of(flows.MARITAL, "reception")
    leader = official_of(flows.MARITAL, "leader")
    made = [make_dossier(db.session, citizen.user, flows.MARITAL, "submitted", official=leader.user)
            for _ in range(3)]
    ids = [str(d.id) for d in made]
    db.session.rollback()
    desk = desk_page(new_context, reception)
    desk.goto("/#/office?view=to_accept")
    expect(desk.locator("a.view-tab[data-view=to_accept]")).to_have_attribute("aria-current", "page")
    expect(desk.locator("#page-info")).to_contain_text("tổng số 3 hồ sơ")
    for dossier_id in ids[:2]:
        desk.locator(f"tr[data-id='{dossier_id}'] label.pick").click()
    desk.locator("#bulk-accept").click()
    expect(desk.locator("#page-info")).to_contain_text("tổng số 1 hồ sơ")
    desk.goto("/#/office?view=waiting")
    expect(desk.locator("a.view-tab[data-view=waiting]")).to_have_attribute("aria-current", "page")
    expect(desk.locator("tbody tr")).to_have_count(3)
    for dossier_id in ids[:2]:
        desk.locator(f"tr[data-id='{dossier_id}'] label.pick").click()
    expect(desk.locator("#bulk-accept")).to_be_hidden()  # accepted already: only printing
    desk.locator("#bulk-print").click()
    expect(desk.locator("article.slip[data-slip=receipt]")).to_have_count(2)
    expect(desk.locator("#print")).to_have_text("In (2 phiếu)")

    # A new arrival shows on the open list without a reload (the desk polls the counts).
    desk.goto("/#/office?view=to_accept")
    expect(desk.locator("a.view-tab[data-view=to_accept]")).to_have_attribute("aria-current", "page")
    expect(desk.locator("tbody tr")).to_have_count(1)
    arrived = make_dossier(db.session, citizen.user, flows.MARITAL, "submitted", official=leader.user)
    arrived_id = str(arrived.id)
    db.session.rollback()
    expect(desk.locator(f"tr[data-id='{arrived_id}']")).to_be_visible(timeout=40000)


def test_workload_and_the_audit_log_name_the_officials(new_context: Any, live_server: Any, db: Any,
                                                        citizen: Any, official_of: Any) -> None:
    reception = official_of(flows.MARITAL, "reception")
    leader = official_of(flows.MARITAL, "leader")
    dossier = make_dossier(db.session, citizen.user, flows.MARITAL, "submitted", official=leader.user)
    dossier_id, name = str(dossier.id), reception.user.full_name
    db.session.rollback()
    r = live_server.api("POST", f"/api/v1/office/dossiers/{dossier_id}/transitions", reception.access,
                        json={"action": "accept"})
    assert r.status_code == 200, r.text
    boss = desk_page(new_context, leader)
    boss.locator("#office-reports").click()
    row = boss.locator(f"#workload tr[data-official='{reception.id}']")
    expect(row).to_contain_text(name)
    expect(row.locator("td").nth(4)).to_have_text("1")
    log = boss.locator("#audit tbody")
    expect(log).to_contain_text("Cơ quan đã tiếp nhận hồ sơ")
    expect(log).to_contain_text(name)
    no_placeholder_words(boss, "workload and audit")
    boss.get_by_label("Cán bộ").select_option(str(reception.id))
    boss.get_by_role("button", name="Lọc").click()
    expect(boss.locator("#audit tbody tr")).to_have_count(1)
    with boss.expect_download() as download:
        boss.locator("#audit-csv").click()
    assert name in download.value.path().read_text(encoding="utf-8-sig")
