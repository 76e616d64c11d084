"""The shared renderer: Vietnamese text, a QR code, a PAdES signature pyHanko validates."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.reader import PdfFileReader

from app.services import pdf_render, pki

VIETNAMESE = ("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯư"
              "ẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> pki.AgencyKeys:
    store = pki.AgencyKeys(tmp_path_factory.mktemp("pki"))
    pki.init_demo(store, [("UBND-X", "UBND xã Tân Phú")])
    return store


def _document() -> pdf_render.Document:
    return pdf_render.Document(
        title="GIẤY CHỨNG NHẬN ĐĂNG KÝ KHAI SINH",
        header=("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"),
        sections=[pdf_render.Section("Thông tin", rows=[("Họ, chữ đệm, tên", "Nguyễn Thị Hường"),
                                                        ("Nơi sinh", "Bệnh viện Từ Dũ")],
                                     paragraphs=[VIETNAMESE])],
        qr_url="https://hoso.example/verify/ABC", qr_caption="Quét để kiểm tra")


def test_the_font_has_every_vietnamese_glyph() -> None:
    regular, bold = pdf_render.find_font()
    for path in (regular, bold):
        cmap = TTFont(str(path)).getBestCmap()
        missing = [c for c in VIETNAMESE if ord(c) not in cmap]
        assert not missing, f"{path.name} lacks {missing}"


def test_a_rendered_document_is_a_pdf_with_its_title_and_font() -> None:
    data = pdf_render.render_document(_document())
    assert data.startswith(b"%PDF-")
    assert pdf_render.find_font()[0].stem.split("-")[0].encode() in data  # the font is embedded


def _characters_in(data: bytes) -> set[str]:
    """Every character the PDF's fonts can show (their ToUnicode maps, all pages)."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    shown: set[str] = set()
    for page in reader.root["/Pages"]["/Kids"]:
        fonts = page.get_object()["/Resources"]["/Font"]
        for name in fonts:
            text = fonts[name]["/ToUnicode"].data.decode("ascii")
            shown.update(chr(int(code, 16)) for code in re.findall(r"<[0-9A-F]{4}> <([0-9A-F]{4})>", text))
    return shown


def test_a_vietnamese_document_is_set_from_the_cut_font_with_every_letter() -> None:
    doc = _document()
    regular, bold = pdf_render.fonts_for(doc)
    whole = [str(path) for path in pdf_render.find_font()]
    assert regular not in whole and bold not in whole  # the cut made once per process
    assert os.path.getsize(regular) < os.path.getsize(whole[0]) / 3
    assert set(VIETNAMESE) <= _characters_in(pdf_render.render_document(doc))


def test_a_name_outside_latin_is_set_from_the_whole_font_and_kept() -> None:
    name = "Жанна Ωμέγα"  # Cyrillic and Greek: outside the cut, inside Noto Sans and DejaVu
    doc = pdf_render.Document(title="Giấy tiếp nhận", sections=[
        pdf_render.Section("Người nộp", rows=[("Họ và tên", name)])])
    assert pdf_render.fonts_for(doc) == tuple(str(path) for path in pdf_render.find_font())
    shown = _characters_in(pdf_render.render_document(doc))
    assert set(name.replace(" ", "")) <= shown and set("Giấy tiếp nhận") <= shown


def _embedded_fonts(data: bytes) -> list[TTFont]:
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    found = []
    for page in reader.root["/Pages"]["/Kids"]:
        fonts = page.get_object()["/Resources"]["/Font"]
        for name in fonts:
            for descendant in fonts[name].get("/DescendantFonts", []):
                stream = descendant.get_object()["/FontDescriptor"]["/FontFile2"]
                found.append(TTFont(io.BytesIO(stream.get_object().data)))
    return found


