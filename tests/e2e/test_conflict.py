"""Two phones of one citizen edit the same draft offline: on reconnect the conflict screen
shows both values, and the choice sticks on the server and on both phones."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows
from tests.e2e.conftest import shot
from tests.servers import wait_for

NAME = "#f-applicant_full_name"  # the applicant's full name (other names share its label)


def test_offline_edits_on_two_phones_are_settled_by_the_owner(new_context: Any, live_server: Any) -> None:
    ctx_a, ctx_b = new_context(), new_context()
    a, b = ctx_a.new_page(), ctx_b.new_page()
    phone = flows.sign_up(a, "Phạm Thị Hoa")
    dossier_id = flows.start_marital(a)
    a.locator(NAME).fill("Phạm Thị Hoa")
    expect(a.locator("#sync")).to_have_attribute("data-state", "saved", timeout=15000)
    token = flows.tokens_of(a)["access_token"]

    flows.sign_in(b, phone)
    b.locator(f"li[data-id='{dossier_id}'] a").click()  # the draft came with the first pull
    expect(b.locator(NAME)).to_have_value("Phạm Thị Hoa")
    flows.wait_offline_ready(b)

    ctx_a.set_offline(True)
    ctx_b.set_offline(True)
    a.locator(NAME).fill("Phạm Thị Hoà")
    a.locator(NAME).blur()
    b.locator(NAME).fill("Phạm Thị Hòa")
    b.locator(NAME).blur()
    expect(a.locator("#sync")).to_have_attribute("data-state", "offline")
    expect(b.locator("#sync")).to_contain_text("đang chờ")

    ctx_a.set_offline(False)
    expect(a.locator("#sync")).to_have_attribute("data-state", "saved", timeout=15000)
    ctx_b.set_offline(False)
    # B's edit is the later one: it stands, A's value is kept in a conflict record.
    conflicts_link = b.locator("#nav").get_by_role("link", name="Cần bạn chọn")
    expect(conflicts_link).to_be_visible(timeout=15000)
    conflicts_link.click()
    card = b.locator(".conflict").first
    expect(card.locator("[data-value='kept']")).to_have_text("Phạm Thị Hòa")
    expect(card.locator("[data-value='other']")).to_have_text("Phạm Thị Hoà")
    shot(b, "conflicts")
    card.get_by_role("button", name="Dùng giá trị này").click()
    expect(b.locator(".conflict")).to_have_count(0)
    expect(b.locator("#sync")).to_have_attribute("data-state", "saved", timeout=15000)

    def server_name() -> str:
        return live_server.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json()["fields"].get(
            "applicant_full_name")

    wait_for(lambda: server_name() == "Phạm Thị Hoà", 15, what="the chosen value on the server")
    b.goto(f"/#/d/{dossier_id}/edit")
    expect(b.locator(NAME)).to_have_value("Phạm Thị Hoà", timeout=15000)
    # Phone A learns of it on its next pull (timer or focus) without typing anything.
    a.goto(f"/#/d/{dossier_id}/edit")
    expect(a.locator(NAME)).to_have_value("Phạm Thị Hoà", timeout=25000)
    expect(a.locator("#nav").get_by_role("link", name="Cần bạn chọn")).to_have_count(0, timeout=25000)
    assert server_name() == "Phạm Thị Hoà"
