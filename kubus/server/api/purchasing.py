"""Purchase requisitions (EBAN) and purchase orders with schedule lines (EKKO/EKPO/EKET),
with their derived statuses: ordered / received / invoiced quantities, GR/IR balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

import sqlalchemy as sa

from kubus.oltp.schema import (
    purchase_order,
    purchase_order_item,
    purchase_order_schedule_line,
    purchase_requisition,
)
from kubus.oltp.services.purchasing import (
    PurchaseOrderInput,
    RequisitionInput,
    create_purchase_order,
    create_purchase_requisition,
)
from kubus.oltp.status import combine, derive_status, purchase_order_item_quantities
from kubus.server.api.operations import Body, Call, Created, Lookup, Operation, Page, Param, url
from kubus.server.api.paging import PAGING, page
from kubus.server.api.rows import Status, date_range, date_range_params, from_row, money_of, qty

__all__ = ["OPERATIONS", "read_purchase_order", "read_requisition"]

TAG = "Purchasing"


@dataclass(frozen=True)
class CreationDate:
    #: The business date of the requisition (default today).
    created_on: date | None = None


@dataclass(frozen=True)
class OrderDate:
    #: The business date of the purchase order (default today).
    po_date: date | None = None


@dataclass(frozen=True)
class RequisitionItem:
    item_no: int
    material_id: str
    plant: str
    storage_location: str | None
    quantity: Decimal
    unit: str
    needed_by: date
    created_on: date
    desired_vendor: str | None
    ordered_qty: Decimal
    status: Status


@dataclass(frozen=True)
class RequisitionSummary:
    pr_id: int
    created_on: date
    item_count: int


@dataclass(frozen=True)
class PurchaseRequisition:
    """A purchase requisition; an item's status compares the quantity ordered on purchase
    orders with the quantity requested."""

    pr_id: int
    status: Status
    items: tuple[RequisitionItem, ...]


@dataclass(frozen=True)
class PurchaseOrderScheduleLine:
    line_no: int
    delivery_date: date
    quantity: Decimal


@dataclass(frozen=True)
class PurchaseOrderItem:
    item_no: int
    material_id: str
    plant: str
    storage_location: str
    quantity: Decimal
    unit: str
    net_price: Decimal
    net_value: Decimal
    pr_id: int | None
    pr_item: int | None
    received_qty: Decimal
    invoiced_qty: Decimal
    invoiced_amount: Decimal
    open_qty: Decimal
    goods_receipt_status: Status
    invoice_status: Status
    grir_balance: Decimal
    schedule_lines: tuple[PurchaseOrderScheduleLine, ...]


@dataclass(frozen=True)
class PurchaseOrderSummary:
    po_id: int
    vendor_id: str
    purchasing_org: str
    po_date: date
    currency: str
    payment_terms: str
    net_value: Decimal


@dataclass(frozen=True)
class PurchaseOrder(PurchaseOrderSummary):
    """A purchase order with items, schedule lines, received and invoiced quantities and the
    GR/IR balance of each item ((received - invoiced) x PO price)."""

    goods_receipt_status: Status
    invoice_status: Status
    items: tuple[PurchaseOrderItem, ...]


def read_requisition(conn: sa.Connection, pr_id: int) -> PurchaseRequisition:
    pr, poi = purchase_requisition, purchase_order_item
    ordered = (sa.select(sa.func.coalesce(sa.func.sum(poi.c.quantity), 0))
               .where(poi.c.pr_id == pr.c.pr_id, poi.c.pr_item == pr.c.item_no)
               .scalar_subquery())
    items = []
    for r in conn.execute(sa.select(pr, ordered.label("ordered_qty"))
                          .where(pr.c.pr_id == pr_id).order_by(pr.c.item_no)):
        done, wanted = qty(r.ordered_qty), qty(r.quantity)
        items.append(from_row(RequisitionItem, r, quantity=wanted, ordered_qty=done,
                              status=derive_status(done, wanted)))
    status = cast(Status, combine(i.status for i in items))
    return PurchaseRequisition(pr_id, status, tuple(items))


def read_purchase_order(conn: sa.Connection, po_id: int) -> PurchaseOrder:
    head = conn.execute(sa.select(purchase_order).where(purchase_order.c.po_id == po_id)).one()
    sl = purchase_order_schedule_line
    lines: dict[int, list[PurchaseOrderScheduleLine]] = {}
    for r in conn.execute(sa.select(sl).where(sl.c.po_id == po_id)
                          .order_by(sl.c.item_no, sl.c.line_no)):
        lines.setdefault(r.item_no, []).append(
            PurchaseOrderScheduleLine(r.line_no, r.delivery_date, qty(r.quantity)))
    done = {r.item_no: r for r in conn.execute(purchase_order_item_quantities(po_id))}
    items = []
    for r in conn.execute(sa.select(purchase_order_item).where(
            purchase_order_item.c.po_id == po_id).order_by(purchase_order_item.c.item_no)):
        d = done[r.item_no]
        received, invoiced = qty(d.received_qty), qty(d.invoiced_qty)
        items.append(from_row(
            PurchaseOrderItem, r, quantity=qty(r.quantity), net_price=money_of(r.net_price),
            net_value=money_of(r.net_value), received_qty=received, invoiced_qty=invoiced,
            invoiced_amount=money_of(d.invoiced_amount),
            open_qty=max(qty(r.quantity) - received, Decimal("0.000")),
            goods_receipt_status=d.goods_receipt_status, invoice_status=d.invoice_status,
            grir_balance=money_of((received - invoiced) * r.net_price),
            schedule_lines=tuple(lines.get(r.item_no, ()))))
    return from_row(PurchaseOrder, head, net_value=money_of(head.net_value),
                    goods_receipt_status=combine(i.goods_receipt_status for i in items),
                    invoice_status=combine(i.invoice_status for i in items), items=tuple(items))


def _list_requisitions(call: Call) -> Page[RequisitionSummary]:
    args, pr = call.query, purchase_requisition
    query = sa.select(pr.c.pr_id, sa.func.min(pr.c.created_on).label("created_on"),
                      sa.func.count().label("item_count")).group_by(pr.c.pr_id)
    if args.get("material"):
        query = query.where(pr.c.material_id == args["material"])
    if args.get("plant"):
        query = query.where(pr.c.plant == args["plant"])
    query = date_range(query, pr.c.created_on, args)
    return page(call.conn, query, [pr.c.pr_id], args,
                lambda r: RequisitionSummary(r.pr_id, r.created_on, r.item_count))


def _list_orders(call: Call) -> Page[PurchaseOrderSummary]:
    args, po = call.query, purchase_order
    query = sa.select(po)
    if args.get("vendor"):
        query = query.where(po.c.vendor_id == args["vendor"])
    if args.get("material"):
        poi = purchase_order_item
        query = query.where(sa.exists().where(poi.c.po_id == po.c.po_id,
                                              poi.c.material_id == args["material"]))
    query = date_range(query, po.c.po_date, args)
    return page(call.conn, query, [po.c.po_id], args, lambda r: from_row(
        PurchaseOrderSummary, r, net_value=money_of(r.net_value)))


def _create_requisition(call: Call) -> Created[PurchaseRequisition]:
    result = create_purchase_requisition(call.conn, call.body,
                                         today=call.date_or_today("created_on"))
    return Created(read_requisition(call.conn, result.pr_id),
                   url("purchase-requisitions", result.pr_id))


def _create_order(call: Call) -> Created[PurchaseOrder]:
    result = create_purchase_order(call.conn, call.body, today=call.date_or_today("po_date"))
    return Created(read_purchase_order(call.conn, result.po_id),
                   url("purchase-orders", result.po_id))


PR_ID = Param("pr_id", int, "Purchase requisition number", where="path")
PO_ID = Param("po_id", int, "Purchase order number", where="path")

OPERATIONS = (
    Operation("GET", "/purchase-requisitions", "listPurchaseRequisitions",
              "List purchase requisitions", TAG, _list_requisitions, RequisitionSummary,
              paged=True, params=(
                  Param("material", str, "Only requisitions with an item of this material."),
                  Param("plant", str, "Only requisitions with an item for this plant."),
                  *date_range_params("creation date"), *PAGING)),
    Operation("POST", "/purchase-requisitions", "createPurchaseRequisition",
              "Create a purchase requisition", TAG, _create_requisition, PurchaseRequisition,
              status=201, body=Body(RequisitionInput, CreationDate)),
    Operation("GET", "/purchase-requisitions/{pr_id}", "getPurchaseRequisition",
              "A purchase requisition with its items and status", TAG,
              lambda call: read_requisition(call.conn, call.path["pr_id"]),
              PurchaseRequisition, params=(PR_ID,),
              lookups=(Lookup(purchase_requisition, ("pr_id",), "unknown_requisition",
                              "purchase requisition"),)),
    Operation("GET", "/purchase-orders", "listPurchaseOrders", "List purchase orders", TAG,
              _list_orders, PurchaseOrderSummary, paged=True, params=(
                  Param("vendor", str, "Only orders with this vendor."),
                  Param("material", str, "Only orders with an item of this material."),
                  *date_range_params("order date"), *PAGING)),
    Operation("POST", "/purchase-orders", "createPurchaseOrder", "Create a purchase order",
              TAG, _create_order, PurchaseOrder, status=201,
              body=Body(PurchaseOrderInput, OrderDate),
              description="The price defaults from the vendor's purchasing info record. An "
                          "item may reference a requisition item (`pr_id`, `pr_item`) and may "
                          "be split into schedule lines (`schedule`: [[date, quantity], ...])."),
    Operation("GET", "/purchase-orders/{po_id}", "getPurchaseOrder",
              "A purchase order with items, schedule lines and statuses", TAG,
              lambda call: read_purchase_order(call.conn, call.path["po_id"]), PurchaseOrder,
              params=(PO_ID,),
              lookups=(Lookup(purchase_order, ("po_id",), "unknown_purchase_order",
                              "purchase order"),)),
)
