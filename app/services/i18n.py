"""Messages in Vietnamese (default) and English."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("vi", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"vi": "Trường này là bắt buộc.", "en": "This field is required."},
    "type_string": {"vi": "Giá trị phải là chuỗi ký tự.", "en": "Must be text."},
    "type_number": {"vi": "Giá trị phải là số.", "en": "Must be a number."},
    "type_boolean": {"vi": "Giá trị phải là có hoặc không.", "en": "Must be yes or no."},
    "type_list": {"vi": "Giá trị phải là danh sách.", "en": "Must be a list."},
    "type_object": {"vi": "Giá trị không đúng dạng.", "en": "Has the wrong shape."},
    "date": {"vi": "Ngày không hợp lệ: nhập ngày/tháng/năm, ví dụ 17/05/1990.",
             "en": "Not a valid date: type day/month/year, for example 17/05/1990."},
    "date_min": {"vi": "Ngày không được trước {min}.", "en": "Must not be before {min}."},
    "date_max": {"vi": "Ngày không được sau {max}.", "en": "Must not be after {max}."},
    "min": {"vi": "Giá trị phải từ {min} trở lên.", "en": "Must be at least {min}."},
    "max": {"vi": "Giá trị không được lớn hơn {max}.", "en": "Must be at most {max}."},
    "min_length": {
        "vi": "Cần ít nhất {min_length} ký tự.",
        "en": "Must have at least {min_length} characters.",
    },
    "max_length": {
        "vi": "Không được quá {max_length} ký tự.",
        "en": "Must have at most {max_length} characters.",
    },
    # Every `pattern` in the catalog is a name's (letters, spaces, hyphens, apostrophes): say
    # what is wrong in those words rather than "wrong format".
    "pattern": {"vi": "Chỉ dùng chữ cái và dấu cách, không dùng chữ số hay ký hiệu (như @, #, $).",
                "en": "Use letters and spaces only, no digits or symbols (such as @, #, $)."},
    "nul": {"vi": "Có ký tự không hợp lệ (NUL).", "en": "Contains an invalid character (NUL)."},
    "phone": {
        "vi": "Số điện thoại di động không hợp lệ.",
        "en": "Not a valid Vietnamese mobile number.",
    },
    "email": {"vi": "Địa chỉ email không hợp lệ.", "en": "Not a valid email address."},
    "national_id": {
        "vi": "Số định danh cá nhân gồm đúng 12 chữ số.",
        "en": "A personal ID number has exactly 12 digits.",
    },
    "option": {"vi": "Lựa chọn không hợp lệ.", "en": "Not one of the choices."},
    # A coded address (or a commune select) against the list of administrative units.
    "province_unknown": {"vi": "Tỉnh/thành phố không có trong danh mục đơn vị hành chính.",
                         "en": "This province is not in the list of administrative units."},
    "ward_unknown": {"vi": "Xã/phường không có trong danh mục đơn vị hành chính.",
                     "en": "This commune or ward is not in the list of administrative units."},
    "ward_province": {"vi": "Xã/phường này không thuộc tỉnh/thành phố đã chọn.",
                      "en": "This commune or ward is not in the province chosen."},
    "address_incomplete": {
        "vi": "Chọn tỉnh/thành phố, xã/phường và ghi số nhà, đường phố hoặc thôn, xóm.",
        "en": "Choose the province and the commune or ward, and write the street address.",
    },
    "no_agency": {"vi": "Chưa có cơ quan nào trong danh bạ phục vụ địa chỉ này.",
                  "en": "No agency in the directory serves this address yet."},
    "min_items": {"vi": "Cần ít nhất {min_items} mục.", "en": "Needs at least {min_items} entries."},
    "max_items": {"vi": "Không được quá {max_items} mục.", "en": "At most {max_items} entries."},
    "unknown_field": {"vi": "Biểu mẫu không có trường này.", "en": "The form has no such field."},
    "document_missing": {
        "vi": "Thiếu giấy tờ bắt buộc.",
        "en": "This required document is missing.",
    },
    "document_uploading": {
        "vi": "Giấy tờ đang được tải lên, chưa hoàn tất.",
        "en": "This document is still uploading.",
    },
    "file_too_large": {
        "vi": "Tệp quá lớn: tối đa {max_mb} MB, tệp này {size_mb} MB.",
        "en": "The file is too large: at most {max_mb} MB, this one is {size_mb} MB.",
    },
    "file_type": {
        "vi": "Loại tệp này không được nhận. Chỉ nhận: {accept}.",
        "en": "This type of file is not accepted. Accepted: {accept}.",
    },
}


def pick_language(header: str | None) -> str:
    """Choose vi or en from an Accept-Language header; Vietnamese by default."""
    if not header:
        return "vi"
    best, best_q = "vi", -1.0
    for part in header.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()[:2]
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        if tag in LANGUAGES and q > best_q:
            best, best_q = tag, q
    return best


def message(key: str, lang: str, **params: Any) -> str:
    text = MESSAGES[key].get(lang) or MESSAGES[key]["vi"]
    return text.format(**params) if params else text


def localise(text: dict[str, str] | str | None, lang: str) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(lang) or text.get("vi") or next(iter(text.values()), "")
