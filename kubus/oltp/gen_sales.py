"""Order-to-cash simulation, part 1: sales orders, schedule lines, deliveries, goods issues.

Pure numpy over index arrays (no document numbers, no tables yet). Orders arrive with the
seasonal intake of :mod:`kubus.oltp.gen_distributions`; customers and materials are
Zipf-skewed. Each item is scheduled backwards from the requested delivery date (goods issue =
RDD - transit, loading = GI - 1, material availability = loading - 1 working days) and
forwards from the order date when that lies in the past. Confirmations follow the schedule-line
layout of ``services/_orders.py``: line 1 holds the requested date and quantity and what is
confirmed on time; a later confirmation gets its own line with requested quantity 0.

About 10% of items are short: part is confirmed at the first possible date and the rest
5-25 working days later (a partial delivery; about 15% of orders are delivered in parts).
About 2% of items are rejected before anything is delivered. Confirmed lines of one order
with the same goods-issue date go into one delivery; goods are issued on the planned date or a
few working days late. Whatever lies after the as-of date has not happened yet (open orders and
deliveries).

Example::

    flow = simulate_sales(rng, master, SalesParams(lines=1000, first_day=..., as_of=...))
    flow.delivery_gi_day     # -1 where goods are not issued yet
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kubus.oltp.gen_distributions import (
    add_workdays,
    cdf,
    items_per_order,
    or_none,
    order_days,
    sample,
    to_days,
)
from kubus.oltp.gen_master import PLANTS, ROUTES, Master, sales_price_cents

__all__ = ["CHANNELS", "SalesFlow", "SalesParams", "simulate_sales"]

# (channel, share) of order intake.
CHANNELS = (("web", 34), ("email", 20), ("phone", 18), ("fax", 6), ("letter", 4),
            ("chat", 8), ("edi", 10))
SHORTAGE_SHARE = 0.10
LATE_GI_SHARE = 0.12
REJECTION_SHARE = 0.025
REJECTION_REASONS = ("01", "02", "03", "05")  # delivery date too late, poor quality, ...


@dataclass(frozen=True)
class SalesParams:
    """What to simulate: the number of order items and the history window."""

    lines: int
    first_day: np.datetime64
    as_of: np.datetime64


@dataclass(frozen=True)
class SalesFlow:
    """Orders, items, schedule lines, deliveries and goods issues as parallel arrays.

    Indexes: ``item_order`` indexes orders, ``line_item`` items, ``ditem_delivery``
    deliveries, ``ditem_line`` schedule lines. Days are day numbers; -1 means "not yet".
    Money is in integer cents of the order currency.
    """

    order_day: np.ndarray
    order_customer: np.ndarray
    order_rdd: np.ndarray
    order_channel: np.ndarray
    order_plant: np.ndarray
    order_currency: np.ndarray
    item_order: np.ndarray
    item_no: np.ndarray
    item_material: np.ndarray
    item_qty: np.ndarray
    item_price: np.ndarray  # net price, cents
    item_value: np.ndarray  # net value, cents
    item_reject_day: np.ndarray  # -1: not rejected
    item_reason: np.ndarray
    line_item: np.ndarray
    line_no: np.ndarray
    line_date: np.ndarray  # delivery date (requested on line 1, confirmed later)
    line_requested: np.ndarray
    line_confirmed: np.ndarray
    line_mad: np.ndarray
    line_tpd: np.ndarray
    line_loading: np.ndarray
    line_gi: np.ndarray
    delivery_order: np.ndarray
    delivery_created: np.ndarray
    delivery_planned_gi: np.ndarray
    delivery_date: np.ndarray
    delivery_gi_day: np.ndarray  # -1: goods not issued yet
    ditem_delivery: np.ndarray
    ditem_line: np.ndarray
    ditem_no: np.ndarray
    ditem_qty: np.ndarray

    @property
    def ditem_item(self) -> np.ndarray:
        """The sales order item of each delivery item."""
        return np.asarray(self.line_item[self.ditem_line])


def _plant_workdays(master: Master, plant: np.ndarray, days: np.ndarray,
                    offset: np.ndarray | int, roll: str) -> np.ndarray:
    out = np.empty(len(days), dtype=np.int64)
    offsets = np.broadcast_to(np.asarray(offset), days.shape)
    for index, spec in enumerate(PLANTS):
        mine = plant == index
        if mine.any():
            out[mine] = add_workdays(days[mine], offsets[mine], weekmask="1111100",
                                     holidays=master.holidays[spec[3]], roll=roll)
    return out


def simulate_sales(rng: np.random.Generator, master: Master, params: SalesParams) -> SalesFlow:
    """The sales side of the history (see the module docstring)."""
    first, as_of = int(to_days(params.first_day)), int(to_days(params.as_of))
    counts = items_per_order(rng, params.lines)
    n_orders = len(counts)
    order_day = order_days(rng, params.first_day, params.as_of, n_orders)
    customer = sample(rng, master.customer_cdf, n_orders)
    channel = sample(rng, cdf(np.asarray([c[1] for c in CHANNELS], float)), n_orders)
    plant = master.customer_plant[customer]
    currency = master.customer_currency[customer]
    lead = 4 + np.minimum(rng.geometric(0.12, n_orders), 40)
    rdd = _plant_workdays(master, plant, order_day + lead, 0, "forward")

    item_order = np.repeat(np.arange(n_orders), counts)
    n_items = len(item_order)
    item_no = 10 * (np.arange(n_items) - np.repeat(np.cumsum(counts) - counts, counts) + 1)
    material = sample(rng, master.material_cdf, n_items)
    qty = np.minimum(rng.geometric(master.material_quantity_p[material]), 250)
    year = (order_day[item_order] - first) // 365
    year = np.minimum(year, master.price_factor.shape[0] - 1)
    list_price = sales_price_cents(master, material, currency[item_order], year)
    discount = master.customer_discount[customer[item_order]]
    price = np.maximum(np.round(list_price * (1.0 - discount)), 1).astype(np.int64)

    o_plant = plant[item_order]
    transit = np.asarray([r[2] for r in ROUTES])[master.customer_route[customer]][item_order]
    complete = master.customer_complete[customer[item_order]]
    line_item, line_no, line_date, requested, confirmed, l_mad, l_load, l_gi = _confirm(
        rng, master, o_plant, order_day=order_day[item_order], rdd=rdd[item_order],
        transit=transit, qty=qty, complete=complete)
    # Transportation lead time (1 day) equals pick/pack time: planning date = MAD (§3.3).
    l_tpd = l_mad
    reject_day, rejected, reason = _rejections(
        rng, order_day[item_order], line_item[confirmed > 0],
        np.minimum(l_mad, l_tpd)[confirmed > 0], as_of)
    deliveries = _deliveries(rng, master, line_item=line_item, item_order=item_order,
                             item_plant=o_plant, confirmed=confirmed, mad=l_mad, tpd=l_tpd,
                             gi=l_gi, line_date=line_date, rejected=rejected,
                             order_day=order_day, as_of=as_of)
    return SalesFlow(
        order_day=order_day, order_customer=customer, order_rdd=rdd, order_channel=channel,
        order_plant=plant, order_currency=currency, item_order=item_order, item_no=item_no,
        item_material=material, item_qty=qty, item_price=price, item_value=price * qty,
        item_reject_day=reject_day, item_reason=or_none(rejected, reason),
        line_item=line_item, line_no=line_no, line_date=line_date, line_requested=requested,
        line_confirmed=confirmed, line_mad=l_mad, line_tpd=l_tpd, line_loading=l_load,
        line_gi=l_gi, **deliveries)


def _confirm(rng: np.random.Generator, master: Master, plant: np.ndarray, *,
             order_day: np.ndarray, rdd: np.ndarray, transit: np.ndarray, qty: np.ndarray,
             complete: np.ndarray) -> tuple[np.ndarray, ...]:
    """Schedule each item and confirm it; its schedule lines (see :func:`_schedule_lines`).

    Backward scheduling from the RDD; forward from the order date when that lies in the past.
    About 10% of the items (never of complete-delivery customers) are short: part is confirmed
    at the first date, the rest 5-25 working days later.
    """
    n_items = len(qty)
    gi = _plant_workdays(master, plant, rdd, -transit, "backward")
    loading = _plant_workdays(master, plant, gi, -1, "backward")
    mad = _plant_workdays(master, plant, loading, -1, "backward")
    earliest = _plant_workdays(master, plant, order_day, 0, "forward")
    forward = mad < earliest
    mad = np.where(forward, earliest, mad)
    loading = np.where(forward, _plant_workdays(master, plant, mad, 1, "forward"), loading)
    gi = np.where(forward, _plant_workdays(master, plant, loading, 1, "forward"), gi)
    confirmed_date = np.where(forward, gi + transit, rdd)
    short = (rng.random(n_items) < SHORTAGE_SHARE) & ~complete & (qty >= 2)
    part = np.where(short, np.maximum(1, (qty * rng.uniform(0.3, 0.8, n_items))
                                      .astype(np.int64)), qty)
    delay = rng.integers(5, 25, n_items)
    mad2 = _plant_workdays(master, plant, mad, delay, "forward")
    loading2 = _plant_workdays(master, plant, mad2, 1, "forward")
    gi2 = _plant_workdays(master, plant, loading2, 1, "forward")
    return _schedule_lines(rdd, qty, part, forward=forward, short=short,
                           dates1=(mad, loading, gi, confirmed_date),
                           dates2=(mad2, loading2, gi2, gi2 + transit))


def _rejections(rng: np.random.Generator, order_day: np.ndarray, line_item: np.ndarray,
                selection_day: np.ndarray, as_of: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(reject day or -1, rejected, reason) per item: rejected before anything is delivered.

    ``line_item`` and ``selection_day`` describe the confirmed schedule lines.
    """
    n_items = len(order_day)
    first_selection = np.full(n_items, np.iinfo(np.int64).max)
    np.minimum.at(first_selection, line_item, selection_day)
    span = np.clip(first_selection - order_day - 1, 0, 30)
    reject_day = order_day + 1 + (rng.random(n_items) * span).astype(np.int64)
    rejected = ((rng.random(n_items) < REJECTION_SHARE) & (span > 0)
                & (reject_day < first_selection) & (reject_day <= as_of))
    reason = np.asarray(REJECTION_REASONS, dtype=object)[rng.integers(0, 4, n_items)]
    return np.where(rejected, reject_day, -1), rejected, reason


