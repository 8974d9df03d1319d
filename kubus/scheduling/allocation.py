"""Product allocation: confirm no more than the allocation of the order's period (§2.6, ATP-12).

An :class:`AllocationStep` is one characteristic combination (customer, region, ..., ``*`` for
"all others") with its allocated and already consumed quantity per period, and how many periods
before and after the order's own period it may consume (consumption periods). An order's date
must pass every step of the procedure (specific to general); the quantity it can get by a date
is the minimum, over the steps and the availability check, of what each allows by then::

    confirmable_by(t) = min(q, ATP(t), A_1(t), ..., A_n(t))
    A_i(t) = remaining allocation of the own period and the past periods of the window,
             + that of each future period of the window from the first working day of that
               period on (the date the build uses for quantities of a later period)

The confirmation comes from the steps of ``confirmable_by`` (one-time, complete or delivery
proposal, as for ATP); what is confirmed consumes the periods of each step in the order own
period, past periods (most recent first), future periods. Allocation is a limit and a
reservation at once: a customer with 400 of 1,000 cannot get more than 400, and the others
share the rest.

>>> march = AllocationPeriod(date(2024, 3, 1), date(2024, 3, 31), 100, consumed=70)
>>> april = AllocationPeriod(date(2024, 4, 1), date(2024, 4, 30), 100)
>>> step = AllocationStep("customer=A", (march, april), forward_periods=1)
>>> result = allocation_check(50, date(2024, 3, 20), [step], today=date(2024, 3, 4))
>>> [(str(line.date), str(line.quantity)) for line in result.confirmation.lines]
[('2024-03-20', '30'), ('2024-04-01', '20')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

import numpy as np

from kubus.scheduling.atp import (
    Confirmation,
    ConfirmationRule,
    ConfirmedLine,
    confirmation_steps,
)
from kubus.scheduling.calendar import FactoryCalendar, to_date, to_day
from kubus.scheduling.errors import DateInPastError, InvalidDateError, InvalidParameterError
from kubus.scheduling.quantities import Quantity, from_milli, to_milli

WILDCARD = "*"


class PeriodUnit(StrEnum):
    MONTH = "month"
    WEEK = "week"  # ISO-8601: Monday to Sunday, week 1 holds the year's first Thursday


def period_bounds(day: date, unit: PeriodUnit) -> tuple[date, date]:
    """The first and last day of the month or ISO week that contains ``day``.

    >>> period_bounds(date(2024, 12, 31), PeriodUnit.WEEK)  # ISO week 2025-W01
    (datetime.date(2024, 12, 30), datetime.date(2025, 1, 5))
    """
    to_day(day, field="day")
    if unit is PeriodUnit.WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if unit is PeriodUnit.MONTH:
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    raise InvalidParameterError(f"unit must be one of {[u.value for u in PeriodUnit]}")


@dataclass(frozen=True, slots=True)
class AllocationPeriod:
    """A period (``start`` to ``end``, both included) with its allocated and consumed quantity."""

    start: date
    end: date
    allocated: Quantity
    consumed: Quantity = 0

    def __post_init__(self) -> None:
        if to_day(self.end, field="end") < to_day(self.start, field="start"):
            raise InvalidDateError(f"allocation period ends ({self.end}) before it starts")
        to_milli(self.allocated, field="allocated", allow_zero=True)
        to_milli(self.consumed, field="consumed", allow_zero=True)

    @property
    def remaining(self) -> int:
        """Thousandths still free (never negative, even if over-consumed)."""
        left = to_milli(self.allocated, allow_zero=True) - to_milli(self.consumed, allow_zero=True)
        return max(0, left)


@dataclass(frozen=True, slots=True)
class AllocationStep:
    """One step of an allocation procedure: a characteristic combination and its periods."""

    group: str
    periods: tuple[AllocationPeriod, ...]
    backward_periods: int = 0
    forward_periods: int = 0

    def __post_init__(self) -> None:
        for name in ("backward_periods", "forward_periods"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise InvalidParameterError(f"{name} must be a whole number 0..100")
        for before, after in zip(self.periods, self.periods[1:], strict=False):
            if after.start <= before.end:
                raise InvalidDateError(
                    f"allocation periods of {self.group!r} must be ascending without overlap"
                )


@dataclass(frozen=True, slots=True)
class Consumption:
    """Quantity an order consumes from one period of one step (to be saved with the order)."""

    group: str
    period_start: date
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class AllocationResult:
    confirmation: Confirmation
    consumption: tuple[Consumption, ...]


def matching_group(
    characteristics: Mapping[str, str], groups: Sequence[Mapping[str, str]]
) -> int | None:
    """Index of the most specific group whose values all match (``*`` matches anything).

    >>> matching_group({"customer": "B", "region": "EU"},
    ...                [{"customer": "A", "region": "EU"}, {"customer": "*", "region": "EU"}])
    1
    """
    best: tuple[int, int] | None = None
    for index, group in enumerate(groups):
        if all(v == WILDCARD or characteristics.get(k) == v for k, v in group.items()):
            wildcards = sum(v == WILDCARD for v in group.values())
            if best is None or wildcards < best[0]:
                best = (wildcards, index)
    return None if best is None else best[1]


def allocation_check(
    quantity: Quantity,
    requested_date: date,
    steps: Sequence[AllocationStep],
    *,
    today: date,
    atp: Confirmation | None = None,
    rule: ConfirmationRule = ConfirmationRule.PROPOSAL,
    calendar: FactoryCalendar | None = None,
) -> AllocationResult:
    """Confirm against the allocation steps and, if given, availability: ``atp`` is the result
    of a delivery-proposal :func:`~kubus.scheduling.atp.check` of the same request (its lines
    are what ATP can confirm by each date); ``None`` means availability is unlimited."""
    q = to_milli(quantity)
    day = to_day(requested_date, field="requested date")
    if day < to_day(today, field="today"):
        raise DateInPastError(f"requested date {requested_date} is before today {today}")
    cal = calendar or FactoryCalendar()
    windows = [_window(step, requested_date, cal) for step in steps]
    curves = [[(day, q)]] if atp is None else [_atp_curve(atp)]
    curves += [_cumulate(window) for window in windows]
    dates = sorted({day} | {d for curve in curves for d, _ in curve if d >= day})
    values = np.array(
        [min([q] + [_value_at(curve, d) for curve in curves]) for d in dates], dtype=np.int64
    )
    where, amounts = confirmation_steps(values, q, rule)
    lines = tuple(
        ConfirmedLine(to_date(dates[i]), from_milli(a))
        for i, a in zip(where.tolist(), amounts.tolist(), strict=True)
    )
    confirmed = int(amounts.sum())
    confirmation = Confirmation(from_milli(q), lines, from_milli(q - confirmed), rule)
    consumption = tuple(
        Consumption(step.group, start, from_milli(used))
        for step, window in zip(steps, windows, strict=True)
        for start, used in _consume(window, confirmed)
    )
    return AllocationResult(confirmation, consumption)


# A window entry: (date the quantity becomes usable, period start, remaining thousandths).
_Window = list[tuple[np.datetime64, date, int]]


def _window(step: AllocationStep, requested: date, cal: FactoryCalendar) -> _Window:
    """The periods the order may consume, in consumption order."""
    own = next((i for i, p in enumerate(step.periods) if p.start <= requested <= p.end), None)
    if own is None:
        return []  # no allocation for the order's period: nothing can be confirmed
    day = to_day(requested)
    past = range(own - 1, max(own - step.backward_periods, 0) - 1, -1)
    future = range(own + 1, min(own + step.forward_periods, len(step.periods) - 1) + 1)
    window = [(day, step.periods[i].start, step.periods[i].remaining) for i in (own, *past)]
    window += [
        (
            to_day(cal.next_workday(step.periods[i].start)),
            step.periods[i].start,
            step.periods[i].remaining,
        )
        for i in future
    ]
    return window


def _cumulate(window: _Window) -> list[tuple[np.datetime64, int]]:
    curve: list[tuple[np.datetime64, int]] = []
    total = 0
    for usable, _, remaining in sorted(window, key=lambda entry: entry[0]):
        total += remaining
        curve.append((usable, total))
    return curve


def _atp_curve(atp: Confirmation) -> list[tuple[np.datetime64, int]]:
    curve: list[tuple[np.datetime64, int]] = []
    total = 0
    for line in atp.lines:
        total += to_milli(line.quantity)
        curve.append((to_day(line.date), total))
    return curve


def _value_at(curve: list[tuple[np.datetime64, int]], day: np.datetime64) -> int:
    value = 0
    for when, total in curve:
        if when > day:
            break
        value = total
    return value


def _consume(window: _Window, confirmed: int) -> list[tuple[date, int]]:
    used = []
    for _, start, remaining in window:
        if confirmed <= 0:
            break
        take = min(remaining, confirmed)
        if take:
            used.append((start, take))
            confirmed -= take
    return used
