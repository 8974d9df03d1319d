"""Backorder processing over the OLTP database (issue #4, domain.md §2.4, ATP-10).

:func:`run_backorder` reschedules the open sales-order items of the selected materials/plants:

1. selects every open item (not rejected, delivered less than ordered) with all its schedule
   lines, whole items only, in one statement; the other elements (stock, purchase orders and
   requisitions, open deliveries) in another (:mod:`kubus.scheduling.oltp_timeline`);
2. computes each item's open quantity (ordered - delivered) and open confirmed quantity per
   schedule line (deliveries use up the lines by MAD, earliest first), and its material
   availability date by backward scheduling from the requested delivery date (from today by
   forward scheduling when that lies in the past);
3. sorts the items (delivery priority, item creation date or requested date — ``sort_by`` —,
   order number, item number), releases their confirmations and checks them again in that order
   with :func:`kubus.scheduling.backorder.reschedule` (the customer's partial-delivery agreement
   and the checking group's scope and RLT apply as in order entry);
4. lays every changed confirmation out as schedule lines like order entry: line 1 keeps the
   requested date and quantity and gets what is confirmed on time (backward-scheduled dates);
   each later confirmation date gets a line with forward-scheduled dates, reusing the item's
   other lines before adding new ones; quantities already delivered stay where they are;
5. dry run (the default): returns the report, writes nothing; otherwise writes exactly the
   reported lines in one transaction (``executemany`` updates and inserts), adjusts
   ``material_plant.open_confirmed_qty`` by the change in confirmed quantity (the total the
   sales services keep: confirmed - goods issued), and appends one change-log row per written
   schedule line.

Locks (apply): the ``material_plant`` rows of the selection first, in key order (order entry's
lock: no check can interleave), then — on PostgreSQL — the headers of the selected orders with
``SKIP LOCKED``: an order another transaction is changing right now (a delivery, a quantity
change) is left out of this run and its confirmations stay fixed (``items_skipped``). SQLite
serialises writers anyway.

Example::

    report = run_backorder(engine, today=date(2024, 3, 4))             # dry run
    for change in report.changes:
        print(change.order_id, change.item_no, change.before, change.after)
    run_backorder(engine, today=date(2024, 3, 4), dry_run=False)       # save it
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from kubus.oltp.errors import BadRequest, NotFound
from kubus.oltp.prepared import Prepared
from kubus.oltp.schema import (
    material,
    material_plant,
    plant,
    sales_order,
    sales_order_item,
    sales_order_schedule_line,
)
from kubus.oltp.store import Bind, read_only, transaction
from kubus.oltp.unit_of_work import UnitOfWork
from kubus.scheduling.atp import ConfirmationRule, ConfirmedLine, effective_rule
from kubus.scheduling.backorder import BackorderItem, SortDate, reschedule
from kubus.scheduling.calendar import DAY, Days, to_day
from kubus.scheduling.delivery import (
    Route,
    ScheduleArrays,
    ShippingPoint,
    backward_many,
    forward_many,
)
from kubus.scheduling.errors import SchedulingError
from kubus.scheduling.oltp_checker import oltp_error
from kubus.scheduling.oltp_master import (
    CheckingGroupRule,
    DeliveryAgreement,
    MaterialPlanning,
    MaterialPlant,
    _key_filter,
    checking_rule,
    key_condition,
    key_parameters,
    load_material_planning,
    load_routes,
    load_shipping_points,
)
from kubus.scheduling.oltp_timeline import day, delivered, load_elements, milli, timeline_of
from kubus.scheduling.quantities import from_milli
from kubus.scheduling.timeline import Timeline

__all__ = ["BackorderInputs", "BackorderRunReport", "LineState", "Progress", "RescheduledItem",
           "backorder_inputs", "run_backorder"]

#: ``progress(phase, done, total)``: phases ``load``, ``check``, ``layout``, ``write``.
Progress = Callable[[str, int, int], None]

_EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_WRITE_CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class LineState:
    """One schedule line as stored: delivery date, quantities and scheduling dates."""

    line_no: int
    delivery_date: date
    requested_qty: Decimal
    confirmed_qty: Decimal
    mad: date
    tpd: date
    load: date
    gi: date


@dataclass(frozen=True, slots=True)
class RescheduledItem:
    """An order item whose confirmation the run changes: before and after, by MAD and as
    schedule lines (``lines_after`` is every line of the item after the run, new ones too)."""

    order_id: int
    item_no: int
    material_id: str
    plant: str
    open_qty: Decimal
    before: tuple[ConfirmedLine, ...]
    after: tuple[ConfirmedLine, ...]
    lines_before: tuple[LineState, ...]
    lines_after: tuple[LineState, ...]

    @property
    def confirmed_before(self) -> Decimal:
        return sum((line.quantity for line in self.before), Decimal(0))

    @property
    def confirmed_after(self) -> Decimal:
        return sum((line.quantity for line in self.after), Decimal(0))

    @property
    def unconfirmed_after(self) -> Decimal:
        return self.open_qty - self.confirmed_after


@dataclass(frozen=True)
class BackorderRunReport:
    """What a run changed (dry run: would change), in processing order."""

    today: date
    dry_run: bool
    sort_by: SortDate
    items_checked: int
    items_skipped: int
    lines_selected: int
    changes: tuple[RescheduledItem, ...]
    lines_updated: int
    lines_inserted: int
    timings: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class BackorderInputs:
    """What a run hands to the pure :func:`~kubus.scheduling.backorder.reschedule`: the open
    items, each material's timeline (their confirmations included) and RLT ends."""

    items: list[BackorderItem]
    supply: dict[MaterialPlant, Timeline]
    rlt_end: dict[MaterialPlant, date]


