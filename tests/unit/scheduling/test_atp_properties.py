"""Property tests over random supply/demand timelines, against plain-Python oracles.

The oracles below are written from the formulas of domain.md §2.2, one element at a time,
without numpy: O(n^2) cumulative ATP and a definition-by-definition check.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kubus.scheduling.atp import (
    AtpRequest,
    ConfirmationRule,
    check,
    cumulative_atp,
    with_confirmation,
)
from kubus.scheduling.timeline import Timeline

TODAY = date(2024, 3, 4)
RULES = list(ConfirmationRule)


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


# -- oracles -------------------------------------------------------------------------------------


def naive_table(elements):
    """Per distinct date: (date, N, CumATP), CumATP as min over every later N (O(n^2))."""
    per_date: dict[date, int] = {}
    for when, qty in elements:
        per_date[when] = per_date.get(when, 0) + qty
    dates = sorted(per_date)
    balances = []
    running = 0
    for when in dates:
        running += per_date[when]
        balances.append(running)
    cum = [min(balances[j] for j in range(i, len(balances))) for i in range(len(balances))]
    return dates, balances, cum


def naive_cum_at(elements, when):
    dates, balances, _ = naive_table(elements)
    later = [n for dd, n in zip(dates, balances, strict=True) if dd >= when]
    before = [n for dd, n in zip(dates, balances, strict=True) if dd <= when]
    current = before[-1] if before else 0
    return min([current, *later])


def naive_check(elements, qty, when, rule, rlt_end=None):
    """The check exactly as domain.md words it, by brute force over candidate dates."""
    if rlt_end is not None:
        if when > rlt_end:
            return [(when, qty)], 0
        elements = [(w, q) for w, q in elements if w <= rlt_end]
    candidates = [when, *sorted({w for w, _ in elements if w > when})]

    def confirmable(t):
        return min(qty, max(0, naive_cum_at(elements, t)))

    lines = []
    if rule is ConfirmationRule.ONE_TIME:
        if confirmable(when) > 0:
            lines = [(when, confirmable(when))]
    elif rule is ConfirmationRule.COMPLETE:
        full = [t for t in candidates if confirmable(t) == qty]
        lines = [(full[0], qty)] if full else []
    else:
        done = 0
        for t in candidates:
            if confirmable(t) > done:
                lines.append((t, confirmable(t) - done))
                done = confirmable(t)
    rest = qty - sum(q for _, q in lines)
    if rlt_end is not None and rest and rule is not ConfirmationRule.ONE_TIME:
        if lines and lines[-1][0] == rlt_end:
            lines[-1] = (rlt_end, lines[-1][1] + rest)
        else:
            lines.append((rlt_end, rest))
        rest = 0
    return lines, rest


def timeline_of(elements):
    return Timeline.from_arrays([w for w, _ in elements], [q for _, q in elements])


def balances_of(timeline):
    return dict(zip(timeline.dates.tolist(), (timeline.balance() // 1000).tolist(), strict=True))


# -- strategies ----------------------------------------------------------------------------------

signed_elements = st.lists(
    st.tuples(st.integers(0, 40).map(day), st.integers(-120, 150)), min_size=0, max_size=30
)
supply_elements = st.tuples(
    st.integers(0, 200),
    st.lists(st.tuples(st.integers(0, 40).map(day), st.integers(0, 150)), max_size=20),
).map(lambda sr: [(TODAY, sr[0]), *sr[1]])
requests = st.tuples(st.integers(1, 200), st.integers(0, 45).map(day), st.sampled_from(RULES))


# -- properties ----------------------------------------------------------------------------------


@given(signed_elements)
def test_cumulative_atp_matches_the_quadratic_reference(elements):
    table = cumulative_atp(timeline_of(elements))
    dates, balances, cum = naive_table(elements)
    assert table.dates.tolist() == dates
    assert [int(b) // 1000 for b in table.balance] == balances
    assert [int(c) // 1000 for c in table.cum_atp] == cum
    for offset in range(-1, 42, 3):
        assert table.at(day(offset)) == naive_cum_at(elements, day(offset))


@given(signed_elements, requests, st.one_of(st.none(), st.integers(0, 45).map(day)))
def test_check_matches_the_definition(elements, request, rlt_end):
    qty, when, rule = request
    confirmation = check(
        AtpRequest(qty, when), timeline_of(elements), today=TODAY, rule=rule, rlt_end=rlt_end
    )
    lines, rest = naive_check(elements, qty, when, rule, rlt_end)
    assert [(line.date, line.quantity) for line in confirmation.lines] == lines
    assert confirmation.unconfirmed == rest
    assert confirmation.confirmed + confirmation.unconfirmed == qty
    assert all(line.quantity > 0 and line.date >= when for line in confirmation.lines)
    assert [line.date for line in confirmation.lines] == sorted(
        {line.date for line in confirmation.lines}
    )


@settings(max_examples=200)
@given(supply_elements, st.lists(requests, min_size=1, max_size=12))
def test_confirmations_never_exceed_cumulative_receipts(supply, orders):
    """Saving checks one after another never promises more than receipts allow by any date."""
    timeline = timeline_of(supply)
    confirmed_by_date: dict[date, int] = {}
    for qty, when, rule in orders:
        confirmation = check(AtpRequest(qty, when), timeline, today=TODAY, rule=rule)
        timeline = with_confirmation(timeline, confirmation)
        for line in confirmation.lines:
            confirmed_by_date[line.date] = confirmed_by_date.get(line.date, 0) + int(line.quantity)
    horizon = sorted({w for w, _ in supply} | set(confirmed_by_date))
    for t in horizon:
        promised = sum(q for w, q in confirmed_by_date.items() if w <= t)
        available = sum(q for w, q in supply if w <= t)
        assert promised <= available, t


@settings(max_examples=200)
@given(supply_elements, st.lists(requests, min_size=1, max_size=8), requests)
def test_a_new_order_never_takes_what_earlier_orders_hold(supply, earlier, newcomer):
    timeline = timeline_of(supply)
    for qty, when, rule in earlier:
        timeline = with_confirmation(
            timeline, check(AtpRequest(qty, when), timeline, today=TODAY, rule=rule)
        )
    before = balances_of(timeline)
    assert min(before.values()) >= 0
    qty, when, rule = newcomer
    table = cumulative_atp(timeline)
    confirmation = check(AtpRequest(qty, when), timeline, today=TODAY, rule=rule)
    # By any date the newcomer gets at most what was still free then ...
    got = Decimal(0)
    for line in confirmation.lines:
        got += line.quantity
        assert got <= max(Decimal(0), table.at(line.date))
    # ... so every earlier promise is still covered after saving it.
    after = balances_of(with_confirmation(timeline, confirmation))
    assert min(after.values()) >= 0
    # The checked timeline itself is never changed by a check.
    assert balances_of(timeline) == before


@given(supply_elements, requests, st.integers(0, 30).map(day))
def test_rlt_confirms_everything_but_one_time_deliveries(supply, request, rlt_end):
    qty, when, rule = request
    confirmation = check(
        AtpRequest(qty, when), timeline_of(supply), today=TODAY, rule=rule, rlt_end=rlt_end
    )
    if rule is not ConfirmationRule.ONE_TIME:
        assert confirmation.unconfirmed == 0
        assert all(line.date <= max(rlt_end, when) for line in confirmation.lines)
