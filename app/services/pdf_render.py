"""The one PDF renderer: a titled document of sections and rows, then a PAdES signature.

Two calls cover every document Hoso issues (results, receipts of filing, fee receipts):

    pdf = render_document(Document(title="GIẤY TIẾP NHẬN HỒ SƠ", sections=[...]))
    signed = sign_pdf(pdf, signer)          # signer: a pyHanko Signer (app/services/pki.py)
    check = check_signature(signed, trust_roots=[ca_cert])   # valid / intact / trusted

Text is set in a TrueType font with every Vietnamese glyph (Noto Sans, else DejaVu Sans,
found at run time; Debian's fonts-noto-core or fonts-dejavu-core, installed by
scripts/run.sh and scripts/test.sh). fpdf2 parses and subsets the font files for every
document (the kept glyphs copied as they are, their bounding boxes not recomputed), so a
document whose text stays within Latin and Vietnamese is set from a cut of those files made
once per process (`WRITTEN_SCRIPTS`: ≈ 115 KB instead of ≈ 500 KB, about half the
rendering's time); any other text is set from the whole files, so no character is
dropped. No Flask here.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import io
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

# Font families in order of preference, each as (regular, bold) file names.
FONT_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
)
FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/noto", "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/noto", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
    "/usr/share/fonts/truetype", "/usr/local/share/fonts", "/Library/Fonts",
)


# The code points a cut of the font keeps: what Vietnamese and other Latin-script text, the
# đồng and euro signs and common punctuation need. Anything else uses the whole font.
WRITTEN_SCRIPTS: tuple[range, ...] = (
    range(0x20, 0x7F),        # ASCII
    range(0xA0, 0x250),       # Latin-1, Latin Extended-A and -B (Ơ ơ Ư ư)
    range(0x300, 0x370),      # combining diacritics (a name typed with combining marks)
    range(0x1E00, 0x1F00),    # Latin Extended Additional (ạ ả ấ … ỹ)
    range(0x2000, 0x2070),    # general punctuation (– — ‘ ’ “ ” …)
    range(0x20AB, 0x20AD),    # ₫ €
    range(0x2116, 0x2117),    # №
)


class FontMissing(RuntimeError):
    """No TrueType font with Vietnamese glyphs was found (install fonts-noto-core)."""


@dataclass(frozen=True)
class Section:
    """A heading, then label/value rows, then free paragraphs."""

    title: str = ""
    rows: Sequence[tuple[str, str]] = ()
    paragraphs: Sequence[str] = ()


@dataclass(frozen=True)
class Document:
    """What a signed document says. `header` lines go above the title (the agency, the
    national motto); `qr_url` draws a QR code linking there; `footer` lines close it."""

    title: str
    sections: Sequence[Section] = ()
    header: Sequence[str] = ()
    subtitle: str = ""
    footer: Sequence[str] = ()
    qr_url: str | None = None
    qr_caption: str = ""
    author: str = ""
    created_at: datetime | None = None
    image: bytes | None = None  # an embedded scan (PNG/JPEG), drawn full width
    keywords: Sequence[str] = field(default_factory=tuple)

    def as_source(self) -> dict[str, Any]:
        """The document as JSON, to be laid out later by `Document.from_source`."""
        return {"title": self.title, "header": list(self.header), "subtitle": self.subtitle,
                "sections": [{"title": s.title, "rows": [list(r) for r in s.rows],
                              "paragraphs": list(s.paragraphs)} for s in self.sections],
                "footer": list(self.footer), "qr_url": self.qr_url, "qr_caption": self.qr_caption,
                "author": self.author, "keywords": list(self.keywords),
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "image": base64.b64encode(self.image).decode() if self.image else None}

    @classmethod
    def from_source(cls, source: dict[str, Any]) -> Document:
        created = source.get("created_at")
        image = source.get("image")
        return cls(title=source["title"], header=tuple(source.get("header") or ()),
                   subtitle=source.get("subtitle") or "",
                   sections=tuple(Section(s.get("title") or "",
                                          tuple((str(a), str(b)) for a, b in s.get("rows") or ()),
                                          tuple(s.get("paragraphs") or ()))
                                  for s in source.get("sections") or ()),
                   footer=tuple(source.get("footer") or ()), qr_url=source.get("qr_url"),
                   qr_caption=source.get("qr_caption") or "", author=source.get("author") or "",
                   keywords=tuple(source.get("keywords") or ()),
                   created_at=datetime.fromisoformat(created) if created else None,
                   image=base64.b64decode(image) if image else None)


@lru_cache(maxsize=1)
def find_font() -> tuple[Path, Path]:
    """Paths of a regular and a bold TrueType font that cover Vietnamese."""
    for regular, bold in FONT_CANDIDATES:
        for folder in FONT_DIRS:
            base = Path(folder)
            if (base / regular).is_file():
                bold_path = base / bold
                return base / regular, bold_path if bold_path.is_file() else base / regular
    raise FontMissing(
        "No Vietnamese font found: install Debian's fonts-noto-core or fonts-dejavu-core")


class _ScriptFonts:
    """The regular and bold fonts cut to `WRITTEN_SCRIPTS`, written once per process to a
    private temporary folder (fpdf2 reads fonts from files), and the characters they hold."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: tuple[tuple[str, str], frozenset[str]] | None = None
        self._pid = 0

    def get(self) -> tuple[tuple[str, str], frozenset[str]]:
        """The cut's files and characters; none (every document in the whole font) when the
        process cannot write a temporary folder. A forked process makes its own: the files of
        the process that made them go when it exits."""
        with self._lock:
            if self._made is None or self._pid != os.getpid():
                self._pid = os.getpid()
                try:
                    self._made = self._make()
                except OSError:
                    log.warning("could not write the cut fonts: documents use the whole font",
                                exc_info=True)
                    self._made = (("", ""), frozenset())
            return self._made

    @staticmethod
    def _make() -> tuple[tuple[str, str], frozenset[str]]:
        from fontTools import subset, ttLib

        folder = Path(tempfile.mkdtemp(prefix="hoso-fonts-"))
        _made_folders.append((os.getpid(), folder))
        unicodes = [code for block in WRITTEN_SCRIPTS for code in block]
        paths: list[str] = []
        covered: set[int] | None = None
        for source in find_font():
            font = ttLib.TTFont(str(source))
            options = subset.Options()
            options.layout_features = []  # fpdf2 does not shape text: no GSUB/GPOS needed
            options.hinting = True  # kept, as fpdf2 keeps it: the same look on screen
            options.name_IDs = ["*"]
            options.notdef_outline = True
            cutter = subset.Subsetter(options)
            cutter.populate(unicodes=unicodes)
            cutter.subset(font)
            target = folder / source.name
            font.save(str(target))
            paths.append(str(target))
            held = set(font.getBestCmap())
            covered = held if covered is None else covered & held
        return (paths[0], paths[1]), frozenset(chr(code) for code in covered or ())