def backorder_inputs(bind: Bind, *, today: date, materials: Sequence[str] | None = None,
                     plants: Sequence[str] | None = None,
                     checking_rules: Mapping[str, CheckingGroupRule] | None = None
                     ) -> BackorderInputs:
    """The pure inputs of a run over ``materials`` in ``plants``, read in one snapshot (for
    comparing with the pure core, e.g. ``bench/bench_atp_db.py``)."""
    run = _Run(today, SortDate.CREATED, checking_rules, _no_progress)
    with _snapshot(bind) as conn:
        return run.inputs(conn, materials, plants)


def run_backorder(bind: Bind, *, today: date, dry_run: bool = True,
                  sort_by: SortDate = SortDate.CREATED,
                  materials: Sequence[str] | None = None, plants: Sequence[str] | None = None,
                  checking_rules: Mapping[str, CheckingGroupRule] | None = None,
                  progress: Progress | None = None) -> BackorderRunReport:
    """Reschedule the open items of ``materials`` in ``plants`` (``None``: all); see the module
    docstring. A dry run reads one consistent snapshot and writes nothing; otherwise the
    changes are saved in one transaction. Bad input raises the OLTP's typed errors."""
    try:
        to_day(today, field="today")
    except SchedulingError as exc:
        raise oltp_error(exc) from exc
    if not isinstance(sort_by, SortDate):
        raise BadRequest("invalid_parameter",
                         f"sort_by must be one of {[s.value for s in SortDate]}")
    run = _Run(today, sort_by, checking_rules, progress or _no_progress)
    with _cyclic_gc_paused():
        if dry_run:
            with _snapshot(bind) as conn:
                return run.execute(conn, materials, plants, apply=False)
        with transaction(bind) as conn:
            return run.execute(conn, materials, plants, apply=True)


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the run.

    A run over 100,000 lines keeps about a million small objects alive at once (rows, items,
    report objects) and makes no reference cycles; every collection would only walk them all
    again (measured: a third of the run). Reference counting still frees everything as usual,
    and the collector is switched back on (if it was on) when the run ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _snapshot(bind: Bind) -> Iterator[sa.Connection]:
    """A read-only transaction with one snapshot for every statement (REPEATABLE READ on
    PostgreSQL, whose default gives each statement its own)."""
    if isinstance(bind, sa.Engine) and bind.dialect.name == "postgresql":
        bind = bind.execution_options(isolation_level="REPEATABLE READ")
    with read_only(bind) as conn:
        yield conn


# -- reading ---------------------------------------------------------------------------------

_sl, _i, _h = sales_order_schedule_line, sales_order_item, sales_order


