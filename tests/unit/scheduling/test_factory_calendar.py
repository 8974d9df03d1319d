"""Factory calendars against a day-by-day reference; validation."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubus.scheduling.calendar import FactoryCalendar, days_array
from kubus.scheduling.errors import CalendarError, InvalidDateError, InvalidParameterError

START = date(2024, 3, 1)


def naive_is_workday(cal_workdays, holidays, d):
    return d.weekday() in cal_workdays and d not in holidays


def naive_add(cal_workdays, holidays, d, n):
    while not naive_is_workday(cal_workdays, holidays, d):
        d += timedelta(days=1)
    while n:
        d += timedelta(days=1)
        if naive_is_workday(cal_workdays, holidays, d):
            n -= 1
    return d


def naive_subtract(cal_workdays, holidays, d, n):
    while not naive_is_workday(cal_workdays, holidays, d):
        d -= timedelta(days=1)
    while n:
        d -= timedelta(days=1)
        if naive_is_workday(cal_workdays, holidays, d):
            n -= 1
    return d


calendars = st.tuples(
    st.frozensets(st.integers(0, 6), min_size=1),
    st.frozensets(st.integers(0, 60).map(lambda o: START + timedelta(days=o)), max_size=10),
)


@given(calendars, st.integers(0, 50).map(lambda o: START + timedelta(days=o)), st.integers(0, 12))
def test_working_day_arithmetic_matches_day_by_day_counting(cal, start, n):
    workdays, holidays = cal
    calendar = FactoryCalendar(workdays, holidays)
    assert calendar.is_workday(start) == naive_is_workday(workdays, holidays, start)
    assert calendar.add_workdays(start, n) == naive_add(workdays, holidays, start, n)
    assert calendar.subtract_workdays(start, n) == naive_subtract(workdays, holidays, start, n)
    # Adjoint: subtract gives the latest working day from which adding n still arrives in time.
    back = calendar.subtract_workdays(start, n)
    assert calendar.add_workdays(back, n) <= start
    nxt = calendar.add_workdays(back, 0) + timedelta(days=1)
    assert calendar.add_workdays(nxt, n) > start


@given(calendars, st.lists(st.integers(0, 50), min_size=1, max_size=20), st.integers(0, 5))
def test_vectorised_equals_scalar(cal, offsets, n):
    calendar = FactoryCalendar(*cal)
    days = [START + timedelta(days=o) for o in offsets]
    added = calendar.add_workdays_array(days_array(days), n).tolist()
    subtracted = calendar.subtract_workdays_array(days_array(days), n).tolist()
    assert added == [calendar.add_workdays(d, n) for d in days]
    assert subtracted == [calendar.subtract_workdays(d, n) for d in days]
    assert calendar.is_workday_array(days_array(days)).tolist() == [
        calendar.is_workday(d) for d in days
    ]


def test_next_previous_and_count():
    cal = FactoryCalendar.monday_to_friday(holidays=[date(2024, 3, 29), date(2024, 4, 1)])
    assert cal.next_workday(date(2024, 3, 29)) == date(2024, 4, 2)
    assert cal.previous_workday(date(2024, 4, 1)) == date(2024, 3, 28)
    assert cal.next_workday(date(2024, 3, 28)) == date(2024, 3, 28)
    assert cal.count_workdays(date(2024, 3, 25), date(2024, 4, 8)) == 8


def test_six_day_calendar():
    cal = FactoryCalendar.monday_to_saturday()
    assert cal.is_workday(date(2024, 3, 16)) and not cal.is_workday(date(2024, 3, 17))


@pytest.mark.parametrize(
    "workdays",
    [frozenset(), frozenset({7}), frozenset({-1}), frozenset({True}), frozenset({"mon"})],
)
def test_calendar_without_valid_working_days_is_an_error(workdays):
    with pytest.raises(CalendarError) as err:
        FactoryCalendar(workdays)
    assert err.value.to_dict()["error"] == "invalid_calendar"


def test_bad_dates_and_counts():
    cal = FactoryCalendar()
    with pytest.raises(InvalidDateError):
        FactoryCalendar(holidays=frozenset({"2024-03-29"}))
    with pytest.raises(InvalidDateError):
        cal.add_workdays("2024-03-04", 1)
    with pytest.raises(InvalidParameterError):
        cal.add_workdays(START, -1)
    with pytest.raises(InvalidParameterError):
        cal.add_workdays_array(days_array([START]), np.array([-1]))
    with pytest.raises(InvalidDateError):
        days_array(["2024-13-01"])


def test_calendars_are_hashable_values():
    a = FactoryCalendar.monday_to_friday([date(2024, 3, 29)])
    b = FactoryCalendar(frozenset(range(5)), frozenset({date(2024, 3, 29)}))
    assert a == b and hash(a) == hash(b)
