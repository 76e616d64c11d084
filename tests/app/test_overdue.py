"""The back office's SQL overdue filter and `is_overdue` are twins: they must agree on
every combination of appointment, pause and finish dates."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import select

from app.models.dossiers import Dossier
from app.services.dossiers import is_overdue, overdue_clause
from tests.factories import make_dossier

TODAY = date(2026, 6, 15)
DAY = timedelta(days=1)


def test_sql_overdue_clause_agrees_with_is_overdue(db, citizen):
    before, on, after = TODAY - DAY, TODAY, TODAY + DAY
    cases = list(itertools.product([None, before, on, after],       # appointment_date
                                   [None, before - DAY, after + DAY],  # paused_on
                                   [None, before - DAY, after + DAY]))  # finished_on
    dossiers = []
    for due, paused, finished in cases:
        dossier = make_dossier(db.session, citizen.user)
        dossier.appointment_date, dossier.paused_on, dossier.finished_on = due, paused, finished
        dossiers.append(dossier)
    db.session.commit()
    ids = [d.id for d in dossiers]
    in_sql = set(db.session.scalars(select(Dossier.id).where(Dossier.id.in_(ids),
                                                             overdue_clause(TODAY))))
    in_python = {d.id for d in dossiers if is_overdue(d, TODAY)}
    assert in_python == in_sql
    assert 0 < len(in_sql) < len(cases)  # both answers occur