def _lines_statement(keys: list[MaterialPlant] | None) -> sa.Select[Any]:
    shape, params = key_parameters(keys)
    quantities = delivered(shape)
    done = sa.func.coalesce(quantities.c.qty, 0)
    return (
        sa.select(_sl.c.order_id, _sl.c.item_no, _sl.c.line_no,
                  day(_sl.c.delivery_date).label("delivery"),
                  milli(_sl.c.requested_qty).label("requested"),
                  milli(_sl.c.confirmed_qty).label("confirmed"),
                  day(_sl.c.material_availability_date).label("mad"),
                  day(_sl.c.transportation_planning_date).label("tpd"),
                  day(_sl.c.loading_date).label("load"), day(_sl.c.goods_issue_date).label("gi"),
                  _i.c.material_id, _i.c.plant, _i.c.shipping_point, _i.c.route,
                  milli(_i.c.quantity).label("quantity"),
                  day(_i.c.requested_delivery_date).label("rdd"),
                  milli(done).label("delivered"), _h.c.delivery_priority,
                  day(_h.c.order_date).label("order_date"), _h.c.complete_delivery,
                  _h.c.partial_delivery)
        .select_from(_sl.join(_i, sa.and_(_i.c.order_id == _sl.c.order_id,
                                          _i.c.item_no == _sl.c.item_no))
                     .join(_h, _h.c.order_id == _i.c.order_id)
                     .outerjoin(quantities, sa.and_(quantities.c.order_id == _i.c.order_id,
                                                    quantities.c.order_item == _i.c.item_no)))
        .where(key_condition(_i.c.material_id, _i.c.plant, shape),
               _i.c.rejection_reason.is_(None), _i.c.quantity > done)
        .order_by(_sl.c.order_id, _sl.c.item_no, _sl.c.material_availability_date,
                  _sl.c.line_no)
        .params(**params))


