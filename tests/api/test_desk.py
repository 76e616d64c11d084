"""The officials' desk through the API: messages, finding, hand-offs, deadlines, audit."""

from __future__ import annotations

from app.services import lifecycle as lc
from tests.factories import make_dossier


def transition(client, actor, dossier_id, **body):
    return client.post(f"/api/v1/office/dossiers/{dossier_id}/transitions", json=body,
                       headers=actor.headers)


def test_refusals_speak_the_desks_language_without_codes(client, db, citizen, official, make_official):
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=official.user)
    specialist = make_official(role="specialist")
    resp = transition(client, specialist, dossier.id, action="accept")
    assert resp.status_code == 403, resp.get_json()
    problem = resp.get_json()
    assert problem["detail"] == "Vai trò của bạn không thực hiện được bước này."
    assert problem["allowed_roles"] == ["leader", "reception"]
    resp = transition(client, official, dossier.id, action="start")
    assert resp.status_code == 409
    assert "start" not in resp.get_json()["detail"] and "submitted" not in resp.get_json()["detail"]


def listing(client, actor, **query):
    resp = client.get("/api/v1/office/dossiers", query_string=query, headers=actor.headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_search_by_name_without_accents_id_phone_and_part_of_a_code(client, db, make_citizen, official):
    an = make_citizen("Nguyễn Văn An", phone="0912000111")
    binh = make_citizen("Trần Thị Bình", phone="0913000222")
    new = make_dossier(db.session, an.user, status=lc.SUBMITTED, official=official.user)
    accepted = make_dossier(db.session, binh.user, status=lc.ACCEPTED, official=official.user)
    code = accepted.receipt_code
    # (the sample answers name "Nguyễn Văn An" in every text field: only the owner differs)
    assert [d["id"] for d in listing(client, official, q="tran  BINH")["items"]] == [str(accepted.id)]
    assert listing(client, official, q="Nguyễn văn an")["total"] == 2
    assert [d["id"] for d in listing(client, official, q="0912000")["items"]] == [str(new.id)]
    assert [d["id"] for d in listing(client, official, q=code[-6:].lower())["items"]] == [str(accepted.id)]
    id_number = next(v for v in new.fields.values() if isinstance(v, str) and v.isdigit() and len(v) == 12)
    found = {d["id"] for d in listing(client, official, q=id_number)["items"]}
    assert str(new.id) in found
    assert listing(client, official, q="100%_")["total"] == 0  # wildcards are plain text


def test_pages_past_a_hundred_with_totals_and_views(client, db, citizen, official):
    from app.services.dossiers import transition as step

    made = [make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=official.user)
            for _ in range(3)]
    first = listing(client, official, per_page=2, view="waiting")
    assert first["total"] == 3 and len(first["items"]) == 2
    second = listing(client, official, per_page=2, page=2, view="waiting")
    assert len(second["items"]) == 1
    assert {d["id"] for d in first["items"] + second["items"]} == {str(d.id) for d in made}
    step(db.session, made[0], official.user, "refuse", note="Thiếu giấy tờ")
    db.session.commit()
    assert listing(client, official, view="waiting")["total"] == 2
    assert listing(client, official, view="finished")["total"] == 1
    assert listing(client, official, view="new_today")["total"] == 3
    summary = client.get("/api/v1/office/summary", headers=official.headers).get_json()
    assert summary["views"]["waiting"] == 2 and summary["views"]["finished"] == 1
    assert summary["views"]["to_accept"] == 2 and summary["latest"]


def test_due_soon_overdue_days_late_and_the_apology(client, db, citizen, official):
    from datetime import timedelta

    from app.services import clock

    today = clock.today()
    late = make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS, official=official.user)
    soon = make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS, official=official.user)
    late.appointment_date = today - timedelta(days=7)
    soon.appointment_date = today
    db.session.commit()
    overdue = listing(client, official, view="overdue")["items"]
    assert [d["id"] for d in overdue] == [str(late.id)]
    assert overdue[0]["deadline"]["state"] == "overdue" and overdue[0]["deadline"]["days_late"] >= 3
    assert [d["id"] for d in listing(client, official, view="due_today")["items"]] == [str(soon.id)]
    # Too early to apologise before the appointment date; the late one gets a slip and a date.
    soon.appointment_date = today + timedelta(days=3)
    db.session.commit()
    resp = transition(client, official, soon.id, action="apologise", note="Chờ xác minh",
                      new_date=(today + timedelta(days=5)).isoformat())
    assert resp.status_code == 409 and resp.get_json()["reason"] == "not_late"
    resp = transition(client, official, late.id, action="apologise", note="Chờ xác minh",
                      new_date=(today - timedelta(days=1)).isoformat())
    assert resp.status_code == 422
    new_date = (today + timedelta(days=5)).isoformat()
    resp = transition(client, official, late.id, action="apologise", note="Chờ xác minh",
                      new_date=new_date)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["new_appointment_date"] == new_date and body["overdue"] is True
    inbox = client.get("/api/v1/notifications", headers=citizen.headers).get_json()["items"]
    assert inbox[0]["kind"] == "apology"


