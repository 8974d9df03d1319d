"""Delivery and transportation scheduling: SCH-1..SCH-5 of domain.md §3.5, calendars, rounding.

Common parameters: transit 2 d, loading 1 d, pick/pack 2 d, transportation lead time 1 d;
Mon-Fri calendars; today = 2024-03-04 (Mon). Expected dates are copied from domain.md.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from kubus.scheduling.atp import ConfirmationRule
from kubus.scheduling.calendar import FactoryCalendar
from kubus.scheduling.delivery import (
    Direction,
    Route,
    ShippingPoint,
    backward,
    forward,
    schedule,
    schedule_many,
    whole_working_days,
)
from kubus.scheduling.errors import DateInPastError, InvalidLeadTimeError
from kubus.scheduling.schedule_lines import ItemRequest, confirm_item
from kubus.scheduling.timeline import Timeline

TODAY = date(2024, 3, 4)
SP = ShippingPoint(pick_pack_days=2, loading_days=1)
ROUTE = Route(transit_days=2, transportation_lead_days=1)


def d(month: int, day: int) -> date:
    return date(2024, month, day)


def dates(s):
    return (s.gi, s.load, s.mad, s.tpd)


def test_sch_1_backward_ok():
    s = schedule(d(3, 15), SP, ROUTE, today=TODAY)
    assert s.direction is Direction.BACKWARD
    assert dates(s) == (d(3, 13), d(3, 12), d(3, 8), d(3, 11))
    assert s.selection_date == d(3, 8)
    assert s.delivery == d(3, 15)


def test_sch_2_backward_fails_then_forward():
    b = backward(d(3, 6), SP, ROUTE)
    assert dates(b) == (d(3, 4), d(3, 1), d(2, 28), d(2, 29))
    s = schedule(d(3, 6), SP, ROUTE, today=TODAY)
    assert s.direction is Direction.FORWARD
    assert (s.mad, s.load, s.gi, s.delivery) == (d(3, 4), d(3, 6), d(3, 7), d(3, 11))
    assert s.delivery.weekday() == 0


def test_sch_2_schedule_lines():
    supply = Timeline.from_arrays([TODAY], [100])
    item = confirm_item(ItemRequest(60, d(3, 6)), supply, SP, ROUTE, today=TODAY)
    first, second = item.lines
    assert (first.number, first.delivery_date, first.order_quantity, first.confirmed_quantity) == (
        1,
        d(3, 6),
        60,
        0,
    )
    assert (
        second.number,
        second.delivery_date,
        second.order_quantity,
        second.confirmed_quantity,
    ) == (2, d(3, 11), 0, 60)
    assert second.dates.mad == d(3, 4)


def test_sch_3_holidays():
    holidays = [d(3, 29), d(4, 1)]
    sp = ShippingPoint(2, 1, FactoryCalendar.monday_to_friday(holidays))
    route = Route(2, 1, FactoryCalendar.monday_to_friday(holidays))
    s = schedule(d(4, 2), sp, route, today=TODAY)
    assert dates(s) == (d(3, 27), d(3, 26), d(3, 22), d(3, 25))


@pytest.mark.parametrize(
    ("route_calendar", "expected"),
    [
        (FactoryCalendar.monday_to_friday(), (d(3, 14), d(3, 13), d(3, 11), d(3, 12))),
        (FactoryCalendar.monday_to_saturday(), (d(3, 15), d(3, 14), d(3, 12), d(3, 13))),
    ],
    ids=["mon-fri", "mon-sat"],
)
def test_sch_4_route_calendar(route_calendar, expected):
    s = schedule(d(3, 18), SP, Route(2, 1, route_calendar), today=TODAY)
    assert dates(s) == expected


def test_sch_5_atp_driven_forward_ties_to_atp_2():
    m1 = Timeline.from_arrays(
        [d(3, 4), d(3, 6), d(3, 8), d(3, 11), d(3, 13), d(3, 15), d(3, 18)],
        [100, -50, 80, -30, 60, -120, 40],
    )
    b = backward(d(3, 14), SP, ROUTE)
    assert (b.mad, b.gi, b.load, b.tpd) == (d(3, 7), d(3, 12), d(3, 11), d(3, 8))
    item = confirm_item(ItemRequest(60, d(3, 14)), m1, SP, ROUTE, today=TODAY)
    first, second = item.lines
    assert (first.delivery_date, first.order_quantity, first.confirmed_quantity) == (
        d(3, 14),
        60,
        40,
    )
    assert first.dates.mad == d(3, 7)
    assert second.dates.mad == d(3, 18)
    assert (second.dates.load, second.dates.gi, second.delivery_date) == (
        d(3, 20),
        d(3, 21),
        d(3, 25),
    )
    assert (second.order_quantity, second.confirmed_quantity) == (0, 20)


def test_sch_1_one_schedule_line_when_atp_is_ok():
    item = confirm_item(
        ItemRequest(60, d(3, 15)), Timeline.from_arrays([TODAY], [100]), SP, ROUTE, today=TODAY
    )
    assert len(item.lines) == 1
    assert (item.lines[0].delivery_date, item.lines[0].confirmed_quantity) == (d(3, 15), 60)


def test_complete_delivery_item_gets_one_late_line():
    m1 = Timeline.from_arrays([d(3, 4), d(3, 18)], [40, 40])
    item = confirm_item(
        ItemRequest(60, d(3, 14)), m1, SP, ROUTE, today=TODAY, rule=ConfirmationRule.COMPLETE
    )
    assert [(line.delivery_date, line.confirmed_quantity) for line in item.lines] == [
        (d(3, 14), 0),
        (d(3, 25), 60),
    ]


def test_gi_on_a_shipping_point_holiday_moves_to_the_previous_working_day():
    # Mon-Sat route: RDD Mon 03-18 - 1 day = Sat 03-16, not a shipping-point working day.
    s = backward(d(3, 18), SP, Route(1, 1, FactoryCalendar.monday_to_saturday()))
    assert s.gi == d(3, 15)


def test_rdd_on_a_weekend_is_reached_by_the_previous_working_day():
    # Requested Sunday 03-17: transit must end by Friday 03-15, so GI Wed 03-13.
    s = backward(d(3, 17), SP, ROUTE)
    assert s.gi == d(3, 13)
    assert forward(s.mad, SP, ROUTE, today=TODAY).delivery <= d(3, 17)


def test_forward_from_a_weekend_starts_on_monday():
    s = forward(d(3, 9), SP, ROUTE, today=TODAY)
    assert (s.mad, s.load, s.gi, s.delivery) == (d(3, 11), d(3, 13), d(3, 14), d(3, 18))


def test_forward_load_waits_for_transportation_lead_time_when_it_is_longer():
    # Parallel times combine with max(): pick/pack 1, transportation lead time 3.
    s = forward(TODAY, ShippingPoint(1, 1), Route(2, 3), today=TODAY)
    assert s.load == d(3, 7)  # max(03-04 + 1 = 03-05, 03-04 + 3 = 03-07)
    assert s.tpd == TODAY


@pytest.mark.parametrize(
    ("days", "expected"), [(0, 0), (2, 2), (0.5, 1), (1.01, 2), (1.001, 1), (2.25, 3)]
)
def test_fractional_days_round_up_to_whole_working_days(days, expected):
    assert whole_working_days(days) == expected


def test_fractional_lead_times_round_to_earlier_backward_and_later_forward():
    sp = ShippingPoint(pick_pack_days=1.5, loading_days=0.5)
    route = Route(transit_days=1.5, transportation_lead_days=0.5)
    s = backward(d(3, 15), sp, route)
    assert dates(s) == (d(3, 13), d(3, 12), d(3, 8), d(3, 11))


def test_vectorised_scheduling_matches_scalar():
    rdds = [d(3, 6), d(3, 15), d(3, 18), d(4, 2), d(3, 17)]
    many = schedule_many(np.array(rdds, dtype="datetime64[D]"), SP, ROUTE, today=TODAY)
    for index, rdd in enumerate(rdds):
        assert many.at(index) == schedule(rdd, SP, ROUTE, today=TODAY)


@pytest.mark.parametrize("days", [-1, float("nan"), float("inf"), 10_000, "2", True])
def test_bad_lead_times_are_typed_errors(days):
    with pytest.raises(InvalidLeadTimeError):
        ShippingPoint(pick_pack_days=days)


def test_requested_delivery_date_in_the_past_is_an_error():
    with pytest.raises(DateInPastError) as err:
        schedule(d(3, 1), SP, ROUTE, today=TODAY)
    assert err.value.code == "date_in_past"
    with pytest.raises(DateInPastError):
        confirm_item(ItemRequest(1, d(3, 1)), Timeline.empty(), SP, ROUTE, today=TODAY)