def _raw_rows(conn: sa.Connection, statement: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """All rows of ``statement`` as plain DBAPI tuples (no row objects: 100,000 lines).

    The statement has no parameters left (keys are rendered as literals), and its columns need
    no result processing (thousandths are integers, dates are ISO text on SQLite and ``date``
    on PostgreSQL, booleans 0/1 or ``bool``)."""
    sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _lock_orders(conn: sa.Connection, keys: list[MaterialPlant] | None) -> set[int] | None:
    """PostgreSQL: lock the headers of the open orders of ``keys`` that nobody else holds;
    their numbers (``None``: everything is locked already, as on SQLite)."""
    if conn.dialect.name != "postgresql":
        return None
    items = (sa.select(_i.c.order_id)
             .where(_key_filter(_i.c.material_id, _i.c.plant, keys),
                    _i.c.rejection_reason.is_(None)))
    query = (sa.select(_h.c.order_id).where(_h.c.order_id.in_(items)).order_by(_h.c.order_id)
             .with_for_update(skip_locked=True))
    return {int(order_id) for order_id in conn.execute(query).scalars()}


def _select_keys(conn: sa.Connection, materials: Sequence[str] | None,
                 plants: Sequence[str] | None) -> list[MaterialPlant] | None:
    """The material/plant keys of the filter (``None``: all); unknown names raise NotFound."""
    if materials is None and plants is None:
        return None
    mp = material_plant
    query = sa.select(mp.c.material_id, mp.c.plant).order_by(mp.c.material_id, mp.c.plant)
    if materials is not None:
        wanted = sorted(set(materials))
        known = set(conn.execute(sa.select(material.c.material_id)
                                 .where(material.c.material_id.in_(wanted))).scalars())
        for material_id in wanted:
            if material_id not in known:
                raise NotFound("unknown_material", f"material {material_id} does not exist",
                               material_id=material_id)
        query = query.where(mp.c.material_id.in_(wanted))
    if plants is not None:
        wanted = sorted(set(plants))
        known = set(conn.execute(sa.select(plant.c.plant)
                                 .where(plant.c.plant.in_(wanted))).scalars())
        for plant_id in wanted:
            if plant_id not in known:
                raise NotFound("unknown_plant", f"plant {plant_id} does not exist",
                               plant=plant_id)
        query = query.where(mp.c.plant.in_(wanted))
    return [(m, p) for m, p in conn.execute(query).all()]


@dataclass(frozen=True, eq=False)
class _Lines:
    """The selected schedule lines as columns (sorted by item, then MAD and line number) and
    their items (``start``: index of an item's first line)."""

    order_id: npt.NDArray[np.int64]
    item_no: npt.NDArray[np.int64]
    line_no: npt.NDArray[np.int64]
    delivery: Days
    requested: npt.NDArray[np.int64]
    confirmed: npt.NDArray[np.int64]
    mad: Days
    tpd: Days
    load: Days
    gi: Days
    open: npt.NDArray[np.int64]  # open confirmed quantity of the line
    start: npt.NDArray[np.intp]
    stop: npt.NDArray[np.intp]
    # per item
    key: list[MaterialPlant]
    point: list[str | None]
    route: list[str | None]
    open_qty: npt.NDArray[np.int64]
    rdd: Days
    priority: npt.NDArray[np.int64]
    created: Days
    agreement: list[DeliveryAgreement]

    @property
    def items(self) -> int:
        return int(self.start.size)


def _read_lines(conn: sa.Connection, keys: list[MaterialPlant] | None) -> _Lines:
    rows = _raw_rows(conn, _lines_statement(keys))
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * 21

    def ints(n: int) -> npt.NDArray[np.int64]:
        return np.array(columns[n], dtype=np.int64)

    def days(n: int) -> Days:
        return np.array(columns[n], dtype=DAY) if rows else np.empty(0, dtype=DAY)

    order_id, item_no = ints(0), ints(1)
    boundary = np.ones(order_id.size, dtype=np.bool_)
    if order_id.size:
        boundary[1:] = (order_id[1:] != order_id[:-1]) | (item_no[1:] != item_no[:-1])
    start = np.flatnonzero(boundary)
    stop = np.r_[start[1:], order_id.size].astype(np.intp)
    confirmed = ints(5)
    quantity_, delivered = ints(14), ints(16)
    # Deliveries use up an item's lines by MAD, earliest first: open = clip(cum - delivered).
    cum = np.cumsum(confirmed)
    before_item = np.repeat(cum[start] - confirmed[start], stop - start)
    used_up = np.repeat(delivered[start], stop - start)
    open_ = np.clip(cum - before_item - used_up, 0, confirmed)
    first = start.tolist()
    materials, plants = columns[10], columns[11]
    points, routes = columns[12], columns[13]
    completes, partials = columns[19], columns[20]
    agreements: dict[tuple[Any, Any], DeliveryAgreement] = {}
    return _Lines(
        order_id, item_no, ints(2), days(3), ints(4), confirmed, days(6), days(7), days(8),
        days(9), open_, start, stop,
        key=[(materials[i], plants[i]) for i in first],
        point=[points[i] for i in first], route=[routes[i] for i in first],
        open_qty=(quantity_ - delivered)[start], rdd=days(15)[start], priority=ints(17)[start],
        created=days(18)[start],
        agreement=[agreements.setdefault((partials[i], bool(completes[i])),
                                         DeliveryAgreement.of(partials[i], bool(completes[i])))
                   for i in first])


# -- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Prepared:
    lines: _Lines
    schedule: _Scheduling
    selected: npt.NDArray[np.bool_]
    inputs: BackorderInputs


class _Run:
    def __init__(self, today: date, sort_by: SortDate,
                 checking_rules: Mapping[str, CheckingGroupRule] | None,
                 progress: Progress) -> None:
        self.today = today
        self.day0 = to_day(today)
        self.sort_by = sort_by
        self.rules = checking_rules
        self.progress = progress
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()

    def _lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self._clock
        self._clock = now

    def execute(self, conn: sa.Connection, materials: Sequence[str] | None,
                plants: Sequence[str] | None, *, apply: bool) -> BackorderRunReport:
        try:
            return self._execute(conn, materials, plants, apply=apply)
        except SchedulingError as exc:
            raise oltp_error(exc) from exc

    def _prepare(self, conn: sa.Connection, keys: list[MaterialPlant] | None, *,
                 apply: bool) -> _Prepared:
        planning = load_material_planning(conn, keys, lock=apply)
        locked = _lock_orders(conn, keys) if apply else None
        lines = _read_lines(conn, keys)
        self.progress("load", 2, 4)
        elements = load_elements(conn, list(planning), sales=False)
        points = load_shipping_points(conn, {p for p in lines.point if p is not None})
        routes = load_routes(conn, {r for r in lines.route if r is not None})
        self.progress("load", 4, 4)
        self._lap("load")
        schedule = _Scheduling(self.today, lines, planning, points, routes)
        selected = (np.ones(lines.items, dtype=np.bool_) if locked is None else
                    np.isin(lines.order_id[lines.start], np.fromiter(locked, np.int64)))
        items = self._items(lines, schedule, selected)
        supply = self._supply(lines, planning, elements)
        horizons = {key: end for key, plan in planning.items()
                    if checking_rule(plan.checking_group, self.rules).use_rlt
                    and (end := plan.rlt_end(self.today)) is not None}
        self._lap("prepare")
        return _Prepared(lines, schedule, selected, BackorderInputs(items, supply, horizons))

    def inputs(self, conn: sa.Connection, materials: Sequence[str] | None,
               plants: Sequence[str] | None) -> BackorderInputs:
        try:
            keys = _select_keys(conn, materials, plants)
            if keys == []:
                return BackorderInputs([], {}, {})
            return self._prepare(conn, keys, apply=False).inputs
        except SchedulingError as exc:
            raise oltp_error(exc) from exc

    def _execute(self, conn: sa.Connection, materials: Sequence[str] | None,
                 plants: Sequence[str] | None, *, apply: bool) -> BackorderRunReport:
        self.progress("load", 0, 4)
        keys = _select_keys(conn, materials, plants)
        if keys == []:  # nothing selected (an empty list, a plant without materials)
            self.progress("load", 4, 4)
            self._lap("load")
            return BackorderRunReport(self.today, not apply, self.sort_by, 0, 0, 0, (), 0, 0,
                                      dict(self.timings))
        prepared = self._prepare(conn, keys, apply=apply)
        lines, schedule, inputs = prepared.lines, prepared.schedule, prepared.inputs
        self.progress("check", 0, 1)
        report = reschedule(inputs.items, inputs.supply, today=self.today, sort_by=self.sort_by,
                            rlt_end=inputs.rlt_end)
        self.progress("check", 1, 1)
        self._lap("check")
        rows = {(int(lines.order_id[lines.start[n]]), int(lines.item_no[lines.start[n]])): n
                for n in np.flatnonzero(prepared.selected).tolist()}
        changes, writes = _Layout(self.today, lines, schedule).build(
            [(rows[(int(c.document), c.item)], c.before, c.after.lines)
             for c in report.changes], self.progress)
        self._lap("layout")
        if apply:
            writes.save(conn, self.progress)
            self._lap("write")
        return BackorderRunReport(
            self.today, not apply, self.sort_by, report.items_checked,
            lines.items - report.items_checked, int(lines.order_id.size), tuple(changes),
            len(writes.updates), len(writes.inserts), dict(self.timings))

    def _items(self, lines: _Lines, schedule: _Scheduling,
               selected: npt.NDArray[np.bool_]) -> list[BackorderItem]:
        mad_days: list[date] = _dates(schedule.check_day)
        created = lines.created.tolist()
        line_mad = lines.mad.astype(np.int64).tolist()
        opens = lines.open.tolist()
        starts, stops = lines.start.tolist(), lines.stop.tolist()
        order_ids = lines.order_id[lines.start].tolist()
        item_nos = lines.item_no[lines.start].tolist()
        priorities = lines.priority.tolist()
        open_qty = lines.open_qty.tolist()
        rules: dict[DeliveryAgreement, ConfirmationRule] = {}
        times: dict[date, datetime] = {}
        confirmed_lines: dict[tuple[int, int], ConfirmedLine] = {}
        items = []
        for n in np.flatnonzero(selected).tolist():
            merged: dict[int, int] = {}
            for k in range(starts[n], stops[n]):
                if opens[k]:
                    merged[line_mad[k]] = merged.get(line_mad[k], 0) + opens[k]
            agreement = lines.agreement[n]
            rule = rules.get(agreement)
            if rule is None:
                rule = rules[agreement] = effective_rule(
                    ConfirmationRule.PROPOSAL, agreement.partial_delivery,
                    complete_order=agreement.complete_order)
            made = times.get(created[n])
            if made is None:
                made = times[created[n]] = datetime.combine(created[n], datetime.min.time())
            confirmed = []
            for pair in sorted(merged.items()):
                line = confirmed_lines.get(pair)
                if line is None:
                    line = confirmed_lines[pair] = ConfirmedLine(
                        date.fromordinal(pair[0] + _EPOCH_ORDINAL), _decimal(pair[1]))
                confirmed.append(line)
            key = lines.key[n]
            items.append(BackorderItem(
                f"{order_ids[n]:010d}", item_nos[n], key[0], key[1], priorities[n], made,
                mad_days[n], _decimal(open_qty[n]), tuple(confirmed), rule))
        return items

    def _supply(self, lines: _Lines, planning: Mapping[MaterialPlant, MaterialPlanning],
                elements: Mapping[MaterialPlant, Any]) -> dict[MaterialPlant, Timeline]:
        """Each material's timeline with every open item's open confirmed lines (selected or
        skipped) as issues at their MAD."""
        index = {key: n for n, key in enumerate(planning)}
        line_key = np.repeat(np.array([index[k] for k in lines.key], dtype=np.intp),
                             lines.stop - lines.start)
        supply = {}
        for key, plan in planning.items():
            rule = checking_rule(plan.checking_group, self.rules)
            mask = (line_key == index[key]) & (lines.open > 0)
            supply[key] = timeline_of(elements[key], plan, today=self.today, rule=rule,
                                      extra_issues=(lines.mad[mask], lines.open[mask]))
        return supply


class _Scheduling:
    """Per item: shipping point and route, the backward-scheduled dates of line 1, whether the
    requested date can still be met, and the MAD availability is checked on."""

    def __init__(self, today: date, lines: _Lines,
                 planning: Mapping[MaterialPlant, MaterialPlanning],
                 points: Mapping[str, ShippingPoint], routes: Mapping[str, Route]) -> None:
        self.today = today
        day0 = to_day(today)
        groups: dict[tuple[str | None, str | None, str], int] = {}
        self.group = np.empty(lines.items, dtype=np.intp)
        self.shipping: list[tuple[ShippingPoint, Route]] = []
        for n, (point, route, key) in enumerate(zip(lines.point, lines.route, lines.key,
                                                    strict=True)):
            calendar_id = planning[key].calendar_id if point is None else ""
            group_key = (point, route, calendar_id)
            index = groups.get(group_key)
            if index is None:
                index = groups[group_key] = len(self.shipping)
                sp = points[point] if point is not None else ShippingPoint(
                    0, 0, planning[key].calendar)
                self.shipping.append((sp, routes[route] if route is not None
                                      else Route(0, 0, sp.calendar)))
            self.group[n] = index
        size = lines.items
        self.first = {name: np.empty(size, dtype=DAY) for name in ("mad", "tpd", "load", "gi")}
        check = np.empty(size, dtype=DAY)
        for index, (sp, way) in enumerate(self.shipping):
            members = np.flatnonzero(self.group == index)
            back = backward_many(lines.rdd[members], sp, way)
            for name in self.first:
                self.first[name][members] = getattr(back, name)
            on_time = (back.mad >= day0) & (back.tpd >= day0)
            today_mad = forward_many(np.array([day0]), sp, way, today=today).mad[0]
            check[members] = np.where(on_time, back.mad, today_mad)
        self.on_time = (self.first["mad"] >= day0) & (self.first["tpd"] >= day0)
        self.check_day = check

    def forward(self, group: int, mads: Days) -> ScheduleArrays:
        sp, route = self.shipping[group]
        return forward_many(mads, sp, route, today=self.today)


# -- layout and writing ----------------------------------------------------------------------


@dataclass
class _Writes:
    updates: list[dict[str, Any]] = field(default_factory=list)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    open_delta: dict[MaterialPlant, int] = field(default_factory=dict)

    def save(self, conn: sa.Connection, progress: Progress) -> None:
        total = len(self.updates) + len(self.inserts)
        done = 0
        progress("write", 0, total)
        unit = UnitOfWork(conn)
        for chunk_start in range(0, len(self.updates), _WRITE_CHUNK):
            chunk = self.updates[chunk_start:chunk_start + _WRITE_CHUNK]
            _UPDATE_LINE.executemany(conn, chunk)
            for row in chunk:
                unit.log("sales_order_schedule_line",
                         f"{row['b_order']}/{row['b_item']}/{row['b_line']}")
            done += len(chunk)
            progress("write", done, total)
        for chunk_start in range(0, len(self.inserts), _WRITE_CHUNK):
            chunk = self.inserts[chunk_start:chunk_start + _WRITE_CHUNK]
            unit.insert(sales_order_schedule_line, chunk)
            done += len(chunk)
            progress("write", done, total)
        _ADD_OPEN.executemany(conn, [
            {"b_material": m, "b_plant": p, "delta": from_milli(delta)}
            for (m, p), delta in sorted(self.open_delta.items()) if delta])
        unit.finish()


_UPDATE_LINE = Prepared(
    sa.update(_sl)
    .where(_sl.c.order_id == sa.bindparam("b_order"), _sl.c.item_no == sa.bindparam("b_item"),
           _sl.c.line_no == sa.bindparam("b_line"))
    .values(delivery_date=sa.bindparam("v_delivery", type_=sa.Date),
            confirmed_qty=sa.bindparam("v_confirmed", type_=_sl.c.confirmed_qty.type),
            material_availability_date=sa.bindparam("v_mad", type_=sa.Date),
            transportation_planning_date=sa.bindparam("v_tpd", type_=sa.Date),
            loading_date=sa.bindparam("v_load", type_=sa.Date),
            goods_issue_date=sa.bindparam("v_gi", type_=sa.Date)))
_mp = material_plant
# Relative: the rows are locked by the run, and the total changes by what the run changes.
_ADD_OPEN = Prepared(
    sa.update(_mp)
    .where(_mp.c.material_id == sa.bindparam("b_material"),
           _mp.c.plant == sa.bindparam("b_plant"))
    .values(open_confirmed_qty=_mp.c.open_confirmed_qty
            + sa.bindparam("delta", type_=_mp.c.open_confirmed_qty.type)))


def _dates(array: Days) -> list[date]:
    return array.astype(DAY).tolist()  # type: ignore[no-any-return]


class _Layout:
    """Schedule lines for the changed items (module docstring, step 4) and what to write."""

    def __init__(self, today: date, lines: _Lines, schedule: _Scheduling) -> None:
        self.today = today
        self.lines = lines
        self.schedule = schedule

    def build(self, changed: list[tuple[int, tuple[ConfirmedLine, ...],
                                        tuple[ConfirmedLine, ...]]],
              progress: Progress) -> tuple[list[RescheduledItem], _Writes]:
        """``changed``: (item index, confirmation before, after) of every changed item."""
        lines, schedule = self.lines, self.schedule
        progress("layout", 0, len(changed))
        late = self._forward_dates(changed)
        first = {name: _dates(values) for name, values in schedule.first.items()}
        on_time = schedule.on_time.tolist()
        groups_of = schedule.group.tolist()
        cols = {"delivery": _dates(lines.delivery), "mad": _dates(lines.mad),
                "tpd": _dates(lines.tpd), "load": _dates(lines.load), "gi": _dates(lines.gi)}
        line_no = lines.line_no.tolist()
        requested = lines.requested.tolist()
        confirmed = lines.confirmed.tolist()
        opens = lines.open.tolist()
        starts, stops = lines.start.tolist(), lines.stop.tolist()
        order_ids = lines.order_id[lines.start].tolist()
        item_nos = lines.item_no[lines.start].tolist()
        open_qty = lines.open_qty.tolist()
        zero = Decimal(0)
        writes = _Writes()
        result = []
        for n, before_confirmed, after in changed:
            s, e = starts[n], stops[n]
            order_id, item_no = order_ids[n], item_nos[n]
            rows = sorted(range(s, e), key=line_no.__getitem__)
            before = tuple(LineState(line_no[k], cols["delivery"][k], _decimal(requested[k]),
                                     _decimal(confirmed[k]), cols["mad"][k], cols["tpd"][k],
                                     cols["load"][k], cols["gi"][k]) for k in rows)
            used = {line_no[k]: confirmed[k] - opens[k] for k in rows}
            head_mad = first["mad"][n]
            on_time_qty = sum(_to_milli(line.quantity) for line in after
                              if on_time[n] and line.date == head_mad)
            groups: dict[date, tuple[int, tuple[date, date, date, date]]] = {}
            group = groups_of[n]
            for line in after:
                if on_time[n] and line.date == head_mad:
                    continue
                mad, tpd, load, gi, delivery = late[(group, line.date)]
                qty, _ = groups.get(delivery, (0, (mad, tpd, load, gi)))
                groups[delivery] = (qty + _to_milli(line.quantity), (mad, tpd, load, gi))
            head = before[0]
            new_lines = [LineState(head.line_no, head.delivery_date, head.requested_qty,
                                   _decimal(used[head.line_no] + on_time_qty), head_mad,
                                   first["tpd"][n], first["load"][n], first["gi"][n])]
            free = []
            for state in before[1:]:
                if used[state.line_no] > 0:
                    new_lines.append(LineState(
                        state.line_no, state.delivery_date, state.requested_qty,
                        _decimal(used[state.line_no]), state.mad, state.tpd, state.load,
                        state.gi))
                else:
                    free.append(state)
            next_no = before[-1].line_no + 1
            inserted = []
            for delivery, (qty, (mad, tpd, load, gi)) in sorted(groups.items()):
                if free:
                    number = free.pop(0).line_no
                else:
                    number, next_no = next_no, next_no + 1
                    inserted.append(number)
                new_lines.append(LineState(number, delivery, zero, _decimal(qty), mad, tpd,
                                           load, gi))
            new_lines.extend(LineState(s_.line_no, s_.delivery_date, s_.requested_qty, zero,
                                       s_.mad, s_.tpd, s_.load, s_.gi) for s_ in free)
            new_lines.sort(key=lambda state: state.line_no)
            old = {state.line_no: state for state in before}
            for state in new_lines:
                row = {"v_delivery": state.delivery_date, "v_confirmed": state.confirmed_qty,
                       "v_mad": state.mad, "v_tpd": state.tpd, "v_load": state.load,
                       "v_gi": state.gi}
                if state.line_no in inserted:
                    writes.inserts.append({
                        "order_id": order_id, "item_no": item_no, "line_no": state.line_no,
                        "delivery_date": state.delivery_date, "requested_qty": zero,
                        "confirmed_qty": state.confirmed_qty,
                        "material_availability_date": state.mad,
                        "transportation_planning_date": state.tpd,
                        "loading_date": state.load, "goods_issue_date": state.gi})
                elif state != old[state.line_no]:
                    writes.updates.append({"b_order": order_id, "b_item": item_no,
                                           "b_line": state.line_no, **row})
            key = lines.key[n]
            delta = (sum(_to_milli(line.quantity) for line in after)
                     - sum(opens[k] for k in rows))
            writes.open_delta[key] = writes.open_delta.get(key, 0) + delta
            result.append(RescheduledItem(order_id, item_no, key[0], key[1],
                                          _decimal(open_qty[n]), before_confirmed, after, before,
                                          tuple(new_lines)))
            if len(result) % 10_000 == 0:
                progress("layout", len(result), len(changed))
        progress("layout", len(changed), len(changed))
        return result, writes

    def _forward_dates(self, changed: list[tuple[int, tuple[ConfirmedLine, ...],
                                                 tuple[ConfirmedLine, ...]]]
                       ) -> dict[tuple[int, date], tuple[date, date, date, date, date]]:
        """Forward-scheduled dates of every (shipping group, MAD) a changed item confirms on,
        one vectorised call per group."""
        wanted: dict[int, set[date]] = {}
        group = self.schedule.group.tolist()
        for n, _, after in changed:
            for line in after:
                wanted.setdefault(group[n], set()).add(line.date)
        found: dict[tuple[int, date], tuple[date, date, date, date, date]] = {}
        for index, mads in wanted.items():
            ordered = sorted(mads)
            dates = self.schedule.forward(index, np.array(ordered, dtype=DAY))
            for mad_, values in zip(ordered, zip(_dates(dates.mad), _dates(dates.tpd),
                                                 _dates(dates.load), _dates(dates.gi),
                                                 _dates(dates.delivery), strict=True),
                                    strict=True):
                found[(index, mad_)] = values
        return found


@lru_cache(maxsize=1 << 16)
def _to_milli(value: Decimal) -> int:
    """A report quantity (at most 3 decimals) as thousandths."""
    return int(value * 1000)


@lru_cache(maxsize=1 << 16)
def _decimal(milli: int) -> Decimal:
    """Thousandths as a Decimal; the few distinct quantities of a run are shared."""
    return from_milli(milli)