def test_the_one_stop_hand_offs_with_names_and_roles(client, db, citizen, make_official):
    reception = make_official(role="reception")
    specialist = make_official(role="specialist")
    other = make_official(role="specialist")
    leader = make_official(role="leader")
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=leader.user)
    did = dossier.id
    resp = transition(client, reception, did, action="accept", assignee_id=specialist.id)
    assert resp.status_code == 200 and resp.get_json()["assignee"]["id"] == specialist.id
    assert [d["id"] for d in listing(client, specialist, view="mine")["items"]] == [str(did)]
    # The other specialist may not work a dossier someone else holds.
    assert transition(client, other, did, action="start").status_code == 409
    assert transition(client, specialist, did, action="start").status_code == 200
    # A specialist cannot decide; a leader in another agency's id is refused.
    assert transition(client, specialist, did, action="complete").status_code == 403
    resp = transition(client, specialist, did, action="propose", assignee_id=reception.id,
                      result={"number": "12/2026/TP-KS", "method": "desk"})
    assert resp.status_code == 422
    resp = transition(client, specialist, did, action="propose", assignee_id=leader.id,
                      result={"number": "12/2026/TP-KS", "method": "desk"}, note="Đủ điều kiện")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["awaiting_approval"] and body["assignee"]["id"] == leader.id
    assert body["draft_result"]["number"] == "12/2026/TP-KS"
    assert transition(client, specialist, did, action="request_fee").status_code == 409
    assert [d["id"] for d in listing(client, leader, view="approval")["items"]] == [str(did)]
    resp = transition(client, leader, did, action="send_back", note="Sửa số")
    assert resp.status_code == 200 and resp.get_json()["assignee"]["id"] == specialist.id
    transition(client, specialist, did, action="propose",
               result={"number": "13/2026/TP-KS", "method": "desk"})
    resp = transition(client, leader, did, action="complete")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["result"]["number"] == "13/2026/TP-KS" and body["assignee"] is None
    names = {e["action"]: e["actor_name"] for e in body["history"]}
    assert names["accept"] == reception.user.full_name
    assert names["propose"] == specialist.user.full_name
    assert names["complete"] == leader.user.full_name
    assign = next(e for e in body["history"] if e["action"] == "accept")
    assert assign["data"]["to"]["name"] == specialist.user.full_name


def test_assign_to_someone_outside_the_agency_is_refused(client, db, citizen, official, make_official):
    dossier = make_dossier(db.session, citizen.user, status=lc.ACCEPTED, official=official.user)
    stranger = make_official(role="specialist", procedure="criminal-record-certificate")
    resp = transition(client, official, dossier.id, action="assign", assignee_id=stranger.id)
    assert resp.status_code == 422 and "assignee_id" in resp.get_json()["errors"]
    assert transition(client, official, dossier.id, action="assign").status_code == 422


def test_one_supplement_request_per_dossier(client, db, citizen, official):
    from app.services.dossiers import transition as step

    dossier = make_dossier(db.session, citizen.user, status=lc.SUPPLEMENT_REQUESTED, official=official.user)
    field = dossier.supplement_request["fields"][0]
    step(db.session, dossier, citizen.user, "supplement", values={field: dossier.fields[field]})
    db.session.commit()
    resp = transition(client, official, dossier.id, action="request_supplement", note="Lần hai",
                      fields=[field])
    assert resp.status_code == 409
    problem = resp.get_json()
    assert problem["reason"] == "supplement_once" and "một lần" in problem["detail"]
    assert "request_supplement" not in client.get(
        f"/api/v1/office/dossiers/{dossier.id}", headers=official.headers).get_json()["allowed_actions"]


def test_bulk_accept_takes_each_complete_dossier_on_its_own(client, db, citizen, official):
    ready = [make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=official.user)
             for _ in range(2)]
    done = make_dossier(db.session, citizen.user, status=lc.ACCEPTED, official=official.user)
    resp = client.post("/api/v1/office/dossiers/accept", headers=official.headers,
                       json={"ids": [str(d.id) for d in ready] + [str(done.id), "nope"]})
    assert resp.status_code == 200, resp.get_json()
    items = resp.get_json()["items"]
    assert [i["ok"] for i in items] == [True, True, False, False]
    assert all(i["receipt_code"] for i in items[:2])
    assert items[2]["problem"]["status"] == 409 and items[3]["problem"]["status"] == 404


