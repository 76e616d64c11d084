"""Moving between screens faster than they draw: a screen left before it finished drawing must
not keep listening, or the next sync redraws the screen the person is typing in and what they
typed is gone."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows

# A field, marked, then news from sync: the same field must still be there with what was typed.
TYPED_AFTER_NEWS = """async () => {
  const field = document.getElementById('reset-login');
  field.dataset.mark = 'typed-here';
  window.dispatchEvent(new CustomEvent('hoso:data', { detail: { dossiers: ['any'], results: true } }));
  // A redraw, if any, is a route() away: a few frames and a macrotask are enough for it to land.
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 50));
  const now = document.getElementById('reset-login');
  return { same: now === field, marked: now && now.dataset.mark, value: now && now.value };
}"""


def test_a_screen_left_before_it_drew_does_not_redraw_the_next(page: Any) -> None:
    flows.sign_up(page)
    # The list of dossiers starts drawing, and the person is already on the next screen.
    page.evaluate("""() => {
      window.addEventListener('hashchange', () => { location.hash = '#/reset'; }, { once: true });
      location.hash = '#/dossiers?again=1';
    }""")
    expect(page.locator("h1")).to_have_text("Đặt lại mật khẩu")
    page.get_by_label("Số điện thoại hoặc email").fill("0912345678")
    # Twice: the list's drawing may finish before or after the reset screen's.
    for _ in range(2):
        got = page.evaluate(TYPED_AFTER_NEWS)
        assert got == {"same": True, "marked": "typed-here", "value": "0912345678"}


def test_an_editor_left_writes_nothing_when_its_prefill_answers_late(page: Any) -> None:
    """The warehouse's answer comes after the person has left the form without typing: it must
    not fill the form they left and queue a save nobody made (behind a submission, such a save
    would carry the form's older base and come back refused)."""
    flows.sign_up(page)
    late: list[Any] = []
    page.route("**/api/v1/warehouse/prefill*", lambda route: late.append(route))
    dossier_id = flows.start_marital(page)
    expect(page.locator("#f-applicant_full_name")).to_have_value("")  # no answer yet
    assert late  # the form did ask
    page.get_by_role("link", name="Hồ sơ của tôi").click()
    expect(page.locator(f"li[data-id='{dossier_id}']")).to_be_visible()
    expect(page.locator("#sync")).to_have_attribute("data-waiting", "0", timeout=20000)
    page.evaluate("() => window.__hoso.sync.stop()")  # what is queued from now on stays to be seen
    for route in late:
        route.continue_()
    page.wait_for_function(  # the answer has reached the phone (kept for offline use)
        """async () => {
          const kv = await window.__hoso.store().all('kv');
          return kv.some((v) => v && typeof v === 'object' && v.fields && v.fields.applicant_full_name);
        }""", polling=100, timeout=10000)
    page.wait_for_timeout(1500)  # more than the editor's save delay (500 ms)
    assert flows.queued(page) == []
    # Opened again, the form does take the warehouse's values (the person sees them there).
    page.goto(f"/#/d/{dossier_id}/edit")
    expect(page.locator("#f-applicant_full_name")).to_have_value("Trần Thị Bình")
