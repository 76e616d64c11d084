"""Appointment-date arithmetic across weekends, holidays and a paused supplement."""

from datetime import date

from app.services.workdays import add_working_days, is_working_day, working_days_between

TET_2026 = {date(2026, 2, d) for d in (16, 17, 18, 19, 20)}  # Mon–Fri off


def test_weekend_is_skipped():
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 1, set()) == date(2026, 11, 30)  # Monday
    assert add_working_days(friday, 5, set()) == date(2026, 12, 4)


def test_zero_days_means_same_or_next_working_day():
    assert add_working_days(date(2026, 11, 25), 0, set()) == date(2026, 11, 25)
    assert add_working_days(date(2026, 11, 28), 0, set()) == date(2026, 11, 30)  # Sat → Mon


def test_holiday_week_is_skipped():
    # Accepted Friday before Tết: 10 working days run over the holiday week and weekends.
    accepted = date(2026, 2, 13)
    assert add_working_days(accepted, 10, TET_2026) == date(2026, 3, 6)
    assert add_working_days(accepted, 10, set()) == date(2026, 2, 27)
    assert not is_working_day(date(2026, 2, 17), TET_2026)


def test_pause_extends_by_working_days_only():
    paused, resumed = date(2026, 11, 26), date(2026, 12, 1)  # Thu → next Tue
    assert working_days_between(paused, resumed, set()) == 3  # Fri, Mon, Tue
    appointment = date(2026, 12, 3)
    assert add_working_days(appointment, 3, set()) == date(2026, 12, 8)
    assert working_days_between(paused, paused, set()) == 0


def test_a_holiday_loaded_mid_session_moves_the_next_appointment(db):
    """The holiday table is read once per session, and a newly loaded day is not missed:
    an appointment computed after it skips it."""
    from app.services import catalog, workdays

    monday = date(2031, 6, 2)
    assert add_working_days(monday, 1, workdays.holidays(db.session)) == date(2031, 6, 3)
    held = workdays.holidays(db.session)
    assert workdays.holidays(db.session) is held  # kept: not read again
    catalog.load_holidays(db.session, {"holidays": [{"date": "2031-06-03", "name": "Test"}]})
    try:
        assert add_working_days(monday, 1, workdays.holidays(db.session)) == date(2031, 6, 4)
    finally:
        db.session.rollback()
        workdays.forget(db.session)
