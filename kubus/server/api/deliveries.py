"""Outbound deliveries (LIKP/LIPS), goods issue (601) and its reversal (602).

A delivery is created from a sales order (``order_id`` in the body: due, confirmed, not yet
delivered quantities; the items given, or all of them). Goods issue and its reversal are
actions on the delivery and answer with the material document they post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from kubus.oltp.schema import delivery, delivery_item, material_document
from kubus.oltp.services.deliveries import (
    DeliveryInput,
    GoodsIssueInput,
    create_delivery,
    post_goods_issue,
    reverse_goods_issue,
)
from kubus.oltp.status import combine, delivery_item_quantities
from kubus.server.api.documents import MaterialDocument, read_material_document
from kubus.server.api.operations import Body, Call, Created, Lookup, Operation, Page, Param, url
from kubus.server.api.paging import PAGING, page
from kubus.server.api.rows import Status, date_range, date_range_params, from_row, qty

__all__ = ["OPERATIONS", "PostingDate", "read_delivery"]

TAG = "Deliveries"


@dataclass(frozen=True)
class CreationDate:
    #: The business date the delivery is created on: schedule lines due by then are
    #: delivered (default today).
    created_on: date | None = None


@dataclass(frozen=True)
class PostingDate:
    #: The posting date of the goods movement (default today).
    posting_date: date | None = None


@dataclass(frozen=True)
class DeliveryItem:
    item_no: int
    order_id: int
    order_item: int
    material_id: str
    plant: str
    storage_location: str
    quantity: Decimal
    unit: str
    issued_qty: Decimal
    billed_qty: Decimal
    goods_movement_status: Status
    billing_status: Status


@dataclass(frozen=True)
class DeliverySummary:
    """An outbound delivery header."""

    delivery_id: int
    delivery_type: str
    shipping_point: str | None
    route: str | None
    sold_to: str
    ship_to: str
    created_on: date
    planned_gi_date: date
    delivery_date: date


@dataclass(frozen=True)
class Delivery(DeliverySummary):
    """An outbound delivery with items, goods-movement (WBSTA) and billing (FKSTA) status and
    the material documents posted for it (goods issues and reversals)."""

    goods_movement_status: Status
    billing_status: Status
    material_documents: tuple[int, ...]
    items: tuple[DeliveryItem, ...]


def read_delivery(conn: sa.Connection, delivery_id: int) -> Delivery:
    head = conn.execute(sa.select(delivery).where(delivery.c.delivery_id == delivery_id)).one()
    items = tuple(from_row(DeliveryItem, r, quantity=qty(r.quantity),
                           issued_qty=qty(r.issued_qty), billed_qty=qty(r.billed_qty))
                  for r in conn.execute(delivery_item_quantities([delivery_id])))
    docs = tuple(conn.execute(sa.select(material_document.c.mat_doc_id).where(
        material_document.c.delivery_id == delivery_id)
        .order_by(material_document.c.mat_doc_id)).scalars())
    return from_row(Delivery, head,
                    goods_movement_status=combine(i.goods_movement_status for i in items),
                    billing_status=combine(i.billing_status for i in items),
                    material_documents=docs, items=items)


def _list(call: Call) -> Page[DeliverySummary]:
    args = call.query
    query = sa.select(delivery)
    if args.get("order_id") is not None:
        di = delivery_item
        query = query.where(sa.exists().where(di.c.delivery_id == delivery.c.delivery_id,
                                              di.c.order_id == args["order_id"]))
    if args.get("customer"):
        query = query.where(delivery.c.sold_to == args["customer"])
    query = date_range(query, delivery.c.created_on, args)
    return page(call.conn, query, [delivery.c.delivery_id], args,
                lambda r: from_row(DeliverySummary, r))


def _get(call: Call) -> Delivery:
    return read_delivery(call.conn, call.path["delivery_id"])


def _create(call: Call) -> Created[Delivery]:
    result = create_delivery(call.conn, call.body, today=call.date_or_today("created_on"))
    return Created(read_delivery(call.conn, result.delivery_id),
                   url("deliveries", result.delivery_id))


def _goods_issue(call: Call) -> Created[MaterialDocument]:
    result = post_goods_issue(call.conn, call.body,
                              posting_date=call.date_or_today("posting_date"))
    return Created(read_material_document(call.conn, result.mat_doc_id),
                   url("material-documents", result.mat_doc_id))


def _reverse_goods_issue(call: Call) -> Created[MaterialDocument]:
    result = reverse_goods_issue(call.conn, call.body,
                                 posting_date=call.date_or_today("posting_date"))
    return Created(read_material_document(call.conn, result.mat_doc_id),
                   url("material-documents", result.mat_doc_id))


DELIVERY_ID = Param("delivery_id", int, "Delivery number", where="path")
DELIVERY = Lookup(delivery, ("delivery_id",), "unknown_delivery", "delivery")
GOODS_ISSUE_BODY = Body(GoodsIssueInput, PostingDate, from_path=("delivery_id",))

OPERATIONS = (
    Operation("GET", "/deliveries", "listDeliveries", "List deliveries", TAG, _list,
              DeliverySummary, paged=True, params=(
                  Param("order_id", int, "Only deliveries of this sales order."),
                  Param("customer", str, "Only deliveries to this sold-to party."),
                  *date_range_params("creation date"), *PAGING)),
    Operation("POST", "/deliveries", "createDelivery", "Create a delivery for a sales order",
              TAG, _create, Delivery, status=201, body=Body(DeliveryInput, CreationDate),
              description="Delivers the given items of the order, or (no items) every "
                          "confirmed quantity due by `created_on` and not yet delivered. "
                          "More than that is an over-delivery (409)."),
    Operation("GET", "/deliveries/{delivery_id}", "getDelivery",
              "A delivery with items and statuses", TAG, _get, Delivery,
              params=(DELIVERY_ID,), lookups=(DELIVERY,)),
    Operation("POST", "/deliveries/{delivery_id}/goods-issue", "postGoodsIssue",
              "Post goods issue (601) for the whole delivery", TAG, _goods_issue,
              MaterialDocument, status=201, params=(DELIVERY_ID,), lookups=(DELIVERY,),
              body=GOODS_ISSUE_BODY,
              description="Lowers unrestricted stock and posts Dr COGS / Cr INVENTORY at "
                          "standard price. A second goods issue is a 409."),
    Operation("POST", "/deliveries/{delivery_id}/goods-issue/reversal",
              "reverseGoodsIssue", "Reverse the goods issue (602)", TAG, _reverse_goods_issue,
              MaterialDocument, status=201, params=(DELIVERY_ID,), lookups=(DELIVERY,),
              body=GOODS_ISSUE_BODY,
              description="Only while the delivery is not billed (else 409)."),
)