def _schedule_lines(requested_date: np.ndarray, qty: np.ndarray, part: np.ndarray, *,
                    forward: np.ndarray, short: np.ndarray, dates1: tuple[np.ndarray, ...],
                    dates2: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Schedule lines sorted by item and line number.

    Line 1: requested date and quantity, confirmed ``part`` on time (0 if forward-scheduled).
    A forward-scheduled item's first confirmation gets a line of its own; a short item's rest
    (``qty - part``) a later one. A line without confirmation carries its delivery date in
    every date field, as order entry writes it.
    """
    n_items = len(qty)
    items = np.arange(n_items)
    on_time = np.where(forward, 0, part)
    zero = np.zeros(n_items, dtype=np.int64)
    first = (items, np.ones(n_items, dtype=np.int64), requested_date, qty, on_time,
             *(np.where(on_time > 0, d, requested_date) for d in dates1[:3]))
    a = np.flatnonzero(forward)
    late_first = (a, np.full(len(a), 2, dtype=np.int64), dates1[3][a], zero[a], part[a],
                  *(d[a] for d in dates1[:3]))
    b = np.flatnonzero(short)
    rest = (b, 2 + forward[b].astype(np.int64), dates2[3][b], zero[b], (qty - part)[b],
            *(d[b] for d in dates2[:3]))
    merged = [np.concatenate(parts) for parts in zip(first, late_first, rest, strict=True)]
    order = np.lexsort((merged[1], merged[0]))
    return tuple(column[order] for column in merged)


def _deliveries(rng: np.random.Generator, master: Master, *, line_item: np.ndarray,
                item_order: np.ndarray, item_plant: np.ndarray, confirmed: np.ndarray,
                mad: np.ndarray, tpd: np.ndarray, gi: np.ndarray, line_date: np.ndarray,
                rejected: np.ndarray, order_day: np.ndarray, as_of: int
                ) -> dict[str, np.ndarray]:
    """Group due confirmed lines into deliveries by (order, goods-issue date)."""
    lines = np.flatnonzero((confirmed > 0) & ~rejected[line_item])
    order = item_order[line_item[lines]]
    created = np.maximum(np.minimum(mad, tpd)[lines], order_day[order])
    keep = created <= as_of
    lines, order, created = lines[keep], order[keep], created[keep]
    l_gi = gi[lines]
    sort = np.lexsort((line_item[lines], l_gi, order))
    lines, order, created, l_gi = lines[sort], order[sort], created[sort], l_gi[sort]
    new = np.ones(len(lines), dtype=bool)
    new[1:] = (order[1:] != order[:-1]) | (l_gi[1:] != l_gi[:-1])
    delivery_of = np.cumsum(new) - 1
    heads = np.flatnonzero(new)
    n_del = len(heads)
    d_order = order[heads]
    d_created = np.minimum.reduceat(created, heads) if n_del else created[:0]
    d_planned = l_gi[heads]
    d_plant = item_plant[line_item[lines[heads]]]
    late = rng.random(n_del) < LATE_GI_SHARE
    slip = np.where(late, rng.integers(1, 4, n_del), 0)
    actual = _plant_workdays(master, d_plant, d_planned, slip, "forward")
    actual = np.maximum(actual, d_created)
    position = np.arange(len(lines)) - np.repeat(heads, np.diff(np.append(heads, len(lines))))
    return {
        "delivery_order": d_order, "delivery_created": d_created,
        "delivery_planned_gi": d_planned, "delivery_date": line_date[lines[heads]],
        "delivery_gi_day": np.where(actual <= as_of, actual, -1),
        "ditem_delivery": delivery_of, "ditem_line": lines, "ditem_no": 10 * (position + 1),
        "ditem_qty": confirmed[lines],
    }
