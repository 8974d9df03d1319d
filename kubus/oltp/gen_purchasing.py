"""Procure-to-pay documents of the OLTP demo generator, from the replenishment lots.

Each lot of :mod:`kubus.oltp.gen_supply` becomes a purchase-order item (70% from a purchase
requisition of their own); lots of one vendor and plant ordered on the same day share a
purchase order. Receipt parts of one purchase order on one day share a goods-receipt material
document. A purchase order is invoiced (one invoice receipt, one item per PO item) 0-10 days
after its last receipt, at the PO price or, for 10% of invoices, up to 3% off it, plus 19%
input tax. On top, the next cycle is already on its way for a third of the active
material/plant pairs (open purchase orders) and requested for a sixth (open requisitions).

Example::

    docs = purchasing_documents(rng, master, plan, as_of=20_000)
    docs.po_vendor[docs.item_po]     # vendor of each PO item
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kubus.oltp.gen_distributions import number_within
from kubus.oltp.gen_master import PLANTS, Master
from kubus.oltp.gen_supply import Replenishment

__all__ = ["INPUT_TAX_MILLI", "PurchasingDocs", "purchasing_documents"]

INPUT_TAX_MILLI = 19_000
PRICE_VARIANCE_SHARE = 0.10
NEXT_CYCLE_PO_SHARE = 0.33
NEXT_CYCLE_PR_SHARE = 0.16


@dataclass(frozen=True)
class PurchasingDocs:
    """Requisitions, purchase orders, goods receipts and invoice receipts (index arrays).

    Requisitions (one item each): ``pr_mp``, ``pr_qty``, ``pr_day``, ``pr_needed``, ``pr_item``
    (the PO item made from it, -1). PO items: ``item_mp``, ``item_qty``, ``item_price``
    (cents), ``item_delivery``, ``item_po``, ``item_no``. POs: ``po_vendor``, ``po_plant``,
    ``po_day``. Receipt parts: ``gr_item``, ``gr_qty``, ``gr_doc``, ``gr_no``; documents
    ``grd_day``, ``grd_po``. Invoice receipts per PO: ``ir_po``, ``ir_day``; items
    ``iri_doc``, ``iri_item``, ``iri_no``, ``iri_amount`` (net cents); ``ir_tax``.
    """

    pr_mp: np.ndarray
    pr_qty: np.ndarray
    pr_day: np.ndarray
    pr_needed: np.ndarray
    pr_item: np.ndarray
    item_mp: np.ndarray
    item_qty: np.ndarray
    item_price: np.ndarray
    item_delivery: np.ndarray
    item_po: np.ndarray
    item_no: np.ndarray
    po_vendor: np.ndarray
    po_plant: np.ndarray
    po_day: np.ndarray
    gr_item: np.ndarray
    gr_qty: np.ndarray
    gr_doc: np.ndarray
    gr_no: np.ndarray
    grd_day: np.ndarray
    grd_po: np.ndarray
    ir_po: np.ndarray
    ir_day: np.ndarray
    ir_tax: np.ndarray
    iri_doc: np.ndarray
    iri_item: np.ndarray
    iri_no: np.ndarray
    iri_amount: np.ndarray


def _group(keys: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sort order, group of each sorted row, first sorted row of each group)."""
    order = np.lexsort(keys[::-1])
    sorted_keys = [k[order] for k in keys]
    change = np.zeros(len(order), dtype=bool)
    if len(order):
        change[0] = True
        for k in sorted_keys:
            change[1:] |= k[1:] != k[:-1]
    group = np.cumsum(change) - 1
    return order, group, np.flatnonzero(change)