_script_fonts = _ScriptFonts()
# (pid of the process that made it, folder) of every cut: a forked process inherits the
# list, and removes at its exit only the folders it made itself.
_made_folders: list[tuple[int, Path]] = []


@atexit.register
def _remove_made_folders() -> None:
    for maker, folder in _made_folders:
        if maker == os.getpid():
            shutil.rmtree(folder, ignore_errors=True)


def _texts(doc: Document) -> list[str]:
    texts = [doc.title, doc.subtitle, doc.qr_caption, doc.qr_url or "", "—",
             *doc.header, *doc.footer]
    for section in doc.sections:
        texts.append(section.title)
        texts.extend(f"{label}:{value}" for label, value in section.rows)
        texts.extend(section.paragraphs)
    return texts


def fonts_for(doc: Document) -> tuple[str, str]:
    """The (regular, bold) font files to set this document in: the cut when it holds every
    character of the document's text, else the whole font."""
    (regular, bold), covered = _script_fonts.get()
    used = {char for text in _texts(doc) for char in text if char >= " "}
    if covered and used <= covered:
        return regular, bold
    whole = find_font()
    return str(whole[0]), str(whole[1])


def qr_png(url: str, scale: int = 4) -> bytes:
    """A QR code (error correction M) as PNG bytes."""
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def render_document(doc: Document) -> bytes:
    """Lay the document out on A4 pages and return the PDF's bytes (unsigned)."""
    from fpdf import FPDF

    regular, bold = fonts_for(doc)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(18, 16, 18)
    pdf.add_font("Body", "", regular)
    pdf.add_font("Body", "B", bold)
    for font in pdf.fonts.values():
        # fpdf2 embeds a subset of each font, which fontTools would save with every kept
        # glyph unpacked and packed again to recompute bounding boxes the font already
        # holds (a fifth of the rendering): the glyphs go in as they are in the file.
        font.ttfont.recalcBBoxes = False
    pdf.set_title(doc.title)
    if doc.author:
        pdf.set_author(doc.author)
    pdf.set_creator("Hoso")
    if doc.keywords:
        pdf.set_keywords(" ".join(doc.keywords))
    if doc.created_at is not None:
        pdf.set_creation_date(doc.created_at)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("Body", "B", 10)
    for line in doc.header:
        pdf.multi_cell(width, 5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    if doc.header:
        pdf.ln(4)
    pdf.set_font("Body", "B", 15)
    pdf.multi_cell(width, 8, doc.title, align="C", new_x="LMARGIN", new_y="NEXT")
    if doc.subtitle:
        pdf.set_font("Body", "", 10)
        pdf.multi_cell(width, 5, doc.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)

    label_width = width * 0.38
    for section in doc.sections:
        if section.title:
            pdf.set_font("Body", "B", 11)
            pdf.multi_cell(width, 7, section.title, new_x="LMARGIN", new_y="NEXT")
        for label, value in section.rows:
            pdf.set_font("Body", "", 10)
            top, page = pdf.get_y(), pdf.page
            pdf.multi_cell(label_width, 5.5, f"{label}:", new_x="RIGHT", new_y="TOP")
            pdf.set_font("Body", "B", 10)
            if pdf.page != page:  # the label broke onto a new page: keep the pair together
                top = pdf.t_margin
            pdf.set_xy(pdf.l_margin + label_width, top)
            pdf.multi_cell(width - label_width, 5.5, value or "—", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Body", "", 10)
        for paragraph in section.paragraphs:
            pdf.multi_cell(width, 5.5, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    if doc.image is not None:  # a scan: as large as fits, its proportions kept
        room = pdf.h - pdf.b_margin - pdf.get_y() - (40 if doc.qr_url else 0)
        if room < 120:
            pdf.add_page()
            room = pdf.h - pdf.b_margin - pdf.get_y() - (40 if doc.qr_url else 0)
        top = pdf.get_y()
        info = pdf.image(io.BytesIO(doc.image), x=pdf.l_margin, y=top, w=width, h=room,
                         keep_aspect_ratio=True)
        pdf.set_y(top + float(info.rendered_height) + 3)

    if doc.qr_url:
        size = 30
        if pdf.get_y() + size + 10 > pdf.h - pdf.b_margin:
            pdf.add_page()
        top = pdf.get_y()
        pdf.image(io.BytesIO(qr_png(doc.qr_url)), x=pdf.l_margin, y=top, w=size, h=size)
        pdf.set_xy(pdf.l_margin + size + 4, top + 2)
        pdf.set_font("Body", "", 9)
        caption = f"{doc.qr_caption}\n{doc.qr_url}" if doc.qr_caption else doc.qr_url
        pdf.multi_cell(width - size - 4, 4.5, caption, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), top + size + 2))

    if doc.footer:
        pdf.set_font("Body", "", 9)
        for line in doc.footer:
            pdf.multi_cell(width, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def sign_pdf(data: bytes, signer: object, *, timestamp_url: str | None = None,
             reason: str = "", location: str = "", field_name: str = "Signature") -> bytes:
    """Sign a PDF as PAdES (ETSI.CAdES.detached) with a pyHanko `Signer`; with a TSA URL
    the signature carries an RFC 3161 timestamp. Returns the signed PDF's bytes."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.sign.general import SigningError

    meta = signers.PdfSignatureMetadata(
        field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason or None, location=location or None,
        use_pades_lta=False, embed_validation_info=False,
    )
    timestamper = timestamps.HTTPTimeStamper(timestamp_url) if timestamp_url else None

    def attempt(reserved: int | None) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        return _outside_event_loop(lambda: signers.sign_pdf(
            writer, meta, signer=signer, timestamper=timestamper,  # type: ignore[arg-type]
            bytes_reserved=reserved)).getvalue()

    # pyHanko sizes the signature's placeholder with a dry-run signature (half its signing
    # time) unless told the size: the first signature of a key (and TSA) is sized that way,
    # and the room it reserved (estimate + 50 %) is reused for that key's later ones. A
    # signature that outgrows it (a TSA's answer grew) is signed again, sized afresh.
    room_key = (getattr(getattr(signer, "signing_cert", None), "sha256", b""), timestamp_url)
    reserved = _reserved_room.get(room_key) if room_key[0] else None
    try:
        signed = attempt(reserved)
    except SigningError:
        if reserved is None:
            raise
        reserved = None
        signed = attempt(None)
    if reserved is None and room_key[0]:
        _reserved_room[room_key] = _signature_room(signed)
    return signed


# Signing key's certificate fingerprint and TSA URL -> bytes reserved for its signature.
_reserved_room: dict[tuple[bytes, str | None], int] = {}


def _signature_room(signed: bytes) -> int:
    """The hex digits reserved for the (last) signature of a signed PDF."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    signature = PdfFileReader(io.BytesIO(signed), strict=False).embedded_signatures[-1]
    return len(signature.sig_object["/Contents"]) * 2


@dataclass(frozen=True)
class SignatureCheck:
    """What a validator says about a signed PDF: `valid` is the bottom line (intact,
    cryptographically sound, chained to a trusted root, covering the whole file)."""

    valid: bool
    intact: bool
    trusted: bool
    signer: str
    signed_at: datetime | None
    timestamped: bool
    problem: str = ""


def check_signature(data: bytes, trust_roots: Sequence[object],
                    other_certs: Sequence[object] = ()) -> SignatureCheck:
    """Validate the PDF's single signature against these roots with pyHanko's validator.
    Anything unreadable or unsigned is a failed check, never an exception."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
        if len(signatures) != 1:
            return SignatureCheck(False, False, False, "", None, False,
                                  f"expected one signature, found {len(signatures)}")
        context = ValidationContext(trust_roots=[_asn1(c) for c in trust_roots],
                                    other_certs=[_asn1(c) for c in other_certs],
                                    allow_fetching=False)
        status = _outside_event_loop(lambda: validate_pdf_signature(signatures[0], context))
    except Exception as exc:  # a damaged file is an invalid document, not a server error
        return SignatureCheck(False, False, False, "", None, False,
                              f"{type(exc).__name__}: {exc}")
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    return SignatureCheck(
        valid=bool(status.bottom_line) and whole_file,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        signer=signer,
        signed_at=status.signer_reported_dt,
        timestamped=status.timestamp_validity is not None,
        problem="" if status.bottom_line and whole_file else status.pretty_print_details(),
    )


def _outside_event_loop(call: Callable[[], T]) -> T:
    """pyHanko's validator runs its own asyncio loop: from a thread that already runs one
    (an async caller, Playwright's sync API in tests) it runs in a short-lived thread."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def _asn1(cert: object) -> object:
    """pyHanko wants asn1crypto certificates; accept `cryptography` ones too."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding

    if hasattr(cert, "public_bytes"):
        return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    return cert


def sha256_hex(data: bytes) -> str:
    """The document hash printed on /verify and stored with every issued document."""
    return hashlib.sha256(data).hexdigest()
