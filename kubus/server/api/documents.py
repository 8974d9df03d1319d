"""Material documents (goods movements, MKPF/MSEG) and accounting documents (BKPF/BSEG).

Goods issue, goods receipt, their reversals and initial stock entries answer with a
:class:`MaterialDocument`, which embeds its accounting document, so the posting of O2C-1's
goods issue (``Dr COGS 480.00 / Cr INVENTORY 480.00``) is in the response itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from kubus.oltp.schema import (
    accounting_document,
    accounting_line,
    material_document,
    material_document_item,
)
from kubus.server.api.operations import Call, Lookup, Operation, Param
from kubus.server.api.rows import from_row, money_of

__all__ = ["OPERATIONS", "AccountingDocument", "MaterialDocument", "read_accounting_document",
           "read_material_document"]

TAG = "Documents"


@dataclass(frozen=True)
class AccountingLine:
    line_no: int
    account: str
    debit: Decimal
    credit: Decimal
    customer_id: str | None
    vendor_id: str | None
    material_id: str | None


@dataclass(frozen=True)
class AccountingDocument:
    """An accounting document: balanced debit and credit lines on named accounts."""

    acc_doc_id: int
    doc_type: str
    posting_date: date
    currency: str
    reference_type: str
    reference_id: int
    reversal_of: int | None
    lines: tuple[AccountingLine, ...]


@dataclass(frozen=True)
class MaterialDocumentItem:
    item_no: int
    movement_type: str
    material_id: str
    plant: str
    storage_location: str
    stock_type: str
    quantity: Decimal
    debit_credit: str
    amount: Decimal
    currency: str
    delivery_id: int | None
    delivery_item: int | None
    order_id: int | None
    order_item: int | None
    po_id: int | None
    po_item: int | None


@dataclass(frozen=True)
class MaterialDocument:
    """A goods movement (601 goods issue, 602 its reversal, 101 goods receipt, 102 its
    reversal, 561 initial stock, 321-344 transfers) with its accounting document."""

    mat_doc_id: int
    movement_type: str
    posting_date: date
    document_date: date
    delivery_id: int | None
    po_id: int | None
    reversal_of: int | None
    reversed_by: int | None
    total_amount: Decimal
    items: tuple[MaterialDocumentItem, ...]
    accounting_document: AccountingDocument | None


def read_accounting_document(conn: sa.Connection, acc_doc_id: int) -> AccountingDocument:
    head = conn.execute(sa.select(accounting_document).where(
        accounting_document.c.acc_doc_id == acc_doc_id)).one()
    lines = conn.execute(sa.select(accounting_line).where(
        accounting_line.c.acc_doc_id == acc_doc_id).order_by(accounting_line.c.line_no)).all()
    return from_row(AccountingDocument, head, lines=tuple(from_row(
        AccountingLine, r, debit=money_of(r.debit), credit=money_of(r.credit)) for r in lines))


def read_material_document(conn: sa.Connection, mat_doc_id: int) -> MaterialDocument:
    md, mdi, ad = material_document, material_document_item, accounting_document
    head = conn.execute(sa.select(md).where(md.c.mat_doc_id == mat_doc_id)).one()
    items = tuple(from_row(MaterialDocumentItem, r, amount=money_of(r.amount))
                  for r in conn.execute(sa.select(mdi).where(mdi.c.mat_doc_id == mat_doc_id)
                                        .order_by(mdi.c.item_no)))
    reversed_by = conn.execute(sa.select(md.c.mat_doc_id).where(
        md.c.reversal_of == mat_doc_id)).scalar()
    acc_doc_id = conn.execute(sa.select(ad.c.acc_doc_id).where(
        ad.c.reference_type == "material_document", ad.c.reference_id == mat_doc_id)).scalar()
    return from_row(
        MaterialDocument, head, reversed_by=reversed_by,
        total_amount=money_of(sum((i.amount for i in items), Decimal(0))), items=items,
        accounting_document=(read_accounting_document(conn, acc_doc_id)
                             if acc_doc_id is not None else None))


def _get_material_document(call: Call) -> MaterialDocument:
    return read_material_document(call.conn, call.path["mat_doc_id"])


def _get_accounting_document(call: Call) -> AccountingDocument:
    return read_accounting_document(call.conn, call.path["acc_doc_id"])


OPERATIONS = (
    Operation("GET", "/material-documents/{mat_doc_id}", "getMaterialDocument",
              "A material document (goods movement) with its accounting document", TAG,
              _get_material_document, MaterialDocument,
              params=(Param("mat_doc_id", int, "Material document number", where="path"),),
              lookups=(Lookup(material_document, ("mat_doc_id",), "unknown_material_document",
                              "material document"),)),
    Operation("GET", "/accounting-documents/{acc_doc_id}", "getAccountingDocument",
              "An accounting document with its lines", TAG, _get_accounting_document,
              AccountingDocument,
              params=(Param("acc_doc_id", int, "Accounting document number", where="path"),),
              lookups=(Lookup(accounting_document, ("acc_doc_id",),
                              "unknown_accounting_document", "accounting document"),)),
)
