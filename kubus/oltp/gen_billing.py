"""Order-to-cash simulation, part 2: billing documents, open items and incoming payments.

Follows the rules of ``services/billing.py`` and ``services/payments.py`` exactly: an invoice
bills one goods-issued delivery (tax per item, rounded half up, the header sums the items); a
cancellation copies the invoice's items and clears its open item; a credit memo credits part of
one invoice item and is a negative open item; cash discount is a percentage of the gross open
amount, granted only on a full payment on or before the discount date; a partial payment leaves
a residual open item with the original due and discount dates.

Shares: about 1.5% of invoices are cancelled and billed again the same day, 2% get a credit
memo, 5% are paid in two parts, 20% are paid after the due date; whatever falls after the as-of
date is still open. Money is integer cents; percentages are integer thousandths of a percent.

Example::

    billing = simulate_billing(rng, master, sales, as_of=20_000)
    billing.pay_amount.sum()     # cents received
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kubus.oltp.gen_distributions import pick
from kubus.oltp.gen_master import TERMS, Master
from kubus.oltp.gen_sales import SalesFlow

__all__ = [
    "CANCELLATION",
    "CREDIT_MEMO",
    "INVOICE",
    "Billing",
    "round_percent",
    "simulate_billing",
]

INVOICE, CANCELLATION, CREDIT_MEMO = 0, 1, 2
CANCEL_SHARE = 0.015
CREDIT_SHARE = 0.02
PARTIAL_SHARE = 0.05
EARLY_SHARE = 0.55  # of invoices with cash-discount terms
LATE_SHARE = 0.20


def round_percent(cents: np.ndarray, milli_percent: np.ndarray | int) -> np.ndarray:
    """``cents * percent / 100`` rounded half up (``amounts.percent_of``) for cents >= 0."""
    return (np.asarray(cents, dtype=np.int64) * milli_percent + 50_000) // 100_000


@dataclass(frozen=True)
class Billing:
    """Billing documents, their items, open items and payments as parallel arrays.

    Billing documents are sorted by (day, kind); ``bd_ref`` is the cancelled or credited
    invoice (-1). Items: ``bi_doc``, ``bi_ditem`` (delivery item), ``bi_source`` (the copied
    invoice item for cancellations and credit memos, -1). Open items: ``oi_doc`` (billing
    document), ``oi_residual_of`` (-1), ``oi_day`` (posting), ``oi_pay`` (the payment that
    created a residual, -1), ``oi_cleared_pay`` / ``oi_cleared_cancel`` (-1), ``oi_cleared_day``.
    Payment items: ``pi_pay``, ``pi_item`` (open item), ``pi_paid``, ``pi_discount``,
    ``pi_residual`` (open item, -1).
    """

    bd_kind: np.ndarray
    bd_day: np.ndarray
    bd_order: np.ndarray
    bd_ref: np.ndarray
    bd_net: np.ndarray
    bd_tax: np.ndarray
    bi_doc: np.ndarray
    bi_ditem: np.ndarray
    bi_source: np.ndarray
    bi_qty: np.ndarray
    bi_net: np.ndarray
    bi_tax: np.ndarray
    oi_doc: np.ndarray
    oi_residual_of: np.ndarray
    oi_day: np.ndarray
    oi_amount: np.ndarray
    oi_pay: np.ndarray
    oi_cleared_pay: np.ndarray
    oi_cleared_cancel: np.ndarray
    oi_cleared_day: np.ndarray
    pay_day: np.ndarray
    pay_doc: np.ndarray  # the invoice a payment is for
    pay_amount: np.ndarray
    pi_pay: np.ndarray
    pi_item: np.ndarray
    pi_paid: np.ndarray
    pi_discount: np.ndarray
    pi_residual: np.ndarray

    @property
    def bd_gross(self) -> np.ndarray:
        return np.asarray(self.bd_net + self.bd_tax)


def billing_item_numbers(billing: Billing) -> np.ndarray:
    """Item numbers: invoices number 10, 20, ...; cancellations and credit memos copy theirs."""
    doc = billing.bi_doc
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]]) if len(doc) else doc
    own = 10 * (np.arange(len(doc)) - np.repeat(starts, np.diff(np.append(starts, len(doc))))
                + 1)
    item_no = own.copy()
    copied = billing.bi_source >= 0
    item_no[copied] = own[billing.bi_source[copied]]
    return np.asarray(item_no)


def _terms(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(discount days, discount milli-percent, net days) of terms indexes."""
    days = np.asarray([t[2] for t in TERMS])[terms]
    percent = np.round(np.asarray([t[3] for t in TERMS]) * 1000).astype(np.int64)[terms]
    return days, percent, np.asarray([t[4] for t in TERMS])[terms]


