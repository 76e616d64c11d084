"""What a file really is, judged by its first bytes, and how the phone names sizes and types.

Only the magic bytes decide: a name or a declared type merely has to agree with them.
"""

from __future__ import annotations

from app.errors import DomainError

SNIFF_BYTES = 12  # enough to tell JPEG, PNG, PDF, HEIC and WebP apart
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
KNOWN_TYPES = {"image/jpeg", "image/png", "application/pdf", "image/heic", "image/webp"}
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/heif": "image/heic"}
BY_EXTENSION = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
    "heic": "image/heic",
    "heif": "image/heic",
    "webp": "image/webp",
}
SHORT_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "application/pdf": "PDF",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "image/webp": "WebP",
}


class UnsupportedFileType(DomainError):
    status, slug, title = 415, "unsupported-file-type", "File type not accepted"


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes prove, or None if they match no known format."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def claimed_types(declared_type: str, filename: str) -> set[str]:
    """What the header and the file name say the file is (only types we can recognise)."""
    claims = {ALIASES.get(declared_type.lower(), declared_type.lower())}
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    claims.add(BY_EXTENSION.get(ext, ""))
    return claims & KNOWN_TYPES


def type_accepted(detected: str | None, accept: list[str]) -> bool:
    if not accept:
        return True
    if detected == "image/heic" and "image/heif" in accept:
        return True
    return detected in accept


def megabytes(n: int) -> str:
    """1.5, 10: as the phone shows sizes (pwa/app/uploads.js)."""
    return f"{n / 1048576:.1f}".removesuffix(".0")


def type_list(accept: list[str]) -> str:
    """JPEG, PNG, PDF: as the phone lists accepted types (pwa/app/uploads.js)."""
    return ", ".join(SHORT_NAMES.get(t, t) for t in accept)