@pytest.mark.parametrize("name", ["Nguyễn Thị Hường", "Жанна Ωμέγα"])
def test_every_embedded_glyph_keeps_the_bounds_of_its_outline(name: str) -> None:
    """The glyphs go into the PDF as the font file holds them: each one's bounding box (what
    a viewer clips and places it by) must still be that of its outline, and the font's
    maxima must hold every glyph, in the cut font and in the whole one."""
    doc = pdf_render.Document(title="Giấy tiếp nhận", sections=[
        pdf_render.Section("Người nộp", rows=[("Họ và tên", name)], paragraphs=[VIETNAMESE])])
    fonts = _embedded_fonts(pdf_render.render_document(doc))
    assert len(fonts) == 2  # regular and bold
    for font in fonts:
        glyf, most_points = font["glyf"], 0
        outlined = [g for g in font.getGlyphOrder() if glyf[g].numberOfContours]
        assert len(outlined) > 20
        for glyph_name in outlined:
            glyph = glyf[glyph_name]
            stored = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
            glyph.recalcBounds(glyf)
            assert stored == (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax), glyph_name
            if glyph.numberOfContours > 0:
                most_points = max(most_points, len(glyph.getCoordinates(glyf)[0]))
        assert font["maxp"].maxPoints >= most_points


def test_a_replaced_key_is_read_again(tmp_path: Path) -> None:
    store = pki.AgencyKeys(tmp_path / "pki")
    pki.init_demo(store, [("UBND-Z", "UBND xã Z")])
    first = pki.load_signer(store, "UBND-Z")
    assert pki.load_signer(store, "UBND-Z") is first  # kept while the file is unchanged
    store.pkcs12_path("UBND-Z").unlink()
    pki.init_demo(store, [("UBND-Z", "UBND xã Z")])  # a new key in the same place
    second = pki.load_signer(store, "UBND-Z")
    assert second is not first
    assert second.signing_cert.sha256 != first.signing_cert.sha256  # type: ignore[attr-defined]
    signed = pdf_render.sign_pdf(pdf_render.render_document(_document()), second)
    assert pdf_render.check_signature(signed, store.trust_roots()).valid


def test_every_signature_of_a_key_validates_with_its_room_reused(keys: pki.AgencyKeys) -> None:
    signer = pki.load_signer(keys, "UBND-X")
    pdf = pdf_render.render_document(_document())
    signed = [pdf_render.sign_pdf(pdf, signer, reason=reason) for reason in ("a", "b" * 200)]
    for data in signed:
        assert pdf_render.check_signature(data, keys.trust_roots()).valid
    room = {pdf_render._signature_room(data) for data in signed}
    assert len(room) == 1  # the second signature reused the first one's reserved size


def test_a_signed_document_validates_against_the_agency_chain(keys: pki.AgencyKeys) -> None:
    signer = pki.load_signer(keys, "UBND-X")
    signed = pdf_render.sign_pdf(pdf_render.render_document(_document()), signer,
                                 reason="Kết quả giải quyết TTHC")
    check = pdf_render.check_signature(signed, keys.trust_roots())
    assert check.valid and check.intact and check.trusted, check.problem
    assert "UBND-X" in check.signer


def test_one_changed_byte_fails_validation(keys: pki.AgencyKeys) -> None:
    signed = bytearray(pdf_render.sign_pdf(pdf_render.render_document(_document()),
                                           pki.load_signer(keys, "UBND-X")))
    at = signed.index(b"/Title") + 8  # inside the signed bytes, outside the signature itself
    signed[at] ^= 0x01
    check = pdf_render.check_signature(bytes(signed), keys.trust_roots())
    assert not check.valid and not check.intact


def test_another_ca_is_not_trusted(keys: pki.AgencyKeys, tmp_path: Path) -> None:
    other = pki.AgencyKeys(tmp_path / "other")
    pki.init_demo(other, [("UBND-X", "Giả mạo")])
    signed = pdf_render.sign_pdf(pdf_render.render_document(_document()),
                                 pki.load_signer(other, "UBND-X"))
    check = pdf_render.check_signature(signed, keys.trust_roots())
    assert check.intact and not check.trusted and not check.valid


