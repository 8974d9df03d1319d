"""The time-phased ATP elements of materials/plants, loaded from the OLTP database.

One ``UNION ALL`` statement reads every element family of any number of material/plant keys
(set-based; each family reached through an index on material and plant):

=====================  ==========================================================  ==============
element                quantity                                                    date
=====================  ==========================================================  ==============
unrestricted stock     Σ ``stock.unrestricted``                                    today
quality / blocked      Σ ``stock.quality`` / ``stock.blocked`` (scope decides)     today
purchase order         open quantity of each PO schedule line: the item's goods    delivery date
                       receipts (101 - 102) use up its lines by date, earliest     + GR time
                       first
purchase requisition   quantity - Σ PO item quantities that reference it           needed-by date
                                                                                   + GR time
sales order            open confirmed quantity of each schedule line of an item    MAD
                       that is not rejected: the item's delivered quantity (Σ
                       delivery items) uses up its lines by MAD, earliest first
                       (also the open *requested* quantity, for cumulation of
                       requirements)
delivery               delivery item quantity - goods issued (601 - 602)           creation date
=====================  ==========================================================  ==============

The statement returns purchase-order and sales-order schedule lines with their item's
received or delivered total; :func:`open_quantities` spreads that total over the item's lines
with one ``cumsum`` (a window function in SQL was several times slower on SQLite). Dates before
today: issues (backlog) count at today; receipts only when the scope of check includes past
receipts (:func:`kubus.scheduling.timeline.timeline_from_columns` applies these rules and the
GR processing time, in working days of the plant calendar). A delivery counts at its creation
date: deliveries are created once their schedule lines are due (selection date reached), and
the delivery's own material availability date is not stored. Open confirmed quantities
(sales) plus open delivery quantities add up to the stored
``material_plant.open_confirmed_qty`` (confirmed - goods issued).

The OLTP schema has no safety stock, stock in transfer, planned or production orders, shipping
notifications, stock transport orders, reservations or dependent requirements: a scope of check
naming them finds nothing.

Quantities come back as int64 thousandths (``ROUND(qty * 1000)`` in SQL, exact on both
databases) and dates as ``datetime64[D]``. Example::

    with read_only(engine) as conn:
        timelines = load_timelines(conn, [("M1", "1000")], today=date(2024, 3, 4))
    cumulative_atp(timelines[("M1", "1000")]).rows()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from kubus.oltp.prepared import Prepared, PreparedQuery
from kubus.oltp.schema import (
    delivery,
    delivery_item,
    material_document_item,
    purchase_order_item,
    purchase_order_schedule_line,
    purchase_requisition,
    sales_order_item,
    sales_order_schedule_line,
    stock,
)
from kubus.scheduling.calendar import DAY, Days
from kubus.scheduling.oltp_master import (
    CheckingGroupRule,
    KeyShape,
    MaterialPlanning,
    MaterialPlant,
    checking_rule,
    key_condition,
    key_parameters,
    load_material_planning,
)
from kubus.scheduling.quantities import QUANTITY_SCALE, Milli, from_milli
from kubus.scheduling.timeline import (
    ElementKind,
    IssueBasis,
    Timeline,
    timeline_from_columns,
)

__all__ = ["Family", "MaterialElements", "day", "delivered", "elements_statement",
           "load_elements", "load_timelines", "milli", "open_quantities", "timeline_of"]


class Family(IntEnum):
    """Element families the loader reads (the ``kind`` column of its statement)."""

    UNRESTRICTED = 0
    QUALITY = 1
    BLOCKED = 2
    PURCHASE_ORDER = 3
    PURCHASE_REQUISITION = 4
    SALES_ORDER = 5
    DELIVERY = 6


_STOCK_KINDS = {Family.UNRESTRICTED: ElementKind.UNRESTRICTED_STOCK,
                Family.QUALITY: ElementKind.QUALITY_INSPECTION_STOCK,
                Family.BLOCKED: ElementKind.BLOCKED_STOCK}
_NO_DAYS = np.empty(0, dtype=DAY)
_NO_MILLI = np.empty(0, dtype=np.int64)


def milli(expr: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """A ``Numeric(13, 3)`` quantity as whole thousandths (BIGINT), exact on SQLite and PG."""
    return sa.cast(sa.func.round(expr * QUANTITY_SCALE), sa.BigInteger)


def day(expr: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A date column without the ORM's date parsing: ISO text on SQLite (numpy reads it
    directly), a ``date`` on PostgreSQL."""
    return sa.type_coerce(expr, sa.String)


