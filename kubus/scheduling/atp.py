"""Cumulative ATP and the availability check of one requirement (domain.md §2.2, ATP-1..ATP-9).

Everything is vectorised over the timeline: the balance ``N`` is a cumulative sum, cumulative
ATP the reverse running minimum, and a check is a binary search plus a few array operations.

::

    N(t)      = stock + receipts(date <= t) - issues(date <= t)
    CumATP(t) = min over s >= t of N(s)
    confirmable_by(t) = min(q, max(0, CumATP(t)))   for t >= d, non-decreasing

Example (ATP-2 of domain.md)::

    >>> from datetime import date
    >>> t = Timeline.from_arrays(
    ...     ["2024-03-04", "2024-03-06", "2024-03-08", "2024-03-11", "2024-03-13",
    ...      "2024-03-15", "2024-03-18"], [100, -50, 80, -30, 60, -120, 40])
    >>> c = check(AtpRequest(60, date(2024, 3, 7)), t, today=date(2024, 3, 4))
    >>> [(str(line.date), str(line.quantity)) for line in c.lines], c.unconfirmed
    ([('2024-03-07', '40'), ('2024-03-18', '20')], Decimal('0'))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from kubus.scheduling.calendar import Days, FactoryCalendar, days_array, to_date, to_day
from kubus.scheduling.errors import DateInPastError, InvalidParameterError
from kubus.scheduling.quantities import Milli, Quantity, from_milli, to_milli
from kubus.scheduling.timeline import Timeline


class ConfirmationRule(StrEnum):
    """The reaction to a shortage (domain.md §2.2 "Reactions")."""

    ONE_TIME = "one_time"  # what is available on the requested date, the rest unconfirmed
    COMPLETE = "complete"  # one line for the full quantity at the earliest possible date
    PROPOSAL = "proposal"  # partial confirmations on successive dates


class PartialDelivery(StrEnum):
    """The customer's partial-delivery agreement per item (``KNVV-KZTLF``)."""

    ALLOWED = ""
    POSITIVE_ONLY = "A"  # a delivery only with quantity > 0: no effect on the check
    ONE_DELIVERY = "B"  # one delivery only
    COMPLETE_ONLY = "C"  # complete delivery only
    UNLIMITED = "D"  # unlimited subsequent deliveries: no effect on the check


def effective_rule(
    rule: ConfirmationRule,
    partial_delivery: PartialDelivery = PartialDelivery.ALLOWED,
    *,
    complete_order: bool = False,
) -> ConfirmationRule:
    """The rule a check applies once the customer's delivery agreements are taken into account.

    ``KZTLF`` C and complete delivery per order (``AUTLF``) force a complete confirmation;
    ``KZTLF`` B allows one delivery, so a delivery proposal becomes a one-time delivery.
    """
    if complete_order or partial_delivery is PartialDelivery.COMPLETE_ONLY:
        return ConfirmationRule.COMPLETE
    if partial_delivery is PartialDelivery.ONE_DELIVERY and rule is ConfirmationRule.PROPOSAL:
        return ConfirmationRule.ONE_TIME
    return rule


@dataclass(frozen=True, slots=True)
class AtpRequest:
    """A requirement to check: quantity (base unit) at its material availability date."""

    quantity: Quantity
    date: date
    partial_delivery: PartialDelivery = PartialDelivery.ALLOWED
    complete_order: bool = False

    def __post_init__(self) -> None:
        to_milli(self.quantity)
        to_day(self.date, field="requested date")
        if not isinstance(self.partial_delivery, PartialDelivery):
            raise InvalidParameterError(
                f"partial_delivery must be one of {[p.value for p in PartialDelivery]}"
            )


