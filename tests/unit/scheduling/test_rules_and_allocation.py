"""Rules-based ATP (ATP-11) and product allocation (ATP-12) of domain.md §2.5-§2.6."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kubus.scheduling.allocation import (
    AllocationPeriod,
    AllocationStep,
    PeriodUnit,
    allocation_check,
    matching_group,
    period_bounds,
)
from kubus.scheduling.atp import AtpRequest, ConfirmationRule, check
from kubus.scheduling.errors import (
    DateInPastError,
    InvalidDateError,
    InvalidParameterError,
    InvalidQuantityError,
    UnknownMaterialError,
)
from kubus.scheduling.rules import (
    Exclusion,
    ExclusiveRule,
    InclusiveRule,
    LocationProduct,
    SubItemKind,
    rules_based_check,
    substitution_lists,
)
from kubus.scheduling.timeline import Timeline

TODAY = date(2024, 3, 4)
L1P1, L2P1, L1P2 = (
    LocationProduct("L1", "P1"),
    LocationProduct("L2", "P1"),
    LocationProduct("L1", "P2"),
)
# ATP-11: ATP at the requested date L1/P1 = 60, L2/P1 = 30, L1/P2 = 50.
SUPPLY = {
    L1P1: Timeline.from_arrays([TODAY], [60]),
    L2P1: Timeline.from_arrays([TODAY], [30]),
    L1P2: Timeline.from_arrays([TODAY], [50]),
}
RULE = InclusiveRule((L2P1, L1P2))


def summary(result):
    return [(s.location_product, s.kind, s.confirmation.confirmed) for s in result.items]


def test_atp_11_substitution_list():
    result = rules_based_check(100, TODAY, L1P1, [RULE], SUPPLY, today=TODAY)
    assert summary(result) == [
        (L1P1, SubItemKind.MAIN, 60),
        (L2P1, SubItemKind.LOCATION, 30),
        (L1P2, SubItemKind.PRODUCT, 10),
    ]
    assert result.unconfirmed == 0 and result.confirmed == 100
    assert result.items[0].confirmation.requested == 100


def test_atp_11_rush_order_excludes_l2():
    rush = ExclusiveRule((Exclusion(location="L2"),))
    assert substitution_lists(L1P1, [RULE], [rush]) == [(L1P1, L1P2)]
    result = rules_based_check(100, TODAY, L1P1, [RULE], SUPPLY, today=TODAY, exclusive=[rush])
    assert summary(result) == [(L1P1, SubItemKind.MAIN, 60), (L1P2, SubItemKind.PRODUCT, 40)]


def test_alternative_location_replaces_an_excluded_one():
    l3p1 = LocationProduct("L3", "P1")
    rule = ExclusiveRule((Exclusion(location="L2", alternative_location="L3"),))
    assert substitution_lists(L1P1, [RULE], [rule]) == [(L1P1, l3p1, L1P2)]


def test_next_inclusive_rule_only_while_quantity_is_open():
    second = InclusiveRule((L1P2,))
    first = InclusiveRule((L2P1,))
    result = rules_based_check(80, TODAY, L1P1, [first, second], SUPPLY, today=TODAY)
    assert summary(result) == [(L1P1, SubItemKind.MAIN, 60), (L2P1, SubItemKind.LOCATION, 20)]
    short = rules_based_check(200, TODAY, L1P1, [first, second], SUPPLY, today=TODAY)
    assert [s.confirmation.confirmed for s in short.items] == [60, 30, 50]
    assert short.unconfirmed == 60


def test_later_receipts_as_a_second_pass():
    supply = dict(SUPPLY)
    supply[L1P1] = Timeline.from_arrays([TODAY, date(2024, 3, 18)], [60, 100])
    result = rules_based_check(150, TODAY, L1P1, [RULE], supply, today=TODAY, later=True)
    main = result.items[0].confirmation
    assert [(line.date, line.quantity) for line in main.lines] == [
        (TODAY, 60),
        (date(2024, 3, 18), 10),
    ]
    assert result.unconfirmed == 0
    # The timelines in the result hold every confirmation (FCFS for the next order).
    after = check(AtpRequest(100, TODAY), result.timelines[L1P1], today=TODAY)
    assert after.confirmed == 90


def test_missing_timeline_is_an_error():
    with pytest.raises(UnknownMaterialError):
        rules_based_check(100, TODAY, L1P1, [RULE], {L1P1: SUPPLY[L1P1]}, today=TODAY)
    with pytest.raises(InvalidParameterError):
        Exclusion()


# -- ATP-12 --------------------------------------------------------------------------------------

MARCH = AllocationPeriod(date(2024, 3, 1), date(2024, 3, 31), 100, consumed=70)
APRIL = AllocationPeriod(date(2024, 4, 1), date(2024, 4, 30), 100)


def lines(confirmation):
    return [(line.date, line.quantity) for line in confirmation.lines]


def test_atp_12_no_consumption_window():
    step = AllocationStep("customer=A", (MARCH, APRIL))
    result = allocation_check(50, date(2024, 3, 20), [step], today=TODAY)
    assert lines(result.confirmation) == [(date(2024, 3, 20), 30)]
    assert result.confirmation.unconfirmed == 20
    assert [(c.period_start, c.quantity) for c in result.consumption] == [(date(2024, 3, 1), 30)]


def test_atp_12_forward_consumption_one_period():
    step = AllocationStep("customer=A", (MARCH, APRIL), forward_periods=1)
    result = allocation_check(50, date(2024, 3, 20), [step], today=TODAY)
    # 20 confirmed on the first working day of April (Mon 2024-04-01).
    assert lines(result.confirmation) == [(date(2024, 3, 20), 30), (date(2024, 4, 1), 20)]
    assert result.confirmation.unconfirmed == 0
    assert [(c.period_start, c.quantity) for c in result.consumption] == [
        (date(2024, 3, 1), 30),
        (date(2024, 4, 1), 20),
    ]


def test_future_period_starting_on_a_weekend_is_usable_on_its_first_working_day():
    june = AllocationPeriod(date(2024, 6, 1), date(2024, 6, 30), 10)  # Saturday
    may = AllocationPeriod(date(2024, 5, 1), date(2024, 5, 31), 0)
    step = AllocationStep("A", (may, june), forward_periods=1)
    result = allocation_check(5, date(2024, 5, 20), [step], today=TODAY)
    assert lines(result.confirmation) == [(date(2024, 6, 3), 5)]


def test_backward_consumption_uses_the_past_period_now():
    feb = AllocationPeriod(date(2024, 2, 1), date(2024, 2, 29), 40, consumed=10)
    step = AllocationStep("A", (feb, MARCH, APRIL), backward_periods=1)
    result = allocation_check(50, date(2024, 3, 20), [step], today=TODAY)
    assert lines(result.confirmation) == [(date(2024, 3, 20), 50)]
    assert [(c.period_start, c.quantity) for c in result.consumption] == [
        (date(2024, 3, 1), 30),
        (date(2024, 2, 1), 20),
    ]


def test_allocation_and_availability_take_the_minimum():
    atp = check(
        AtpRequest(50, date(2024, 3, 20)),
        Timeline.from_arrays([TODAY, date(2024, 4, 8)], [10, 100]),
        today=TODAY,
    )
    step = AllocationStep("A", (MARCH, APRIL), forward_periods=1)
    result = allocation_check(50, date(2024, 3, 20), [step], today=TODAY, atp=atp)
    # By 03-20: min(ATP 10, allocation 30) = 10; by 04-01: min(10, 130) = 10; by 04-08: 50.
    assert lines(result.confirmation) == [(date(2024, 3, 20), 10), (date(2024, 4, 8), 40)]


def test_funnel_steps_customer_then_region():
    customer = AllocationStep(
        "customer=A", (AllocationPeriod(date(2024, 3, 1), date(2024, 3, 31), 400),)
    )
    region = AllocationStep(
        "region=EU", (AllocationPeriod(date(2024, 3, 1), date(2024, 3, 31), 1000, consumed=950),)
    )
    result = allocation_check(
        100, date(2024, 3, 20), [customer, region], today=TODAY, rule=ConfirmationRule.ONE_TIME
    )
    assert lines(result.confirmation) == [(date(2024, 3, 20), 50)]
    assert {c.group for c in result.consumption} == {"customer=A", "region=EU"}


def test_limit_and_reservation():
    a = AllocationStep("A", (AllocationPeriod(date(2024, 3, 1), date(2024, 3, 31), 400),))
    assert allocation_check(500, date(2024, 3, 5), [a], today=TODAY).confirmation.confirmed == 400


def test_order_outside_every_period_gets_nothing():
    step = AllocationStep("A", (MARCH,))
    result = allocation_check(5, date(2024, 5, 2), [step], today=TODAY)
    assert result.confirmation.lines == () and result.consumption == ()


def test_matching_group_is_most_specific():
    groups = [
        {"customer": "*", "region": "*"},
        {"customer": "A", "region": "*"},
        {"customer": "A", "region": "EU"},
    ]
    assert matching_group({"customer": "A", "region": "EU"}, groups) == 2
    assert matching_group({"customer": "A", "region": "US"}, groups) == 1
    assert matching_group({"customer": "B", "region": "US"}, groups) == 0
    assert matching_group({"customer": "B"}, [{"customer": "A"}]) is None


def test_bad_allocation_input():
    with pytest.raises(InvalidDateError):
        AllocationPeriod(date(2024, 3, 31), date(2024, 3, 1), 10)
    with pytest.raises(InvalidDateError):
        AllocationStep("A", (APRIL, MARCH))
    with pytest.raises(InvalidParameterError):
        AllocationStep("A", (MARCH,), forward_periods=-1)
    with pytest.raises(DateInPastError):
        allocation_check(5, date(2024, 3, 1), [AllocationStep("A", (MARCH,))], today=TODAY)
    with pytest.raises(InvalidQuantityError):
        AllocationPeriod(date(2024, 3, 1), date(2024, 3, 31), Decimal("-1"))


@pytest.mark.parametrize(
    ("day", "unit", "expected"),
    [
        (date(2024, 2, 14), "month", (date(2024, 2, 1), date(2024, 2, 29))),
        (date(2024, 12, 31), "month", (date(2024, 12, 1), date(2024, 12, 31))),
        (date(2024, 3, 20), "week", (date(2024, 3, 18), date(2024, 3, 24))),
        # ISO-8601: 2024-12-31 lies in week 1 of 2025, which starts on Monday 2024-12-30.
        (date(2024, 12, 31), "week", (date(2024, 12, 30), date(2025, 1, 5))),
    ],
)
def test_period_bounds_months_and_iso_weeks(day, unit, expected):
    assert period_bounds(day, PeriodUnit(unit)) == expected
    assert expected[0].isocalendar().weekday == 1 or unit == "month"
