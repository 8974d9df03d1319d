"""Backorder processing equals FCFS checks in priority order (random materials and items)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kubus.scheduling.atp import (
    AtpRequest,
    ConfirmationRule,
    ConfirmedLine,
    check,
    with_confirmation,
)
from kubus.scheduling.backorder import BackorderItem, SortDate, reschedule
from kubus.scheduling.timeline import Timeline

TODAY = date(2024, 3, 4)
MATERIALS = [("M1", "1000"), ("M2", "1000"), ("M1", "2000")]


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


items_strategy = st.lists(
    st.builds(
        lambda material, prio, created, requested, qty, rule: (
            material,
            prio,
            created,
            requested,
            qty,
            rule,
        ),
        st.sampled_from(MATERIALS),
        st.integers(1, 3),
        st.integers(0, 5),
        st.integers(-5, 30),  # requested offset: some backlog before today
        st.integers(1, 80),
        st.sampled_from(list(ConfirmationRule)),
    ),
    max_size=25,
)
supply_strategy = st.fixed_dictionaries(
    {
        key: st.lists(st.tuples(st.integers(0, 30), st.integers(-40, 120)), max_size=8)
        for key in MATERIALS
    }
)


def build(items, supply_rows, old_fraction):
    """Items with some prior confirmations, and timelines that include those confirmations."""
    backorder_items = []
    elements = {
        key: [(TODAY, 50)] + [(day(o), q) for o, q in rows] for key, rows in supply_rows.items()
    }
    for number, (material, prio, created, requested, qty, rule) in enumerate(items):
        old = qty * old_fraction // 4
        lines = (ConfirmedLine(day(requested), Decimal(old)),) if old else ()
        elements[material].extend((line.date, -old) for line in lines)
        backorder_items.append(
            BackorderItem(
                document=f"{number // 2:010d}",
                item=10 * (number % 2 + 1),
                material=material[0],
                plant=material[1],
                delivery_priority=prio,
                created=datetime(2024, 2, 1) + timedelta(hours=created),
                requested_date=day(requested),
                quantity=qty,
                confirmed=lines,
                rule=rule,
            )
        )
    timelines = {
        key: Timeline.from_arrays([w for w, _ in rows], [q for _, q in rows])
        for key, rows in elements.items()
    }
    return backorder_items, timelines


def sequential(items, timelines, sort_by, rlt_end):
    """The oracle: release, then check() + with_confirmation() item by item in sorted order."""

    def sort_key(it):
        when = it.created if sort_by is SortDate.CREATED else it.requested_date
        return (it.delivery_priority, when, it.document, it.item)

    released = {}
    for key, timeline in timelines.items():
        mine = [it for it in items if (it.material, it.plant) == key]
        # Backlog confirmations sit at today in a timeline (build_timeline moves them there).
        back = Timeline.from_arrays(
            [max(line.date, TODAY) for it in mine for line in it.confirmed],
            [int(line.quantity) for it in mine for line in it.confirmed],
        )
        released[key] = timeline.plus(back.dates, back.net)
    results = {}
    for it in sorted(items, key=sort_key):
        key = (it.material, it.plant)
        request = AtpRequest(it.quantity, max(it.requested_date, TODAY))
        confirmation = check(
            request, released[key], today=TODAY, rule=it.rule, rlt_end=rlt_end.get(key)
        )
        released[key] = with_confirmation(released[key], confirmation)
        results[(it.document, it.item)] = confirmation
    return results


rlt_strategy = st.dictionaries(st.sampled_from(MATERIALS), st.integers(0, 35).map(day))


@settings(max_examples=300)
@given(
    items_strategy,
    supply_strategy,
    st.integers(0, 4),
    st.sampled_from(list(SortDate)),
    rlt_strategy,
)
def test_reschedule_equals_sequential_checks(items, supply_rows, old_fraction, sort_by, rlt_end):
    backorder_items, timelines = build(items, supply_rows, old_fraction)
    report = reschedule(backorder_items, timelines, today=TODAY, sort_by=sort_by, rlt_end=rlt_end)
    expected = sequential(backorder_items, timelines, sort_by, rlt_end)
    changed = {(c.document, c.item): c for c in report.changes}
    assert report.items_checked == len(backorder_items)
    for it in backorder_items:
        want = expected[(it.document, it.item)]
        if (it.document, it.item) in changed:
            got = changed[(it.document, it.item)].after
            assert got.lines == want.lines and got.unconfirmed == want.unconfirmed
            assert got.lines != it.confirmed
        else:
            assert want.lines == it.confirmed


one_material_items = st.lists(
    st.builds(
        lambda prio, created, requested, qty, rule: (
            MATERIALS[0],
            prio,
            created,
            requested,
            qty,
            rule,
        ),
        st.integers(1, 2),
        st.integers(0, 5),
        st.integers(-3, 30),
        st.integers(1, 30),
        st.sampled_from(list(ConfirmationRule)),
    ),
    min_size=20,
    max_size=120,
)


@settings(max_examples=100, deadline=None)
@given(
    one_material_items,
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 400)), max_size=8),
    st.integers(0, 4),
    st.one_of(st.none(), st.integers(0, 35).map(day)),
)
def test_one_material_with_many_items_equals_sequential_checks(items, rows, old, rlt):
    """Exercises the batches of fully confirmed items (one material left busy)."""
    supply_rows = {key: [] for key in MATERIALS}
    supply_rows[MATERIALS[0]] = [(0, 300), *rows]
    rlt_end = {} if rlt is None else {MATERIALS[0]: rlt}
    backorder_items, timelines = build(items, supply_rows, old)
    report = reschedule(backorder_items, timelines, today=TODAY, rlt_end=rlt_end)
    expected = sequential(backorder_items, timelines, SortDate.CREATED, rlt_end)
    changed = {(c.document, c.item): c.after for c in report.changes}
    for it in backorder_items:
        want = expected[(it.document, it.item)]
        got = changed.get((it.document, it.item))
        assert (got.lines if got else it.confirmed) == want.lines
