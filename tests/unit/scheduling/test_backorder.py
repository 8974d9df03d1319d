"""Backorder processing: ATP-10 of domain.md §2.4, sort order, RLT, dry-run report, bad input."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from kubus.scheduling.atp import ConfirmationRule, ConfirmedLine
from kubus.scheduling.backorder import BackorderItem, SortDate, reschedule
from kubus.scheduling.errors import (
    DateInPastError,
    InvalidParameterError,
    InvalidQuantityError,
    UnknownMaterialError,
)
from kubus.scheduling.timeline import Timeline

TODAY = date(2024, 3, 4)
KEY = ("M1", "1000")


def d(month: int, day: int) -> date:
    return date(2024, month, day)


def conf(*pairs):
    return tuple(ConfirmedLine(day, Decimal(qty)) for day, qty in pairs)


def item(document, prio, created, requested, qty, confirmed, **kw):
    return BackorderItem(
        document=document,
        item=10,
        material="M1",
        plant="1000",
        delivery_priority=prio,
        created=created,
        requested_date=requested,
        quantity=qty,
        confirmed=confirmed,
        **kw,
    )


# domain.md §2.4: the M1 supply with the FCFS confirmations of SO-A, SO-C, R1 and R2 saved.
ATP10_ITEMS = [
    item("SO-C", 2, datetime(2024, 2, 25), d(3, 15), 120, conf((d(3, 15), 120))),
    item("R1", 2, datetime(2024, 3, 4, 9), d(3, 7), 30, conf((d(3, 7), 30))),
    item("R2", 1, datetime(2024, 3, 4, 10), d(3, 7), 60, conf((d(3, 7), 10), (d(3, 18), 40))),
    item("SO-A", 2, datetime(2024, 2, 20), d(3, 6), 50, conf((d(3, 6), 50))),
]
FIXED = {  # stock, receipts, and the delivery DL-B that stays fixed
    d(3, 4): 100,
    d(3, 8): 80,
    d(3, 11): -30,
    d(3, 13): 60,
    d(3, 18): 40,
}


def timeline_with(items, fixed=FIXED):
    dates = list(fixed)
    quantities = list(fixed.values())
    for it in items:
        for line in it.confirmed:
            dates.append(line.date)
            quantities.append(-int(line.quantity))
    return Timeline.from_arrays(dates, quantities)


def by_document(report):
    return {
        change.document: (
            [(line.date, line.quantity) for line in change.after.lines],
            change.after.unconfirmed,
        )
        for change in report.changes
    }


def test_atp_10_rescheduling():
    report = reschedule(ATP10_ITEMS, {KEY: timeline_with(ATP10_ITEMS)}, today=TODAY)
    assert report.items_checked == 4
    assert [c.document for c in report.changes] == ["R2", "SO-A", "SO-C", "R1"]
    assert by_document(report) == {
        "R2": ([(d(3, 7), 60)], 0),
        "SO-A": ([(d(3, 6), 40), (d(3, 8), 10)], 0),
        "SO-C": ([(d(3, 15), 100), (d(3, 18), 20)], 0),
        "R1": ([(d(3, 18), 20)], 10),
    }
    before = {c.document: c.before for c in report.changes}
    assert before["R2"] == conf((d(3, 7), 10), (d(3, 18), 40))


def test_atp_10_final_balance_is_never_negative():
    report = reschedule(ATP10_ITEMS, {KEY: timeline_with(ATP10_ITEMS)}, today=TODAY)
    dates, quantities = list(FIXED), list(FIXED.values())
    for change in report.changes:
        for line in change.after.lines:
            dates.append(line.date)
            quantities.append(-int(line.quantity))
    balance = dict(
        zip(
            Timeline.from_arrays(dates, quantities).dates.tolist(),
            Timeline.from_arrays(dates, quantities).balance().tolist(),
            strict=True,
        )
    )
    expected = {
        d(3, 4): 100,
        d(3, 6): 60,
        d(3, 7): 0,
        d(3, 8): 70,
        d(3, 11): 40,
        d(3, 13): 100,
        d(3, 15): 0,
        d(3, 18): 0,
    }
    assert {day: n // 1000 for day, n in balance.items()} == expected


def test_unchanged_items_are_not_reported():
    first = reschedule(ATP10_ITEMS, {KEY: timeline_with(ATP10_ITEMS)}, today=TODAY)
    settled = [
        item(
            c.document,
            it.delivery_priority,
            it.created,
            it.requested_date,
            it.quantity,
            c.after.lines,
        )
        for c in first.changes
        for it in ATP10_ITEMS
        if it.document == c.document
    ]
    again = reschedule(settled, {KEY: timeline_with(settled)}, today=TODAY)
    assert again.changes == () and again.items_checked == 4


@pytest.mark.parametrize(
    ("sort_by", "winner"), [(SortDate.CREATED, "A"), (SortDate.REQUESTED, "B")]
)
def test_sort_by_creation_or_requested_date(sort_by, winner):
    # Equal priority; A was created first, B is requested first. Only 100 for both.
    items = [
        item("A", 1, datetime(2024, 3, 1), d(3, 10), 100, ()),
        item("B", 1, datetime(2024, 3, 2), d(3, 5), 100, ()),
    ]
    report = reschedule(
        items, {KEY: Timeline.from_arrays([TODAY], [100])}, today=TODAY, sort_by=sort_by
    )
    assert [c.document for c in report.changes] == [winner]


def test_priority_comes_first():
    items = [
        item("A", 2, datetime(2024, 3, 1), d(3, 5), 100, ()),
        item("B", 1, datetime(2024, 3, 2), d(3, 10), 100, ()),
    ]
    report = reschedule(
        items, {KEY: Timeline.from_arrays([TODAY], [100])}, today=TODAY, sort_by=SortDate.REQUESTED
    )
    assert by_document(report) == {"B": ([(d(3, 10), 100)], 0)}


def test_ties_break_on_document_then_item():
    created = datetime(2024, 3, 1)
    a = item("0000000002", 1, created, d(3, 5), 100, ())
    b = item("0000000001", 1, created, d(3, 5), 100, ())
    report = reschedule([a, b], {KEY: Timeline.from_arrays([TODAY], [100])}, today=TODAY)
    assert by_document(report) == {"0000000001": ([(d(3, 5), 100)], 0)}


def test_backlog_is_checked_from_today():
    backlog = item("B", 1, datetime(2024, 2, 1), d(2, 20), 10, conf((d(2, 20), 10)))
    report = reschedule([backlog], {KEY: Timeline.from_arrays([TODAY], [10])}, today=TODAY)
    assert by_document(report) == {"B": ([(TODAY, 10)], 0)}


def test_rlt_end_per_material():
    items = [
        item("A", 1, datetime(2024, 3, 1), d(3, 6), 150, ()),
        item("B", 2, datetime(2024, 3, 1), d(4, 1), 500, ()),
    ]
    report = reschedule(
        items, {KEY: Timeline.from_arrays([TODAY], [100])}, today=TODAY, rlt_end={KEY: d(3, 22)}
    )
    assert by_document(report) == {
        "A": ([(d(3, 6), 100), (d(3, 22), 50)], 0),
        "B": ([(d(4, 1), 500)], 0),
    }


def test_item_rules_apply():
    items = [
        item("A", 1, datetime(2024, 3, 1), d(3, 6), 150, (), rule=ConfirmationRule.ONE_TIME),
        item("B", 2, datetime(2024, 3, 1), d(3, 6), 50, (), rule=ConfirmationRule.COMPLETE),
    ]
    supply = Timeline.from_arrays([TODAY, d(3, 11)], [100, 100])
    assert by_document(reschedule(items, {KEY: supply}, today=TODAY)) == {
        "A": ([(d(3, 6), 100)], 50),
        "B": ([(d(3, 11), 50)], 0),
    }


def test_several_materials_are_independent():
    other = BackorderItem("X", 10, "M2", "1000", 1, datetime(2024, 3, 1), d(3, 6), 5)
    mine = item("Y", 1, datetime(2024, 3, 1), d(3, 6), 5, ())
    supply = {KEY: Timeline.from_arrays([TODAY], [5]), ("M2", "1000"): Timeline.empty()}
    # X had nothing confirmed and still gets nothing: unchanged, so not reported.
    assert by_document(reschedule([other, mine], supply, today=TODAY)) == {
        "Y": ([(d(3, 6), 5)], 0),
    }


def test_bad_input_is_a_typed_error():
    supply = {KEY: Timeline.empty()}
    good = item("A", 1, datetime(2024, 3, 1), d(3, 6), 5, ())
    with pytest.raises(UnknownMaterialError):
        reschedule([good], {}, today=TODAY)
    with pytest.raises(InvalidParameterError):
        reschedule([good, good], supply, today=TODAY)
    with pytest.raises(InvalidQuantityError):
        reschedule([item("A", 1, datetime(2024, 3, 1), d(3, 6), 0, ())], supply, today=TODAY)
    with pytest.raises(DateInPastError):
        reschedule([good], supply, today=TODAY, rlt_end={KEY: d(3, 1)})
    with pytest.raises(InvalidParameterError):
        reschedule([good], supply, today=TODAY, sort_by="priority")


def test_empty_run():
    assert reschedule([], {}, today=TODAY).changes == ()