def _signed(movements: dict[str, int]) -> sa.ColumnElement[Any]:
    mdi = material_document_item
    return sa.case(*((mdi.c.movement_type == code, sign * mdi.c.quantity)
                     for code, sign in movements.items()), else_=0)


def _kind(family: Family) -> sa.ColumnElement[int]:
    return sa.literal_column(str(int(family)), sa.Integer)


_ZERO = sa.literal_column("0", sa.BigInteger)


def _total(column: sa.ColumnElement[Any], *where: sa.ColumnElement[bool]
           ) -> sa.ColumnElement[Any]:
    """``COALESCE((SELECT SUM(column) WHERE ...), 0)``: a correlated sum through an index."""
    return sa.func.coalesce(sa.select(sa.func.sum(column)).where(*where).scalar_subquery(), 0)


def _received(shape: KeyShape) -> sa.Subquery:
    """Goods received (101 - 102) per PO item of the keys (through the material index)."""
    mdi = material_document_item
    return (sa.select(mdi.c.po_id, mdi.c.po_item,
                      sa.func.sum(_signed({"101": 1, "102": -1})).label("qty"))
            .where(mdi.c.po_id.is_not(None), key_condition(mdi.c.material_id, mdi.c.plant, shape))
            .group_by(mdi.c.po_id, mdi.c.po_item).subquery("received"))


def delivered(shape: KeyShape) -> sa.Subquery:
    """Delivered quantity (Σ delivery items) per sales-order item of the keys, reached through
    the order items (indexed by material; delivery items are indexed by order item)."""
    di, items = delivery_item, sales_order_item.alias("delivered_item")
    return (sa.select(di.c.order_id, di.c.order_item, sa.func.sum(di.c.quantity).label("qty"))
            .select_from(items.join(di, sa.and_(di.c.order_id == items.c.order_id,
                                                di.c.order_item == items.c.item_no)))
            .where(key_condition(items.c.material_id, items.c.plant, shape))
            .group_by(di.c.order_id, di.c.order_item).subquery("delivered"))


def _stock_selects(shape: KeyShape) -> list[sa.Select[Any]]:
    where = key_condition(stock.c.material_id, stock.c.plant, shape)
    return [sa.select(stock.c.material_id, stock.c.plant, _kind(family).label("kind"),
                      sa.cast(sa.null(), sa.Date).label("day"),
                      milli(sa.func.sum(column)).label("qty"), _ZERO.label("qty2"),
                      _ZERO.label("doc"), _ZERO.label("item"), _ZERO.label("line"),
                      _ZERO.label("used"))
            .where(where).group_by(stock.c.material_id, stock.c.plant)
            for family, column in ((Family.UNRESTRICTED, stock.c.unrestricted),
                                   (Family.QUALITY, stock.c.quality),
                                   (Family.BLOCKED, stock.c.blocked))]


def _purchase_order_select(shape: KeyShape) -> sa.Select[Any]:
    """Every schedule line of PO items not fully received, with the item's received quantity
    (``used``); :func:`_open_quantities` gives each line its open part."""
    poi, pol = purchase_order_item, purchase_order_schedule_line
    received = _received(shape)
    done = sa.func.coalesce(received.c.qty, 0)
    return (sa.select(poi.c.material_id, poi.c.plant,
                      _kind(Family.PURCHASE_ORDER).label("kind"),
                      day(pol.c.delivery_date).label("day"), milli(pol.c.quantity).label("qty"),
                      _ZERO.label("qty2"), pol.c.po_id.label("doc"),
                      pol.c.item_no.label("item"), pol.c.line_no.label("line"),
                      milli(done).label("used"))
            .select_from(pol.join(poi, sa.and_(poi.c.po_id == pol.c.po_id,
                                               poi.c.item_no == pol.c.item_no))
                         .outerjoin(received, sa.and_(received.c.po_id == poi.c.po_id,
                                                      received.c.po_item == poi.c.item_no)))
            .where(key_condition(poi.c.material_id, poi.c.plant, shape), poi.c.quantity > done))


