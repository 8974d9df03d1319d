"""Table rows of the OLTP demo generator: logistics (orders, deliveries, goods movements, stock,
purchasing). :mod:`kubus.oltp.gen_ledger` builds billing and accounting, and
:mod:`kubus.oltp.gen_flow` the document flow.

Every builder returns :class:`~kubus.oltp.gen_writer.Rows` sorted by creation day (and by
document number within a day), with the columns and values the services write: the same
item numbering, the same defaults, money in currency units, dates as day numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from kubus.oltp.gen_distributions import or_none, pick
from kubus.oltp.gen_master import (
    CURRENCIES,
    PLANTS,
    ROUTES,
    SALES_AREA,
    STORAGE_LOCATION,
    TERMS,
    Master,
)
from kubus.oltp.gen_numbers import Numbers
from kubus.oltp.gen_purchasing import PurchasingDocs
from kubus.oltp.gen_sales import CHANNELS, SalesFlow
from kubus.oltp.gen_writer import Coded, Column, Const, Events, Rows, take

__all__ = ["Const", "Context", "full", "logistics_rows", "money", "rows", "tax_of_items"]

COMPANY_CURRENCY = "EUR"
CURRENCY_CODES = np.asarray([c[0] for c in CURRENCIES], dtype=object)


@dataclass(frozen=True)
class Context:
    """Everything the row builders read."""

    master: Master
    sales: SalesFlow
    purchasing: PurchasingDocs
    numbers: Numbers
    tax_milli: np.ndarray  # per order item, thousandths of a percent
    tax_code: np.ndarray  # per order item


def money(cents: np.ndarray) -> np.ndarray:
    """Cents as currency units (the float SQLAlchemy binds for a Decimal)."""
    return np.asarray(cents, dtype=np.int64) / 100.0


def full(n: int, value: object) -> np.ndarray:
    """An object array of ``n`` times ``value`` (much faster than ``np.full`` for objects)."""
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


def rows(table: str, day: np.ndarray, sort: tuple[np.ndarray, ...],
         dates: tuple[str, ...] = (), **columns: Column) -> Rows:
    """Rows of ``table`` sorted by ``sort`` keys (most significant first) after ``day``.

    A :class:`~kubus.oltp.gen_writer.Const` column is the same in every row.
    """
    if _in_order((day, *sort)):  # mostly built in order already: no sort, no copies
        return Rows(table, {k: v if isinstance(v, Const | Coded) else np.asarray(v)
                            for k, v in columns.items()},
                    np.asarray(day, dtype=np.int64), frozenset(dates))
    order = np.lexsort((*reversed(sort), day))
    return Rows(table, {k: take(v if isinstance(v, Const | Coded) else np.asarray(v), order)
                        for k, v in columns.items()},
                np.asarray(day, dtype=np.int64)[order], frozenset(dates))


def _in_order(keys: tuple[np.ndarray, ...]) -> bool:
    """Whether the rows are already sorted by ``keys`` (most significant first), ties
    allowed: then the stable ``lexsort`` would keep them as they are. One linear pass per
    key that still decides something, instead of an O(n log n) sort."""
    undecided: np.ndarray | None = None
    for key in keys:
        values = np.asarray(key)
        if len(values) < 2:
            return True
        later, earlier = values[1:], values[:-1]
        falls = later < earlier
        if (falls if undecided is None else falls & undecided).any():
            return False
        rises = later > earlier
        undecided = ~rises if undecided is None else undecided & ~rises
        if not undecided.any():
            return True
    return True


def tax_of_items(master: Master, sales: SalesFlow) -> tuple[np.ndarray, np.ndarray]:
    """Tax rate (thousandths of a percent) and code of each order item, as order entry finds
    them: by the plant's country and the material's tax class (Germany 19% / 7%, else 0)."""
    german = np.asarray([p[2] == "DE" for p in PLANTS])[sales.order_plant[sales.item_order]]
    reduced = master.material_tax_class[sales.item_material] == "2"
    milli = np.where(german, np.where(reduced, 7_000, 19_000), 0)
    code = np.where(german, np.where(reduced, "A2", "A1"), "A0").astype(object)
    return milli, code


def logistics_rows(ctx: Context) -> tuple[list[Rows], list[Events]]:
    """Sales orders to goods movements, stock and purchasing, with their later updates."""
    out = [*_orders(ctx), *_deliveries(ctx), *_purchasing(ctx)]
    stock, events = _movements(ctx)
    return [*out, *stock], [*_rejections(ctx), *events]


def _orders(ctx: Context) -> list[Rows]:
    m, s, n = ctx.master, ctx.sales, ctx.numbers
    cust = s.order_customer
    area = m.tables["customer_sales_area"]
    rejected = s.item_reject_day >= 0
    value = np.where(rejected, 0, s.item_value)
    net = np.bincount(s.item_order, weights=value, minlength=len(cust)).astype(np.int64)
    version = 1 + np.bincount(s.item_order, weights=rejected, minlength=len(cust))
    reference = np.where(np.isin(s.order_channel, [0, 6]),
                         "PO-" + (n.order_id * 7 % 1_000_000).astype(str).astype(object), "")
    order = rows(
        "sales_order", s.order_day, (n.order_id,), ("order_date", "requested_delivery_date"),
        order_id=n.order_id, order_type=Const("OR"), sales_org=Const(SALES_AREA[0]),
        distribution_channel=Const(SALES_AREA[1]), division=Const(SALES_AREA[2]),
        sold_to=Coded(cust, m.customer_id), ship_to=Coded(cust, m.customer_id),
        bill_to=Coded(cust, m.customer_id), payer=Coded(m.customer_payer[cust], m.customer_id),
        order_date=s.order_day,
        requested_delivery_date=s.order_rdd,
        currency=Coded(s.order_currency, CURRENCY_CODES),
        payment_terms=Coded(cust, area["payment_terms"]),
        shipping_conditions=Coded(cust, area["shipping_conditions"]),
        delivery_priority=area["delivery_priority"][cust],
        complete_delivery=area["complete_delivery"][cust],
        partial_delivery=Coded(cust, area["partial_delivery"]),
        customer_reference=reference.astype(object),
        channel=np.asarray([c[0] for c in CHANNELS], dtype=object)[s.order_channel],
        net_value=money(net), version=version.astype(np.int64))
    item_cust = cust[s.item_order]
    plant = s.order_plant[s.item_order]
    items = rows(
        "sales_order_item", s.order_day[s.item_order], (n.order_id[s.item_order], s.item_no),
        ("requested_delivery_date",),
        order_id=n.order_id[s.item_order], item_no=s.item_no,
        material_id=Coded(s.item_material, m.material_id),
        plant=np.asarray([p[0] for p in PLANTS], dtype=object)[plant],
        storage_location=Const(None),
        shipping_point=np.asarray([p[4] for p in PLANTS], dtype=object)[plant],
        route=np.asarray([r[0] for r in ROUTES], dtype=object)[m.customer_route[item_cust]],
        item_category=Const("TAN"), quantity=s.item_qty, unit=Const("PC"),
        net_price=money(s.item_price), net_value=money(s.item_value),
        tax_code=ctx.tax_code, tax_rate=ctx.tax_milli / 1000.0,
        requested_delivery_date=s.order_rdd[s.item_order],
        rejection_reason=s.item_reason)
    line_order = s.item_order[s.line_item]
    lines = rows(
        "sales_order_schedule_line", s.order_day[line_order],
        (n.order_id[line_order], s.item_no[s.line_item], s.line_no),
        ("delivery_date", "material_availability_date", "transportation_planning_date",
         "loading_date", "goods_issue_date"),
        order_id=n.order_id[line_order], item_no=s.item_no[s.line_item], line_no=s.line_no,
        delivery_date=s.line_date, requested_qty=s.line_requested,
        confirmed_qty=s.line_confirmed, material_availability_date=s.line_mad,
        transportation_planning_date=s.line_tpd, loading_date=s.line_loading,
        goods_issue_date=s.line_gi)
    return [order, items, lines]


def _rejections(ctx: Context) -> list[Events]:
    """A rejection updates the item and the order header (net value, version)."""
    s, n = ctx.sales, ctx.numbers
    rejected = np.flatnonzero(s.item_reject_day >= 0)
    rejected = rejected[np.argsort(s.item_reject_day[rejected], kind="stable")]
    day = s.item_reject_day[rejected]
    order_id = n.order_id[s.item_order[rejected]]
    item_key = order_id.astype(str).astype(object) + "/" + s.item_no[rejected].astype(
        str).astype(object)
    return [Events("sales_order_item", "update", item_key, day),
            Events("sales_order", "update", order_id.astype(str).astype(object), day)]


def _deliveries(ctx: Context) -> list[Rows]:
    m, s, n = ctx.master, ctx.sales, ctx.numbers
    cust = s.order_customer[s.delivery_order]
    plant = s.order_plant[s.delivery_order]
    header = rows(
        "delivery", s.delivery_created, (n.delivery_id,),
        ("created_on", "planned_gi_date", "delivery_date"),
        delivery_id=n.delivery_id, delivery_type=Const("LF"),
        shipping_point=np.asarray([p[4] for p in PLANTS], dtype=object)[plant],
        route=np.asarray([r[0] for r in ROUTES], dtype=object)[m.customer_route[cust]],
        sold_to=Coded(cust, m.customer_id), ship_to=Coded(cust, m.customer_id),
        created_on=s.delivery_created, planned_gi_date=s.delivery_planned_gi,
        delivery_date=s.delivery_date)
    d = s.ditem_delivery
    item = s.ditem_item
    items = rows(
        "delivery_item", s.delivery_created[d], (n.delivery_id[d], s.ditem_no),
        delivery_id=n.delivery_id[d], item_no=s.ditem_no,
        order_id=n.order_id[s.item_order[item]], order_item=s.item_no[item],
        material_id=Coded(s.item_material[item], m.material_id),
        plant=np.asarray([p[0] for p in PLANTS], dtype=object)[s.order_plant[s.item_order[item]]],
        storage_location=Const(STORAGE_LOCATION), quantity=s.ditem_qty,
        unit=Const("PC"))
    return [header, items]


def _stock_key(m: Master, mp: np.ndarray) -> np.ndarray:
    n_plants = len(PLANTS)
    plant = np.asarray([p[0] for p in PLANTS], dtype=object)[mp % n_plants]
    return np.asarray(m.material_id[mp // n_plants] + "/" + plant + "/" + STORAGE_LOCATION)


# SQLite derives the goods-issue items from the deliveries (gen_writer.Rows.derive): the
# same rows as the numpy twin below, in the same order and column order.
_GOODS_ISSUE_ITEMS = f"""SELECT h.mat_doc_id, di.item_no / 10, '601', di.material_id, di.plant,
    di.quantity, 'H', di.quantity * CAST(ROUND(mp.standard_price * 100) AS INTEGER) / 100.0,
    di.delivery_id, di.item_no, di.order_id, di.order_item, NULL, NULL, '{STORAGE_LOCATION}',
    'U', '{COMPANY_CURRENCY}'
  FROM material_document h JOIN delivery_item di ON di.delivery_id = h.delivery_id
  JOIN material_plant mp ON mp.material_id = di.material_id AND mp.plant = di.plant
  WHERE h.movement_type = '601' ORDER BY h.rowid, di.item_no"""


def _movements(ctx: Context) -> tuple[list[Rows], list[Events]]:
    """Goods receipts (101) and goods issues (601), the stock they leave, and its updates."""
    m, s, p, n = ctx.master, ctx.sales, ctx.purchasing, ctx.numbers
    n_plants = len(PLANTS)
    plants = np.asarray([x[0] for x in PLANTS], dtype=object)
    # Goods issues: one document per goods-issued delivery, items in delivery-item order.
    gi_items = np.flatnonzero(s.delivery_gi_day[s.ditem_delivery] >= 0)
    d = s.ditem_delivery[gi_items]
    item = s.ditem_item[gi_items]
    material = s.item_material[item]
    gi_mp = material * n_plants + s.order_plant[s.item_order[item]]
    gi_no = s.ditem_no[gi_items] // 10  # delivery items are 10, 20, ... -> 1, 2, ...
    gi_day = s.delivery_gi_day[d]
    issued = np.flatnonzero(s.delivery_gi_day >= 0)
    gr_mp = p.item_mp[p.gr_item]
    gr_day = p.grd_day[p.gr_doc]
    sloc, stock_type, currency = Const(STORAGE_LOCATION), Const("U"), Const(COMPANY_CURRENCY)
    out = [
        rows("material_document", p.grd_day, (n.gr_doc,), ("posting_date", "document_date"),
             mat_doc_id=n.gr_doc, movement_type=Const("101"), posting_date=p.grd_day,
             document_date=p.grd_day, delivery_id=Const(None), po_id=n.po_id[p.grd_po],
             reversal_of=Const(None)),
        rows("material_document", s.delivery_gi_day[issued], (n.gi_doc[issued],),
             ("posting_date", "document_date"), mat_doc_id=n.gi_doc[issued],
             movement_type=Const("601"), posting_date=s.delivery_gi_day[issued],
             document_date=s.delivery_gi_day[issued], delivery_id=n.delivery_id[issued],
             po_id=Const(None), reversal_of=Const(None)),
        rows("material_document_item", gr_day, (n.gr_doc[p.gr_doc], p.gr_no),
             mat_doc_id=n.gr_doc[p.gr_doc], item_no=p.gr_no, movement_type=Const("101"),
             material_id=Coded(gr_mp // n_plants, m.material_id),
             plant=Coded(gr_mp % n_plants, plants),
             quantity=p.gr_qty, debit_credit=Const("S"),
             amount=money(p.gr_qty * m.material_cost_cents[gr_mp // n_plants]),
             delivery_id=Const(None), delivery_item=Const(None), order_id=Const(None),
             order_item=Const(None), po_id=n.po_id[p.item_po[p.gr_item]],
             po_item=p.item_no[p.gr_item], storage_location=sloc, stock_type=stock_type,
             currency=currency),
        replace(rows("material_document_item", gi_day, (n.gi_doc[d], gi_no),
                     mat_doc_id=n.gi_doc[d], item_no=gi_no, movement_type=Const("601"),
                     material_id=Coded(material, m.material_id),
                     plant=Coded(gi_mp % n_plants, plants),
                     quantity=s.ditem_qty[gi_items], debit_credit=Const("H"),
                     amount=money(s.ditem_qty[gi_items] * m.material_cost_cents[material]),
                     delivery_id=n.delivery_id[d], delivery_item=s.ditem_no[gi_items],
                     order_id=n.order_id[s.item_order[item]], order_item=s.item_no[item],
                     po_id=Const(None), po_item=Const(None), storage_location=sloc,
                     stock_type=stock_type, currency=currency),
                derive=_GOODS_ISSUE_ITEMS),
    ]
    return _stock(ctx, out, mp=np.concatenate([gr_mp, gi_mp]),
                  day=np.concatenate([gr_day, gi_day]),
                  doc=np.concatenate([n.gr_doc[p.gr_doc], n.gi_doc[d]]),
                  delta=np.concatenate([p.gr_qty, -s.ditem_qty[gi_items]]))


def _stock(ctx: Context, out: list[Rows], *, mp: np.ndarray, day: np.ndarray,
           doc: np.ndarray, delta: np.ndarray) -> tuple[list[Rows], list[Events]]:
    """Stock rows (created by their first movement) and one update per later movement."""
    m = ctx.master
    n_plants = len(PLANTS)
    order = np.lexsort((doc, day, mp))
    mp_s, day_s, doc_s = mp[order], day[order], doc[order]
    first = np.r_[True, mp_s[1:] != mp_s[:-1]] if len(mp_s) else np.zeros(0, dtype=bool)
    same_doc = np.r_[False, (doc_s[1:] == doc_s[:-1]) & ~first[1:]] if len(mp_s) else first
    final = np.bincount(mp, weights=delta, minlength=len(m.material_id) * n_plants)
    heads = np.flatnonzero(first)
    stock_mp = mp_s[heads]
    plants = np.asarray([x[0] for x in PLANTS], dtype=object)
    table = rows("stock", day_s[heads], (stock_mp,),
                 material_id=m.material_id[stock_mp // n_plants],
                 plant=plants[stock_mp % n_plants],
                 storage_location=Const(STORAGE_LOCATION),
                 unrestricted=final[stock_mp].astype(np.int64), quality=Const(0),
                 blocked=Const(0))
    updates = np.flatnonzero(~first & ~same_doc)
    by_day = updates[np.lexsort((doc_s[updates], day_s[updates]))]
    events = Events("stock", "update", _stock_key(m, mp_s[by_day]), day_s[by_day])
    return [*out, table], [events]


def _purchasing(ctx: Context) -> list[Rows]:
    m, p, n = ctx.master, ctx.purchasing, ctx.numbers
    n_plants = len(PLANTS)
    plants = np.asarray([x[0] for x in PLANTS], dtype=object)
    requisitions = rows(
        "purchase_requisition", p.pr_day, (n.pr_id,), ("needed_by", "created_on"),
        pr_id=n.pr_id, item_no=Const(10), material_id=m.material_id[p.pr_mp // n_plants],
        plant=plants[p.pr_mp % n_plants], storage_location=Const(None),
        quantity=p.pr_qty, unit=Const("PC"), needed_by=p.pr_needed, created_on=p.pr_day,
        desired_vendor=Const(None))
    vendor_terms = np.asarray([t[0] for t in TERMS], dtype=object)[m.vendor_terms]
    po_value = np.bincount(p.item_po, weights=p.item_qty * p.item_price,
                           minlength=len(p.po_day)).astype(np.int64)
    orders = rows(
        "purchase_order", p.po_day, (n.po_id,), ("po_date",), po_id=n.po_id,
        vendor_id=m.vendor_id[p.po_vendor], purchasing_org=Const("1000"),
        po_date=p.po_day, currency=Const(COMPANY_CURRENCY),
        payment_terms=vendor_terms[p.po_vendor], net_value=money(po_value))
    pr_of_item = np.full(len(p.item_mp), -1)
    with_pr = p.pr_item >= 0
    pr_of_item[p.pr_item[with_pr]] = np.flatnonzero(with_pr)
    has_pr = pr_of_item >= 0
    item_day = p.po_day[p.item_po]
    items = rows(
        "purchase_order_item", item_day, (n.po_id[p.item_po], p.item_no),
        po_id=n.po_id[p.item_po], item_no=p.item_no,
        material_id=m.material_id[p.item_mp // n_plants], plant=plants[p.item_mp % n_plants],
        storage_location=Const(STORAGE_LOCATION), quantity=p.item_qty,
        unit=Const("PC"), net_price=money(p.item_price),
        net_value=money(p.item_qty * p.item_price),
        pr_id=pick(n.pr_id, pr_of_item, None),
        pr_item=or_none(has_pr, 10))
    schedule = rows(
        "purchase_order_schedule_line", item_day, (n.po_id[p.item_po], p.item_no),
        ("delivery_date",), po_id=n.po_id[p.item_po], item_no=p.item_no,
        line_no=Const(1), delivery_date=p.item_delivery,
        quantity=p.item_qty)
    return [requisitions, orders, items, schedule]