def simulate_billing(rng: np.random.Generator, master: Master, sales: SalesFlow, *,
                     as_of: int, tax_milli: np.ndarray) -> Billing:
    """Invoices, cancellations, credit memos and payments of the goods-issued deliveries.

    ``tax_milli`` is each order item's tax rate in thousandths of a percent.
    """
    issued = np.flatnonzero(sales.delivery_gi_day >= 0)
    lag = np.where(rng.random(len(issued)) < 0.7, 0, rng.integers(1, 4, len(issued)))
    inv_day = sales.delivery_gi_day[issued] + lag
    billed = inv_day <= as_of
    inv_delivery, inv_day = issued[billed], inv_day[billed]
    n_inv = len(inv_delivery)
    cancel_day = inv_day + rng.integers(1, 8, n_inv)
    cancelled = (rng.random(n_inv) < CANCEL_SHARE) & (cancel_day <= as_of)
    # Originals, then one re-invoice per cancelled original on the cancellation day.
    re_idx = np.flatnonzero(cancelled)
    doc_delivery = np.concatenate([inv_delivery, inv_delivery[re_idx]])
    doc_day = np.concatenate([inv_day, cancel_day[re_idx]])
    doc_order = sales.delivery_order[doc_delivery]
    n_docs = len(doc_delivery)
    final = np.concatenate([~cancelled, np.ones(len(re_idx), dtype=bool)])

    # Invoice items: the delivery items of each invoiced delivery, in delivery-item order.
    per_delivery = np.bincount(sales.ditem_delivery, minlength=len(sales.delivery_order))
    first_item = np.cumsum(per_delivery) - per_delivery  # ditems are grouped by delivery
    counts = per_delivery[doc_delivery]
    item_doc = np.repeat(np.arange(n_docs), counts)
    offset = np.arange(len(item_doc)) - np.repeat(np.cumsum(counts) - counts, counts)
    ditem = first_item[doc_delivery][item_doc] + offset
    order_item = sales.ditem_item[ditem]
    qty = sales.ditem_qty[ditem]
    net = qty * sales.item_price[order_item]
    tax = round_percent(net, tax_milli[order_item])

    terms = master.customer_terms[sales.order_customer[doc_order]]  # the order's terms
    disc_days, disc_pct, net_days = _terms(terms)
    doc_net = np.bincount(item_doc, weights=net, minlength=n_docs).astype(np.int64)
    doc_tax = np.bincount(item_doc, weights=tax, minlength=n_docs).astype(np.int64)
    gross = doc_net + doc_tax

    pay = _payments(rng, doc_day, gross, (disc_days, disc_pct, net_days), final)
    credit = _credit_memos(rng, item_doc=item_doc, qty=qty, doc_day=doc_day,
                           final=final & ~pay["partial"], pay_day=pay["first_day"], as_of=as_of)
    return _assemble(sales, cancelled=cancelled, cancel_day=cancel_day,
                     docs=(doc_day, doc_order, doc_net, doc_tax),
                     items=(item_doc, ditem, qty, net, tax), credit=credit, pay=pay,
                     tax_milli=tax_milli, as_of=as_of)


