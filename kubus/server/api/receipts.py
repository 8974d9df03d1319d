"""Goods receipts for purchase orders (101) with their reversal (102), and vendor invoice
receipts (three-way match: only received, not yet invoiced quantities are invoiced)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from kubus.oltp.schema import (
    invoice_receipt,
    invoice_receipt_item,
    material_document,
    open_item,
    purchase_order_item,
)
from kubus.oltp.services.purchasing import (
    GoodsReceiptInput,
    InvoiceReceiptInput,
    ReverseGoodsReceiptInput,
    post_goods_receipt,
    post_invoice_receipt,
    reverse_goods_receipt,
)
from kubus.server.api.deliveries import PostingDate
from kubus.server.api.documents import (
    AccountingDocument,
    MaterialDocument,
    read_accounting_document,
    read_material_document,
)
from kubus.server.api.operations import Body, Call, Created, Lookup, Operation, Page, Param, url
from kubus.server.api.paging import PAGING, page
from kubus.server.api.payments import OpenItem, read_open_items
from kubus.server.api.rows import date_range, date_range_params, from_row, money_of, qty

__all__ = ["OPERATIONS", "read_invoice_receipt"]

TAG = "Goods and invoice receipts"
RECEIPT_MOVEMENTS = ("101", "102")


@dataclass(frozen=True)
class GoodsMovementSummary:
    """A goods receipt (101) or its reversal (102)."""

    mat_doc_id: int
    movement_type: str
    posting_date: date
    po_id: int | None
    reversal_of: int | None


@dataclass(frozen=True)
class InvoiceReceiptItem:
    item_no: int
    po_id: int
    po_item: int
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceReceiptSummary:
    invoice_id: int
    vendor_id: str
    invoice_date: date
    posting_date: date
    currency: str
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal
    due_date: date
    vendor_reference: str
    acc_doc_id: int


@dataclass(frozen=True)
class InvoiceReceipt(InvoiceReceiptSummary):
    """A vendor invoice with its items, the price difference to the purchase orders, its
    accounting document (Dr GRIR, PRICE_DIFFERENCE, INPUT_TAX / Cr VENDOR) and payable."""

    price_difference: Decimal
    items: tuple[InvoiceReceiptItem, ...]
    accounting_document: AccountingDocument
    open_items: tuple[OpenItem, ...]


def _money(row: sa.Row[object]) -> dict[str, Decimal]:
    m = row._mapping
    return {k: money_of(m[k]) for k in ("net_amount", "tax_amount", "gross_amount")}


def read_invoice_receipt(conn: sa.Connection, invoice_id: int) -> InvoiceReceipt:
    head = conn.execute(sa.select(invoice_receipt).where(
        invoice_receipt.c.invoice_id == invoice_id)).one()
    iri, poi = invoice_receipt_item, purchase_order_item
    rows = conn.execute(
        sa.select(iri, poi.c.net_price)
        .select_from(iri.join(poi, sa.and_(poi.c.po_id == iri.c.po_id,
                                           poi.c.item_no == iri.c.po_item)))
        .where(iri.c.invoice_id == invoice_id).order_by(iri.c.item_no)).all()
    items = tuple(from_row(InvoiceReceiptItem, r, quantity=qty(r.quantity),
                           amount=money_of(r.amount)) for r in rows)
    difference = sum((money_of(r.amount) - money_of(qty(r.quantity) * r.net_price)
                      for r in rows), Decimal("0.00"))
    return from_row(InvoiceReceipt, head, **_money(head), price_difference=difference,
                    items=items, accounting_document=read_accounting_document(
                        conn, head.acc_doc_id),
                    open_items=read_open_items(conn, open_item.c.invoice_id == invoice_id))


def _list_goods_receipts(call: Call) -> Page[GoodsMovementSummary]:
    args, md = call.query, material_document
    query = sa.select(md).where(md.c.movement_type.in_(RECEIPT_MOVEMENTS))
    if args.get("po_id") is not None:
        query = query.where(md.c.po_id == args["po_id"])
    query = date_range(query, md.c.posting_date, args)
    return page(call.conn, query, [md.c.mat_doc_id], args,
                lambda r: from_row(GoodsMovementSummary, r))


def _post_goods_receipt(call: Call) -> Created[MaterialDocument]:
    result = post_goods_receipt(call.conn, call.body,
                                posting_date=call.date_or_today("posting_date"))
    return Created(read_material_document(call.conn, result.mat_doc_id),
                   url("goods-receipts", result.mat_doc_id))


def _reverse_goods_receipt(call: Call) -> Created[MaterialDocument]:
    result = reverse_goods_receipt(call.conn, call.body,
                                   posting_date=call.date_or_today("posting_date"))
    return Created(read_material_document(call.conn, result.mat_doc_id),
                   url("goods-receipts", result.mat_doc_id))


def _list_invoices(call: Call) -> Page[InvoiceReceiptSummary]:
    args, ir = call.query, invoice_receipt
    query = sa.select(ir)
    if args.get("vendor"):
        query = query.where(ir.c.vendor_id == args["vendor"])
    if args.get("po_id") is not None:
        iri = invoice_receipt_item
        query = query.where(sa.exists().where(iri.c.invoice_id == ir.c.invoice_id,
                                              iri.c.po_id == args["po_id"]))
    query = date_range(query, ir.c.posting_date, args)
    return page(call.conn, query, [ir.c.invoice_id], args,
                lambda r: from_row(InvoiceReceiptSummary, r, **_money(r)))


def _post_invoice(call: Call) -> Created[InvoiceReceipt]:
    result = post_invoice_receipt(call.conn, call.body,
                                  posting_date=call.date_or_today("posting_date"))
    return Created(read_invoice_receipt(call.conn, result.invoice_id),
                   url("invoice-receipts", result.invoice_id))


MAT_DOC_ID = Param("mat_doc_id", int, "Material document number of the goods receipt",
                   where="path")
RECEIPT = Lookup(material_document, ("mat_doc_id",), "unknown_goods_receipt", "goods receipt",
                 where=lambda t: t.c.movement_type.in_(RECEIPT_MOVEMENTS))

OPERATIONS = (
    Operation("GET", "/goods-receipts", "listGoodsReceipts",
              "List goods receipts and their reversals", TAG, _list_goods_receipts,
              GoodsMovementSummary, paged=True, params=(
                  Param("po_id", int, "Only receipts for this purchase order."),
                  *date_range_params("posting date"), *PAGING)),
    Operation("POST", "/goods-receipts", "postGoodsReceipt",
              "Post a goods receipt (101) for a purchase order", TAG, _post_goods_receipt,
              MaterialDocument, status=201, body=Body(GoodsReceiptInput, PostingDate),
              description="Raises unrestricted stock; Dr INVENTORY at standard price / Cr "
                          "GRIR at the PO price (a difference to PRICE_DIFFERENCE). More than "
                          "is open on the item is an over-receipt (409)."),
    Operation("GET", "/goods-receipts/{mat_doc_id}", "getGoodsReceipt",
              "A goods receipt (or its reversal) with its accounting document", TAG,
              lambda call: read_material_document(call.conn, call.path["mat_doc_id"]),
              MaterialDocument, params=(MAT_DOC_ID,), lookups=(RECEIPT,)),
    Operation("POST", "/goods-receipts/{mat_doc_id}/reversal", "reverseGoodsReceipt",
              "Reverse a goods receipt (102)", TAG, _reverse_goods_receipt, MaterialDocument,
              status=201, params=(MAT_DOC_ID,), lookups=(RECEIPT,),
              body=Body(ReverseGoodsReceiptInput, PostingDate, from_path=("mat_doc_id",)),
              description="The received stock must still be there (else 409)."),
    Operation("GET", "/invoice-receipts", "listInvoiceReceipts", "List vendor invoices", TAG,
              _list_invoices, InvoiceReceiptSummary, paged=True, params=(
                  Param("vendor", str, "Only invoices of this vendor."),
                  Param("po_id", int, "Only invoices for this purchase order."),
                  *date_range_params("posting date"), *PAGING)),
    Operation("POST", "/invoice-receipts", "postInvoiceReceipt", "Post a vendor invoice",
              TAG, _post_invoice, InvoiceReceipt, status=201,
              body=Body(InvoiceReceiptInput, PostingDate),
              description="Three-way match: invoicing more than was received and not yet "
                          "invoiced is a 422. Clears GR/IR at the PO price; the difference "
                          "goes to PRICE_DIFFERENCE."),
    Operation("GET", "/invoice-receipts/{invoice_id}", "getInvoiceReceipt",
              "A vendor invoice with its posting", TAG,
              lambda call: read_invoice_receipt(call.conn, call.path["invoice_id"]),
              InvoiceReceipt,
              params=(Param("invoice_id", int, "Invoice receipt number", where="path"),),
              lookups=(Lookup(invoice_receipt, ("invoice_id",), "unknown_invoice_receipt",
                              "invoice receipt"),)),
)
