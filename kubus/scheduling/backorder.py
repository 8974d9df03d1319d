"""Backorder processing: rescheduling open order items by priority (domain.md §2.4, ATP-10).

:func:`reschedule` takes the open items of any number of materials and, per material and plant,
the current timeline (stock, receipts and every confirmed issue, the selected items' own
confirmations included, as :func:`kubus.scheduling.timeline.build_timeline` gives it with the
default confirmed-quantity basis). It

1. sorts the items by delivery priority (smaller number = more urgent), then creation time or
   requested date (:class:`SortDate`), then document number, then item number;
2. releases the confirmations of all selected items (whole items, never single lines);
3. re-checks the items in that order, each against the timeline left by the ones before;
4. reports every item whose confirmation changed.

It is pure: a dry run is a call whose report is shown and not saved; saving applies
``report.changes`` in one transaction. Items requested before today (backlog) are checked from
today. Deliveries and other issues in the timeline stay fixed.

Performance: one vectorised sort (``numpy.lexsort``) groups the items by material and orders
them; :mod:`kubus.scheduling.batch_check` then runs check number ``r`` of every material as one
array operation. Items are validated when the run starts (bad input raises a typed error before
anything is computed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from kubus.scheduling.atp import Confirmation, ConfirmationRule, ConfirmedLine
from kubus.scheduling.batch_check import RULE_CODES, MaterialRun, check_in_order
from kubus.scheduling.calendar import to_day
from kubus.scheduling.errors import (
    DateInPastError,
    InvalidDateError,
    InvalidParameterError,
    UnknownMaterialError,
)
from kubus.scheduling.quantities import Milli, Quantity, from_milli, to_milli
from kubus.scheduling.timeline import Timeline

MaterialPlant = tuple[str, str]
_EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_EPOCH_TIME = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_Lines = tuple[tuple[int, int], ...]  # (days since 1970-01-01, thousandths)


class SortDate(StrEnum):
    """The date that orders items of equal priority (SAP leaves the choice to a parameter)."""

    CREATED = "created"  # item creation time: first come, first served
    REQUESTED = "requested"  # requested date of the first schedule line


@dataclass(frozen=True, slots=True)
class BackorderItem:
    """An open order item selected for rescheduling.

    ``requested_date`` is the MAD of its first schedule line, ``quantity`` its open quantity,
    ``confirmed`` its confirmed lines by MAD (released by the run), ``rule`` the rule its
    checks use, after :func:`kubus.scheduling.atp.effective_rule` for the customer's
    partial-delivery agreement.
    """

    document: str
    item: int
    material: str
    plant: str
    delivery_priority: int
    created: datetime
    requested_date: date
    quantity: Quantity
    confirmed: tuple[ConfirmedLine, ...] = ()
    rule: ConfirmationRule = ConfirmationRule.PROPOSAL


@dataclass(frozen=True, slots=True)
class ConfirmationChange:
    """An item whose confirmation differs after rescheduling."""

    document: str
    item: int
    material: str
    plant: str
    before: tuple[ConfirmedLine, ...]
    after: Confirmation


@dataclass(frozen=True, slots=True)
class BackorderReport:
    """Every changed confirmation, in processing order, and how many items were checked."""

    changes: tuple[ConfirmationChange, ...]
    items_checked: int


@dataclass(frozen=True, eq=False)
class _Columns:
    """The items as vectors; ``order`` is the processing order (material, then priority key)."""

    order: npt.NDArray[np.intp]
    group: npt.NDArray[np.intp]
    keys: list[MaterialPlant]
    day: npt.NDArray[np.intp]  # requested date (days since epoch), backlog moved to today
    quantity: Milli
    before: list[_Lines]  # current confirmations (days since epoch, thousandths)


def reschedule(
    items: Sequence[BackorderItem],
    supply: Mapping[MaterialPlant, Timeline],
    *,
    today: date,
    sort_by: SortDate = SortDate.CREATED,
    rlt_end: Mapping[MaterialPlant, date] | None = None,
) -> BackorderReport:
    """Re-run ATP over ``items`` in priority order and report what changed (pure, no saving).

    ``supply`` maps (material, plant) to the current timeline, including the items' own
    confirmations; ``rlt_end`` optionally gives a material's end of replenishment lead time.
    """
    day0 = int(to_day(today, field="today").astype(np.int64))
    horizons = _horizons(rlt_end or {}, day0)
    if not isinstance(sort_by, SortDate):
        raise InvalidParameterError(f"sort_by must be one of {[s.value for s in SortDate]}")
    if not items:
        return BackorderReport((), 0)
    columns = _columns(items, supply, day0, sort_by)
    in_order = columns.group[columns.order]
    bounds = np.flatnonzero(np.r_[True, in_order[1:] != in_order[:-1], True]).tolist()
    runs: list[MaterialRun] = []
    checked_rows: list[npt.NDArray[np.intp]] = []
    after: list[_Lines] = [()] * len(items)
    for start, stop in pairwise(bounds):  # one material after the other, items in order
        rows = columns.order[start:stop]
        key = columns.keys[int(columns.group[rows[0]])]
        run, checked = _material_run(
            columns,
            rows,
            [items[r].rule for r in rows.tolist()],
            supply[key],
            day0=day0,
            horizon=horizons.get(key),
        )
        for row in rows[~checked].tolist():  # after the RLT: in full, no effect on supply
            after[row] = ((int(columns.day[row]), int(columns.quantity[row])),)
        runs.append(run)
        checked_rows.append(rows[checked])
    for rows, lines in zip(checked_rows, check_in_order(runs), strict=True):
        for row, found in zip(rows.tolist(), lines, strict=True):
            after[row] = found
    changes = tuple(
        _change(items[row], int(columns.quantity[row]), after[row])
        for row in columns.order.tolist()
        if after[row] != columns.before[row]
    )
    return BackorderReport(changes, len(items))


def _columns(
    items: Sequence[BackorderItem],
    supply: Mapping[MaterialPlant, Timeline],
    day0: int,
    sort_by: SortDate,
) -> _Columns:
    if len({(i.document, i.item) for i in items}) != len(items):
        raise InvalidParameterError("each document item may appear only once in a run")
    materials = [(i.material, i.plant) for i in items]
    keys = sorted(set(materials))
    missing = [key for key in keys if key not in supply]
    if missing:
        raise UnknownMaterialError(
            f"no timeline for material/plant {missing[0]!r} ({len(missing)} missing)"
        )
    index = {key: n for n, key in enumerate(keys)}
    group = np.array([index[m] for m in materials], dtype=np.intp)
    requested = np.array([_days(i.requested_date, "requested_date") for i in items], np.int64)
    if sort_by is SortDate.CREATED:
        when = np.array([_micros(i.created) for i in items], dtype=np.int64)
    else:
        when = requested
    try:
        quantity = np.array([to_milli(i.quantity) for i in items], dtype=np.int64)
        order = np.lexsort(
            (
                np.array([i.item for i in items], dtype=np.int64),
                np.array([i.document for i in items], dtype=str),
                when,
                np.array([i.delivery_priority for i in items], dtype=np.int64),
                group,
            )
        )
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidParameterError(f"bad backorder item field: {exc}") from exc
    before: list[_Lines] = [
        tuple([(_days(line.date, "confirmed date"), to_milli(line.quantity)) for line in lines])
        if (lines := i.confirmed)
        else ()
        for i in items
    ]
    day = np.maximum(requested, day0).astype(np.intp)
    return _Columns(order, group, keys, day, quantity, before)


def _days(value: date, field: str) -> int:
    if type(value) is not date:
        to_day(value, field=field)  # raises the typed error for anything but a date
    return value.toordinal() - _EPOCH_ORDINAL


def _micros(value: datetime) -> int:
    if not isinstance(value, datetime):
        raise InvalidDateError(f"created must be a datetime, got {type(value).__name__}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return (value - _EPOCH_TIME) // _MICROSECOND


def _horizons(rlt_end: Mapping[MaterialPlant, date], day0: int) -> dict[MaterialPlant, int]:
    horizons = {key: _days(end, "rlt_end") for key, end in rlt_end.items()}
    for key, end in horizons.items():
        if end < day0:
            raise DateInPastError(f"rlt_end of {key!r} is before today", field="rlt_end")
    return horizons


def _material_run(
    columns: _Columns,
    rows: npt.NDArray[np.intp],
    rules: list[ConfirmationRule],
    timeline: Timeline,
    *,
    day0: int,
    horizon: int | None,
) -> tuple[MaterialRun, npt.NDArray[np.bool_]]:
    """One material's date axis and balance with its items' confirmations released, and which
    items need a check (those requested after the RLT end are confirmed in full)."""
    released = [line for row in rows.tolist() for line in columns.before[row]]
    released_days = np.array([max(day, day0) for day, _ in released], dtype=np.int64)
    released_milli = np.array([milli for _, milli in released], dtype=np.int64)
    timeline_days = timeline.dates.view(np.int64)
    requested = columns.day[rows]
    ends = [day0] if horizon is None else [day0, horizon]
    axis = np.unique(np.concatenate([timeline_days, requested, released_days, ends]))
    if horizon is not None:
        axis = axis[axis <= horizon]
    net = np.zeros(axis.size, dtype=np.int64)
    for days, milli in ((timeline_days, timeline.net), (released_days, released_milli)):
        inside = days <= axis[-1]
        np.add.at(net, np.searchsorted(axis, days[inside]), milli[inside])
    checked = requested <= axis[-1]
    run = MaterialRun(
        axis=axis,
        balance=np.cumsum(net),
        positions=np.searchsorted(axis, requested[checked]),
        quantities=columns.quantity[rows[checked]],
        rules=np.array([RULE_CODES[r] for r in rules], dtype=np.int8)[checked],
        rlt=horizon is not None,
    )
    return run, checked


def _change(item: BackorderItem, quantity: int, after: _Lines) -> ConfirmationChange:
    confirmed = 0
    lines = []
    for day, amount in after:
        confirmed += amount
        lines.append(ConfirmedLine(date.fromordinal(day + _EPOCH_ORDINAL), _decimal(amount)))
    confirmation = Confirmation(
        _decimal(quantity), tuple(lines), _decimal(quantity - confirmed), item.rule
    )
    return ConfirmationChange(
        item.document, item.item, item.material, item.plant, item.confirmed, confirmation
    )


@lru_cache(maxsize=1 << 16)
def _decimal(milli: int) -> Decimal:
    # Reports repeat the same few quantities many times; Decimals are immutable, so share them.
    return from_milli(milli)