def _payments(rng: np.random.Generator, day: np.ndarray, gross: np.ndarray,
              terms: tuple[np.ndarray, np.ndarray, np.ndarray],
              final: np.ndarray) -> dict[str, np.ndarray]:
    """First (and second, for partial payers) payment day and amount of each invoice.

    55% of invoices with cash-discount terms are paid within the discount period, 20% of all
    after the due date, the rest in between; 5% (never the early payers) in two parts.
    """
    disc_days, disc_pct, net_days = terms
    n = len(day)
    has_discount = disc_pct > 0
    u = rng.random(n)
    early = has_discount & (u < EARLY_SHARE)
    late = ~early & (rng.random(n) < LATE_SHARE / (1.0 - EARLY_SHARE * has_discount))
    window_start = np.where(has_discount, disc_days + 1, 3)
    on_time_day = day + window_start + (rng.random(n) * np.maximum(
        net_days - window_start + 1, 1)).astype(np.int64)
    on_time_day = np.minimum(on_time_day, day + net_days)
    early_day = day + 1 + (rng.random(n) * np.maximum(disc_days, 1)).astype(np.int64)
    late_day = day + net_days + np.minimum(rng.geometric(0.05, n), 120)
    first_day = np.where(early, early_day, np.where(late, late_day, on_time_day))
    partial = final & ~early & (rng.random(n) < PARTIAL_SHARE) & (gross >= 200)
    first_amount = np.where(partial, (gross * rng.uniform(0.3, 0.7, n)).astype(np.int64), gross)
    second_day = np.where(partial, first_day + rng.integers(10, 46, n), -1)
    second_day = np.where(partial, np.maximum(second_day, day + disc_days + 1), -1)
    return {"first_day": np.where(final, first_day, -1), "first_amount": first_amount,
            "partial": partial, "second_day": second_day,
            "discount_day": np.where(has_discount, day + disc_days, -1), "pct": disc_pct}


def _credit_memos(rng: np.random.Generator, *, item_doc: np.ndarray, qty: np.ndarray,
                  doc_day: np.ndarray, final: np.ndarray, pay_day: np.ndarray,
                  as_of: int) -> dict[str, np.ndarray]:
    """One credit memo for part of one item of 2% of the final invoices (before payment)."""
    n_docs = len(doc_day)
    first_of_doc = np.searchsorted(item_doc, np.arange(n_docs))
    n_items = np.bincount(item_doc, minlength=n_docs)
    item = first_of_doc + (rng.random(n_docs) * n_items).astype(np.int64)
    item = np.minimum(item, len(item_doc) - 1)
    limit = np.where(pay_day > 0, np.minimum(pay_day - 1, as_of), np.minimum(as_of, doc_day + 30))
    day = doc_day + 1 + (rng.random(n_docs) * np.maximum(limit - doc_day, 0)).astype(np.int64)
    chosen = (final & (rng.random(n_docs) < CREDIT_SHARE) & (qty[item] >= 2)
              & (day <= limit) & (day <= as_of))
    credit_qty = np.maximum(1, (qty[item] * rng.uniform(0.2, 0.6, n_docs)).astype(np.int64))
    docs = np.flatnonzero(chosen)
    return {"doc": docs, "item": item[docs], "qty": credit_qty[docs], "day": day[docs]}


