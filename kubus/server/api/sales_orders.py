"""Sales orders (VBAK/VBAP/VBEP): create with the availability check, read with items,
schedule lines and derived statuses, change an item's quantity, reject an item.

Statuses are never stored (``docs/oltp.md``): a single order shows those of
:func:`kubus.oltp.status.order_status`; the list computes the overall status in SQL with the
same rule (rejected items left out; all A -> A, all C or none -> C, else B), so it can filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp.schema import delivery_item, sales_order, sales_order_item
from kubus.oltp.schema import sales_order_schedule_line as schedule_line
from kubus.oltp.services.sales import (
    ChangeQuantityInput,
    RejectItemInput,
    SalesOrderInput,
    change_item_quantity,
    create_sales_order,
    reject_item,
)
from kubus.oltp.status import combine, order_item_quantities
from kubus.server.api.operations import Body, Call, Created, Lookup, Operation, Page, Param, url
from kubus.server.api.paging import PAGING, page
from kubus.server.api.rows import Status, date_range, date_range_params, from_row, money_of, qty

__all__ = ["OPERATIONS", "SalesOrder", "read_sales_order"]

TAG = "Sales orders"


@dataclass(frozen=True)
class OrderDate:
    #: The business date of order entry (SAP: document date); default today.
    order_date: date | None = None


@dataclass(frozen=True)
class ChangeDate:
    #: The business date of the change (availability is checked as of it); default today.
    change_date: date | None = None


@dataclass(frozen=True)
class ScheduleLine:
    line_no: int
    delivery_date: date
    requested_qty: Decimal
    confirmed_qty: Decimal
    material_availability_date: date
    transportation_planning_date: date
    loading_date: date
    goods_issue_date: date


@dataclass(frozen=True)
class SalesOrderItem:
    item_no: int
    material_id: str
    plant: str
    storage_location: str | None
    shipping_point: str | None
    route: str | None
    item_category: str
    quantity: Decimal
    unit: str
    net_price: Decimal
    net_value: Decimal
    tax_code: str
    tax_rate: Decimal
    requested_delivery_date: date
    rejection_reason: str | None
    confirmed_qty: Decimal
    delivered_qty: Decimal
    issued_qty: Decimal
    billed_qty: Decimal
    confirmation_status: Status
    delivery_status: Status
    schedule_lines: tuple[ScheduleLine, ...]


@dataclass(frozen=True)
class SalesOrderSummary:
    """A sales order header with its derived delivery and overall status."""

    order_id: int
    order_type: str
    sales_org: str
    distribution_channel: str
    division: str
    sold_to: str
    ship_to: str
    bill_to: str
    payer: str
    order_date: date
    requested_delivery_date: date
    currency: str
    payment_terms: str
    customer_reference: str
    channel: str
    net_value: Decimal
    version: int
    delivery_status: Status
    overall_status: Status


@dataclass(frozen=True)
class SalesOrder(SalesOrderSummary):
    """A sales order with items, schedule lines and derived statuses."""

    confirmation_status: Status
    items: tuple[SalesOrderItem, ...]


def read_sales_order(conn: sa.Connection, order_id: int) -> SalesOrder:
    head = conn.execute(sa.select(sales_order).where(sales_order.c.order_id == order_id)).one()
    lines: dict[int, list[ScheduleLine]] = {}
    for r in conn.execute(sa.select(schedule_line).where(schedule_line.c.order_id == order_id)
                          .order_by(schedule_line.c.item_no, schedule_line.c.line_no)):
        lines.setdefault(r.item_no, []).append(from_row(
            ScheduleLine, r, requested_qty=qty(r.requested_qty),
            confirmed_qty=qty(r.confirmed_qty)))
    done = {r.item_no: r for r in conn.execute(order_item_quantities(order_id))}
    items = []
    for r in conn.execute(sa.select(sales_order_item).where(
            sales_order_item.c.order_id == order_id).order_by(sales_order_item.c.item_no)):
        d = done[r.item_no]
        items.append(from_row(
            SalesOrderItem, r, quantity=qty(r.quantity), net_price=money_of(r.net_price),
            net_value=money_of(r.net_value), tax_rate=qty(r.tax_rate),
            confirmed_qty=qty(d.confirmed_qty), delivered_qty=qty(d.delivered_qty),
            issued_qty=qty(d.issued_qty), billed_qty=qty(d.billed_qty),
            confirmation_status=d.confirmation_status, delivery_status=d.delivery_status,
            schedule_lines=tuple(lines.get(r.item_no, ()))))
    active = [i for i in items if i.rejection_reason is None]
    delivery = combine(i.delivery_status for i in active)
    return from_row(SalesOrder, head, net_value=money_of(head.net_value),
                    confirmation_status=combine(i.confirmation_status for i in active),
                    delivery_status=delivery, overall_status=delivery, items=tuple(items))


def overall_status_expr() -> sa.ColumnElement[str]:
    """SQL: the overall (= delivery) status of the ``sales_order`` row of the outer query."""
    i, di = sales_order_item.alias("status_item"), delivery_item
    delivered = (sa.select(sa.func.coalesce(sa.func.sum(di.c.quantity), 0))
                 .where(di.c.order_id == i.c.order_id, di.c.order_item == i.c.item_no)
                 .scalar_subquery())
    active = sa.and_(i.c.order_id == sales_order.c.order_id, i.c.rejection_reason.is_(None))

    def count(*conditions: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
        return (sa.select(sa.func.count()).select_from(i).where(active, *conditions)
                .scalar_subquery())

    total = count()
    return sa.case((total == count(delivered >= i.c.quantity), "C"),
                   (total == count(delivered <= 0), "A"), else_="B")


def _list(call: Call) -> Page[SalesOrderSummary]:
    args = call.query
    status = overall_status_expr().label("overall_status")
    query = sa.select(sales_order, status)
    if args.get("customer"):
        query = query.where(sales_order.c.sold_to == args["customer"])
    if args.get("material"):
        i = sales_order_item
        query = query.where(sa.exists().where(i.c.order_id == sales_order.c.order_id,
                                              i.c.material_id == args["material"]))
    query = date_range(query, sales_order.c.order_date, args)
    if args.get("status"):
        query = sa.select(query.subquery())
        sub = query.selected_columns
        query = query.where(sub.overall_status == args["status"])
        keys = [sub.order_id]
    else:
        keys = [sales_order.c.order_id]
    return page(call.conn, query, keys, args, lambda r: from_row(
        SalesOrderSummary, r, net_value=money_of(r.net_value),
        delivery_status=r.overall_status))


def _get(call: Call) -> SalesOrder:
    return read_sales_order(call.conn, call.path["order_id"])


def _create(call: Call) -> Created[SalesOrder]:
    result = create_sales_order(call.conn, call.body, today=call.date_or_today("order_date"),
                                checker=call.env.checker)
    return Created(read_sales_order(call.conn, result.order_id),
                   url("sales-orders", result.order_id))


def _change_quantity(call: Call) -> SalesOrder:
    change_item_quantity(call.conn, call.body, today=call.date_or_today("change_date"),
                         checker=call.env.checker)
    return read_sales_order(call.conn, call.path["order_id"])


def _reject(call: Call) -> SalesOrder:
    reject_item(call.conn, call.body, today=call.date_or_today("change_date"))
    return read_sales_order(call.conn, call.path["order_id"])


ORDER_ID = Param("order_id", int, "Sales order number", where="path")
ITEM_NO = Param("item_no", int, "Item number (10, 20, ...)", where="path")
ORDER = Lookup(sales_order, ("order_id",), "unknown_order", "sales order")
ITEM = Lookup(sales_order_item, ("order_id", "item_no"), "unknown_order_item",
              "sales order item")

OPERATIONS = (
    Operation("GET", "/sales-orders", "listSalesOrders", "List sales orders", TAG, _list,
              SalesOrderSummary, paged=True, params=(
                  Param("customer", str, "Only orders of this sold-to party."),
                  Param("status", str, "Only orders with this overall status (A not yet "
                        "delivered, B partly, C completely).", enum=("A", "B", "C")),
                  Param("material", str, "Only orders with an item of this material."),
                  *date_range_params("order date"), *PAGING)),
    Operation("POST", "/sales-orders", "createSalesOrder",
              "Create a sales order (pricing, tax, availability check)", TAG, _create,
              SalesOrder, status=201, body=Body(SalesOrderInput, OrderDate),
              description="Prices, tax rates, plant and route default from master data; "
                          "each item is checked for availability and confirmed in schedule "
                          "lines. `order_date` is the business date (default today)."),
    Operation("GET", "/sales-orders/{order_id}", "getSalesOrder",
              "A sales order with items, schedule lines and statuses", TAG, _get, SalesOrder,
              params=(ORDER_ID,), lookups=(ORDER,)),
    Operation("PATCH", "/sales-orders/{order_id}/items/{item_no}", "changeSalesOrderItem",
              "Change an item's quantity", TAG, _change_quantity, SalesOrder,
              params=(ORDER_ID, ITEM_NO), lookups=(ORDER, ITEM),
              body=Body(ChangeQuantityInput, ChangeDate, from_path=("order_id", "item_no")),
              description="More is checked for availability; less gives confirmations back "
                          "(latest schedule lines first). Give `expected_version` (the "
                          "order's `version`) to refuse a change to a stale order (409)."),
    Operation("POST", "/sales-orders/{order_id}/items/{item_no}/rejection",
              "rejectSalesOrderItem", "Reject an item", TAG, _reject, SalesOrder,
              params=(ORDER_ID, ITEM_NO), lookups=(ORDER, ITEM),
              body=Body(RejectItemInput, ChangeDate, from_path=("order_id", "item_no")),
              description="A rejected item counts as completed and releases its "
                          "confirmed quantity."),
)