def test_unsigned_or_garbage_is_invalid_not_an_error(keys: pki.AgencyKeys) -> None:
    assert not pdf_render.check_signature(pdf_render.render_document(_document()),
                                          keys.trust_roots()).valid
    assert not pdf_render.check_signature(b"not a pdf", keys.trust_roots()).valid


def test_init_keeps_existing_keys(keys: pki.AgencyKeys) -> None:
    before = keys.pkcs12_path("UBND-X").read_bytes()
    assert pki.init_demo(keys, [("UBND-X", "UBND xã Tân Phú"), ("UBND-Y", "UBND xã Y")]) == ["UBND-Y"]
    assert keys.pkcs12_path("UBND-X").read_bytes() == before
    assert oct(keys.pkcs12_path("UBND-Y").stat().st_mode & 0o777) == "0o600"


def test_without_a_writable_temporary_folder_documents_use_the_whole_font(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    monkeypatch.setattr(pdf_render, "_script_fonts", pdf_render._ScriptFonts())
    monkeypatch.setattr(pdf_render.tempfile, "tempdir", str(a_file / "below"))  # cannot exist
    doc = _document()
    assert pdf_render.fonts_for(doc) == tuple(str(path) for path in pdf_render.find_font())
    assert set(VIETNAMESE) <= _characters_in(pdf_render.render_document(doc))


def test_a_signature_that_outgrows_its_keys_room_is_signed_again(keys: pki.AgencyKeys) -> None:
    signer = pki.load_signer(keys, "UBND-X")
    pdf = pdf_render.render_document(_document())
    key = (signer.signing_cert.sha256, None)  # type: ignore[attr-defined]
    pdf_render._reserved_room[key] = 64  # as if the key's first signature had been tiny
    signed = pdf_render.sign_pdf(pdf, signer)
    assert pdf_render.check_signature(signed, keys.trust_roots()).valid
    assert pdf_render._reserved_room[key] == pdf_render._signature_room(signed) > 1000


def test_a_forked_worker_makes_its_own_cut_and_leaves_the_parents(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """gunicorn forks its workers: a worker exiting must not take its parent's font files."""
    monkeypatch.setattr(pdf_render, "_script_fonts", pdf_render._ScriptFonts())
    doc = _document()
    parents = pdf_render.fonts_for(doc)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: its own cut, then what its exit runs (`atexit`) for them
        os.close(read)
        os.write(write, pdf_render.fonts_for(doc)[0].encode())
        pdf_render._remove_made_folders()
        os._exit(0)
    os.close(write)
    childs = os.read(read, 4096).decode()
    os.close(read)
    assert os.waitpid(child, 0)[1] == 0
    assert childs != parents[0] and not os.path.exists(childs)  # its own, removed at its exit
    assert os.path.exists(parents[0]) and pdf_render.fonts_for(doc) == parents
    assert set(VIETNAMESE) <= _characters_in(pdf_render.render_document(doc))


def test_a_document_kept_as_json_comes_back_the_same():
    """What a worker signs later is what the action said: every part survives JSON."""
    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (20, 30), (0, 90, 200)).save(image, "PNG")
    doc = pdf_render.Document(
        title="GIẤY TIẾP NHẬN HỒ SƠ", header=("UBND PHƯỜNG HOÀN KIẾM", "Độc lập - Tự do - Hạnh phúc"),
        subtitle="Số: 000.00.01.H26-261203-0001", footer=("Văn bản điện tử.",),
        sections=(pdf_render.Section("Thông tin hồ sơ", rows=(("Người nộp", "Nguyễn Thị Hường"),),
                                     paragraphs=("Đoạn văn.",)),),
        qr_url="https://hoso.example/verify/abc", qr_caption="mã abc", author="UBND",
        created_at=datetime(2026, 12, 3, 8, 30, tzinfo=UTC), image=image.getvalue(),
        keywords=("receipt",))
    back = pdf_render.Document.from_source(json.loads(json.dumps(doc.as_source())))
    assert back == doc
