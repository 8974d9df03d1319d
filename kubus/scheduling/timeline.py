"""Time-phased ATP elements of one material and plant, and the scope of check that picks them.

A :class:`Timeline` is the input of every check: the net quantity per day (stock at today,
receipts +, issues -), as two numpy vectors sorted by date. Build it from element records with
:func:`build_timeline` (the scope of check decides which stocks, receipts and issues count), from
columns with :func:`timeline_from_columns` (what a database query returns), or from raw signed
quantities with :meth:`Timeline.from_arrays`.

Date rules (recorded in ``docs/scheduling.md``): stock counts at today; a receipt counts at its
availability date = delivery date + goods-receipt processing time (working days of the plant
calendar); a receipt whose availability date is before today counts at today only if the scope
includes past receipts, otherwise not at all; an issue dated before today (backlog) counts at today.

>>> t = Timeline.from_arrays(["2024-03-08", "2024-03-04", "2024-03-08"], [80, 100, -30])
>>> [str(d) for d in t.dates], t.net.tolist()
(['2024-03-04', '2024-03-08'], [100000, 50000])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from kubus.scheduling.calendar import DAY, Days, FactoryCalendar, days_array, to_day
from kubus.scheduling.errors import InvalidParameterError, InvalidScopeError
from kubus.scheduling.quantities import Milli, Quantity, milli_array, to_milli


class ElementGroup(StrEnum):
    STOCK = "stock"
    RECEIPT = "receipt"
    ISSUE = "issue"


class ElementKind(StrEnum):
    """Stock categories, receipt and issue types a scope of check can include (domain.md §2.1)."""

    UNRESTRICTED_STOCK = "unrestricted_stock"
    SAFETY_STOCK = "safety_stock"
    STOCK_IN_TRANSFER = "stock_in_transfer"
    QUALITY_INSPECTION_STOCK = "quality_inspection_stock"
    BLOCKED_STOCK = "blocked_stock"
    PURCHASE_ORDER = "purchase_order"
    PURCHASE_REQUISITION = "purchase_requisition"
    PLANNED_ORDER = "planned_order"
    PRODUCTION_ORDER = "production_order"
    SHIPPING_NOTIFICATION = "shipping_notification"
    STOCK_TRANSPORT_ORDER = "stock_transport_order"
    SALES_ORDER = "sales_order"
    DELIVERY = "delivery"
    RESERVATION = "reservation"
    DEPENDENT_REQUIREMENT = "dependent_requirement"

    @property
    def group(self) -> ElementGroup:
        return _GROUPS[self]


_STOCKS = frozenset(
    {
        ElementKind.UNRESTRICTED_STOCK,
        ElementKind.SAFETY_STOCK,
        ElementKind.STOCK_IN_TRANSFER,
        ElementKind.QUALITY_INSPECTION_STOCK,
        ElementKind.BLOCKED_STOCK,
    }
)
_ISSUES = frozenset(
    {
        ElementKind.SALES_ORDER,
        ElementKind.DELIVERY,
        ElementKind.RESERVATION,
        ElementKind.DEPENDENT_REQUIREMENT,
    }
)
_GROUPS = {
    kind: ElementGroup.STOCK
    if kind in _STOCKS
    else ElementGroup.ISSUE
    if kind in _ISSUES
    else ElementGroup.RECEIPT
    for kind in ElementKind
}
ALL_RECEIPTS = frozenset(k for k in ElementKind if k.group is ElementGroup.RECEIPT)
ALL_ISSUES = _ISSUES


class IssueBasis(StrEnum):
    """Which quantity of an existing requirement counts (the checking group's cumulation)."""

    CONFIRMED = "confirmed"  # cumulation type 1, the default: receipts minus confirmed issues
    REQUESTED = "requested"  # cumulation of requirements: receipts minus open requested issues


def _require_group(kind: ElementKind, group: ElementGroup, what: str) -> None:
    if not isinstance(kind, ElementKind) or kind.group is not group:
        raise InvalidScopeError(f"{what}: {kind!r} is not a {group.value} kind")


@dataclass(frozen=True, slots=True)
class ScopeOfCheck:
    """Which elements count (domain.md §2.1). Unrestricted stock always counts."""

    stocks: frozenset[ElementKind] = frozenset({ElementKind.UNRESTRICTED_STOCK})
    receipts: frozenset[ElementKind] = ALL_RECEIPTS
    issues: frozenset[ElementKind] = ALL_ISSUES
    include_past_receipts: bool = False
    issue_basis: IssueBasis = IssueBasis.CONFIRMED

    def __post_init__(self) -> None:
        for kinds, group in (
            (self.stocks, ElementGroup.STOCK),
            (self.receipts, ElementGroup.RECEIPT),
            (self.issues, ElementGroup.ISSUE),
        ):
            for kind in kinds:
                _require_group(kind, group, f"scope of check, {group.value}s")
        object.__setattr__(self, "stocks", self.stocks | {ElementKind.UNRESTRICTED_STOCK})
        if not isinstance(self.issue_basis, IssueBasis):
            raise InvalidScopeError(f"issue_basis must be one of {[b.value for b in IssueBasis]}")


@dataclass(frozen=True, slots=True)
class StockElement:
    kind: ElementKind
    quantity: Quantity

    def __post_init__(self) -> None:
        _require_group(self.kind, ElementGroup.STOCK, "stock element")
        to_milli(self.quantity, allow_zero=True)


@dataclass(frozen=True, slots=True)
class ReceiptElement:
    """A planned receipt; ``date`` is its delivery (or finish) date, before GR processing time."""

    kind: ElementKind
    date: date
    quantity: Quantity

    def __post_init__(self) -> None:
        _require_group(self.kind, ElementGroup.RECEIPT, "receipt element")
        to_day(self.date, field="receipt date")
        to_milli(self.quantity, allow_zero=True)


@dataclass(frozen=True, slots=True)
class IssueElement:
    """A requirement at its material availability date: requested and confirmed quantity."""

    kind: ElementKind
    date: date
    requested: Quantity
    confirmed: Quantity

    def __post_init__(self) -> None:
        _require_group(self.kind, ElementGroup.ISSUE, "issue element")
        to_day(self.date, field="issue date")
        to_milli(self.requested, field="requested", allow_zero=True)
        to_milli(self.confirmed, field="confirmed", allow_zero=True)


def _readonly(array: npt.NDArray[np.generic]) -> None:
    array.flags.writeable = False


@dataclass(frozen=True, eq=False)
class Timeline:
    """Net quantity per day, thousandths of the base unit; ``dates`` strictly ascending."""

    dates: Days
    net: Milli

    def __post_init__(self) -> None:
        # Copies: the arrays become read-only and must not be the caller's.
        dates = days_array(self.dates).copy()
        net = np.array(self.net, dtype=np.int64)
        if dates.shape != net.shape or dates.ndim != 1:
            raise InvalidParameterError("timeline dates and quantities must be equal-length")
        if dates.size > 1 and not (dates[1:] > dates[:-1]).all():
            raise InvalidParameterError("timeline dates must be strictly ascending")
        object.__setattr__(self, "dates", dates)
        object.__setattr__(self, "net", net)
        _readonly(self.dates)
        _readonly(self.net)

    @classmethod
    def _trusted(cls, dates: Days, net: Milli) -> Timeline:
        """Skip validation for arrays this module built itself (sorted, unique, int64)."""
        timeline = object.__new__(cls)
        object.__setattr__(timeline, "dates", dates)
        object.__setattr__(timeline, "net", net)
        _readonly(dates)
        _readonly(net)
        return timeline

    @classmethod
    def from_milli(cls, dates: Days, milli: Milli) -> Timeline:
        """Aggregate signed thousandths per day (any order, duplicates allowed)."""
        dates = days_array(dates)
        milli = np.asarray(milli, dtype=np.int64)
        if dates.shape != milli.shape:
            raise InvalidParameterError("dates and quantities must be equal-length")
        if dates.size == 0:
            return cls.empty()
        days = dates.view(np.int64)  # sorting int64 is faster than datetime64
        order = np.argsort(days, kind="stable")
        sorted_days = days[order]
        first = np.empty(days.size, dtype=np.bool_)
        first[0] = True
        np.not_equal(sorted_days[1:], sorted_days[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        net = np.add.reduceat(milli[order], starts)
        return cls._trusted(sorted_days[starts].view(DAY), net)

    @classmethod
    def from_arrays(
        cls, dates: Iterable[date] | npt.ArrayLike, quantities: npt.ArrayLike
    ) -> Timeline:
        """Aggregate signed base-unit quantities (+ stock and receipts, - issues) per day."""
        return cls.from_milli(days_array(dates), milli_array(quantities))

    @classmethod
    def empty(cls) -> Timeline:
        return cls._trusted(np.empty(0, dtype=DAY), np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.dates.size)

    def balance(self) -> Milli:
        """N(t) at each date: the running projected balance."""
        return np.cumsum(self.net)

    def plus(self, dates: Days, milli: Milli) -> Timeline:
        """A new timeline with signed thousandths added (negative = a new issue)."""
        return Timeline.from_milli(np.concatenate([self.dates, dates]), np.r_[self.net, milli])

    def until(self, end: np.datetime64) -> Timeline:
        """Only the elements dated on or before ``end`` (the RLT horizon)."""
        stop = int(np.searchsorted(self.dates, end, side="right"))
        if stop == self.dates.size:
            return self
        return Timeline._trusted(self.dates[:stop], self.net[:stop])


def timeline_from_columns(
    *,
    today: date,
    stock: Quantity = 0,
    receipt_dates: Days | Sequence[date] = (),
    receipt_quantities: npt.ArrayLike = (),
    issue_dates: Days | Sequence[date] = (),
    issue_quantities: npt.ArrayLike = (),
    calendar: FactoryCalendar | None = None,
    gr_processing_days: int = 0,
    include_past_receipts: bool = False,
) -> Timeline:
    """A timeline from columns (what a database query returns), quantities > 0 in base units.

    Receipts move by the GR processing time on the plant calendar (vectorised), then the date
    rules of the module docstring apply.
    """
    return _from_milli_columns(
        to_day(today, field="today"),
        to_milli(stock, field="stock", allow_zero=True),
        days_array(receipt_dates, field="receipt dates"),
        milli_array(receipt_quantities, field="receipt quantities"),
        issue_dates=days_array(issue_dates, field="issue dates"),
        issue_milli=milli_array(issue_quantities, field="issue quantities"),
        calendar=calendar,
        gr_processing_days=gr_processing_days,
        include_past_receipts=include_past_receipts,
    )


def build_timeline(
    *,
    today: date,
    stocks: Iterable[StockElement] = (),
    receipts: Iterable[ReceiptElement] = (),
    issues: Iterable[IssueElement] = (),
    scope: ScopeOfCheck | None = None,
    calendar: FactoryCalendar | None = None,
    gr_processing_days: int = 0,
) -> Timeline:
    """The timeline of one material and plant: the elements the scope counts, at their dates."""
    scope = scope or ScopeOfCheck()
    counted_receipts = [r for r in receipts if r.kind in scope.receipts]
    counted_issues = [i for i in issues if i.kind in scope.issues]
    confirmed = scope.issue_basis is IssueBasis.CONFIRMED
    return _from_milli_columns(
        to_day(today, field="today"),
        sum(to_milli(s.quantity, allow_zero=True) for s in stocks if s.kind in scope.stocks),
        days_array([r.date for r in counted_receipts]),
        np.array([to_milli(r.quantity, allow_zero=True) for r in counted_receipts], np.int64),
        issue_dates=days_array([i.date for i in counted_issues]),
        issue_milli=np.array(
            [
                to_milli(i.confirmed if confirmed else i.requested, allow_zero=True)
                for i in counted_issues
            ],
            np.int64,
        ),
        calendar=calendar,
        gr_processing_days=gr_processing_days,
        include_past_receipts=scope.include_past_receipts,
    )


def _from_milli_columns(
    today: np.datetime64,
    stock: int,
    receipt_dates: Days,
    receipt_milli: Milli,
    *,
    issue_dates: Days,
    issue_milli: Milli,
    calendar: FactoryCalendar | None,
    gr_processing_days: int,
    include_past_receipts: bool,
) -> Timeline:
    if receipt_dates.shape != receipt_milli.shape or issue_dates.shape != issue_milli.shape:
        raise InvalidParameterError("each date column needs a quantity column of the same length")
    if (receipt_milli < 0).any() or (issue_milli < 0).any():
        raise InvalidParameterError("receipt and issue quantities must be >= 0 (sign implied)")
    if gr_processing_days:
        cal = calendar or FactoryCalendar()
        receipt_dates = cal.add_workdays_array(receipt_dates, gr_processing_days)
    past = receipt_dates < today
    if include_past_receipts:
        receipt_dates = np.where(past, today, receipt_dates)
    else:
        receipt_dates, receipt_milli = receipt_dates[~past], receipt_milli[~past]
    return Timeline.from_milli(
        np.concatenate([np.array([today], DAY), receipt_dates, np.maximum(issue_dates, today)]),
        np.concatenate([np.array([stock], dtype=np.int64), receipt_milli, -issue_milli]),
    )
