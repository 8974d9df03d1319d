"""Billing documents (VBRK/VBRP): invoices from goods-issued deliveries, cancellations and
credit memos, each with its receivable (open item) and its clearing status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

import sqlalchemy as sa

from kubus.oltp.schema import billing_document, billing_item, open_item
from kubus.oltp.services.billing import (
    CancellationInput,
    CreditMemoInput,
    InvoiceInput,
    cancel_billing_document,
    create_credit_memo,
    create_invoice,
)
from kubus.server.api.operations import Body, Call, Created, Lookup, Operation, Page, Param, url
from kubus.server.api.paging import PAGING, page
from kubus.server.api.payments import OpenItem, read_open_items
from kubus.server.api.rows import date_range, date_range_params, from_row, money_of, qty

__all__ = ["OPERATIONS", "BillingDocument", "read_billing_document"]

TAG = "Billing"


@dataclass(frozen=True)
class BillingDate:
    #: The billing date: the baseline of the payment terms (default today).
    billing_date: date | None = None


@dataclass(frozen=True)
class CancellationDate:
    #: The date of the cancellation document (default today).
    cancellation_date: date | None = None


@dataclass(frozen=True)
class BillingItem:
    item_no: int
    delivery_id: int | None
    delivery_item: int | None
    order_id: int | None
    order_item: int | None
    material_id: str
    quantity: Decimal
    unit: str
    net_price: Decimal
    net_value: Decimal
    tax_code: str
    tax_rate: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class BillingDocumentSummary:
    """A billing document: F2 invoice (category M), S1 invoice cancellation (N), G2 credit
    memo (O), S2 credit-memo cancellation (S)."""

    billing_id: int
    billing_type: str
    category: str
    billing_date: date
    sold_to: str
    bill_to: str
    payer: str
    currency: str
    payment_terms: str
    net_value: Decimal
    tax_amount: Decimal
    gross_amount: Decimal
    baseline_date: date
    due_date: date
    discount_date: date | None
    discount_percent: Decimal
    cancels_billing_id: int | None
    reference_billing_id: int | None
    acc_doc_id: int


@dataclass(frozen=True)
class BillingDocument(BillingDocumentSummary):
    """A billing document with items, the document that cancels it (if any), and its
    receivables: ``clearing_status`` is ``open``, ``partly_cleared``, ``cleared`` or (no
    receivable: a cancellation) ``none``."""

    cancelled_by: int | None
    clearing_status: Literal["open", "partly_cleared", "cleared", "none"]
    open_items: tuple[OpenItem, ...]
    items: tuple[BillingItem, ...]


def _clearing(items: tuple[OpenItem, ...]) -> Literal["open", "partly_cleared", "cleared",
                                                      "none"]:
    if not items:
        return "none"
    cleared = [i.cleared_by is not None for i in items]
    if all(cleared):
        return "cleared"
    return "partly_cleared" if any(cleared) else "open"


def _money_fields(row: sa.Row[object]) -> dict[str, Decimal]:
    m = row._mapping
    return {"net_value": money_of(m["net_value"]), "tax_amount": money_of(m["tax_amount"]),
            "gross_amount": money_of(m["gross_amount"]),
            "discount_percent": qty(m["discount_percent"])}


def read_billing_document(conn: sa.Connection, billing_id: int) -> BillingDocument:
    bd, bi = billing_document, billing_item
    head = conn.execute(sa.select(bd).where(bd.c.billing_id == billing_id)).one()
    items = tuple(from_row(BillingItem, r, quantity=qty(r.quantity),
                           net_price=money_of(r.net_price), net_value=money_of(r.net_value),
                           tax_rate=qty(r.tax_rate), tax_amount=money_of(r.tax_amount))
                  for r in conn.execute(sa.select(bi).where(bi.c.billing_id == billing_id)
                                        .order_by(bi.c.item_no)))
    cancelled_by = conn.execute(sa.select(bd.c.billing_id).where(
        bd.c.cancels_billing_id == billing_id)).scalar()
    receivables = read_open_items(conn, open_item.c.billing_id == billing_id)
    return from_row(BillingDocument, head, **_money_fields(head), cancelled_by=cancelled_by,
                    clearing_status=_clearing(receivables), open_items=receivables,
                    items=items)


def _list(call: Call) -> Page[BillingDocumentSummary]:
    args, bd = call.query, billing_document
    query = sa.select(bd)
    for name, column in (("customer", bd.c.sold_to), ("payer", bd.c.payer),
                         ("category", bd.c.category)):
        if args.get(name):
            query = query.where(column == args[name])
    if args.get("delivery_id") is not None:
        bi = billing_item
        query = query.where(sa.exists().where(bi.c.billing_id == bd.c.billing_id,
                                              bi.c.delivery_id == args["delivery_id"]))
    query = date_range(query, bd.c.billing_date, args)
    return page(call.conn, query, [bd.c.billing_id], args,
                lambda r: from_row(BillingDocumentSummary, r, **_money_fields(r)))


def _get(call: Call) -> BillingDocument:
    return read_billing_document(call.conn, call.path["billing_id"])


def _created(conn: sa.Connection, billing_id: int) -> Created[BillingDocument]:
    return Created(read_billing_document(conn, billing_id), url("billing-documents", billing_id))


def _invoice(call: Call) -> Created[BillingDocument]:
    result = create_invoice(call.conn, call.body, billing_date=call.date_or_today("billing_date"))
    return _created(call.conn, result.billing_id)


def _cancel(call: Call) -> Created[BillingDocument]:
    result = cancel_billing_document(call.conn, call.body,
                                     cancellation_date=call.date_or_today("cancellation_date"))
    return _created(call.conn, result.billing_id)


def _credit_memo(call: Call) -> Created[BillingDocument]:
    result = create_credit_memo(call.conn, call.body,
                                billing_date=call.date_or_today("billing_date"))
    return _created(call.conn, result.billing_id)


BILLING_ID = Param("billing_id", int, "Billing document number", where="path")
DOCUMENT = Lookup(billing_document, ("billing_id",), "unknown_billing_document",
                  "billing document")

OPERATIONS = (
    Operation("GET", "/billing-documents", "listBillingDocuments", "List billing documents",
              TAG, _list, BillingDocumentSummary, paged=True, params=(
                  Param("customer", str, "Only documents of this sold-to party."),
                  Param("payer", str, "Only documents of this payer."),
                  Param("category", str, "Only this category: M invoice, N invoice "
                        "cancellation, O credit memo, S credit-memo cancellation.",
                        enum=("M", "N", "O", "S")),
                  Param("delivery_id", int, "Only documents billing this delivery."),
                  *date_range_params("billing date"), *PAGING)),
    Operation("POST", "/billing-documents", "createInvoice",
              "Invoice goods-issued deliveries", TAG, _invoice, BillingDocument, status=201,
              body=Body(InvoiceInput, BillingDate),
              description="Bills whole deliveries whose goods issue is posted and that are "
                          "not billed yet (all of one payer, currency and payment terms). "
                          "Tax is computed per item and summed; the due date is the billing "
                          "date plus the net days of the payment terms."),
    Operation("GET", "/billing-documents/{billing_id}", "getBillingDocument",
              "A billing document with items and receivables", TAG, _get, BillingDocument,
              params=(BILLING_ID,), lookups=(DOCUMENT,)),
    Operation("POST", "/billing-documents/{billing_id}/cancellation",
              "cancelBillingDocument", "Cancel an invoice or credit memo", TAG, _cancel,
              BillingDocument, status=201, params=(BILLING_ID,), lookups=(DOCUMENT,),
              body=Body(CancellationInput, CancellationDate, from_path=("billing_id",)),
              description="Creates the cancellation document (N or S) that reverses it; "
                          "not once it is paid (409: issue a credit memo instead)."),
    Operation("POST", "/billing-documents/{billing_id}/credit-memos", "createCreditMemo",
              "Credit (part of) an invoice", TAG, _credit_memo, BillingDocument, status=201,
              params=(BILLING_ID,), lookups=(DOCUMENT,),
              body=Body(CreditMemoInput, BillingDate, from_path=("billing_id",)),
              description="The given items and quantities, or (none given) all that is not "
                          "credited yet; a negative receivable."),
)