def _next_cycle(rng: np.random.Generator, master: Master, plan: Replenishment,
                as_of: int) -> tuple[np.ndarray, ...]:
    """Open lots of the next cycle: (mp, qty, po_day, delivery_day, pr_day) and open PRs."""
    n_mp = len(master.material_id) * len(PLANTS)
    active = np.flatnonzero(np.bincount(plan.mp, minlength=n_mp) > 0)
    size = np.zeros(n_mp, dtype=np.int64)
    np.maximum.at(size, plan.mp, plan.qty)
    draw = rng.random(len(active))
    po_mp = active[draw < NEXT_CYCLE_PO_SHARE]
    pr_mp = active[(draw >= NEXT_CYCLE_PO_SHARE)
                   & (draw < NEXT_CYCLE_PO_SHARE + NEXT_CYCLE_PR_SHARE)]
    po_day = as_of - rng.integers(0, 10, len(po_mp))
    lead = master.planned_delivery_days[po_mp // len(PLANTS)]
    delivery = np.maximum(po_day + lead, as_of + 1)
    pr_day = as_of - rng.integers(0, 5, len(pr_mp))
    return (po_mp, size[po_mp], po_day, delivery, pr_mp, size[pr_mp], pr_day,
            pr_day + master.planned_delivery_days[pr_mp // len(PLANTS)] + 5)


def _weekday(days: np.ndarray) -> np.ndarray:
    return np.busday_offset(days.astype("datetime64[D]"), 0, roll="backward").astype(np.int64)


def purchasing_documents(rng: np.random.Generator, master: Master, plan: Replenishment, *,
                         as_of: int) -> PurchasingDocs:
    """Group the lots (and the next cycle) into requisitions, POs, receipts and invoices."""
    n_plants = len(PLANTS)
    (next_mp, next_qty, next_po, next_delivery, open_pr_mp, open_pr_qty, open_pr_day,
     open_pr_needed) = _next_cycle(rng, master, plan, as_of)
    next_po, open_pr_day = _weekday(next_po), _weekday(open_pr_day)
    mp = np.concatenate([plan.mp, next_mp])
    qty = np.concatenate([plan.qty, next_qty])
    po_day = np.concatenate([plan.po_day, next_po])
    delivery = np.concatenate([plan.delivery_day, next_delivery])
    has_pr = np.concatenate([plan.pr_day >= 0, rng.random(len(next_mp)) < 0.7])
    pr_day_lot = np.concatenate([plan.pr_day, _weekday(next_po - rng.integers(1, 5,
                                                                            len(next_mp)))])
    ordered = po_day >= 0
    vendor = master.material_vendor[mp // n_plants]
    # Purchase orders: one per (vendor, plant, day).
    lots = np.flatnonzero(ordered)
    order, group, heads = _group((po_day[lots], vendor[lots], mp[lots] % n_plants))
    item_lot = lots[order]
    item_po = group
    item_no = 10 * number_within(group)
    lot_item = np.full(len(mp), -1)
    lot_item[item_lot] = np.arange(len(item_lot))
    # Requisitions: one per lot that has one, plus the open ones (no PO yet).
    pr_lots = np.flatnonzero(has_pr & ordered)
    receipts = _goods_receipts(plan, lot_item, item_po, item_no)
    item_qty = qty[item_lot]
    price = master.purchase_price_cents[mp[item_lot] // n_plants]
    invoices = _invoice_receipts(rng, receipts, item_po=item_po, item_qty=item_qty,
                                 price=price, as_of=as_of)
    return PurchasingDocs(
        pr_mp=np.concatenate([mp[pr_lots], open_pr_mp]),
        pr_qty=np.concatenate([qty[pr_lots], open_pr_qty]),
        pr_day=np.concatenate([pr_day_lot[pr_lots], open_pr_day]),
        pr_needed=np.concatenate([delivery[pr_lots] + 2, open_pr_needed]),
        pr_item=np.concatenate([lot_item[pr_lots], np.full(len(open_pr_mp), -1)]),
        item_mp=mp[item_lot], item_qty=item_qty, item_price=price,
        item_delivery=delivery[item_lot], item_po=item_po, item_no=item_no,
        po_vendor=vendor[item_lot[heads]], po_plant=mp[item_lot[heads]] % n_plants,
        po_day=po_day[item_lot[heads]], **receipts, **invoices)


def _goods_receipts(plan: Replenishment, lot_item: np.ndarray, item_po: np.ndarray,
                    item_no: np.ndarray) -> dict[str, np.ndarray]:
    """Receipt parts of one purchase order on one day form one material document."""
    parts = np.flatnonzero(plan.gr_day >= 0)
    part_item = lot_item[plan.part_lot[parts]]
    order, _, _ = _group((plan.gr_day[parts], item_po[part_item], item_no[part_item]))
    gr_item = part_item[order]
    gr_day = plan.gr_day[parts][order]
    po = item_po[gr_item]
    new_doc = (np.r_[True, (gr_day[1:] != gr_day[:-1]) | (po[1:] != po[:-1])] if len(gr_item)
               else np.zeros(0, dtype=bool))
    gr_doc = np.cumsum(new_doc) - 1
    return {"gr_item": gr_item, "gr_qty": plan.part_qty[parts][order], "gr_doc": gr_doc,
            "gr_no": number_within(gr_doc), "grd_day": gr_day[new_doc], "grd_po": po[new_doc]}


def _invoice_receipts(rng: np.random.Generator, receipts: dict[str, np.ndarray], *,
                      item_po: np.ndarray, item_qty: np.ndarray, price: np.ndarray,
                      as_of: int) -> dict[str, np.ndarray]:
    """One invoice per fully received purchase order, 0-10 days after its last receipt."""
    gr_item, gr_day = receipts["gr_item"], receipts["grd_day"][receipts["gr_doc"]]
    item_received = np.bincount(gr_item, weights=receipts["gr_qty"],
                                minlength=len(item_po)).astype(np.int64)
    n_po = int(item_po.max()) + 1 if len(item_po) else 0
    po_full = np.ones(n_po, dtype=bool)
    np.logical_and.at(po_full, item_po, item_received >= item_qty)
    last_gr = np.full(n_po, -1)
    np.maximum.at(last_gr, item_po[gr_item], gr_day)
    ir_day = last_gr + rng.integers(0, 11, n_po)
    invoiced = po_full & (last_gr >= 0) & (ir_day <= as_of)
    ir_po = np.flatnonzero(invoiced)
    ir_of_po = np.full(n_po, -1)
    ir_of_po[ir_po] = np.arange(len(ir_po))
    iri_item = np.flatnonzero(invoiced[item_po])
    variance = np.where(rng.random(len(ir_po)) < PRICE_VARIANCE_SHARE,
                        rng.uniform(0.97, 1.03, len(ir_po)), 1.0)
    iri_doc = ir_of_po[item_po[iri_item]]
    amount = np.round(item_qty[iri_item] * price[iri_item] * variance[iri_doc]).astype(np.int64)
    amount = np.maximum(amount, 1)
    net = np.bincount(iri_doc, weights=amount, minlength=len(ir_po)).astype(np.int64)
    return {"ir_po": ir_po, "ir_day": ir_day[ir_po],
            "ir_tax": (net * INPUT_TAX_MILLI + 50_000) // 100_000, "iri_doc": iri_doc,
            "iri_item": iri_item, "iri_no": number_within(iri_doc), "iri_amount": amount}