def _requisition_select(shape: KeyShape) -> sa.Select[Any]:
    """Requisition items: quantity - Σ PO items that reference them, where positive."""
    pr, poi = purchase_requisition, purchase_order_item
    still_open = milli(pr.c.quantity - _total(poi.c.quantity, poi.c.pr_id == pr.c.pr_id,
                                              poi.c.pr_item == pr.c.item_no))
    return (sa.select(pr.c.material_id, pr.c.plant,
                      _kind(Family.PURCHASE_REQUISITION).label("kind"),
                      day(pr.c.needed_by).label("day"), still_open.label("qty"),
                      _ZERO.label("qty2"), _ZERO.label("doc"), _ZERO.label("item"),
                      _ZERO.label("line"), _ZERO.label("used"))
            .where(key_condition(pr.c.material_id, pr.c.plant, shape), still_open > 0))


def _sales_select(shape: KeyShape) -> sa.Select[Any]:
    """Every schedule line of items not rejected and not fully delivered, with the item's
    delivered quantity (``used``)."""
    i, sl = sales_order_item, sales_order_schedule_line
    quantities = delivered(shape)
    done = sa.func.coalesce(quantities.c.qty, 0)
    return (sa.select(i.c.material_id, i.c.plant, _kind(Family.SALES_ORDER).label("kind"),
                      day(sl.c.material_availability_date).label("day"),
                      milli(sl.c.confirmed_qty).label("qty"),
                      milli(sl.c.requested_qty).label("qty2"), sl.c.order_id.label("doc"),
                      sl.c.item_no.label("item"), sl.c.line_no.label("line"),
                      milli(done).label("used"))
            .select_from(sl.join(i, sa.and_(i.c.order_id == sl.c.order_id,
                                            i.c.item_no == sl.c.item_no))
                         .outerjoin(quantities, sa.and_(quantities.c.order_id == i.c.order_id,
                                                        quantities.c.order_item == i.c.item_no)))
            .where(key_condition(i.c.material_id, i.c.plant, shape),
                   i.c.rejection_reason.is_(None), i.c.quantity > done))


def _delivery_select(shape: KeyShape) -> sa.Select[Any]:
    """Delivery items not fully goods-issued, reached through their order items (indexed by
    material; a delivery item is always for an order item of the same material)."""
    i, di, mdi = sales_order_item, delivery_item, material_document_item
    issued = _total(_signed({"601": 1, "602": -1}), mdi.c.delivery_id == di.c.delivery_id,
                    mdi.c.delivery_item == di.c.item_no)
    still_open = milli(di.c.quantity - issued)
    return (sa.select(i.c.material_id, i.c.plant, _kind(Family.DELIVERY).label("kind"),
                      day(delivery.c.created_on).label("day"), still_open.label("qty"),
                      _ZERO.label("qty2"), _ZERO.label("doc"), _ZERO.label("item"),
                      _ZERO.label("line"), _ZERO.label("used"))
            .select_from(i.join(di, sa.and_(di.c.order_id == i.c.order_id,
                                            di.c.order_item == i.c.item_no))
                         .join(delivery, delivery.c.delivery_id == di.c.delivery_id))
            .where(key_condition(i.c.material_id, i.c.plant, shape), still_open > 0))


def elements_statement(shape: KeyShape, *, sales: bool = True) -> sa.CompoundSelect[Any]:
    """The one statement reading every element family (keys by :func:`key_condition`);
    ``sales=False`` leaves the sales-order schedule lines out (the backorder run reads them
    itself, line by line)."""
    selects = [*_stock_selects(shape), _purchase_order_select(shape),
               _requisition_select(shape), _delivery_select(shape)]
    if sales:
        selects.append(_sales_select(shape))
    return sa.union_all(*selects)


_STATEMENTS: dict[tuple[KeyShape, bool], PreparedQuery] = {}
_PLAIN: dict[tuple[KeyShape, bool], Prepared] = {}


def _plain(shape: KeyShape, sales: bool) -> Prepared:
    """The statement for one key or all keys (no ``IN`` list), run on the DBAPI cursor."""
    statement = _PLAIN.get((shape, sales))
    if statement is None:
        statement = _PLAIN[(shape, sales)] = Prepared(elements_statement(shape, sales=sales))
    return statement


def _prepared(shape: KeyShape, sales: bool) -> PreparedQuery:
    statement = _STATEMENTS.get((shape, sales))
    if statement is None:
        statement = _STATEMENTS[(shape, sales)] = PreparedQuery(
            elements_statement(shape, sales=sales))  # type: ignore[arg-type]
    return statement


