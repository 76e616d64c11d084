"""What the desk's search box matches: a dossier's text without accents, in lower case.

A citizen who phones gives a name ("nguyen van an" finds "Nguyễn Văn An"), an ID number, a
phone number or part of a receipt code; a dossier not yet accepted has no code, so its
answers are searched too. The text is kept on the dossier (`search_text`), written at each
step (`dossiers.transition`), so a search is one indexed-free LIKE on one column per agency.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.models.dossiers import Dossier
from app.services import forms


def fold(text: str) -> str:
    """'Nguyễn Thị Đào' -> 'nguyen thi dao' (what is stored and what is looked for)."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, str):
        yield value


def search_text(session: Session, dossier: Dossier, today: date) -> str:
    """The owner's name and phone, the receipt code and every answer the form shows."""
    from app.services.dossiers import form_version

    form = form_version(session, dossier.procedure_code, dossier.form_version).form
    shown = forms.visible_values(form, dossier.fields or {}, today)
    owner = dossier.owner
    parts = [owner.full_name if owner else "", (owner.phone or "") if owner else "",
             dossier.receipt_code or "", *_leaves(shown)]
    return fold(" | ".join(p for p in parts if p))


def terms(query: str) -> list[str]:
    """The words of a search, folded; each must appear (in any order)."""
    return [t for t in fold(query).replace("%", " ").replace("_", " ").split() if t][:8]
