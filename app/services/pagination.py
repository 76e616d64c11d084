"""The one pagination helper: a page of a query's rows with the total they come from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def page_of(session: Session, stmt: Select[Any], *order_by: Any, page: int, per_page: int
            ) -> dict[str, Any]:
    """`{"items": [...rows], "page", "per_page", "total"}` for page `page` (from 1)."""
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(*order_by).limit(per_page).offset((page - 1) * per_page))
    return {"items": list(rows), "page": page, "per_page": per_page, "total": total}
