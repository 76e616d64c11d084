"""The newer form constructs through the API a phone uses (sync push): codes from the code
tables, the coded address and cross-field rules refuse what they should, in the reader's
language, never with a 5xx; a half-chosen address is a draft, not a dossier."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from app.services import clock
from tests.factories import sample_values
from tests.form_constructs import FORM, loaded
from tests.sync.helpers import Phone, save_args


@pytest.fixture()
def code(app: Any) -> Iterator[str]:
    with loaded(app) as procedure:
        yield procedure


def _save(phone: Phone, code: str, fields: dict[str, Any], dossier: uuid.UUID | None = None
          ) -> dict[str, Any]:
    return phone.one("dossier.save", save_args(dossier or uuid.uuid4(), fields, procedure=code,
                                               form_version=1))


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"ethnicity": "H'Mông"}, "ethnicity", "Lựa chọn không hợp lệ."),
    ({"nationality": {"code": "VN"}}, "nationality", "Giá trị phải là chuỗi ký tự."),
    ({"registration_province": "79", "registration_commune": "00070"}, "registration_commune",
     "Xã/phường này không thuộc tỉnh/thành phố đã chọn."),
    ({"residence": {"line": "1", "ward": "26743", "province": "01"}}, "residence",
     "Xã/phường này không thuộc tỉnh/thành phố đã chọn."),
    ({"residence": {"line": "1", "ward": "x" * 10_000, "province": "01"}}, "residence",
     "Không được quá 500 ký tự. Xã/phường không có trong danh mục đơn vị hành chính."),
    ({"moves": [{"province": "01", "commune": "26743"}]}, "moves.0.commune",
     "Xã/phường này không thuộc tỉnh/thành phố đã chọn."),
])
def test_a_draft_save_with_a_wrong_code_is_refused(client: Any, citizen: Any, code: str,
                                                   fields: dict[str, Any], field: str,
                                                   message: str) -> None:
    result = _save(Phone(client, citizen), code, fields)
    assert result["status"] == "rejected", result
    assert " ".join(result["error"]["errors"][field]) == message


def test_a_half_chosen_address_and_a_refused_combination_are_drafts(
        client: Any, citizen: Any, code: str) -> None:
    phone = Phone(client, citizen)
    dossier = uuid.uuid4()
    half = {"residence": {"line": "", "ward": "", "province": "79"}, "married": "yes",
            "purpose": "marriage"}
    assert _save(phone, code, half, dossier)["status"] == "applied"
    result = phone.one("dossier.submit", {"dossier_id": str(dossier)})
    assert result["status"] == "rejected", result
    errors = result["error"]["errors"]
    assert errors["residence"] == [
        "Chọn tỉnh/thành phố, xã/phường và ghi số nhà, đường phố hoặc thôn, xóm."]
    refused = "Người đang có vợ/chồng không được xác nhận để đăng ký kết hôn."
    assert errors["married"] == [refused] and errors["purpose"] == [refused]


def test_a_complete_coded_dossier_is_submitted(client: Any, citizen: Any, code: str) -> None:
    phone = Phone(client, citizen)
    dossier = uuid.uuid4()
    values = {**sample_values(FORM, clock.today()), "married": "yes", "purpose": "other",
              "residence": {"line": "5 Lê Lợi", "ward": "26743", "province": "79"}}
    saved = _save(phone, code, values, dossier)
    assert saved["status"] == "applied", saved["error"]
    result = phone.one("dossier.submit", {"dossier_id": str(dossier)})
    assert result["status"] == "applied", result["error"]