def test_audit_log_names_each_official_filters_and_exports_csv(client, db, citizen, make_official):
    reception = make_official(role="reception")
    leader = make_official(role="leader")
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=leader.user)
    assert transition(client, reception, dossier.id, action="accept").status_code == 200
    log = client.get("/api/v1/office/audit", headers=leader.headers).get_json()
    assert log["total"] == 2 and log["items"][0]["action"] == "accept"
    assert log["items"][0]["actor_name"] == reception.user.full_name
    assert log["items"][1]["actor_name"] == citizen.user.full_name  # the submission
    only = client.get("/api/v1/office/audit", query_string={"actor_id": reception.id},
                      headers=leader.headers).get_json()
    assert [e["action"] for e in only["items"]] == ["accept"]
    csv = client.get("/api/v1/office/audit.csv", headers=leader.headers)
    assert csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert text.startswith("\ufeffThời điểm") and reception.user.full_name in text
    assert client.get("/api/v1/office/audit", query_string={"action": "hack"},
                      headers=leader.headers).status_code == 422
    # Another agency's official sees none of it.
    stranger = make_official(procedure="criminal-record-certificate")
    assert client.get("/api/v1/office/audit", headers=stranger.headers).get_json()["total"] == 0


def test_workload_per_official(client, db, citizen, make_official):
    reception = make_official(role="reception")
    specialist = make_official(role="specialist")
    leader = make_official(role="leader")
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=leader.user)
    transition(client, reception, dossier.id, action="accept", assignee_id=specialist.id)
    load = client.get("/api/v1/office/workload", headers=leader.headers).get_json()
    rows = {r["id"]: r for r in load["items"]}
    assert rows[specialist.id]["holding"] == 1 and rows[reception.id]["steps"] == 1


def pdf_facts(data: bytes) -> set[str]:
    """The facts a slip's PDF carries in its metadata (receipt code, dates)."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    return set(str(PdfFileReader(io.BytesIO(data)).trailer["/Info"]["/Keywords"]).split())


def test_slips_for_the_desk_and_the_citizens_pdf(client, db, citizen, make_citizen, official):
    from app.services.dossiers import transition as step

    dossier = make_dossier(db.session, citizen.user, status=lc.ACCEPTED, official=official.user)
    slip = client.get(f"/api/v1/office/dossiers/{dossier.id}/slips/receipt", headers=official.headers)
    assert slip.status_code == 200
    body = slip.get_json()
    assert body["title"] == "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
    assert body["number"] == dossier.receipt_code
    rows = dict(r for s in body["sections"] for r in s["rows"])
    assert rows["5. Thời gian trả kết quả"] == f"ngày {dossier.appointment_date:%d/%m/%Y}"
    assert client.get(f"/api/v1/office/dossiers/{dossier.id}/slips/apology",
                      headers=official.headers).status_code == 404
    assert client.get(f"/api/v1/office/dossiers/{dossier.id}/slips/nope",
                      headers=official.headers).status_code == 404
    pdf = client.get(f"/api/v1/dossiers/{dossier.id}/slips/receipt/pdf", headers=citizen.headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf_facts(pdf.data) >= {f"receipt:{dossier.receipt_code}",
                                   f"appointment:{dossier.appointment_date.isoformat()}"}
    refused = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=official.user)
    step(db.session, refused, official.user, "refuse", note="Thiếu giấy chứng sinh")
    db.session.commit()
    body = client.get(f"/api/v1/office/dossiers/{refused.id}/slips/refusal",
                      headers=official.headers).get_json()
    assert "Thiếu giấy chứng sinh" in " ".join(p for s in body["sections"] for p in s["paragraphs"])
    # Another citizen's dossier: 404 like a missing one.
    assert client.get(f"/api/v1/dossiers/{dossier.id}/slips/receipt/pdf",
                      headers=make_citizen().headers).status_code == 404


def test_a_page_of_the_desk_costs_the_same_queries_for_two_dossiers_or_twelve(
        client, db, make_citizen, official, make_official):
    """Each row's citizen, holder and form come with the page, not one query per row."""
    import threading

    from tests.databases import selects_run

    def statements() -> int:
        """SELECTs of one listing in a request of its own: from a thread without the test's
        app context, the request gets a new session, as every real request does (the test's
        session keeps objects that would answer some reads, as many as happen to be alive)."""
        answers: list[dict] = []
        with selects_run(db.engine) as seen:
            request = threading.Thread(
                target=lambda: answers.append(listing(client, official, per_page=20)))
            request.start()
            request.join(timeout=60)
        assert answers and answers[0]["total"] == made
        # Not the revoked-sessions poll (app/revocations.py), which runs on a timer.
        return len([statement for statement in seen if "refresh_tokens" not in statement])

    holder = make_official(role="specialist")
    made = 0
    for n in range(2):
        make_dossier(db.session, make_citizen(f"Người nộp {n}").user, status=lc.ACCEPTED,
                     official=official.user).assignee_id = holder.user.id
        made += 1
    db.session.commit()
    few = statements()
    for n in range(2, 12):
        make_dossier(db.session, make_citizen(f"Người nộp {n}").user, status=lc.ACCEPTED,
                     official=official.user).assignee_id = holder.user.id
        made += 1
    db.session.commit()
    assert statements() == few
