"""Incoming payments that clear open receivables (with cash discount), and the open items
(receivables of customers, payables to vendors) themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa

from kubus.oltp.schema import open_item, payment, payment_item
from kubus.oltp.services.payments import IncomingPaymentInput, post_incoming_payment
from kubus.server.api.operations import Body, Call, Created, Lookup, Operation, Page, Param, url
from kubus.server.api.paging import PAGING, page
from kubus.server.api.rows import date_range, date_range_params, from_row, money_of, qty

__all__ = ["OPERATIONS", "OpenItem", "Payment", "read_open_items", "read_payment"]

TAG = "Payments"


@dataclass(frozen=True)
class PaymentDate:
    #: The value date of the payment: decides the cash discount (default today).
    payment_date: date | None = None


@dataclass(frozen=True)
class OpenItem:
    """A receivable (kind AR: of a customer, the payer) or payable (AP: to a vendor);
    ``amount`` is signed (a credit memo is negative). ``status`` is ``open`` until a payment
    or cancellation clears it (``cleared_by`` is that accounting document)."""

    open_item_id: int
    kind: str
    customer_id: str | None
    vendor_id: str | None
    acc_doc_id: int
    billing_id: int | None
    invoice_id: int | None
    residual_of: int | None
    posting_date: date
    currency: str
    amount: Decimal
    baseline_date: date
    due_date: date
    discount_date: date | None
    discount_percent: Decimal
    cleared_by: int | None
    cleared_on: date | None
    status: Literal["open", "cleared"]


@dataclass(frozen=True)
class PaymentItem:
    """One cleared item: its amount, the cash applied, the discount granted, how late it was
    paid and the residual item a partial payment left."""

    open_item_id: int
    billing_id: int | None
    item_amount: Decimal
    paid: Decimal
    discount: Decimal
    due_date: date
    days_past_due: int
    residual_item_id: int | None


@dataclass(frozen=True)
class PaymentSummary:
    payment_id: int
    payer: str
    payment_date: date
    amount: Decimal
    currency: str
    reference: str
    acc_doc_id: int


@dataclass(frozen=True)
class Payment(PaymentSummary):
    """An incoming payment with the items it cleared and the cash discount granted."""

    discount: Decimal
    items: tuple[PaymentItem, ...]


def _open_item(row: Any) -> OpenItem:
    return from_row(OpenItem, row, amount=money_of(row.amount),
                    discount_percent=qty(row.discount_percent),
                    status="open" if row.cleared_by is None else "cleared")


def read_open_items(conn: sa.Connection, condition: sa.ColumnElement[bool]
                    ) -> tuple[OpenItem, ...]:
    return tuple(_open_item(r) for r in conn.execute(
        sa.select(open_item).where(condition).order_by(open_item.c.open_item_id)))


def read_payment(conn: sa.Connection, payment_id: int) -> Payment:
    head = conn.execute(sa.select(payment).where(payment.c.payment_id == payment_id)).one()
    pi, oi = payment_item, open_item
    rows = conn.execute(
        sa.select(pi, oi.c.billing_id, oi.c.amount.label("item_amount"), oi.c.due_date)
        .select_from(pi.join(oi, oi.c.open_item_id == pi.c.open_item_id))
        .where(pi.c.payment_id == payment_id).order_by(oi.c.due_date, pi.c.open_item_id)).all()
    items = tuple(PaymentItem(
        r.open_item_id, r.billing_id, money_of(r.item_amount), money_of(r.amount),
        money_of(r.discount), r.due_date, max((head.payment_date - r.due_date).days, 0),
        r.residual_item_id) for r in rows)
    return from_row(Payment, head, amount=money_of(head.amount),
                    discount=money_of(sum((i.discount for i in items), Decimal(0))),
                    items=items)


def _list_payments(call: Call) -> Page[PaymentSummary]:
    args = call.query
    query = sa.select(payment)
    if args.get("payer"):
        query = query.where(payment.c.payer == args["payer"])
    query = date_range(query, payment.c.payment_date, args)
    return page(call.conn, query, [payment.c.payment_id], args,
                lambda r: from_row(PaymentSummary, r, amount=money_of(r.amount)))


def _get_payment(call: Call) -> Payment:
    return read_payment(call.conn, call.path["payment_id"])


def _post_payment(call: Call) -> Created[Payment]:
    result = post_incoming_payment(call.conn, call.body,
                                   payment_date=call.date_or_today("payment_date"))
    return Created(read_payment(call.conn, result.payment_id),
                   url("payments", result.payment_id))


def _list_open_items(call: Call) -> Page[OpenItem]:
    args, oi = call.query, open_item
    query = sa.select(oi)
    for name, column in (("customer", oi.c.customer_id), ("vendor", oi.c.vendor_id),
                         ("kind", oi.c.kind)):
        if args.get(name):
            query = query.where(column == args[name])
    if args.get("billing_id") is not None:
        query = query.where(oi.c.billing_id == args["billing_id"])
    if args.get("status") == "open":
        query = query.where(oi.c.cleared_by.is_(None))
    elif args.get("status") == "cleared":
        query = query.where(oi.c.cleared_by.is_not(None))
    query = date_range(query, oi.c.due_date, args)
    return page(call.conn, query, [oi.c.open_item_id], args, _open_item)


def _get_open_item(call: Call) -> OpenItem:
    (item,) = read_open_items(call.conn, open_item.c.open_item_id == call.path["open_item_id"])
    return item


OPERATIONS = (
    Operation("GET", "/payments", "listPayments", "List incoming payments", TAG,
              _list_payments, PaymentSummary, paged=True, params=(
                  Param("payer", str, "Only payments of this payer."),
                  *date_range_params("payment date"), *PAGING)),
    Operation("POST", "/payments", "postIncomingPayment",
              "Post an incoming payment and clear open items", TAG, _post_payment, Payment,
              status=201, body=Body(IncomingPaymentInput, PaymentDate),
              description="Clears the named open items or billing documents (or, naming "
                          "neither, the one open item whose amount, with or without its cash "
                          "discount, equals the payment). Cash discount on the gross amount "
                          "when paid in full by the discount date. Paying a cleared item is a "
                          "409; paying more than is due a 422."),
    Operation("GET", "/payments/{payment_id}", "getPayment",
              "A payment with the items it cleared", TAG, _get_payment, Payment,
              params=(Param("payment_id", int, "Payment number", where="path"),),
              lookups=(Lookup(payment, ("payment_id",), "unknown_payment", "payment"),)),
    Operation("GET", "/open-items", "listOpenItems", "List open items (AR and AP)", TAG,
              _list_open_items, OpenItem, paged=True, params=(
                  Param("customer", str, "Only receivables of this customer (payer)."),
                  Param("vendor", str, "Only payables to this vendor."),
                  Param("kind", str, "AR receivables or AP payables.", enum=("AR", "AP")),
                  Param("status", str, "open or cleared.", enum=("open", "cleared")),
                  Param("billing_id", int, "Only the items of this billing document."),
                  *date_range_params("due date"), *PAGING)),
    Operation("GET", "/open-items/{open_item_id}", "getOpenItem", "An open item", TAG,
              _get_open_item, OpenItem,
              params=(Param("open_item_id", int, "Open item number", where="path"),),
              lookups=(Lookup(open_item, ("open_item_id",), "unknown_open_item",
                              "open item"),)),
)
