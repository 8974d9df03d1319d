"""Statuses derived from quantities, on read, in SQL (never stored, never set by hand).

SAP's status letters: ``A`` not yet processed, ``B`` partly processed, ``C`` completely
processed (``docs/oltp.md``). Each status compares a quantity done with the quantity that is
relevant: :func:`status_expr` builds the SQL ``CASE`` and :func:`derive_status` is the same rule
in Python (a property test keeps them equal).

Quantities per sales order item: ordered, confirmed (Σ schedule lines), delivered (Σ delivery
items), goods issued (601 - 602), billed (invoices not cancelled). A rejected item counts as
completed. The order's overall status follows its delivery status: with delivery-related
billing the billing status lives on the delivery (domain.md §1.4).

Example::

    order_status(engine, 4711).delivery_status        # "B" after delivering 60 of 100
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp.amounts import ZERO
from kubus.oltp.schema import (
    billing_document,
    billing_item,
    delivery_item,
    invoice_receipt_item,
    material_document_item,
    purchase_order_item,
    purchase_requisition,
    sales_order_item,
    sales_order_schedule_line,
)
from kubus.oltp.store import Bind, read_only

__all__ = ["DeliveryItemStatus", "DeliveryStatus", "OrderItemStatus", "OrderStatus",
           "PurchaseOrderItemStatus", "combine", "delivery_status", "derive_status",
           "order_status", "purchase_order_status", "requisition_status", "status_expr"]


def derive_status(done: Decimal, relevant: Decimal) -> str:
    """``A`` if nothing is done, ``C`` if at least the relevant quantity is, else ``B``."""
    if done <= 0:
        return "A"
    return "B" if done < relevant else "C"


def status_expr(done: sa.ColumnElement[Any], relevant: sa.ColumnElement[Any]
                ) -> sa.ColumnElement[str]:
    """:func:`derive_status` as a SQL ``CASE`` expression."""
    return sa.case((done <= 0, "A"), (done < relevant, "B"), else_="C")


def combine(statuses: Iterable[str]) -> str:
    """Header status from item statuses: all ``A`` -> A, all ``C`` (or none) -> C, else B."""
    found = set(statuses)
    if not found or found == {"C"}:
        return "C"
    return "A" if found == {"A"} else "B"


def _sum(column: sa.ColumnElement[Any], label: str) -> sa.Label[Any]:
    return sa.func.coalesce(sa.func.sum(column), 0).label(label)


def _signed_issue() -> sa.ColumnElement[Any]:
    mdi = material_document_item
    return sa.case((mdi.c.movement_type == "601", mdi.c.quantity),
                   (mdi.c.movement_type == "602", -mdi.c.quantity), else_=0)


def _not_cancelled_invoice() -> sa.ColumnElement[bool]:
    cancel = billing_document.alias("cancel")
    return sa.and_(
        billing_document.c.category == "M",
        ~sa.exists().where(cancel.c.cancels_billing_id == billing_document.c.billing_id))


# --- sales order ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderItemStatus:
    item_no: int
    quantity: Decimal
    confirmed_qty: Decimal
    delivered_qty: Decimal
    issued_qty: Decimal
    billed_qty: Decimal
    rejected: bool
    confirmation_status: str
    delivery_status: str
    overall_status: str


@dataclass(frozen=True)
class OrderStatus:
    order_id: int
    confirmation_status: str
    delivery_status: str
    overall_status: str
    items: tuple[OrderItemStatus, ...]


def order_item_quantities(order_id: int) -> sa.Select[Any]:
    """SQL: per item of ``order_id`` its quantities and derived statuses."""
    i, sl, di = sales_order_item, sales_order_schedule_line, delivery_item
    mdi, bi = material_document_item, billing_item
    confirmed = (sa.select(sl.c.item_no, _sum(sl.c.confirmed_qty, "qty"))
                 .where(sl.c.order_id == order_id).group_by(sl.c.item_no).subquery())
    delivered = (sa.select(di.c.order_item, _sum(di.c.quantity, "qty"))
                 .where(di.c.order_id == order_id).group_by(di.c.order_item).subquery())
    issued = (sa.select(mdi.c.order_item, _sum(_signed_issue(), "qty"))
              .where(mdi.c.order_id == order_id).group_by(mdi.c.order_item).subquery())
    billed = (sa.select(bi.c.order_item, _sum(bi.c.quantity, "qty"))
              .select_from(bi.join(billing_document,
                                   bi.c.billing_id == billing_document.c.billing_id))
              .where(bi.c.order_id == order_id, _not_cancelled_invoice())
              .group_by(bi.c.order_item).subquery())
    conf = sa.func.coalesce(confirmed.c.qty, 0)
    deliv = sa.func.coalesce(delivered.c.qty, 0)
    rejected = i.c.rejection_reason.is_not(None)
    delivery = sa.case((rejected, "C"), else_=status_expr(deliv, i.c.quantity))
    return (
        sa.select(i.c.item_no, i.c.quantity, conf.label("confirmed_qty"),
                  deliv.label("delivered_qty"),
                  sa.func.coalesce(issued.c.qty, 0).label("issued_qty"),
                  sa.func.coalesce(billed.c.qty, 0).label("billed_qty"),
                  rejected.label("rejected"),
                  status_expr(conf, i.c.quantity).label("confirmation_status"),
                  delivery.label("delivery_status"))
        .select_from(
            i.outerjoin(confirmed, confirmed.c.item_no == i.c.item_no)
            .outerjoin(delivered, delivered.c.order_item == i.c.item_no)
            .outerjoin(issued, issued.c.order_item == i.c.item_no)
            .outerjoin(billed, billed.c.order_item == i.c.item_no))
        .where(i.c.order_id == order_id).order_by(i.c.item_no))


def order_status(bind: Bind, order_id: int) -> OrderStatus | None:
    """Statuses of a sales order and its items (``None`` if there is no such order)."""
    with read_only(bind) as conn:
        rows = conn.execute(order_item_quantities(order_id)).all()
    if not rows:
        return None
    items = tuple(OrderItemStatus(
        r.item_no, r.quantity, Decimal(r.confirmed_qty), Decimal(r.delivered_qty),
        Decimal(r.issued_qty), Decimal(r.billed_qty), bool(r.rejected),
        r.confirmation_status, r.delivery_status, r.delivery_status) for r in rows)
    active = [item for item in items if not item.rejected]
    delivery = combine(item.delivery_status for item in active)
    return OrderStatus(order_id, combine(item.confirmation_status for item in active),
                       delivery, delivery, items)


# --- delivery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryItemStatus:
    item_no: int
    order_id: int
    order_item: int
    quantity: Decimal
    issued_qty: Decimal
    billed_qty: Decimal
    goods_movement_status: str
    billing_status: str


@dataclass(frozen=True)
class DeliveryStatus:
    delivery_id: int
    goods_movement_status: str
    billing_status: str
    items: tuple[DeliveryItemStatus, ...]


def delivery_item_quantities(delivery_ids: Iterable[int]) -> sa.Select[Any]:
    """SQL: per item of the deliveries its quantity, goods-issued and billed quantities."""
    di, mdi, bi = delivery_item, material_document_item, billing_item
    ids = sorted(set(delivery_ids))
    issued = (sa.select(mdi.c.delivery_id, mdi.c.delivery_item, _sum(_signed_issue(), "qty"))
              .where(mdi.c.delivery_id.in_(ids))
              .group_by(mdi.c.delivery_id, mdi.c.delivery_item).subquery())
    billed = (sa.select(bi.c.delivery_id, bi.c.delivery_item, _sum(bi.c.quantity, "qty"))
              .select_from(bi.join(billing_document,
                                   bi.c.billing_id == billing_document.c.billing_id))
              .where(bi.c.delivery_id.in_(ids), _not_cancelled_invoice())
              .group_by(bi.c.delivery_id, bi.c.delivery_item).subquery())
    iss = sa.func.coalesce(issued.c.qty, 0)
    bil = sa.func.coalesce(billed.c.qty, 0)
    return (
        sa.select(di.c.delivery_id, di.c.item_no, di.c.order_id, di.c.order_item,
                  di.c.material_id, di.c.plant, di.c.storage_location, di.c.quantity,
                  di.c.unit, iss.label("issued_qty"), bil.label("billed_qty"),
                  status_expr(iss, di.c.quantity).label("goods_movement_status"),
                  status_expr(bil, di.c.quantity).label("billing_status"))
        .select_from(
            di.outerjoin(issued, sa.and_(issued.c.delivery_id == di.c.delivery_id,
                                         issued.c.delivery_item == di.c.item_no))
            .outerjoin(billed, sa.and_(billed.c.delivery_id == di.c.delivery_id,
                                       billed.c.delivery_item == di.c.item_no)))
        .where(di.c.delivery_id.in_(ids)).order_by(di.c.delivery_id, di.c.item_no))


def delivery_status(bind: Bind, delivery_id: int) -> DeliveryStatus | None:
    """Goods-movement (WBSTA) and billing (FKSTA) status of a delivery and its items."""
    with read_only(bind) as conn:
        rows = conn.execute(delivery_item_quantities([delivery_id])).all()
    if not rows:
        return None
    items = tuple(DeliveryItemStatus(
        r.item_no, r.order_id, r.order_item, r.quantity, Decimal(r.issued_qty),
        Decimal(r.billed_qty), r.goods_movement_status, r.billing_status) for r in rows)
    return DeliveryStatus(delivery_id, combine(i.goods_movement_status for i in items),
                          combine(i.billing_status for i in items), items)


# --- purchasing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseOrderItemStatus:
    item_no: int
    quantity: Decimal
    received_qty: Decimal
    invoiced_qty: Decimal
    invoiced_amount: Decimal
    open_qty: Decimal
    goods_receipt_status: str
    invoice_status: str
    #: (received - invoiced) x PO price: the GR/IR clearing balance of the item.
    grir_balance: Decimal


def purchase_order_item_quantities(po_id: int) -> sa.Select[Any]:
    """SQL: per item of ``po_id`` ordered, received (101 - 102) and invoiced quantities."""
    poi, mdi, iri = purchase_order_item, material_document_item, invoice_receipt_item
    signed = sa.case((mdi.c.movement_type == "101", mdi.c.quantity),
                     (mdi.c.movement_type == "102", -mdi.c.quantity), else_=0)
    received = (sa.select(mdi.c.po_item, _sum(signed, "qty"))
                .where(mdi.c.po_id == po_id).group_by(mdi.c.po_item).subquery())
    invoiced = (sa.select(iri.c.po_item, _sum(iri.c.quantity, "qty"), _sum(iri.c.amount, "amt"))
                .where(iri.c.po_id == po_id).group_by(iri.c.po_item).subquery())
    rec = sa.func.coalesce(received.c.qty, 0)
    inv = sa.func.coalesce(invoiced.c.qty, 0)
    return (
        sa.select(poi.c.item_no, poi.c.quantity, poi.c.net_price, rec.label("received_qty"),
                  inv.label("invoiced_qty"),
                  sa.func.coalesce(invoiced.c.amt, 0).label("invoiced_amount"),
                  status_expr(rec, poi.c.quantity).label("goods_receipt_status"),
                  status_expr(inv, poi.c.quantity).label("invoice_status"))
        .select_from(poi.outerjoin(received, received.c.po_item == poi.c.item_no)
                     .outerjoin(invoiced, invoiced.c.po_item == poi.c.item_no))
        .where(poi.c.po_id == po_id).order_by(poi.c.item_no))


def purchase_order_status(bind: Bind, po_id: int) -> list[PurchaseOrderItemStatus]:
    """Receipt and invoice status, open quantity and GR/IR balance of each PO item."""
    with read_only(bind) as conn:
        rows = conn.execute(purchase_order_item_quantities(po_id)).all()
    result = []
    for r in rows:
        received, invoiced = Decimal(r.received_qty), Decimal(r.invoiced_qty)
        result.append(PurchaseOrderItemStatus(
            r.item_no, r.quantity, received, invoiced, Decimal(r.invoiced_amount),
            max(r.quantity - received, ZERO), r.goods_receipt_status, r.invoice_status,
            (received - invoiced) * r.net_price))
    return result


def requisition_status(bind: Bind, pr_id: int) -> dict[int, tuple[Decimal, Decimal, str]]:
    """Per requisition item: (quantity, ordered quantity, status A/B/C)."""
    pr, poi = purchase_requisition, purchase_order_item
    ordered = (sa.select(poi.c.pr_item, _sum(poi.c.quantity, "qty"))
               .where(poi.c.pr_id == pr_id).group_by(poi.c.pr_item).subquery())
    qty = sa.func.coalesce(ordered.c.qty, 0)
    query = (sa.select(pr.c.item_no, pr.c.quantity, qty.label("ordered"),
                       status_expr(qty, pr.c.quantity).label("status"))
             .select_from(pr.outerjoin(ordered, ordered.c.pr_item == pr.c.item_no))
             .where(pr.c.pr_id == pr_id).order_by(pr.c.item_no))
    with read_only(bind) as conn:
        return {r.item_no: (r.quantity, Decimal(r.ordered), r.status)
                for r in conn.execute(query)}
