"""Document numbers of the OLTP demo generator, drawn from the system's number ranges.

Numbers are handed out in the order the documents were created: by day, then by the order in
which a working day's events happen (requisitions and purchase orders, goods receipts, sales
orders, deliveries, goods issues, cancellations, invoices, credit memos, payments, invoice
receipts), then by the simulation's own order. Accounting documents and open items share one
range across all the documents that post them, exactly as the services allocate them.

Example::

    numbers = assign_numbers(starts, sales, billing, purchasing)
    numbers.order_id[:3]      # e.g. [1000000, 1000001, 1000002]
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kubus.oltp.gen_billing import CANCELLATION, CREDIT_MEMO, Billing
from kubus.oltp.gen_purchasing import PurchasingDocs
from kubus.oltp.gen_sales import SalesFlow

__all__ = ["Numbers", "allocate", "assign_numbers"]

# Order of a working day's events (lower first).
RANK_PR, RANK_PO, RANK_GR, RANK_GI, RANK_PAYMENT, RANK_IR = 0, 1, 2, 6, 10, 11
RANK_BILLING = {CANCELLATION: 7, 0: 8, CREDIT_MEMO: 9}


def allocate(start: int, groups: Sequence[tuple[np.ndarray, np.ndarray | int]]
             ) -> list[np.ndarray]:
    """Consecutive numbers from ``start`` for the members of ``groups`` ((day, rank) each).

    Members are numbered by (day, rank, group, position); the result has one array per group.
    """
    days = [np.asarray(day, dtype=np.int64) for day, _ in groups]
    ranks = [np.broadcast_to(np.asarray(rank, dtype=np.int64), d.shape)
             for d, (_, rank) in zip(days, groups, strict=True)]
    day = np.concatenate(days) if days else np.zeros(0, dtype=np.int64)
    rank = np.concatenate(ranks) if ranks else np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(len(day)), rank, day))
    numbers = np.empty(len(day), dtype=np.int64)
    numbers[order] = start + np.arange(len(day), dtype=np.int64)
    bounds = np.cumsum([0, *(len(d) for d in days)])
    return [numbers[a:b] for a, b in itertools.pairwise(bounds)]


@dataclass(frozen=True)
class Numbers:
    """The number of every generated document (-1 where the document does not exist)."""

    order_id: np.ndarray
    delivery_id: np.ndarray
    gi_doc: np.ndarray  # per delivery
    gr_doc: np.ndarray  # per goods-receipt document
    billing_id: np.ndarray
    payment_id: np.ndarray
    pr_id: np.ndarray
    po_id: np.ndarray
    ir_id: np.ndarray
    acc_gi: np.ndarray  # per delivery
    acc_gr: np.ndarray
    acc_billing: np.ndarray
    acc_payment: np.ndarray
    acc_ir: np.ndarray
    oi_ar: np.ndarray  # per billing open item (Billing.oi_*)
    oi_ap: np.ndarray  # per invoice receipt
    next_numbers: dict[str, int]


def assign_numbers(starts: Mapping[str, int], sales: SalesFlow, billing: Billing,
                   purchasing: PurchasingDocs) -> Numbers:
    """Numbers for every document, and the next free number of each range afterwards."""
    issued = sales.delivery_gi_day >= 0
    gi_day = sales.delivery_gi_day[issued]
    (order_id,) = allocate(starts["sales_order"], [(sales.order_day, 3)])
    (delivery_id,) = allocate(starts["delivery"], [(sales.delivery_created, 5)])
    gr, gi = allocate(starts["material_document"], [(purchasing.grd_day, RANK_GR),
                                                    (gi_day, RANK_GI)])
    billing_rank = np.asarray([RANK_BILLING[0], RANK_BILLING[CANCELLATION],
                               RANK_BILLING[CREDIT_MEMO]])[billing.bd_kind]
    (billing_id,) = allocate(starts["billing_document"], [(billing.bd_day, billing_rank)])
    (payment_id,) = allocate(starts["payment"], [(billing.pay_day, RANK_PAYMENT)])
    (pr_id,) = allocate(starts["purchase_requisition"], [(purchasing.pr_day, RANK_PR)])
    (po_id,) = allocate(starts["purchase_order"], [(purchasing.po_day, RANK_PO)])
    (ir_id,) = allocate(starts["invoice_receipt"], [(purchasing.ir_day, RANK_IR)])
    acc_gr, acc_gi, acc_billing, acc_payment, acc_ir = allocate(
        starts["accounting_document"],
        [(purchasing.grd_day, RANK_GR), (gi_day, RANK_GI), (billing.bd_day, billing_rank),
         (billing.pay_day, RANK_PAYMENT), (purchasing.ir_day, RANK_IR)])
    oi_rank = np.where(billing.oi_residual_of >= 0, RANK_PAYMENT,
                       billing_rank[np.maximum(billing.oi_doc, 0)])
    oi_ar, oi_ap = allocate(starts["open_item"], [(billing.oi_day, oi_rank),
                                                  (purchasing.ir_day, RANK_IR)])
    gi_doc = np.full(len(issued), -1)
    gi_doc[issued] = gi
    acc_gi_full = np.full(len(issued), -1)
    acc_gi_full[issued] = acc_gi
    used = {
        "sales_order": order_id, "delivery": delivery_id,
        "material_document": np.concatenate([gr, gi]), "billing_document": billing_id,
        "payment": payment_id, "purchase_requisition": pr_id, "purchase_order": po_id,
        "invoice_receipt": ir_id,
        "accounting_document": np.concatenate([acc_gr, acc_gi, acc_billing, acc_payment,
                                               acc_ir]),
        "open_item": np.concatenate([oi_ar, oi_ap]),
    }
    next_numbers = {name: starts[name] + len(values) for name, values in used.items()}
    return Numbers(order_id=order_id, delivery_id=delivery_id, gi_doc=gi_doc, gr_doc=gr,
                   billing_id=billing_id, payment_id=payment_id, pr_id=pr_id, po_id=po_id,
                   ir_id=ir_id, acc_gi=acc_gi_full, acc_gr=acc_gr, acc_billing=acc_billing,
                   acc_payment=acc_payment, acc_ir=acc_ir, oi_ar=oi_ar, oi_ap=oi_ap,
                   next_numbers=next_numbers)
