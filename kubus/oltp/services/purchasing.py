"""Procure-to-pay: purchase requisitions (EBAN), purchase orders with schedule lines
(EKKO/EKPO/EKET), goods receipt (101) and its reversal (102), invoice receipt (RBKP/RSEG).
The last three live in :mod:`kubus.oltp.services.receipts` and are re-exported here.

Materials are valued at their standard price: a goods receipt posts ``Dr INVENTORY`` at
standard and ``Cr GRIR`` at the PO price (a difference goes to PRICE_DIFFERENCE); the invoice
receipt clears GR/IR at the PO price, sends the invoice's own price difference to
PRICE_DIFFERENCE and owes the vendor the gross amount (``Cr VENDOR``, an AP open item). The
three-way match: only received, not yet invoiced quantities can be invoiced. Example (P2P-1)::

    pr = create_purchase_requisition(engine, RequisitionInput((RequisitionItemInput(
        "M2", "1000", Decimal(200), date(2024, 3, 20)),)), today=date(2024, 3, 1))
    po = create_purchase_order(engine, PurchaseOrderInput("V100", (PurchaseOrderItemInput(
        "M2", "1000", Decimal(200), date(2024, 3, 15), net_price=Decimal("4.00"),
        pr_id=pr.pr_id, pr_item=10),)), today=date(2024, 3, 1))           # 4500000123
    post_goods_receipt(engine, GoodsReceiptInput(po.po_id, (GoodsReceiptItemInput(10,
        Decimal(150)),)), posting_date=date(2024, 3, 15))                  # 600.00
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp.amounts import ZERO, check_date, check_money, check_quantity, money
from kubus.oltp.docflow import Category, FlowRow, add_flows
from kubus.oltp.errors import BadRequest, Conflict, Invalid, NotFound
from kubus.oltp.numbering import allocate
from kubus.oltp.schema import (
    purchase_info,
    purchase_order,
    purchase_order_item,
    purchase_order_schedule_line,
    purchase_requisition,
    vendor,
)
from kubus.oltp.services import _lookup
from kubus.oltp.services._common import lock_row
from kubus.oltp.services.receipts import (
    GoodsReceiptInput,
    GoodsReceiptItemInput,
    InvoiceReceiptInput,
    InvoiceReceiptItemInput,
    InvoiceReceiptResult,
    ReverseGoodsReceiptInput,
    post_goods_receipt,
    post_invoice_receipt,
    reverse_goods_receipt,
)
from kubus.oltp.stock import lock_material_plants
from kubus.oltp.store import Bind, transaction
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["GoodsReceiptInput", "GoodsReceiptItemInput", "InvoiceReceiptInput",
           "InvoiceReceiptItemInput", "InvoiceReceiptResult", "PurchaseOrderInput",
           "PurchaseOrderItemInput", "PurchaseOrderResult", "RequisitionInput",
           "RequisitionItemInput", "RequisitionResult", "ReverseGoodsReceiptInput",
           "create_purchase_order", "create_purchase_requisition", "post_goods_receipt",
           "post_invoice_receipt", "reverse_goods_receipt"]


@dataclass(frozen=True)
class RequisitionItemInput:
    material_id: str
    plant: str
    quantity: Decimal
    needed_by: date
    storage_location: str | None = None
    desired_vendor: str | None = None


@dataclass(frozen=True)
class RequisitionInput:
    items: tuple[RequisitionItemInput, ...]


@dataclass(frozen=True)
class RequisitionResult:
    pr_id: int
    item_nos: tuple[int, ...]


@dataclass(frozen=True)
class PurchaseOrderItemInput:
    """One PO item; ``schedule`` ((date, qty), ...) splits it, else one line on the date."""

    material_id: str
    plant: str
    quantity: Decimal
    delivery_date: date
    net_price: Decimal | None = None
    storage_location: str | None = None
    pr_id: int | None = None
    pr_item: int | None = None
    schedule: tuple[tuple[date, Decimal], ...] = ()


@dataclass(frozen=True)
class PurchaseOrderInput:
    vendor_id: str
    items: tuple[PurchaseOrderItemInput, ...]
    purchasing_org: str | None = None


@dataclass(frozen=True)
class PurchaseOrderResult:
    po_id: int
    vendor_id: str
    currency: str
    net_value: Decimal
    item_nos: tuple[int, ...]


def create_purchase_requisition(bind: Bind, request: RequisitionInput, *,
                                today: date) -> RequisitionResult:
    """Create a purchase requisition (no posting)."""
    check_date(today, "today")
    if not request.items:
        raise BadRequest("no_items", "a purchase requisition needs at least one item")
    rows: list[dict[str, Any]] = []
    for n, item in enumerate(request.items, start=1):
        check_date(item.needed_by, f"items[{n}].needed_by")
        rows.append({"item_no": 10 * n, "material_id": item.material_id, "plant": item.plant,
                     "storage_location": item.storage_location,
                     "quantity": check_quantity(item.quantity, f"items[{n}].quantity"),
                     "needed_by": item.needed_by, "created_on": today,
                     "desired_vendor": item.desired_vendor})
    with transaction(bind) as conn:
        mats = _lookup.materials(conn, (r["material_id"] for r in rows))
        lock_material_plants(conn, {(r["material_id"], r["plant"]) for r in rows}, lock=False)
        for r in rows:
            wanted = r["desired_vendor"]
            if wanted is not None and conn.execute(sa.select(vendor.c.vendor_id).where(
                    vendor.c.vendor_id == wanted)).scalar() is None:
                raise NotFound("unknown_vendor", f"vendor {wanted} does not exist",
                               vendor_id=wanted)
            r["unit"] = mats[r["material_id"]].base_unit
        pr_id = allocate(conn, {"purchase_requisition": 1})["purchase_requisition"][0]
        unit = UnitOfWork(conn)
        unit.insert(purchase_requisition, [{"pr_id": pr_id, **r} for r in rows])
        unit.finish()
    return RequisitionResult(pr_id, tuple(r["item_no"] for r in rows))


def _schedule(n: int, item: PurchaseOrderItemInput, qty: Decimal) -> list[tuple[date, Decimal]]:
    check_date(item.delivery_date, f"items[{n}].delivery_date")
    if not item.schedule:
        return [(item.delivery_date, qty)]
    lines = [(check_date(d, f"items[{n}].schedule date"),
              check_quantity(q, f"items[{n}].schedule quantity")) for d, q in item.schedule]
    if sum((q for _, q in lines), ZERO) != qty:
        raise BadRequest("schedule_mismatch", f"items[{n}]: the schedule lines add up to "
                         f"{sum((q for _, q in lines), ZERO)}, not {qty}")
    return lines


def create_purchase_order(bind: Bind, request: PurchaseOrderInput, *,
                          today: date) -> PurchaseOrderResult:
    """Create a purchase order (no posting; its open quantity is a planned receipt)."""
    check_date(today, "today")
    if not request.items:
        raise BadRequest("no_items", "a purchase order needs at least one item")
    checked = []
    for n, item in enumerate(request.items, start=1):
        qty = check_quantity(item.quantity, f"items[{n}].quantity")
        price = (None if item.net_price is None
                 else check_money(item.net_price, f"items[{n}].net_price"))
        if (item.pr_id is None) != (item.pr_item is None):
            raise BadRequest("requisition_item_required", f"items[{n}]: give both pr_id and "
                             "pr_item, or neither")
        checked.append((item, qty, price, _schedule(n, item, qty)))
    with transaction(bind) as conn:
        supplier = lock_row(conn, vendor, "vendor_id", request.vendor_id, "vendor")
        mats = _lookup.materials(conn, (i.material_id for i, *_ in checked))
        lock_material_plants(conn, {(i.material_id, i.plant) for i, *_ in checked}, lock=False)
        slocs = _default_slocs(conn, {i.plant for i, *_ in checked})
        _check_requisitions(conn, checked)
        info = {r.material_id: r.price for r in conn.execute(sa.select(purchase_info).where(
            purchase_info.c.vendor_id == request.vendor_id,
            purchase_info.c.currency == supplier.currency))}
        po_id = allocate(conn, {"purchase_order": 1})["purchase_order"][0]
        items, lines, flows = [], [], []
        for n, (item, qty, given_price, schedule) in enumerate(checked, start=1):
            price = given_price
            if price is None:
                if item.material_id not in info:
                    raise Invalid("no_price", f"no price for {item.material_id} from vendor "
                                  f"{request.vendor_id}", material_id=item.material_id)
                price = info[item.material_id]
            value = money(qty * price)
            items.append({"po_id": po_id, "item_no": 10 * n, "material_id": item.material_id,
                          "plant": item.plant,
                          "storage_location": item.storage_location or slocs[item.plant],
                          "quantity": qty, "unit": mats[item.material_id].base_unit,
                          "net_price": price, "net_value": value, "pr_id": item.pr_id,
                          "pr_item": item.pr_item})
            lines += [{"po_id": po_id, "item_no": 10 * n, "line_no": k, "delivery_date": d,
                       "quantity": q} for k, (d, q) in enumerate(schedule, start=1)]
            if item.pr_id is not None and item.pr_item is not None:
                flows.append(FlowRow(Category.PURCHASE_REQUISITION, item.pr_id, item.pr_item,
                                     Category.PURCHASE_ORDER, po_id, 10 * n, qty, value))
        net_value = sum((i["net_value"] for i in items), ZERO)
        unit = UnitOfWork(conn)
        unit.insert(purchase_order, [{
            "po_id": po_id, "vendor_id": request.vendor_id,
            "purchasing_org": request.purchasing_org or supplier.purchasing_org,
            "po_date": today, "currency": supplier.currency,
            "payment_terms": supplier.payment_terms, "net_value": net_value}])
        unit.insert(purchase_order_item, items)
        unit.insert(purchase_order_schedule_line, lines)
        add_flows(unit, flows, today)
        unit.finish()
    return PurchaseOrderResult(po_id, request.vendor_id, supplier.currency, net_value,
                               tuple(i["item_no"] for i in items))


def _default_slocs(conn: sa.Connection, plants: set[str]) -> dict[str, str]:
    from kubus.oltp.services.deliveries import _default_slocs as slocs
    return slocs(conn, plants)


def _check_requisitions(conn: sa.Connection, checked: list[Any]) -> None:
    pr, poi = purchase_requisition, purchase_order_item
    wanted: dict[tuple[int, int], Decimal] = {}
    for item, qty, *_ in checked:
        if item.pr_id is not None:
            key = (item.pr_id, item.pr_item)
            wanted[key] = wanted.get(key, ZERO) + qty
    for (pr_id, pr_item), qty in sorted(wanted.items()):
        row = conn.execute(sa.select(pr).where(pr.c.pr_id == pr_id, pr.c.item_no == pr_item)
                           .with_for_update()).one_or_none()
        if row is None:
            raise NotFound("unknown_requisition_item", f"purchase requisition {pr_id} has no "
                           f"item {pr_item}", pr_id=pr_id)
        source = next(i for i, *_ in checked if (i.pr_id, i.pr_item) == (pr_id, pr_item))
        if (row.material_id, row.plant) != (source.material_id, source.plant):
            raise Invalid("requisition_mismatch", f"requisition {pr_id}/{pr_item} is for "
                          f"{row.material_id} in {row.plant}", pr_id=pr_id)
        ordered = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(poi.c.quantity), 0))
                               .where(poi.c.pr_id == pr_id, poi.c.pr_item == pr_item)
                               ).scalar_one()
        if qty > row.quantity - Decimal(ordered):
            raise Conflict("over_order", f"requisition {pr_id}/{pr_item}: {qty} ordered but "
                           f"only {row.quantity - Decimal(ordered)} open", pr_id=pr_id)
