"""The worked ATP examples of domain.md §2.2-§2.3: cumulative ATP, ATP-1..ATP-9, RLT, rules.

Expected values are copied from domain.md, not computed by the code under test.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kubus.scheduling.atp import (
    AtpRequest,
    ConfirmationRule,
    PartialDelivery,
    check,
    cumulative_atp,
    effective_rule,
    replenishment_lead_time_end,
    with_confirmation,
)
from kubus.scheduling.calendar import FactoryCalendar
from kubus.scheduling.timeline import Timeline

TODAY = date(2024, 3, 4)
ONE_TIME = ConfirmationRule.ONE_TIME
COMPLETE = ConfirmationRule.COMPLETE
PROPOSAL = ConfirmationRule.PROPOSAL


def d(month: int, day: int) -> date:
    return date(2024, month, day)


# domain.md §2.3: material M1, plant 1000.
M1 = Timeline.from_arrays(
    [d(3, 4), d(3, 6), d(3, 8), d(3, 11), d(3, 13), d(3, 15), d(3, 18)],
    [100, -50, 80, -30, 60, -120, 40],
)


def lines(confirmation):
    return [(line.date, line.quantity) for line in confirmation.lines]


def test_m1_balance_and_cumulative_atp_table():
    rows = cumulative_atp(M1).rows()
    assert [r.date for r in rows] == [
        d(3, 4),
        d(3, 6),
        d(3, 8),
        d(3, 11),
        d(3, 13),
        d(3, 15),
        d(3, 18),
    ]
    assert [r.balance for r in rows] == [100, 50, 130, 100, 160, 40, 80]
    assert [r.cum_atp for r in rows] == [40, 40, 40, 40, 40, 40, 80]


def test_sap_qa_example_92_132_132():
    # Stock 92, receipts 40 and 20, issues 5 and 15: N = 92, 132, 152, 147, 132.
    timeline = Timeline.from_arrays(
        [d(3, 4), d(3, 5), d(3, 6), d(3, 7), d(3, 8)], [92, 40, 20, -5, -15]
    )
    table = cumulative_atp(timeline)
    assert [r.balance for r in table.rows()] == [92, 132, 152, 147, 132]
    assert [table.at(day) for day in (d(3, 4), d(3, 5), d(3, 6))] == [92, 132, 132]


def test_far_future_confirmation_blocks_todays_stock_unless_rlt_limits_it():
    # SAP note 547118: 100 in stock, 100 confirmed in 10 months -> 0 available today.
    timeline = Timeline.from_arrays([d(3, 4), date(2025, 1, 6)], [100, -100])
    request = AtpRequest(10, TODAY)
    assert check(request, timeline, today=TODAY).confirmed == 0
    limited = check(request, timeline, today=TODAY, rlt_end=d(3, 22))
    assert lines(limited) == [(TODAY, 10)]


def test_negative_cumulative_atp_is_shown():
    timeline = Timeline.from_arrays([d(3, 4), d(3, 6)], [10, -30])
    assert [r.cum_atp for r in cumulative_atp(timeline).rows()] == [-20, -20]
    confirmation = check(AtpRequest(5, d(3, 7)), timeline, today=TODAY)
    assert confirmation.lines == () and confirmation.unconfirmed == 5


@pytest.mark.parametrize(
    ("case", "quantity", "mad", "rule", "rlt_end", "expected", "unconfirmed"),
    [
        ("ATP-1", 30, d(3, 7), PROPOSAL, None, [(d(3, 7), 30)], 0),
        ("ATP-2", 60, d(3, 7), PROPOSAL, None, [(d(3, 7), 40), (d(3, 18), 20)], 0),
        ("ATP-3", 60, d(3, 7), COMPLETE, None, [(d(3, 18), 60)], 0),
        ("ATP-4", 60, d(3, 7), ONE_TIME, None, [(d(3, 7), 40)], 20),
        ("ATP-5", 100, d(3, 5), PROPOSAL, None, [(d(3, 5), 40), (d(3, 18), 40)], 20),
        (
            "ATP-6",
            100,
            d(3, 5),
            PROPOSAL,
            d(3, 22),
            [(d(3, 5), 40), (d(3, 18), 40), (d(3, 22), 20)],
            0,
        ),
        ("ATP-7", 100, d(3, 25), PROPOSAL, None, [(d(3, 25), 80)], 20),
        ("ATP-8", 100, d(3, 25), PROPOSAL, d(3, 22), [(d(3, 25), 100)], 0),
    ],
)
def test_worked_examples(case, quantity, mad, rule, rlt_end, expected, unconfirmed):
    confirmation = check(AtpRequest(quantity, mad), M1, today=TODAY, rule=rule, rlt_end=rlt_end)
    assert lines(confirmation) == expected, case
    assert confirmation.unconfirmed == unconfirmed, case
    assert confirmation.confirmed + confirmation.unconfirmed == quantity


def test_atp_9_first_come_first_served():
    first = check(AtpRequest(30, d(3, 7)), M1, today=TODAY)
    saved = with_confirmation(M1, first)
    table = cumulative_atp(saved)
    assert table.at(d(3, 7)) == 10
    assert table.at(d(3, 18)) == 50
    second = check(AtpRequest(60, d(3, 7)), saved, today=TODAY)
    assert lines(second) == [(d(3, 7), 10), (d(3, 18), 40)]
    assert second.unconfirmed == 10
    # ...and the unchanged original timeline still gives ATP-2.
    assert lines(check(AtpRequest(60, d(3, 7)), M1, today=TODAY)) == [
        (d(3, 7), 40),
        (d(3, 18), 20),
    ]


def test_complete_delivery_without_any_date_gives_no_proposal():
    confirmation = check(AtpRequest(100, d(3, 7)), M1, today=TODAY, rule=COMPLETE)
    assert confirmation.lines == () and confirmation.unconfirmed == 100


def test_complete_delivery_with_rlt_is_at_the_latest_the_end_of_the_rlt():
    confirmation = check(AtpRequest(100, d(3, 7)), M1, today=TODAY, rule=COMPLETE, rlt_end=d(3, 22))
    assert lines(confirmation) == [(d(3, 22), 100)]


def test_one_time_delivery_ignores_the_rlt_remainder():
    confirmation = check(AtpRequest(60, d(3, 7)), M1, today=TODAY, rule=ONE_TIME, rlt_end=d(3, 22))
    assert lines(confirmation) == [(d(3, 7), 40)] and confirmation.unconfirmed == 20


def test_rlt_ignores_elements_after_its_end():
    # SO-C (-120 @ 03-15) and the planned order lie after an RLT ending 03-14.
    confirmation = check(AtpRequest(100, d(3, 7)), M1, today=TODAY, rlt_end=d(3, 14))
    # Within the horizon: N = 100, 50, 130, 100, 160 -> CumATP(03-07) = 50, (03-08) = 100.
    assert lines(confirmation) == [(d(3, 7), 50), (d(3, 8), 50)]


def test_rlt_remainder_merges_with_a_receipt_on_the_rlt_end():
    confirmation = check(AtpRequest(100, d(3, 5)), M1, today=TODAY, rlt_end=d(3, 18))
    assert lines(confirmation) == [(d(3, 5), 40), (d(3, 18), 60)]


@pytest.mark.parametrize(
    ("partial", "complete_order", "rule", "expected"),
    [
        (PartialDelivery.COMPLETE_ONLY, False, PROPOSAL, COMPLETE),
        (PartialDelivery.ALLOWED, True, PROPOSAL, COMPLETE),
        (PartialDelivery.ONE_DELIVERY, False, PROPOSAL, ONE_TIME),
        (PartialDelivery.ONE_DELIVERY, False, COMPLETE, COMPLETE),
        (PartialDelivery.ALLOWED, False, PROPOSAL, PROPOSAL),
        (PartialDelivery.UNLIMITED, False, ONE_TIME, ONE_TIME),
        (PartialDelivery.POSITIVE_ONLY, False, PROPOSAL, PROPOSAL),
    ],
)
def test_partial_delivery_rules(partial, complete_order, rule, expected):
    assert effective_rule(rule, partial, complete_order=complete_order) is expected


def test_customer_complete_delivery_turns_atp_2_into_atp_3():
    request = AtpRequest(60, d(3, 7), partial_delivery=PartialDelivery.COMPLETE_ONLY)
    confirmation = check(request, M1, today=TODAY)
    assert confirmation.rule is COMPLETE
    assert lines(confirmation) == [(d(3, 18), 60)]


def test_customer_one_delivery_turns_atp_2_into_atp_4():
    request = AtpRequest(60, d(3, 7), partial_delivery=PartialDelivery.ONE_DELIVERY)
    assert lines(check(request, M1, today=TODAY)) == [(d(3, 7), 40)]


def test_fractional_quantities_are_exact():
    timeline = Timeline.from_arrays([TODAY], [0.3])
    confirmation = check(AtpRequest(Decimal("0.1"), TODAY), timeline, today=TODAY)
    assert lines(confirmation) == [(TODAY, Decimal("0.1"))]
    twice = check(
        AtpRequest(Decimal("0.2"), TODAY), with_confirmation(timeline, confirmation), today=TODAY
    )
    assert twice.confirmed == Decimal("0.2") and twice.unconfirmed == 0


def test_empty_timeline_confirms_nothing():
    confirmation = check(AtpRequest(5, TODAY), Timeline.empty(), today=TODAY)
    assert confirmation.lines == () and confirmation.unconfirmed == 5


def test_rlt_end_mrp_example_of_domain_3_4():
    # Fri 2008-08-01 + 1 workday + 10 calendar days = Thu 08-14; + 2 workdays GR = Mon 08-18.
    end = replenishment_lead_time_end(
        date(2008, 8, 1),
        calendar=FactoryCalendar.monday_to_friday(),
        processing_days=1,
        planned_delivery_days=10,
        gr_processing_days=2,
    )
    assert end == date(2008, 8, 18)
