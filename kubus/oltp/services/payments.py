"""Incoming payments that clear open receivable items, with cash discount.

Decision (domain.md §7.3): the cash discount is taken on the **gross** amount of the item
(net + tax), with no tax correction: 2 % of 892.50 = 17.85 in O2C-1. It is granted when the
payment date is on or before the item's discount date and the payment settles the chosen items
in full. A payment smaller than what is due clears the items it covers in full (negative items
such as credit memos first, then by due date) and the first item it only partly covers, which
leaves a *residual* open item for the rest (same due and discount date); no discount is granted
on a partial payment. Paying more than is due is refused (there are no payments on account).
Clearing an item that is already cleared is a :class:`~kubus.oltp.errors.Conflict`.

Posting: ``Dr BANK (received) + Dr CASH_DISCOUNT_EXPENSE (discount) + Dr AR (residual) /
Cr AR (each cleared item)``. Example (O2C-1)::

    p = post_incoming_payment(engine, IncomingPaymentInput("C1", Decimal("874.65"), "EUR",
                                                           billing_ids=(90031,)),
                              payment_date=date(2024, 3, 20))
    p.discount, p.items[0].days_past_due        # Decimal("17.85"), 0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp.accounting import Account, AccountingEntry, Line, post
from kubus.oltp.amounts import ZERO, check_date, check_money, percent_of
from kubus.oltp.docflow import Category, FlowRow, add_flows
from kubus.oltp.errors import BadRequest, Conflict, Invalid, NotFound
from kubus.oltp.numbering import allocate
from kubus.oltp.schema import billing_document, customer, open_item, payment, payment_item
from kubus.oltp.services._lookup import check_currency
from kubus.oltp.store import Bind, transaction
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["ClearedItem", "IncomingPaymentInput", "PaymentResult", "post_incoming_payment"]


@dataclass(frozen=True)
class IncomingPaymentInput:
    """Money received from a payer for the named open items (or billing documents).

    Naming neither clears the one open item of the payer whose amount (or amount less its
    cash discount) equals the payment.
    """

    payer: str
    amount: Decimal
    currency: str
    open_item_ids: tuple[int, ...] = ()
    billing_ids: tuple[int, ...] = ()
    reference: str = ""


@dataclass(frozen=True)
class ClearedItem:
    open_item_id: int
    billing_id: int | None
    amount: Decimal
    paid: Decimal
    discount: Decimal
    due_date: date
    days_past_due: int
    residual_item_id: int | None


@dataclass(frozen=True)
class PaymentResult:
    payment_id: int
    acc_doc_id: int
    amount: Decimal
    discount: Decimal
    items: tuple[ClearedItem, ...]


def _items(conn: sa.Connection, request: IncomingPaymentInput, on: date) -> list[Any]:
    oi = open_item
    if request.billing_ids:
        ids = [r[0] for r in conn.execute(sa.select(oi.c.open_item_id).where(
            oi.c.billing_id.in_(request.billing_ids), oi.c.kind == "AR",
            oi.c.cleared_by.is_(None)))]
        billed = {r[0] for r in conn.execute(sa.select(billing_document.c.billing_id).where(
            billing_document.c.billing_id.in_(request.billing_ids)))}
        for billing_id in request.billing_ids:
            if billing_id not in billed:
                raise NotFound("unknown_billing_document",
                               f"billing document {billing_id} does not exist",
                               billing_id=billing_id)
        covered = {r[0] for r in conn.execute(sa.select(oi.c.billing_id).where(
            oi.c.open_item_id.in_(ids)))}
        for billing_id in request.billing_ids:
            if billing_id not in covered:
                raise Conflict("already_cleared", f"billing document {billing_id} has no "
                               "open item: it is already paid or cancelled",
                               billing_id=billing_id)
        ids += list(request.open_item_ids)
    elif request.open_item_ids:
        ids = list(request.open_item_ids)
    else:
        ids = _match(conn, request, on)
    if len(set(ids)) != len(ids):
        raise BadRequest("duplicate_item", "an open item is named twice")
    rows = {r.open_item_id: r for r in conn.execute(
        sa.select(oi).where(oi.c.open_item_id.in_(sorted(ids)))
        .order_by(oi.c.open_item_id).with_for_update())}
    for item_id in ids:
        row = rows.get(item_id)
        if row is None or row.kind != "AR":
            raise NotFound("unknown_open_item", f"open receivable {item_id} does not exist",
                           open_item_id=item_id)
        if row.cleared_by is not None:
            raise Conflict("already_cleared", f"open item {item_id} was cleared on "
                           f"{row.cleared_on}", open_item_id=item_id)
        if row.customer_id != request.payer:
            raise Invalid("wrong_payer", f"open item {item_id} is owed by {row.customer_id}, "
                          f"not {request.payer}", open_item_id=item_id)
        if row.currency != request.currency:
            raise Invalid("currency_mismatch", f"open item {item_id} is in {row.currency}",
                          open_item_id=item_id)
    return sorted(rows.values(), key=lambda r: (r.amount >= 0, r.due_date, r.open_item_id))


def _discount(row: Any, on: date) -> Decimal:
    if row.discount_date is not None and on <= row.discount_date and row.discount_percent:
        return percent_of(row.amount, row.discount_percent)
    return ZERO


def _match(conn: sa.Connection, request: IncomingPaymentInput, on: date) -> list[int]:
    oi = open_item
    candidates = conn.execute(sa.select(oi).where(
        oi.c.customer_id == request.payer, oi.c.kind == "AR", oi.c.cleared_by.is_(None),
        oi.c.currency == request.currency).order_by(oi.c.due_date, oi.c.open_item_id)).all()
    for row in candidates:
        if request.amount in (row.amount, row.amount - _discount(row, on)):
            return [row.open_item_id]
    raise Invalid("no_matching_item", f"no open item of {request.payer} matches a payment of "
                  f"{request.amount} {request.currency}; name the items to clear",
                  payer=request.payer)


def post_incoming_payment(bind: Bind, request: IncomingPaymentInput, *,
                          payment_date: date) -> PaymentResult:
    """Post an incoming payment and clear the open items it pays."""
    check_date(payment_date, "payment_date")
    amount = check_money(request.amount, "amount", allow_zero=False)
    with transaction(bind) as conn:
        _check_customer(conn, request.payer)
        check_currency(conn, request.currency)
        rows = _items(conn, request, payment_date)
        discounts = {r.open_item_id: _discount(r, payment_date) for r in rows}
        due_total = sum((r.amount - discounts[r.open_item_id] for r in rows), ZERO)
        if amount > due_total:
            raise Invalid("overpayment", f"{amount} exceeds the {due_total} due on the items",
                          due=str(due_total))
        full = amount == due_total
        plan: list[tuple[Any, Decimal, Decimal, Decimal]] = []  # row, paid, discount, residual
        left = amount
        for row in rows:
            if full:
                plan.append((row, row.amount - discounts[row.open_item_id],
                             discounts[row.open_item_id], ZERO))
            elif left <= 0:
                break
            else:
                paid = min(left, row.amount)
                plan.append((row, paid, ZERO, row.amount - paid))
                left -= paid
        return _write(conn, request, payment_date, amount, plan)


def _check_customer(conn: sa.Connection, payer: str) -> None:
    found = conn.execute(sa.select(customer.c.customer_id)
                         .where(customer.c.customer_id == payer)).scalar()
    if found is None:
        raise NotFound("unknown_customer", f"customer {payer} does not exist",
                       customer_id=payer)


def _write(conn: sa.Connection, request: IncomingPaymentInput, on: date, amount: Decimal,
           plan: list[tuple[Any, Decimal, Decimal, Decimal]]) -> PaymentResult:
    residuals = [p for p in plan if p[3] > 0]
    numbers = allocate(conn, {"payment": 1, "accounting_document": 1,
                              "open_item": len(residuals)})
    payment_id = numbers["payment"][0]
    acc_doc_id = numbers["accounting_document"][0]
    residual_ids = iter(numbers["open_item"])
    unit = UnitOfWork(conn)
    discount_total = sum((p[2] for p in plan), ZERO)
    lines = [Line(Account.BANK, debit=amount),
             Line(Account.CASH_DISCOUNT_EXPENSE, debit=discount_total)]
    new_items, pay_rows, results, flows = [], [], [], []
    categories = dict(conn.execute(sa.select(billing_document.c.billing_id,
                                             billing_document.c.category).where(
        billing_document.c.billing_id.in_({p[0].billing_id for p in plan}))).all())
    for row, paid, discount, residual in plan:
        ar = (Line(Account.AR, credit=row.amount, customer_id=row.customer_id)
              if row.amount > 0 else
              Line(Account.AR, debit=-row.amount, customer_id=row.customer_id))
        lines.append(ar)
        residual_id = None
        if residual > 0:
            residual_id = next(residual_ids)
            lines.append(Line(Account.AR, debit=residual, customer_id=row.customer_id))
            new_items.append({
                **{k: v for k, v in row._mapping.items()
                   if k not in ("open_item_id", "cleared_by", "cleared_on")},
                "open_item_id": residual_id, "acc_doc_id": acc_doc_id,
                "residual_of": row.open_item_id, "posting_date": on, "amount": residual})
        pay_rows.append({"payment_id": payment_id, "open_item_id": row.open_item_id,
                         "amount": paid, "discount": discount,
                         "residual_item_id": residual_id})
        results.append(ClearedItem(row.open_item_id, row.billing_id, row.amount, paid,
                                   discount, row.due_date,
                                   max((on - row.due_date).days, 0), residual_id))
        if row.billing_id is not None:
            flows.append(FlowRow(Category(categories[row.billing_id]), row.billing_id, 0,
                                 Category.ACCOUNTING, acc_doc_id, 0,
                                 None, paid + discount))
    post(unit, AccountingEntry(acc_doc_id, "DZ", on, request.currency, "payment", payment_id,
                               tuple(lines)))
    unit.insert(payment, [{"payment_id": payment_id, "payer": request.payer,
                           "payment_date": on, "amount": amount, "currency": request.currency,
                           "reference": request.reference, "acc_doc_id": acc_doc_id}])
    for row, *_ in plan:
        unit.update(open_item, {"open_item_id": row.open_item_id},
                    {"cleared_by": acc_doc_id, "cleared_on": on})
    unit.insert(open_item, new_items)
    unit.insert(payment_item, pay_rows)
    add_flows(unit, flows, on)
    unit.finish()
    return PaymentResult(payment_id, acc_doc_id, amount, discount_total, tuple(results))