@dataclass(frozen=True, slots=True)
class ConfirmedLine:
    """A confirmed quantity at a material availability date."""

    date: date
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The result of a check: confirmed lines by date and the quantity left unconfirmed."""

    requested: Decimal
    lines: tuple[ConfirmedLine, ...]
    unconfirmed: Decimal
    rule: ConfirmationRule

    @property
    def confirmed(self) -> Decimal:
        return sum((line.quantity for line in self.lines), Decimal(0))

    @property
    def fully_confirmed(self) -> bool:
        return self.unconfirmed == 0

    def issues(self) -> tuple[Days, Milli]:
        """The confirmed lines as issue dates and (positive) thousandths."""
        return (
            days_array([line.date for line in self.lines]),
            np.array([to_milli(line.quantity) for line in self.lines], dtype=np.int64),
        )


@dataclass(frozen=True, slots=True)
class AtpRow:
    date: date
    balance: Decimal
    cum_atp: Decimal


@dataclass(frozen=True, eq=False)
class AtpTable:
    """``N(t)`` and ``CumATP(t)`` per element date, in thousandths (negative = over-confirmed)."""

    dates: Days
    balance: Milli
    cum_atp: Milli

    def rows(self) -> tuple[AtpRow, ...]:
        return tuple(
            AtpRow(d, from_milli(n), from_milli(c))
            for d, n, c in zip(
                self.dates.tolist(), self.balance.tolist(), self.cum_atp.tolist(), strict=True
            )
        )

    def at(self, day: date) -> Decimal:
        """``CumATP`` at any day (between element dates it is that of the previous element)."""
        return from_milli(_cum_at(self.dates, self.cum_atp, to_day(day)))


def reverse_running_min(balance: Milli) -> Milli:
    """``out[i] = min(balance[i:])``, vectorised."""
    result: Milli = np.minimum.accumulate(balance[::-1])[::-1]
    return result


def cumulative_atp(timeline: Timeline, *, rlt_end: date | None = None) -> AtpTable:
    """``N`` and ``CumATP`` at every element date (only dates <= ``rlt_end`` when it is given)."""
    if rlt_end is not None:
        timeline = timeline.until(to_day(rlt_end, field="rlt_end"))
    balance = timeline.balance()
    return AtpTable(timeline.dates, balance, reverse_running_min(balance))


def _cum_at(dates: Days, cum: Milli, day: np.datetime64) -> int:
    index = int(np.searchsorted(dates, day, side="right"))
    if index:
        return int(cum[index - 1])
    # Before the first element N is 0, so CumATP is min(0, every later balance).
    return min(0, int(cum[0])) if cum.size else 0


def confirmation_steps(
    values: Milli, quantity: int, rule: ConfirmationRule
) -> tuple[npt.NDArray[np.intp], Milli]:
    """Where and how much to confirm, given CumATP at candidate dates (thousandths).

    ``values[0]`` is CumATP on the requested date, the rest at each later element date, so
    ``values`` is non-decreasing. Returns candidate indices and the quantity confirmed there.
    """
    if rule is ConfirmationRule.ONE_TIME:
        first = min(quantity, max(0, int(values[0])))
        if first > 0:
            return np.zeros(1, dtype=np.intp), np.array([first], dtype=np.int64)
        return _NO_INDEX, _NO_MILLI
    reach = int(values.searchsorted(quantity))  # the first candidate with all of q
    if rule is ConfirmationRule.COMPLETE:
        if reach < values.size:
            return np.array([reach], dtype=np.intp), np.array([quantity], dtype=np.int64)
        return _NO_INDEX, _NO_MILLI
    confirmable = np.minimum(np.maximum(values[: reach + 1], 0), quantity)
    increments = confirmable.copy()
    increments[1:] -= confirmable[:-1]
    where = np.flatnonzero(increments)
    return where, increments[where]


_NO_INDEX = np.empty(0, dtype=np.intp)
_NO_MILLI = np.empty(0, dtype=np.int64)
_NO_INDEX.flags.writeable = False
_NO_MILLI.flags.writeable = False


def check(
    request: AtpRequest,
    timeline: Timeline,
    *,
    today: date,
    rule: ConfirmationRule = ConfirmationRule.PROPOSAL,
    rlt_end: date | None = None,
) -> Confirmation:
    """Confirm ``request`` against ``timeline`` (which holds every earlier confirmation: FCFS).

    With ``rlt_end`` (today + replenishment lead time) elements after it are ignored, a shortage
    within it is confirmed at ``rlt_end`` (except for a one-time delivery), and a requirement
    after it is confirmed in full on its date. The timeline itself is not changed; save the
    result with :func:`with_confirmation`.
    """
    rule = effective_rule(rule, request.partial_delivery, complete_order=request.complete_order)
    day0 = to_day(today, field="today")
    day = to_day(request.date, field="requested date")
    quantity = to_milli(request.quantity)
    if day < day0:
        raise DateInPastError(
            f"requested date {request.date} is before today {today}", field="date"
        )
    horizon = None if rlt_end is None else to_day(rlt_end, field="rlt_end")
    if horizon is not None:
        if horizon < day0:
            raise DateInPastError(f"rlt_end {rlt_end} is before today {today}", field="rlt_end")
        if day > horizon:  # after the replenishment lead time anything can be procured
            return _confirmation(quantity, rule, [day], [quantity])
        timeline = timeline.until(horizon)
    dates = timeline.dates
    cum = reverse_running_min(timeline.balance())
    start = int(dates.searchsorted(day, side="right"))
    values = np.empty(cum.size - start + 1, dtype=np.int64)
    values[0] = cum[start - 1] if start else min(0, int(cum[0])) if cum.size else 0
    values[1:] = cum[start:]
    where, amounts = confirmation_steps(values, quantity, rule)
    # Candidate 0 is the requested day, candidate i > 0 the element date dates[start + i - 1].
    line_dates = [day if i == 0 else dates[start + i - 1] for i in where.tolist()]
    quantities: list[int] = amounts.tolist()
    rest = quantity - sum(quantities)
    if horizon is not None and rest > 0 and rule is not ConfirmationRule.ONE_TIME:
        if line_dates and line_dates[-1] == horizon:
            quantities[-1] += rest
        else:
            line_dates.append(horizon)
            quantities.append(rest)
    return _confirmation(quantity, rule, line_dates, quantities)


def _confirmation(
    requested: int, rule: ConfirmationRule, dates: list[np.datetime64], quantities: list[int]
) -> Confirmation:
    lines = tuple(
        ConfirmedLine(to_date(d), from_milli(q)) for d, q in zip(dates, quantities, strict=True)
    )
    return Confirmation(from_milli(requested), lines, from_milli(requested - sum(quantities)), rule)


def with_confirmation(timeline: Timeline, confirmation: Confirmation) -> Timeline:
    """The timeline after saving ``confirmation``: its lines become issues (first come, first
    served: a later check can no longer take this quantity)."""
    dates, milli = confirmation.issues()
    return timeline.plus(dates, -milli)


def replenishment_lead_time_end(
    today: date,
    *,
    calendar: FactoryCalendar | None = None,
    processing_days: int = 0,
    planned_delivery_days: int = 0,
    gr_processing_days: int = 0,
) -> date:
    """End of the RLT for external procurement: purchasing processing time (working days) +
    planned delivery time (calendar days) + GR processing time (working days), from ``today``.

    For in-house production pass the total replenishment lead time as ``processing_days``.
    """
    cal = calendar or FactoryCalendar()
    for name, value in (
        ("processing_days", processing_days),
        ("planned_delivery_days", planned_delivery_days),
        ("gr_processing_days", gr_processing_days),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
            raise InvalidParameterError(f"{name} must be a whole number 0..3650, got {value!r}")
    end = cal.add_workdays(today, processing_days) if processing_days else today
    end += timedelta(days=planned_delivery_days)
    return cal.add_workdays(end, gr_processing_days) if gr_processing_days else end