def open_quantities(rows: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], Days,
                                 npt.NDArray[np.int64]], quantity: Milli, used: Milli
                    ) -> tuple[npt.NDArray[np.intp], Milli]:
    """What is left of each line once its item's ``used`` quantity (received, delivered) has
    used up the item's lines by date, then line number, earliest first.

    ``rows`` = (document, item, date, line) per row; ``used`` is per row (the item's total,
    repeated). Returns the order of the rows (item, date, line) and the open quantity of each
    row in that order.
    """
    doc, item, days, line = rows
    order = np.lexsort((line, days.view(np.int64), item, doc))
    doc, item, quantity, used = doc[order], item[order], quantity[order], used[order]
    first = np.ones(doc.size, dtype=np.bool_)
    if doc.size:
        first[1:] = (doc[1:] != doc[:-1]) | (item[1:] != item[:-1])
    starts = np.flatnonzero(first)
    cum = np.cumsum(quantity)
    before = np.repeat(cum[starts] - quantity[starts], np.diff(np.r_[starts, doc.size]))
    return order, np.clip(cum - before - used, 0, quantity)


@dataclass(frozen=True, eq=False)
class MaterialElements:
    """The elements of one material/plant as columns, quantities in int64 thousandths.

    ``stocks`` per stock kind; ``receipts`` per receipt kind (dates before GR processing time,
    quantities); ``issues`` per issue kind (dates, open confirmed, open requested).
    """

    key: MaterialPlant
    stocks: dict[ElementKind, int] = field(default_factory=dict)
    receipts: dict[ElementKind, tuple[Days, Milli]] = field(default_factory=dict)
    issues: dict[ElementKind, tuple[Days, Milli, Milli]] = field(default_factory=dict)

    def __len__(self) -> int:
        return (len(self.stocks) + sum(d.size for d, _ in self.receipts.values())
                + sum(d.size for d, _, _ in self.issues.values()))


#: Up to this many keys, SQLite reads one key per statement (see :func:`load_elements`).
PER_KEY_LIMIT = 16


def load_elements(conn: sa.Connection, keys: Iterable[MaterialPlant] | None, *,
                  sales: bool = True) -> dict[MaterialPlant, MaterialElements]:
    """The elements of ``keys`` (``None``: every key with any element); one statement.

    Keys without any element are present with empty columns (when ``keys`` is given).
    """
    wanted = None if keys is None else sorted(set(keys))
    if wanted is not None and not wanted:
        return {}
    if (wanted is not None and 1 < len(wanted) <= PER_KEY_LIMIT
            and conn.dialect.name == "sqlite"):
        # SQLite plans a row-value IN list as a scan instead of using the (material, plant)
        # indexes: for the few keys of one order, one indexed statement per key was about 9x
        # faster (3.5 ms instead of 31 ms for three keys on the demo system).
        return {key: elements for one in wanted
                for key, elements in load_elements(conn, [one], sales=sales).items()}
    shape, params = key_parameters(wanted)
    if shape == "many":
        rows: list[Any] = _prepared(shape, sales).rows(conn, params)
    else:  # plain DBAPI tuples: no row objects on the order-entry path
        rows = _plain(shape, sales).execute(conn, params)
    result = {key: MaterialElements(key) for key in (wanted or [])}
    if not rows:
        return result
    columns = list(zip(*rows, strict=True))
    if wanted is not None and len(wanted) == 1:
        members = {wanted[0]: np.arange(len(rows))}
    else:
        index: dict[MaterialPlant, list[int]] = {}
        for n, key in enumerate(zip(columns[0], columns[1], strict=True)):
            index.setdefault(key, []).append(n)
        members = {key: np.array(rows_, dtype=np.intp) for key, rows_ in index.items()}
    kind = np.array(columns[2], dtype=np.int8)
    dates = np.array(columns[3], dtype=DAY)  # NULL (stock rows) becomes NaT
    qty, qty2, doc, item, line, used = (np.array(columns[n], dtype=np.int64)
                                        for n in range(4, 10))
    for key, at in members.items():
        elements = result.get(key)
        if elements is None:
            elements = result[key] = MaterialElements(key)
        _fill(elements, kind[at], dates[at], quantities=(qty[at], qty2[at]),
              ids=(doc[at], item[at], line[at]), used=used[at])
    return result


