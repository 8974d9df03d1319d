"""Goods receipt for a purchase order (101), its reversal (102) and invoice receipt.

Split from :mod:`purchasing` (which re-exports these) to keep modules short; see the posting
rules there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp.accounting import Account, AccountingEntry, Line, post
from kubus.oltp.amounts import ZERO, check_date, check_money, check_quantity, money
from kubus.oltp.docflow import Category, FlowRow, add_flows
from kubus.oltp.errors import BadRequest, Conflict, Invalid, NotFound
from kubus.oltp.numbering import allocate
from kubus.oltp.schema import (
    accounting_document,
    invoice_receipt,
    invoice_receipt_item,
    material_document,
    material_document_item,
    open_item,
    payment_terms,
    purchase_order,
    purchase_order_item,
    vendor,
)
from kubus.oltp.services._common import company_currency, lock_row
from kubus.oltp.services.deliveries import GoodsMovementItem, GoodsMovementResult
from kubus.oltp.status import purchase_order_item_quantities
from kubus.oltp.stock import lock_material_plants, plan_stock_changes, write_stock_changes
from kubus.oltp.store import Bind, transaction
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["GoodsReceiptInput", "GoodsReceiptItemInput", "InvoiceReceiptInput",
           "InvoiceReceiptItemInput", "InvoiceReceiptResult", "ReverseGoodsReceiptInput",
           "post_goods_receipt", "post_invoice_receipt", "reverse_goods_receipt"]


@dataclass(frozen=True)
class GoodsReceiptItemInput:
    po_item: int
    quantity: Decimal
    storage_location: str | None = None


@dataclass(frozen=True)
class GoodsReceiptInput:
    po_id: int
    items: tuple[GoodsReceiptItemInput, ...]


@dataclass(frozen=True)
class ReverseGoodsReceiptInput:
    mat_doc_id: int


@dataclass(frozen=True)
class InvoiceReceiptItemInput:
    po_id: int
    po_item: int
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceReceiptInput:
    """A vendor invoice; ``amount`` per item is net, ``tax_amount`` the input tax."""

    vendor_id: str
    items: tuple[InvoiceReceiptItemInput, ...]
    tax_amount: Decimal = ZERO
    vendor_reference: str = ""
    invoice_date: date | None = None


@dataclass(frozen=True)
class InvoiceReceiptResult:
    invoice_id: int
    acc_doc_id: int
    open_item_id: int
    net_amount: Decimal
    gross_amount: Decimal
    price_difference: Decimal
    due_date: date


def _valuation_lines(material_id: str, at_standard: Decimal, at_po: Decimal,
                     reverse: bool) -> list[Line]:
    """``Dr INVENTORY (standard) / Cr GRIR (PO price)``, the difference to PRICE_DIFFERENCE."""
    diff = at_po - at_standard
    lines = [Line(Account.INVENTORY, debit=at_standard, material_id=material_id),
             Line(Account.GRIR, credit=at_po, material_id=material_id),
             Line(Account.PRICE_DIFFERENCE, debit=max(diff, ZERO), credit=max(-diff, ZERO),
                  material_id=material_id)]
    if reverse:
        lines = [Line(x.account, debit=x.credit, credit=x.debit, material_id=material_id)
                 for x in lines]
    return lines


def post_goods_receipt(bind: Bind, request: GoodsReceiptInput, *,
                       posting_date: date) -> GoodsMovementResult:
    """Receive goods for a purchase order (101) into unrestricted stock."""
    check_date(posting_date, "posting_date")
    if not request.items:
        raise BadRequest("no_items", "a goods receipt needs at least one item")
    with transaction(bind) as conn:
        lock_row(conn, purchase_order, "po_id", request.po_id, "purchase order")
        items = {r.item_no: r for r in conn.execute(sa.select(purchase_order_item).where(
            purchase_order_item.c.po_id == request.po_id))}
        done = {r.item_no: r for r in conn.execute(purchase_order_item_quantities(
            request.po_id))}
        wanted: dict[int, Decimal] = defaultdict(lambda: ZERO)
        moves = []
        for n, item in enumerate(request.items, start=1):
            qty = check_quantity(item.quantity, f"items[{n}].quantity")
            row = items.get(item.po_item)
            if row is None:
                raise NotFound("unknown_po_item", f"purchase order {request.po_id} has no "
                               f"item {item.po_item}", po_id=request.po_id)
            wanted[item.po_item] += qty
            open_qty = row.quantity - done[item.po_item].received_qty
            if wanted[item.po_item] > open_qty:
                raise Conflict("over_receipt", f"item {item.po_item}: {wanted[item.po_item]} "
                               f"received but only {open_qty} open", po_id=request.po_id,
                               open_qty=str(open_qty))
            moves.append((row, qty, item.storage_location or row.storage_location))
        return _move(conn, moves, posting_date, reverse=None)


def reverse_goods_receipt(bind: Bind, request: ReverseGoodsReceiptInput, *,
                          posting_date: date) -> GoodsMovementResult:
    """Reverse a goods receipt (102): stock goes back down, so it must still be there."""
    check_date(posting_date, "posting_date")
    with transaction(bind) as conn:
        doc = lock_row(conn, material_document, "mat_doc_id", request.mat_doc_id,
                       "material document")
        if doc.movement_type != "101":
            raise Invalid("not_a_goods_receipt", f"material document {doc.mat_doc_id} is a "
                          f"{doc.movement_type} movement, not a goods receipt (101)",
                          mat_doc_id=doc.mat_doc_id)
        reversed_by = conn.execute(sa.select(material_document.c.mat_doc_id).where(
            material_document.c.reversal_of == doc.mat_doc_id)).scalar()
        if reversed_by is not None:
            raise Conflict("already_reversed", f"material document {doc.mat_doc_id} is "
                           f"reversed by {reversed_by}", mat_doc_id=doc.mat_doc_id)
        lock_row(conn, purchase_order, "po_id", doc.po_id, "purchase order")
        poi, mdi = purchase_order_item, material_document_item
        rows = conn.execute(
            sa.select(poi, mdi.c.quantity.label("moved"),
                      mdi.c.storage_location.label("sloc"))
            .select_from(mdi.join(poi, sa.and_(poi.c.po_id == mdi.c.po_id,
                                               poi.c.item_no == mdi.c.po_item)))
            .where(mdi.c.mat_doc_id == doc.mat_doc_id).order_by(mdi.c.item_no)).all()
        return _move(conn, [(r, r.moved, r.sloc) for r in rows], posting_date,
                     reverse=doc.mat_doc_id)


def _move(conn: sa.Connection, moves: list[tuple[Any, Decimal, str]], posting_date: date, *,
          reverse: int | None) -> GoodsMovementResult:
    sign = Decimal(-1) if reverse is not None else Decimal(1)
    movement = "102" if reverse is not None else "101"
    locked = lock_material_plants(conn, {(r.material_id, r.plant) for r, _, _ in moves})
    deltas: dict[tuple[str, str, str, str], Decimal] = defaultdict(lambda: ZERO)
    for row, qty, sloc in moves:
        deltas[(row.material_id, row.plant, sloc, "U")] += sign * qty
    plan = plan_stock_changes(conn, deltas)
    numbers = allocate(conn, {"material_document": 1, "accounting_document": 1})
    mat_doc_id = numbers["material_document"][0]
    acc_doc_id = numbers["accounting_document"][0]
    currency = company_currency(conn)
    po_id = moves[0][0].po_id
    rows, lines, flows, results = [], [], [], []
    for n, (row, qty, sloc) in enumerate(moves, start=1):
        at_standard = money(qty * locked[(row.material_id, row.plant)].standard_price)
        at_po = money(qty * row.net_price)
        rows.append({"mat_doc_id": mat_doc_id, "item_no": n, "movement_type": movement,
                     "material_id": row.material_id, "plant": row.plant,
                     "storage_location": sloc, "stock_type": "U", "quantity": qty,
                     "debit_credit": "H" if reverse else "S", "amount": at_standard,
                     "currency": currency, "po_id": po_id, "po_item": row.item_no})
        lines += _valuation_lines(row.material_id, at_standard, at_po, reverse is not None)
        flows.append(FlowRow(Category.PURCHASE_ORDER, po_id, row.item_no,
                             Category.GOODS_MOVEMENT, mat_doc_id, n, qty, at_po, movement))
        results.append(GoodsMovementItem(n, row.material_id, qty, at_po))
    unit = UnitOfWork(conn)
    unit.insert(material_document, [{
        "mat_doc_id": mat_doc_id, "movement_type": movement, "posting_date": posting_date,
        "document_date": posting_date, "po_id": po_id, "reversal_of": reverse}])
    write_stock_changes(unit, plan)  # first: movement items refer to stock rows
    unit.insert(material_document_item, rows)
    original_acc = None if reverse is None else conn.execute(
        sa.select(accounting_document.c.acc_doc_id).where(
            accounting_document.c.reference_type == "material_document",
            accounting_document.c.reference_id == reverse)).scalar()
    post(unit, AccountingEntry(acc_doc_id, "WE", posting_date, currency, "material_document",
                               mat_doc_id, tuple(lines), reversal_of=original_acc))
    add_flows(unit, flows, posting_date)
    unit.finish()
    return GoodsMovementResult(mat_doc_id, acc_doc_id, movement,
                               sum((r.amount for r in results), ZERO), tuple(results))


def post_invoice_receipt(bind: Bind, request: InvoiceReceiptInput, *,
                         posting_date: date) -> InvoiceReceiptResult:
    """Post a vendor invoice against received PO quantities (three-way match)."""
    check_date(posting_date, "posting_date")
    invoice_date = request.invoice_date or posting_date
    check_date(invoice_date, "invoice_date")
    tax_amount = check_money(request.tax_amount, "tax_amount")
    if not request.items:
        raise BadRequest("no_items", "an invoice receipt needs at least one item")
    checked = [(item, check_quantity(item.quantity, f"items[{n}].quantity"),
                check_money(item.amount, f"items[{n}].amount"))
               for n, item in enumerate(request.items, start=1)]
    with transaction(bind) as conn:
        supplier = lock_row(conn, vendor, "vendor_id", request.vendor_id, "vendor")
        lines, items, price_difference = _match(conn, request.vendor_id, checked)
        net = sum((i["amount"] for i in items), ZERO)
        gross = net + tax_amount
        lines += [Line(Account.INPUT_TAX, debit=tax_amount),
                  Line(Account.VENDOR, credit=gross, vendor_id=request.vendor_id)]
        terms = conn.execute(sa.select(payment_terms).where(
            payment_terms.c.terms == supplier.payment_terms)).one()
        due = invoice_date + timedelta(days=terms.net_days)
        numbers = allocate(conn, {"invoice_receipt": 1, "accounting_document": 1,
                                  "open_item": 1})
        invoice_id = numbers["invoice_receipt"][0]
        acc_doc_id = numbers["accounting_document"][0]
        open_item_id = numbers["open_item"][0]
        unit = UnitOfWork(conn)
        post(unit, AccountingEntry(acc_doc_id, "RE", posting_date, supplier.currency,
                                   "invoice_receipt", invoice_id, tuple(lines)))
        unit.insert(invoice_receipt, [{
            "invoice_id": invoice_id, "vendor_id": request.vendor_id,
            "invoice_date": invoice_date, "posting_date": posting_date,
            "currency": supplier.currency, "net_amount": net, "tax_amount": tax_amount,
            "gross_amount": gross, "due_date": due,
            "vendor_reference": request.vendor_reference, "acc_doc_id": acc_doc_id}])
        unit.insert(invoice_receipt_item, [{"invoice_id": invoice_id, **i} for i in items])
        unit.insert(open_item, [{
            "open_item_id": open_item_id, "kind": "AP", "vendor_id": request.vendor_id,
            "acc_doc_id": acc_doc_id, "invoice_id": invoice_id, "posting_date": posting_date,
            "currency": supplier.currency, "amount": gross, "baseline_date": invoice_date,
            "due_date": due, "discount_percent": terms.discount_percent,
            "discount_date": (invoice_date + timedelta(days=terms.discount_days)
                              if terms.discount_percent > 0 else None)}])
        add_flows(unit, [FlowRow(Category.PURCHASE_ORDER, i["po_id"], i["po_item"],
                                 Category.INVOICE_RECEIPT, invoice_id, i["item_no"],
                                 i["quantity"], i["amount"]) for i in items], posting_date)
        unit.finish()
    return InvoiceReceiptResult(invoice_id, acc_doc_id, open_item_id, net, gross,
                                price_difference, due)


def _match(conn: sa.Connection, vendor_id: str,
           checked: list[tuple[InvoiceReceiptItemInput, Decimal, Decimal]]
           ) -> tuple[list[Line], list[dict[str, Any]], Decimal]:
    """The three-way match: lock the POs, check each item against what was received and not
    yet invoiced; the GR/IR and price-difference lines, the item rows, the price difference."""
    po_rows = {}
    for po_id in sorted({item.po_id for item, _, _ in checked}):
        po = lock_row(conn, purchase_order, "po_id", po_id, "purchase order")
        if po.vendor_id != vendor_id:
            raise Invalid("wrong_vendor", f"purchase order {po_id} is with vendor "
                          f"{po.vendor_id}", po_id=po_id)
        po_rows[po_id] = {r.item_no: r for r in conn.execute(
            purchase_order_item_quantities(po_id))}
    taken: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    lines: list[Line] = []
    items: list[dict[str, Any]] = []
    price_difference = ZERO
    for n, (item, qty, amount) in enumerate(checked, start=1):
        row = po_rows[item.po_id].get(item.po_item)
        if row is None:
            raise NotFound("unknown_po_item", f"purchase order {item.po_id} has no item "
                           f"{item.po_item}", po_id=item.po_id)
        taken[(item.po_id, item.po_item)] += qty
        invoiceable = row.received_qty - row.invoiced_qty
        if taken[(item.po_id, item.po_item)] > invoiceable:
            raise Invalid("quantity_not_received",
                          f"{item.po_id}/{item.po_item}: {qty} invoiced but only "
                          f"{invoiceable} received and not yet invoiced",
                          po_id=item.po_id, invoiceable=str(invoiceable))
        grir = money(qty * row.net_price)
        diff = amount - grir
        price_difference += diff
        lines += [Line(Account.GRIR, debit=grir),
                  Line(Account.PRICE_DIFFERENCE, debit=max(diff, ZERO), credit=max(-diff, ZERO))]
        items.append({"item_no": n, "po_id": item.po_id, "po_item": item.po_item,
                      "quantity": qty, "amount": amount})
    return lines, items, price_difference