def _assemble(sales: SalesFlow, *, cancelled: np.ndarray, cancel_day: np.ndarray,
              docs: tuple[np.ndarray, ...], items: tuple[np.ndarray, ...],
              credit: dict[str, np.ndarray], pay: dict[str, np.ndarray],
              tax_milli: np.ndarray, as_of: int) -> Billing:
    """Cancellations, credit memos, open items and payments around the invoices."""
    doc_day, doc_order, doc_net, doc_tax = docs
    item_doc, ditem, qty, net, tax = items
    n_docs = len(doc_day)
    gross = doc_net + doc_tax
    # Cancellations copy the items of the cancelled original.
    c_docs = np.flatnonzero(cancelled)
    c_item_mask = np.isin(item_doc, c_docs)
    c_items = np.flatnonzero(c_item_mask)
    c_doc_of = np.searchsorted(c_docs, item_doc[c_items])
    # Credit memos: one item each.
    m_item = credit["item"]
    m_qty = credit["qty"]
    m_net = m_qty * sales.item_price[sales.ditem_item[ditem[m_item]]]
    m_tax = round_percent(m_net, tax_milli[sales.ditem_item[ditem[m_item]]])
    n_c, n_m = len(c_docs), len(credit["doc"])
    kind = np.concatenate([np.full(n_docs, INVOICE), np.full(n_c, CANCELLATION),
                           np.full(n_m, CREDIT_MEMO)])
    day = np.concatenate([doc_day, cancel_day[c_docs], credit["day"]])
    ref = np.concatenate([np.full(n_docs, -1), c_docs, credit["doc"]])
    order = np.concatenate([doc_order, doc_order[c_docs], doc_order[credit["doc"]]])
    bd_net = np.concatenate([doc_net, doc_net[c_docs], m_net])
    bd_tax = np.concatenate([doc_tax, doc_tax[c_docs], m_tax])
    i_doc = np.concatenate([item_doc, n_docs + c_doc_of, n_docs + n_c + np.arange(n_m)])
    i_ditem = np.concatenate([ditem, ditem[c_items], ditem[m_item]])
    i_source = np.concatenate([np.full(len(item_doc), -1), c_items, m_item])
    i_qty = np.concatenate([qty, qty[c_items], m_qty])
    i_net = np.concatenate([net, net[c_items], m_net])
    i_tax = np.concatenate([tax, tax[c_items], m_tax])
    # Chronological document order: cancellations before the same day's re-invoices.
    rank = np.asarray([1, 0, 2])[kind]
    sort = np.lexsort((np.arange(len(day)), rank, day))
    new_of = np.empty(len(sort), dtype=np.int64)
    new_of[sort] = np.arange(len(sort))
    ref = pick(new_of, ref, -1)[sort]
    i_doc = new_of[i_doc]
    item_sort = np.lexsort((np.arange(len(i_doc)), i_doc))
    i_source_sorted = i_source[item_sort]
    item_new_of = np.empty(len(item_sort), dtype=np.int64)
    item_new_of[item_sort] = np.arange(len(item_sort))
    i_source_sorted = pick(item_new_of, i_source_sorted, -1)
    billing = {"bd_kind": kind[sort], "bd_day": day[sort], "bd_order": order[sort],
               "bd_ref": ref, "bd_net": bd_net[sort], "bd_tax": bd_tax[sort],
               "bi_doc": i_doc[item_sort], "bi_ditem": i_ditem[item_sort],
               "bi_source": i_source_sorted, "bi_qty": i_qty[item_sort],
               "bi_net": i_net[item_sort], "bi_tax": i_tax[item_sort]}
    inv_new = new_of[:n_docs]  # invoice (original or re-invoice) -> sorted document
    cancel_new = new_of[n_docs:n_docs + n_c]
    memo_new = new_of[n_docs + n_c:]
    return _open_items_and_payments(billing, gross=gross, inv_new=inv_new, c_docs=c_docs,
                                    cancel_new=cancel_new, cancel_day=cancel_day[c_docs],
                                    memo_doc=credit["doc"], memo_new=memo_new,
                                    memo_gross=m_net + m_tax, memo_day=credit["day"], pay=pay,
                                    as_of=as_of)