def _fill(elements: MaterialElements, kind: npt.NDArray[np.int8], dates: Days, *,
          quantities: tuple[Milli, Milli], ids: tuple[npt.NDArray[np.int64], ...],
          used: Milli) -> None:
    """Sort one key's rows into its element columns (open quantities of PO and sales lines)."""
    qty, qty2 = quantities
    for family, stock_kind in _STOCK_KINDS.items():
        where = np.flatnonzero(kind == family)
        if where.size:
            elements.stocks[stock_kind] = int(qty[where[0]])
    requisitions = kind == Family.PURCHASE_REQUISITION
    if requisitions.any():
        elements.receipts[ElementKind.PURCHASE_REQUISITION] = (dates[requisitions],
                                                               qty[requisitions])
    deliveries = kind == Family.DELIVERY
    if deliveries.any():
        elements.issues[ElementKind.DELIVERY] = (dates[deliveries], qty[deliveries],
                                                 qty[deliveries])
    for family in (Family.PURCHASE_ORDER, Family.SALES_ORDER):
        rows = kind == family
        if not rows.any():
            continue
        doc, item, line = (column[rows] for column in ids)
        day_rows = dates[rows]
        order, still_open = open_quantities((doc, item, day_rows, line), qty[rows], used[rows])
        if family is Family.PURCHASE_ORDER:
            keep = still_open > 0
            elements.receipts[ElementKind.PURCHASE_ORDER] = (day_rows[order][keep],
                                                             still_open[keep])
        else:
            _, requested_open = open_quantities((doc, item, day_rows, line), qty2[rows],
                                                used[rows])
            keep = (still_open > 0) | (requested_open > 0)
            elements.issues[ElementKind.SALES_ORDER] = (day_rows[order][keep],
                                                        still_open[keep], requested_open[keep])


def timeline_of(elements: MaterialElements, planning: MaterialPlanning, *, today: date,
                rule: CheckingGroupRule, extra_issues: tuple[Days, Milli] | None = None
                ) -> Timeline:
    """The timeline the checking group's scope of check sees: counted stocks at today,
    receipts at delivery date + GR processing time (plant calendar), issues at their dates
    (confirmed or requested quantities by the scope's cumulation); ``extra_issues`` (dates,
    thousandths) are added as confirmed issues (the backorder run's schedule lines)."""
    scope = rule.scope
    stock_milli = sum(q for kind, q in elements.stocks.items() if kind in scope.stocks)
    receipts = [elements.receipts[k] for k in sorted(elements.receipts) if k in scope.receipts]
    use_requested = scope.issue_basis is IssueBasis.REQUESTED
    issues = [(d, r if use_requested else c) for k, (d, c, r) in sorted(elements.issues.items())
              if k in scope.issues]
    if extra_issues is not None:
        issues.append(extra_issues)
    return timeline_from_columns(
        today=today,
        stock=from_milli(int(stock_milli)),
        receipt_dates=_concat_days([d for d, _ in receipts]),
        receipt_quantities=_base_units(_concat_milli([q for _, q in receipts])),
        issue_dates=_concat_days([d for d, _ in issues]),
        issue_quantities=_base_units(_concat_milli([q for _, q in issues])),
        calendar=planning.calendar,
        gr_processing_days=planning.gr_processing_days,
        include_past_receipts=scope.include_past_receipts,
    )


def _concat_days(parts: list[Days]) -> Days:
    return np.concatenate(parts) if parts else _NO_DAYS


def _concat_milli(parts: list[Milli]) -> Milli:
    return np.concatenate(parts) if parts else _NO_MILLI


def _base_units(values: Milli) -> npt.NDArray[np.float64]:
    """Thousandths as base units for :func:`timeline_from_columns` (exact: it rounds back to
    the nearest thousandth, and a thousandth survives float64 far beyond 10^12 units)."""
    return values / QUANTITY_SCALE


def load_timelines(conn: sa.Connection, keys: Iterable[MaterialPlant], *, today: date,
                   checking_rules: Mapping[str, CheckingGroupRule] | None = None,
                   ) -> dict[MaterialPlant, Timeline]:
    """Timelines of ``keys`` as each material's checking group sees them (two statements plus
    the calendars)."""
    wanted = sorted(set(keys))
    planning = load_material_planning(conn, wanted)
    elements = load_elements(conn, wanted)
    return {key: timeline_of(elements[key], planning[key], today=today,
                             rule=checking_rule(planning[key].checking_group, checking_rules))
            for key in wanted}
