"""Replenishment planning of the OLTP demo generator: purchase orders that keep stock >= 0.

Given every goods issue of the history (and the planned goods issues of open confirmed
schedule lines), :func:`plan_replenishment` buys each material and plant in lots of about a
month's demand, and times each lot's goods receipt a few working days before the first issue
that needs it. Stock therefore never goes negative at any point in time, whatever the order of
postings within a day: the receipts of lot ``k`` land strictly before the first issue whose
cumulative quantity exceeds ``k`` lots. Everything is vectorised over the sorted issues
(``searchsorted`` on the cumulative demand), with no loop over materials or lots.

Demand after the as-of date (if the caller passes any) is ordered by then: its lots become open
purchase orders, planned receipts for ATP. Example::

    plan = plan_replenishment(rng, ReplenishmentInput(mp, day, qty, ...))
    plan.gr_day     # goods-receipt days (int64 day numbers), -1 where not yet received
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LOT_CYCLE_DAYS", "Replenishment", "ReplenishmentInput", "plan_replenishment"]

LOT_CYCLE_DAYS = 28  # about one purchase order per material and plant per four weeks
MIN_ISSUES_PER_LOT = 4
PARTIAL_RECEIPT_SHARE = 0.10
VENDOR_LATE_SHARE = 0.30
REQUISITION_SHARE = 0.70


@dataclass(frozen=True)
class ReplenishmentInput:
    """The demand to cover and the lead times, one entry per issue or per material-plant."""

    issue_mp: np.ndarray  # material-plant index of each issue
    issue_day: np.ndarray  # day number of each (actual or planned) goods issue
    issue_qty: np.ndarray  # issued quantity (int64, > 0)
    planned_delivery_days: np.ndarray  # per material-plant, calendar days
    as_of: int  # the generation's "today" (day number)
    weekmask: str = "1111100"


@dataclass(frozen=True)
class Replenishment:
    """Purchase lots, one per future purchase-order item, with receipts in one or two parts.

    Per lot: ``mp``, ``qty``, ``needed_day``, ``po_day`` (-1: not ordered), ``delivery_day``
    (the PO schedule line), ``pr_day`` (-1: no requisition). Per receipt part (``part_lot``
    indexes the lot): ``part_qty`` and ``gr_day`` (-1: not received by the as-of date).
    """

    mp: np.ndarray
    qty: np.ndarray
    needed_day: np.ndarray
    po_day: np.ndarray
    delivery_day: np.ndarray
    pr_day: np.ndarray
    part_lot: np.ndarray
    part_qty: np.ndarray
    gr_day: np.ndarray


def _busday_back(days: np.ndarray, weekmask: str) -> np.ndarray:
    """The working day on or before each day number."""
    dates = days.astype("datetime64[D]")
    return np.busday_offset(dates, 0, roll="backward", weekmask=weekmask).astype(np.int64)


def _lots(mp: np.ndarray, day: np.ndarray, qty: np.ndarray, n_mp: int
          ) -> tuple[np.ndarray, ...]:
    """Lots per material-plant over issues sorted by (mp, day).

    Returns per lot: material-plant, quantity, the cumulative issue quantity it starts at
    (``threshold``) and the day of the first issue that needs it; and per material-plant the
    cumulative quantity before its first issue (``base``) and its total.
    """
    cum = np.cumsum(qty)
    total = np.bincount(mp, weights=qty, minlength=n_mp).astype(np.int64)
    first = np.searchsorted(mp, np.arange(n_mp), side="left")
    base = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0)
    active = total > 0
    span = np.zeros(n_mp, dtype=np.int64)
    last = np.searchsorted(mp, np.arange(n_mp), side="right") - 1
    span[active] = day[last[active]] - day[first[active]] + 1
    # About a month of demand per lot, but at least a few issues per lot for slow movers.
    events = np.bincount(mp, minlength=n_mp)
    lots = np.clip(np.ceil(span / LOT_CYCLE_DAYS), 1, np.maximum(1, events // MIN_ISSUES_PER_LOT))
    lots = lots.astype(np.int64)
    lot_size = np.where(active, -(-total // lots), 0)
    lots = np.where(active, -(-total // np.maximum(lot_size, 1)), 0)
    lot_mp = np.repeat(np.arange(n_mp), lots)
    lot_k = np.arange(len(lot_mp)) - np.repeat(np.cumsum(lots) - lots, lots)
    lot_qty = lot_size[lot_mp]
    threshold = base[lot_mp] + lot_k * lot_qty
    needed = day[np.searchsorted(cum, threshold, side="right")]
    return lot_mp, lot_qty, threshold, needed, base, total, cum


def plan_replenishment(rng: np.random.Generator, demand: ReplenishmentInput) -> Replenishment:
    """Lots and receipts that cover ``demand`` with stock never below zero."""
    order = np.lexsort((demand.issue_day, demand.issue_mp))
    mp, day, qty = demand.issue_mp[order], demand.issue_day[order], demand.issue_qty[order]
    if len(mp) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Replenishment(*(empty,) * 9)
    lot_mp, lot_qty, threshold, needed, base, total, cum = _lots(
        mp, day, qty, len(demand.planned_delivery_days))
    n_lots = len(lot_mp)
    # Receipt 1 arrives 1-10 days before it is needed; 10% of lots come in two parts, the
    # second timed before the issue that first needs more than the first part.
    gr1 = _busday_back(needed - rng.geometric(0.3, n_lots).clip(max=10), demand.weekmask)
    split = (rng.random(n_lots) < PARTIAL_RECEIPT_SHARE) & (lot_qty >= 2)
    first_part = np.where(split, np.maximum(1, (lot_qty * rng.uniform(0.4, 0.7, n_lots))
                                            .astype(np.int64)), lot_qty)
    # The last lot of a material is only partly consumed: its second part may need no issue.
    threshold2 = threshold + first_part
    consumed = threshold2 < base[lot_mp] + total[lot_mp]
    needed2 = day[np.minimum(np.searchsorted(cum, threshold2, side="right"), len(cum) - 1)]
    lag = rng.integers(1, 6, n_lots)
    gr2 = np.where(consumed, np.maximum(gr1, _busday_back(needed2 - lag, demand.weekmask)),
                   _busday_back(gr1 + lag, demand.weekmask))
    po, delivery, pr = _ordering(rng, demand, lot_mp, gr1, needed)
    part_lot = np.concatenate([np.arange(n_lots), np.flatnonzero(split)])
    part_qty = np.concatenate([first_part, (lot_qty - first_part)[split]])
    gr_day = np.concatenate([gr1, gr2[split]])
    order = np.lexsort((np.arange(len(part_lot)), part_lot))
    part_lot, part_qty, gr_day = part_lot[order], part_qty[order], gr_day[order]
    gr_day = np.where(gr_day > demand.as_of, -1, gr_day)
    return Replenishment(mp=lot_mp, qty=lot_qty, needed_day=needed,
                         po_day=np.where(po > demand.as_of, -1, po), delivery_day=delivery,
                         pr_day=np.where(pr > demand.as_of, -1, pr), part_lot=part_lot,
                         part_qty=part_qty, gr_day=gr_day)


def _ordering(rng: np.random.Generator, demand: ReplenishmentInput, lot_mp: np.ndarray,
              gr1: np.ndarray, needed: np.ndarray) -> tuple[np.ndarray, ...]:
    """(PO day, PO delivery date, requisition day or -1) of each lot.

    30% of vendors deliver 1-5 working days after the PO's date; the order goes out the
    planned delivery time (plus 0-2 days) before that date, a requisition 1-5 days earlier.
    """
    n_lots = len(lot_mp)
    late = rng.random(n_lots) < VENDOR_LATE_SHARE
    delivery = _busday_back(gr1 - np.where(late, rng.integers(1, 6, n_lots), 0), demand.weekmask)
    po = _busday_back(delivery - demand.planned_delivery_days[lot_mp]
                      - rng.integers(0, 3, n_lots), demand.weekmask)
    # Demand beyond the as-of date must be on order already (a planned receipt for ATP).
    po = np.where((po > demand.as_of) & (needed > demand.as_of),
                  _busday_back(np.full(n_lots, demand.as_of) - rng.integers(0, 3, n_lots),
                               demand.weekmask), po)
    has_pr = rng.random(n_lots) < REQUISITION_SHARE
    pr = np.where(has_pr, _busday_back(po - rng.integers(1, 6, n_lots), demand.weekmask), -1)
    return po, delivery, pr