def _open_items_and_payments(billing: dict[str, np.ndarray], *, gross: np.ndarray,
                             inv_new: np.ndarray, c_docs: np.ndarray, cancel_new: np.ndarray,
                             cancel_day: np.ndarray, memo_doc: np.ndarray,
                             memo_new: np.ndarray, memo_gross: np.ndarray,
                             memo_day: np.ndarray, pay: dict[str, np.ndarray],
                             as_of: int) -> Billing:
    n_docs = len(gross)
    doc_day = billing["bd_day"][inv_new]
    memo_of = np.full(n_docs, -1)
    memo_of[memo_doc] = np.arange(len(memo_doc))
    first_day, partial = pay["first_day"], pay["partial"]
    paid1 = (first_day >= 0) & (first_day <= as_of)
    paid2 = partial & paid1 & (pay["second_day"] <= as_of)
    discount = np.where(paid1 & ~partial & (first_day <= pay["discount_day"]),
                        round_percent(gross, pay["pct"]), 0)
    memo_amount = -pick(memo_gross, memo_of, 0)

    # Open items: invoices, credit memos, residuals (index ranges in this order).
    p1 = np.flatnonzero(paid1)
    p2 = np.flatnonzero(paid2)
    residual_docs = np.flatnonzero(partial & paid1)
    n_inv, n_memo, n_res = n_docs, len(memo_doc), len(residual_docs)
    oi_doc = np.concatenate([inv_new, memo_new, inv_new[residual_docs]])
    oi_residual_of = np.concatenate([np.full(n_inv + n_memo, -1), residual_docs])
    oi_day = np.concatenate([doc_day, memo_day, first_day[residual_docs]])
    residual_amount = gross - pay["first_amount"]
    oi_amount = np.concatenate([gross, -memo_gross, residual_amount[residual_docs]])
    res_index = np.full(n_docs, -1)
    res_index[residual_docs] = n_inv + n_memo + np.arange(n_res)

    # Payments: first payments, then second (residual) payments.
    pay_day = np.concatenate([first_day[p1], pay["second_day"][p2]])
    pay_doc = np.concatenate([inv_new[p1], inv_new[p2]])
    amount1 = np.where(partial[p1], pay["first_amount"][p1],
                       gross[p1] - discount[p1] + memo_amount[p1])
    pay_amount = np.concatenate([amount1, residual_amount[p2]])
    items = _payment_items(p1, p2, memo_item=np.where(memo_of >= 0, n_inv + memo_of, -1),
                           memo_amount=memo_amount, paid1=np.where(
                               partial, pay["first_amount"], gross - discount),
                           discount=discount, residual=np.where(partial, res_index, -1),
                           residual_amount=residual_amount, res_index=res_index)
    n_oi = len(oi_doc)
    oi_pay = np.full(n_oi, -1)
    oi_pay[n_inv + n_memo:] = np.searchsorted(p1, residual_docs)  # payment 1 index
    cleared_pay = np.full(n_oi, -1)
    cleared_pay[items["pi_item"]] = items["pi_pay"]
    cleared_cancel = np.full(n_oi, -1)
    cleared_cancel[c_docs] = cancel_new
    cleared_day = pick(pay_day, cleared_pay, -1)
    cleared_day[c_docs] = cancel_day
    return Billing(**billing, oi_doc=oi_doc, oi_residual_of=oi_residual_of, oi_day=oi_day,
                   oi_amount=oi_amount, oi_pay=oi_pay, oi_cleared_pay=cleared_pay,
                   oi_cleared_cancel=cleared_cancel, oi_cleared_day=cleared_day,
                   pay_day=pay_day, pay_doc=pay_doc, pay_amount=pay_amount, **items)


def _payment_items(p1: np.ndarray, p2: np.ndarray, *, memo_item: np.ndarray,
                   memo_amount: np.ndarray, paid1: np.ndarray, discount: np.ndarray,
                   residual: np.ndarray, residual_amount: np.ndarray,
                   res_index: np.ndarray) -> dict[str, np.ndarray]:
    """The items each payment clears, as the payment service orders them: negative items
    (the credit memo) first, then the invoice (first payments ``p1``) or the residual
    (second payments ``p2``). Per-invoice arrays are indexed by invoice; open items by the
    open-item index."""
    n_p1, n_p2 = len(p1), len(p2)
    memo_pos = np.flatnonzero(memo_item[p1] >= 0)
    memo_pay = p1[memo_pos]
    none = np.full(len(memo_pay), -1)
    pi_pay = np.concatenate([memo_pos, np.arange(n_p1), n_p1 + np.arange(n_p2)])
    pi_item = np.concatenate([memo_item[memo_pay], p1, res_index[p2]])
    pi_paid = np.concatenate([memo_amount[memo_pay], paid1[p1], residual_amount[p2]])
    pi_discount = np.concatenate([np.zeros(len(memo_pay), dtype=np.int64), discount[p1],
                                  np.zeros(n_p2, dtype=np.int64)])
    pi_residual = np.concatenate([none, residual[p1], np.full(n_p2, -1)])
    rank = np.concatenate([np.zeros(len(memo_pay)), np.ones(n_p1 + n_p2)])
    sort = np.lexsort((rank, pi_pay))
    return {"pi_pay": pi_pay[sort], "pi_item": pi_item[sort], "pi_paid": pi_paid[sort],
            "pi_discount": pi_discount[sort], "pi_residual": pi_residual[sort]}
