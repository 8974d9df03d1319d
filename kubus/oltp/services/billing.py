"""Billing documents (VBRK/VBRP): invoice from goods-issued deliveries, cancellation, credit memo.

An invoice bills whole deliveries whose goods issue is posted and that are not billed yet. Tax
is computed per billing item (net x rate, rounded half up to cents) and the document's tax is
the sum of its items. The due date is the billing date (the baseline) plus the net days of the
order's payment terms; the cash-discount date the baseline plus the discount days. Posting:
``Dr AR (payer) / Cr REVENUE / Cr OUTPUT_TAX``, and an open receivable item for the gross
amount. Example (O2C-1)::

    inv = create_invoice(engine, InvoiceInput((80017,)), billing_date=date(2024, 3, 12))
    inv.net_value, inv.tax_amount, inv.gross_amount   # 750.00, 142.50, 892.50
    inv.discount_date, inv.due_date                   # 2024-03-22, 2024-04-11
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp.accounting import (
    Account,
    AccountingEntry,
    Line,
    lines_of,
    post,
    reversed_lines,
)
from kubus.oltp.amounts import ZERO, check_date, check_quantity, money, tax
from kubus.oltp.docflow import Category, FlowRow, add_flows
from kubus.oltp.errors import BadRequest, Conflict, Invalid, NotFound
from kubus.oltp.numbering import allocate
from kubus.oltp.schema import (
    billing_document,
    billing_item,
    delivery,
    material_plant,
    open_item,
    payment_terms,
    sales_order,
    sales_order_item,
)
from kubus.oltp.services._common import lock_row
from kubus.oltp.status import delivery_item_quantities
from kubus.oltp.store import Bind, transaction
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["BillingItemResult", "BillingResult", "CancellationInput", "CreditMemoInput",
           "CreditMemoItemInput", "InvoiceInput", "cancel_billing_document",
           "create_credit_memo", "create_invoice"]

_TYPES = {"M": "F2", "N": "S1", "O": "G2", "S": "S2"}


@dataclass(frozen=True)
class InvoiceInput:
    delivery_ids: tuple[int, ...]


@dataclass(frozen=True)
class CancellationInput:
    billing_id: int


@dataclass(frozen=True)
class CreditMemoItemInput:
    """Credit ``quantity`` of item ``item_no`` of the referenced invoice."""

    item_no: int
    quantity: Decimal


@dataclass(frozen=True)
class CreditMemoInput:
    """A credit memo for an invoice: the given items, or (none given) all of it."""

    billing_id: int
    items: tuple[CreditMemoItemInput, ...] = ()


@dataclass(frozen=True)
class BillingItemResult:
    item_no: int
    material_id: str
    quantity: Decimal
    net_value: Decimal
    tax_amount: Decimal
    delivery_id: int | None
    delivery_item: int | None
    order_id: int | None
    order_item: int | None


@dataclass(frozen=True)
class BillingResult:
    billing_id: int
    category: str
    billing_type: str
    payer: str
    currency: str
    net_value: Decimal
    tax_amount: Decimal
    gross_amount: Decimal
    billing_date: date
    due_date: date
    discount_date: date | None
    discount_percent: Decimal
    acc_doc_id: int
    open_item_id: int | None
    items: tuple[BillingItemResult, ...]


def _item(row: dict[str, Any]) -> BillingItemResult:
    return BillingItemResult(row["item_no"], row["material_id"], row["quantity"],
                             row["net_value"], row["tax_amount"], row.get("delivery_id"),
                             row.get("delivery_item"), row.get("order_id"),
                             row.get("order_item"))


def _same(rows: Sequence[Any], field: str, code: str, what: str) -> Any:
    values = {getattr(r, field) for r in rows}
    if len(values) > 1:
        raise Invalid(code, f"the deliveries have different {what}: {sorted(values)}; bill "
                      "them separately")
    return values.pop()


def create_invoice(bind: Bind, request: InvoiceInput, *, billing_date: date) -> BillingResult:
    """Bill goods-issued, unbilled deliveries (all of the same payer and currency)."""
    check_date(billing_date, "billing_date")
    ids = list(request.delivery_ids)
    if not ids:
        raise BadRequest("no_deliveries", "an invoice needs at least one delivery")
    if len(set(ids)) != len(ids):
        raise BadRequest("duplicate_delivery", "a delivery is given twice")
    with transaction(bind) as conn:
        for delivery_id in sorted(ids):
            lock_row(conn, delivery, "delivery_id", delivery_id, "delivery")
        items = conn.execute(delivery_item_quantities(ids)).all()
        for row in items:
            if row.goods_movement_status != "C":
                raise Invalid("not_goods_issued", f"delivery {row.delivery_id} has no goods "
                              "issue; only goods-issued deliveries are billed",
                              delivery_id=row.delivery_id)
            if row.billed_qty > 0:
                raise Conflict("already_billed", f"delivery {row.delivery_id} is already "
                               "billed", delivery_id=row.delivery_id)
        orders = conn.execute(sa.select(sales_order).where(
            sales_order.c.order_id.in_({r.order_id for r in items}))).all()
        payer = _same(orders, "payer", "different_payers", "payers")
        currency = _same(orders, "currency", "different_currencies", "currencies")
        terms_code = _same(orders, "payment_terms", "different_payment_terms", "payment terms")
        order = orders[0]
        prices = {(r.order_id, r.item_no): r for r in conn.execute(
            sa.select(sales_order_item).where(
                sales_order_item.c.order_id.in_({r.order_id for r in items})))}
        costs = {(r.material_id, r.plant): r.standard_price for r in conn.execute(
            sa.select(material_plant).where(
                material_plant.c.material_id.in_({r.material_id for r in items})))}
        terms = conn.execute(sa.select(payment_terms)
                             .where(payment_terms.c.terms == terms_code)).one()
        rows = []
        for n, r in enumerate(items, start=1):
            source = prices[(r.order_id, r.order_item)]
            net = money(r.quantity * source.net_price)
            rows.append({"item_no": 10 * n, "delivery_id": r.delivery_id,
                         "delivery_item": r.item_no, "order_id": r.order_id,
                         "order_item": r.order_item, "material_id": r.material_id,
                         "quantity": r.quantity, "unit": r.unit, "net_price": source.net_price,
                         "net_value": net, "tax_code": source.tax_code,
                         "tax_rate": source.tax_rate, "tax_amount": tax(net, source.tax_rate),
                         "cost": money(r.quantity * costs[(r.material_id, r.plant)])})
        discount_date = (billing_date + timedelta(days=terms.discount_days)
                         if terms.discount_percent > 0 else None)
        header = {"category": "M", "billing_date": billing_date, "sold_to": order.sold_to,
                  "bill_to": order.bill_to, "payer": payer, "currency": currency,
                  "payment_terms": terms_code, "baseline_date": billing_date,
                  "due_date": billing_date + timedelta(days=terms.net_days),
                  "discount_date": discount_date,
                  "discount_percent": terms.discount_percent if discount_date else ZERO}
        flows = [FlowRow(cat, doc, item, Category.INVOICE, 0, row["item_no"], row["quantity"],
                         row["net_value"])
                 for row in rows
                 for cat, doc, item in ((Category.DELIVERY, row["delivery_id"],
                                         row["delivery_item"]),
                                        (Category.ORDER, row["order_id"], row["order_item"]))]
        return _write(conn, header, rows, flows, open_item_sign=1, reverses=None)


def _write(conn: sa.Connection, header: dict[str, Any], rows: list[dict[str, Any]],
           flows: list[FlowRow], *, open_item_sign: int, reverses: Any) -> BillingResult:
    """Number, post and insert a billing document; ``flows`` name it with doc 0."""
    numbers = allocate(conn, {"billing_document": 1, "accounting_document": 1,
                              "open_item": 1 if open_item_sign else 0})
    billing_id = numbers["billing_document"][0]
    acc_doc_id = numbers["accounting_document"][0]
    net = sum((r["net_value"] for r in rows), ZERO)
    tax_total = sum((r["tax_amount"] for r in rows), ZERO)
    gross = net + tax_total
    category = header["category"]
    payer = header["payer"]
    if reverses is not None:
        lines = reversed_lines(lines_of(conn, reverses.acc_doc_id))
    else:
        taxes: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for r in rows:
            taxes[r["tax_code"]] += r["tax_amount"]
        lines = (Line(Account.AR, debit=gross, customer_id=payer),
                 *(Line(Account.REVENUE, credit=r["net_value"], material_id=r["material_id"])
                   for r in rows),
                 *(Line(Account.OUTPUT_TAX, credit=taxes[code]) for code in sorted(taxes)))
        if open_item_sign < 0:  # credit memo
            lines = reversed_lines(lines)
    unit = UnitOfWork(conn)
    post(unit, AccountingEntry(acc_doc_id, "RV", header["billing_date"], header["currency"],
                               "billing_document", billing_id, tuple(lines),
                               reversal_of=reverses.acc_doc_id if reverses else None))
    unit.insert(billing_document, [{
        **header, "billing_id": billing_id, "billing_type": _TYPES[category],
        "net_value": net, "tax_amount": tax_total, "gross_amount": gross,
        "acc_doc_id": acc_doc_id}])
    unit.insert(billing_item, [{"billing_id": billing_id, **r} for r in rows])
    open_item_id = None
    if open_item_sign:
        open_item_id = numbers["open_item"][0]
        unit.insert(open_item, [{
            "open_item_id": open_item_id, "kind": "AR", "customer_id": payer,
            "acc_doc_id": acc_doc_id, "billing_id": billing_id,
            "posting_date": header["billing_date"], "currency": header["currency"],
            "amount": gross * open_item_sign, "baseline_date": header["baseline_date"],
            "due_date": header["due_date"], "discount_date": header["discount_date"],
            "discount_percent": header["discount_percent"]}])
    own = Category(category)
    add_flows(unit, [
        *(FlowRow(f.preceding_category, f.preceding_doc, f.preceding_item, own, billing_id,
                  f.subsequent_item, f.quantity, f.value) for f in flows),
        FlowRow(own, billing_id, 0, Category.ACCOUNTING, acc_doc_id, 0, None, gross)],
        header["billing_date"])
    if reverses is not None:
        _clear_cancelled(unit, reverses.billing_id, acc_doc_id, header["billing_date"])
    unit.finish()
    return BillingResult(billing_id, category, _TYPES[category], payer, header["currency"],
                         net, tax_total, gross, header["billing_date"], header["due_date"],
                         header["discount_date"], header["discount_percent"], acc_doc_id,
                         open_item_id, tuple(_item(r) for r in rows))


def _clear_cancelled(unit: UnitOfWork, billing_id: int, acc_doc_id: int, on: date) -> None:
    for (item_id,) in unit.conn.execute(sa.select(open_item.c.open_item_id).where(
            open_item.c.billing_id == billing_id, open_item.c.cleared_by.is_(None))):
        unit.update(open_item, {"open_item_id": item_id},
                    {"cleared_by": acc_doc_id, "cleared_on": on}, operation="cancel")


def _billing_for_change(conn: sa.Connection, billing_id: int) -> Any:
    doc = lock_row(conn, billing_document, "billing_id", billing_id, "billing document")
    cancelled = conn.execute(sa.select(billing_document.c.billing_id).where(
        billing_document.c.cancels_billing_id == billing_id)).scalar()
    if cancelled is not None:
        raise Conflict("already_cancelled", f"billing document {billing_id} is cancelled by "
                       f"{cancelled}", billing_id=billing_id)
    return doc


def cancel_billing_document(bind: Bind, request: CancellationInput, *,
                            cancellation_date: date) -> BillingResult:
    """Cancel an invoice or credit memo by a cancellation document (N / S) reversing it."""
    check_date(cancellation_date, "cancellation_date")
    with transaction(bind) as conn:
        doc = _billing_for_change(conn, request.billing_id)
        if doc.category not in ("M", "O"):
            raise Invalid("not_cancellable", f"billing document {doc.billing_id} is a "
                          "cancellation itself", billing_id=doc.billing_id)
        # Lock the open items now, before the number ranges, as a payment does (lock order).
        items = conn.execute(sa.select(open_item.c.open_item_id, open_item.c.cleared_by)
                             .where(open_item.c.billing_id == doc.billing_id)
                             .order_by(open_item.c.open_item_id).with_for_update()).all()
        if any(item.cleared_by is not None for item in items):
            raise Conflict("already_cleared", f"billing document {doc.billing_id} is already "
                           "paid (cleared); issue a credit memo instead",
                           billing_id=doc.billing_id)
        rows = [{k: v for k, v in r._mapping.items() if k != "billing_id"}
                for r in conn.execute(sa.select(billing_item).where(
                    billing_item.c.billing_id == doc.billing_id)
                    .order_by(billing_item.c.item_no))]
        category = "N" if doc.category == "M" else "S"
        header = {"category": category, "billing_date": cancellation_date,
                  "sold_to": doc.sold_to, "bill_to": doc.bill_to, "payer": doc.payer,
                  "currency": doc.currency, "payment_terms": doc.payment_terms,
                  "baseline_date": cancellation_date, "due_date": cancellation_date,
                  "discount_date": None, "discount_percent": ZERO,
                  "cancels_billing_id": doc.billing_id}
        flows = [FlowRow(Category(doc.category), doc.billing_id, r["item_no"],
                         Category(category), 0, r["item_no"], r["quantity"], r["net_value"])
                 for r in rows]
        return _write(conn, header, rows, flows, open_item_sign=0, reverses=doc)


def create_credit_memo(bind: Bind, request: CreditMemoInput, *,
                       billing_date: date) -> BillingResult:
    """Credit (part of) an invoice: a negative receivable, ``Dr REVENUE, OUTPUT_TAX / Cr AR``."""
    check_date(billing_date, "billing_date")
    with transaction(bind) as conn:
        doc = _billing_for_change(conn, request.billing_id)
        if doc.category != "M":
            raise Invalid("not_an_invoice", f"billing document {doc.billing_id} is not an "
                          "invoice", billing_id=doc.billing_id)
        source = {r.item_no: r for r in conn.execute(sa.select(billing_item).where(
            billing_item.c.billing_id == doc.billing_id))}
        credited = _credited(conn, doc.billing_id)
        wanted = request.items or tuple(
            CreditMemoItemInput(n, source[n].quantity - credited.get(n, ZERO))
            for n in sorted(source) if source[n].quantity > credited.get(n, ZERO))
        if not wanted:
            raise Conflict("over_credit", f"invoice {doc.billing_id} is already fully "
                           "credited", billing_id=doc.billing_id)
        rows = []
        for n, item in enumerate(wanted, start=1):
            qty = check_quantity(item.quantity, f"items[{n}].quantity")
            row = source.get(item.item_no)
            if row is None:
                raise NotFound("unknown_billing_item", f"invoice {doc.billing_id} has no item "
                               f"{item.item_no}", billing_id=doc.billing_id)
            if qty > row.quantity - credited.get(item.item_no, ZERO):
                raise Conflict("over_credit", f"item {item.item_no}: {qty} to credit but only "
                               f"{row.quantity - credited.get(item.item_no, ZERO)} left",
                               billing_id=doc.billing_id)
            net = money(qty * row.net_price)
            rows.append({**{k: v for k, v in row._mapping.items() if k != "billing_id"},
                         "quantity": qty, "net_value": net,
                         "tax_amount": tax(net, row.tax_rate),
                         "cost": money(row.cost * qty / row.quantity)})
        header = {"category": "O", "billing_date": billing_date, "sold_to": doc.sold_to,
                  "bill_to": doc.bill_to, "payer": doc.payer, "currency": doc.currency,
                  "payment_terms": doc.payment_terms, "baseline_date": billing_date,
                  "due_date": billing_date, "discount_date": None, "discount_percent": ZERO,
                  "reference_billing_id": doc.billing_id}
        flows = [FlowRow(Category.INVOICE, doc.billing_id, r["item_no"], Category.CREDIT_MEMO,
                         0, r["item_no"], r["quantity"], r["net_value"]) for r in rows]
        return _write(conn, header, rows, flows, open_item_sign=-1, reverses=None)


def _credited(conn: sa.Connection, billing_id: int) -> dict[int, Decimal]:
    """Quantity per invoice item already credited by credit memos that are not cancelled."""
    bd, bi = billing_document, billing_item
    cancel = bd.alias("cancel")
    rows = conn.execute(
        sa.select(bi.c.item_no, sa.func.sum(bi.c.quantity))
        .select_from(bi.join(bd, bi.c.billing_id == bd.c.billing_id))
        .where(bd.c.reference_billing_id == billing_id, bd.c.category == "O",
               ~sa.exists().where(cancel.c.cancels_billing_id == bd.c.billing_id))
        .group_by(bi.c.item_no)).all()
    return {item_no: Decimal(qty) for item_no, qty in rows}
