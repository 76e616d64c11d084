"""Each procedure's current form on a 360x740 phone, in Vietnamese and in English: it opens
from the catalog, reads in the person's language with no field, document, table or agency
code on screen, every target is tappable, nothing overflows, axe-core finds nothing serious;
and the rule that refuses a combination says why in that language (docs/catalog.md)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import flows
from tests.e2e.journey_checks import CATALOG, audit, t

PHONE_360 = {"width": 360, "height": 740}
NAME = "Phạm Thu Hà"
CODES = ["birth-registration", "child-health-insurance", "criminal-record-certificate",
         "marital-status-confirmation", "permanent-residence-registration", "newborn-bundle"]
RAW_TABLE_CODES = re.compile(r"\b(?:00070|00004|00073|26737|26740|26743)\b")  # commune codes


def _open(page: Page, lang: str, code: str) -> None:
    page.goto(f"/#/p/{code}")
    expect(page.locator("main h1")).to_have_text(json.loads(
        (CATALOG / f"{code}.json").read_text())["name"][lang])
    page.locator("main button.primary", has_text=t(lang, "procedure.start")).click()
    expect(page).to_have_url(re.compile(r"#/d/[0-9a-f-]+/edit$"))
    expect(page.locator("main form, main .field").first).to_be_visible()


def _signed_up(new_context: Any, lang: str) -> Page:
    """A newcomer's 360 x 740 phone, signed up, in `lang`."""
    page = new_context(viewport=PHONE_360).new_page()
    flows.sign_up(page, NAME)
    if lang == "en":
        page.locator("#lang").click()
    return page


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_current_form_reads_well_on_a_small_phone(lang: str, new_context: Any,
                                                         live_server: Any) -> None:
    page = _signed_up(new_context, lang)
    for code in CODES:
        _open(page, lang, code)
        audit(page, lang, f"form-{code}", allowed=(NAME,))
        visible = page.evaluate("() => document.body.innerText")
        assert not RAW_TABLE_CODES.search(visible), f"{code}: a unit code on screen"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_married_person_asking_to_marry_is_told_why(lang: str, new_context: Any,
                                                      live_server: Any) -> None:
    page = _signed_up(new_context, lang)
    _open(page, lang, flows.MARITAL)
    page.locator("#f-marital_status-1").check()  # married
    page.locator("#f-purpose").select_option("marriage")
    page.locator("main button.primary", has_text=t(lang, "editor.submit")).click()
    spec = json.loads((CATALOG / f"{flows.MARITAL}.json").read_text())
    rule = spec["versions"][-1]["form"]["rules"][0]["message"][lang]
    expect(page.locator("[data-key=purpose]")).to_contain_text(rule)
    audit(page, lang, "form-marital-refused", allowed=(NAME,))


def test_a_section_that_does_not_apply_is_not_shown(new_context: Any, live_server: Any) -> None:
    """The parents' and spouse's names are asked for certificate No. 2 only: with No. 1 the
    whole 'family' section, heading included, stays out of the way."""
    page = _signed_up(new_context, "vi")
    _open(page, "vi", "criminal-record-certificate")
    family = page.locator("fieldset.section", has=page.locator('[data-key="father_full_name"]'))
    page.locator('[data-key="certificate_type"] input[value="no1"]').check()
    expect(family).to_be_hidden()
    page.locator('[data-key="certificate_type"] input[value="no2"]').check()
    expect(family).to_be_visible()
    expect(family.locator('[data-key="father_full_name"]')).to_be_visible()
