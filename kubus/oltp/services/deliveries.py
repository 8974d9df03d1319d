"""Outbound deliveries (LIKP/LIPS), goods issue (movement 601) and its reversal (602).

A delivery takes confirmed schedule lines that are due (selection date = the earlier of the
material availability and transportation planning dates, on or before ``today``) and not yet
delivered. Goods issue lowers unrestricted stock, posts ``Dr COGS / Cr INVENTORY`` at the
standard price and ends the order's requirement; its reversal does the opposite (only while the
delivery is not billed). Example (O2C-1)::

    d = create_delivery(engine, DeliveryInput(4711, (DeliveryItemInput(10, Decimal(60)),)),
                        today=date(2024, 3, 12))                   # delivery 80017
    gi = post_goods_issue(engine, GoodsIssueInput(d.delivery_id), posting_date=date(2024, 3, 12))
    gi.total_amount                                                # Decimal("480.00")
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp.accounting import Account, AccountingEntry, Line, post
from kubus.oltp.amounts import ZERO, check_date, check_quantity, money, quantity
from kubus.oltp.docflow import Category, FlowRow, add_flows
from kubus.oltp.errors import BadRequest, Conflict, Invalid, NotFound
from kubus.oltp.numbering import allocate
from kubus.oltp.schema import (
    accounting_document,
    delivery,
    delivery_item,
    material_document,
    material_document_item,
    material_plant,
    sales_order_item,
    sales_order_schedule_line,
    stock,
    storage_location,
)
from kubus.oltp.services._common import company_currency, lock_row
from kubus.oltp.services._orders import lock_order
from kubus.oltp.status import delivery_item_quantities, order_item_quantities
from kubus.oltp.stock import lock_material_plants, plan_stock_changes, write_stock_changes
from kubus.oltp.store import Bind, transaction
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["DeliveryInput", "DeliveryItemInput", "DeliveryItemResult", "DeliveryResult",
           "GoodsIssueInput", "GoodsMovementItem", "GoodsMovementResult", "create_delivery",
           "post_goods_issue", "reverse_goods_issue"]


@dataclass(frozen=True)
class DeliveryItemInput:
    order_item: int
    quantity: Decimal


@dataclass(frozen=True)
class DeliveryInput:
    """Deliver the given items of an order, or (no items) everything due and undelivered."""

    order_id: int
    items: tuple[DeliveryItemInput, ...] = ()


@dataclass(frozen=True)
class DeliveryItemResult:
    item_no: int
    order_item: int
    material_id: str
    storage_location: str
    quantity: Decimal


@dataclass(frozen=True)
class DeliveryResult:
    delivery_id: int
    order_id: int
    planned_gi_date: date
    items: tuple[DeliveryItemResult, ...]


@dataclass(frozen=True)
class GoodsIssueInput:
    delivery_id: int


@dataclass(frozen=True)
class GoodsMovementItem:
    item_no: int
    material_id: str
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class GoodsMovementResult:
    mat_doc_id: int
    acc_doc_id: int
    movement_type: str
    total_amount: Decimal
    items: tuple[GoodsMovementItem, ...]


def _due(conn: sa.Connection, order_id: int, today: date) -> dict[int, tuple[Decimal, Any]]:
    """Per item: confirmed quantity due by ``today`` and its earliest due schedule line."""
    sl = sales_order_schedule_line
    selection = sa.case((sl.c.transportation_planning_date < sl.c.material_availability_date,
                         sl.c.transportation_planning_date), else_=sl.c.material_availability_date)
    rows = conn.execute(sa.select(sl).where(sl.c.order_id == order_id, sl.c.confirmed_qty > 0,
                                            selection <= today)
                        .order_by(sl.c.item_no, sl.c.delivery_date)).all()
    due: dict[int, tuple[Decimal, Any]] = {}
    for row in rows:
        total, first = due.get(row.item_no, (ZERO, row))
        due[row.item_no] = (total + row.confirmed_qty, first)
    return due


def _choose(request: DeliveryInput, items: dict[int, Any], deliverable: dict[int, Decimal]
            ) -> dict[int, Decimal]:
    if not request.items:
        chosen = {n: q for n, q in deliverable.items() if q > 0 and not items[n].rejected}
        if not chosen:
            raise Invalid("nothing_to_deliver", f"sales order {request.order_id} has no "
                          "confirmed quantity that is due and not yet delivered",
                          order_id=request.order_id)
        return chosen
    chosen = {}
    for n, wanted in enumerate(request.items, start=1):
        qty = check_quantity(wanted.quantity, f"items[{n}].quantity")
        item = items.get(wanted.order_item)
        if item is None:
            raise NotFound("unknown_order_item", f"sales order {request.order_id} has no item "
                           f"{wanted.order_item}", order_id=request.order_id)
        if item.rejected:
            raise Conflict("item_rejected", f"item {wanted.order_item} is rejected",
                           order_id=request.order_id)
        if wanted.order_item in chosen:
            raise BadRequest("duplicate_item", f"item {wanted.order_item} is given twice")
        if qty > deliverable.get(wanted.order_item, ZERO):
            raise Conflict("over_delivery",
                           f"item {wanted.order_item}: {qty} requested but only "
                           f"{deliverable.get(wanted.order_item, ZERO)} confirmed, due and not "
                           "yet delivered", order_id=request.order_id,
                           order_item=wanted.order_item,
                           deliverable=str(deliverable.get(wanted.order_item, ZERO)))
        chosen[wanted.order_item] = qty
    return chosen


def _check_delivery_rules(header: Any, items: dict[int, Any], order_rows: dict[int, Any],
                          chosen: dict[int, Decimal]) -> None:
    for item_no, row in items.items():
        remaining = row.quantity - row.delivered_qty
        if row.rejected or remaining <= 0:
            continue
        qty = chosen.get(item_no, ZERO)
        if header.complete_delivery and qty != remaining:
            raise Invalid("complete_delivery_required", f"order {header.order_id} must be "
                          "delivered complete in one delivery", order_id=header.order_id)
        if header.partial_delivery == "C" and 0 < qty < remaining:
            raise Invalid("partial_delivery_not_allowed", f"item {item_no} may only be "
                          "delivered complete", order_id=header.order_id)
    points = {order_rows[n].shipping_point for n in chosen}
    if len(points) > 1:
        raise Invalid("different_shipping_points", "the items ship from different shipping "
                      "points; deliver them separately", order_id=header.order_id)


def create_delivery(bind: Bind, request: DeliveryInput, *, today: date) -> DeliveryResult:
    """Create an outbound delivery for due, confirmed, undelivered order quantities."""
    check_date(today, "today")
    with transaction(bind) as conn:
        header = lock_order(conn, request.order_id, None)
        items = {r.item_no: r for r in conn.execute(order_item_quantities(request.order_id))}
        order_rows = {r.item_no: r for r in conn.execute(
            sa.select(sales_order_item).where(sales_order_item.c.order_id == request.order_id))}
        due = _due(conn, request.order_id, today)
        deliverable = {n: max(due[n][0] - items[n].delivered_qty, ZERO) for n in due}
        chosen = _choose(request, items, deliverable)
        _check_delivery_rules(header, items, order_rows, chosen)
        slocs = _default_slocs(conn, {order_rows[n].plant for n in chosen})
        stocked = _stocked_slocs(conn, {(order_rows[n].material_id, order_rows[n].plant)
                                        for n in chosen})
        first_lines = [due[n][1] for n in chosen]
        planned_gi = min(line.goods_issue_date for line in first_lines)
        delivery_id = allocate(conn, {"delivery": 1})["delivery"][0]
        unit = UnitOfWork(conn)
        unit.insert(delivery, [{
            "delivery_id": delivery_id, "delivery_type": "LF",
            "shipping_point": order_rows[next(iter(chosen))].shipping_point,
            "route": order_rows[next(iter(chosen))].route, "sold_to": header.sold_to,
            "ship_to": header.ship_to, "created_on": today, "planned_gi_date": planned_gi,
            "delivery_date": min(line.delivery_date for line in first_lines)}])
        rows, flows, results = [], [], []
        for n, (order_item, qty) in enumerate(sorted(chosen.items()), start=1):
            source = order_rows[order_item]
            sloc = source.storage_location or _pick_sloc(
                stocked.get((source.material_id, source.plant), []), qty, slocs[source.plant])
            rows.append({"delivery_id": delivery_id, "item_no": 10 * n,
                         "order_id": request.order_id, "order_item": order_item,
                         "material_id": source.material_id, "plant": source.plant,
                         "storage_location": sloc, "quantity": qty, "unit": source.unit})
            flows.append(FlowRow(Category.ORDER, request.order_id, order_item,
                                 Category.DELIVERY, delivery_id, 10 * n, qty,
                                 money(qty * source.net_price)))
            results.append(DeliveryItemResult(10 * n, order_item, source.material_id, sloc, qty))
        unit.insert(delivery_item, rows)
        add_flows(unit, flows, today)
        unit.finish()
    return DeliveryResult(delivery_id, request.order_id, planned_gi, tuple(results))


def _stocked_slocs(conn: sa.Connection, keys: set[tuple[str, str]]
                   ) -> dict[tuple[str, str], list[tuple[str, Decimal]]]:
    """Per (material, plant): (storage location, unrestricted stock), most stock first."""
    rows = conn.execute(
        sa.select(stock.c.material_id, stock.c.plant, stock.c.storage_location,
                  stock.c.unrestricted)
        .where(sa.tuple_(stock.c.material_id, stock.c.plant).in_(sorted(keys)))
        .order_by(stock.c.unrestricted.desc(), stock.c.storage_location)).all()
    found: dict[tuple[str, str], list[tuple[str, Decimal]]] = {}
    for m, p, sloc, qty in rows:
        found.setdefault((m, p), []).append((sloc, qty))
    return found


def _pick_sloc(stocked: list[tuple[str, Decimal]], qty: Decimal, default: str) -> str:
    """The first storage location that covers ``qty``, else the one with most stock."""
    for sloc, available in stocked:
        if available >= qty:
            return sloc
    return stocked[0][0] if stocked else default


def _default_slocs(conn: sa.Connection, plants: set[str]) -> dict[str, str]:
    sl = storage_location
    rows = conn.execute(sa.select(sl.c.plant, sa.func.min(sl.c.storage_location))
                        .where(sl.c.plant.in_(sorted(plants))).group_by(sl.c.plant)).all()
    found = {plant: sloc for plant, sloc in rows}  # noqa: C416 - rows are tuples
    for plant in sorted(plants - set(found)):
        raise Invalid("no_storage_location", f"plant {plant} has no storage location",
                      plant=plant)
    return found


# --- goods issue ----------------------------------------------------------------------------


def post_goods_issue(bind: Bind, request: GoodsIssueInput, *,
                     posting_date: date) -> GoodsMovementResult:
    """Post goods issue (601) for a whole delivery."""
    check_date(posting_date, "posting_date")
    with transaction(bind) as conn:
        lock_row(conn, delivery, "delivery_id", request.delivery_id, "delivery")
        items = conn.execute(delivery_item_quantities([request.delivery_id])).all()
        if any(row.issued_qty > 0 for row in items):
            raise Conflict("already_issued", f"goods issue for delivery {request.delivery_id} "
                           "is already posted", delivery_id=request.delivery_id)
        order_items = {(r.order_id, r.item_no): r for r in conn.execute(
            sa.select(sales_order_item.c.order_id, sales_order_item.c.item_no,
                      sales_order_item.c.rejection_reason)
            .where(sales_order_item.c.order_id.in_({row.order_id for row in items})))}
        return _move(conn, request.delivery_id, items, order_items, posting_date, reverse=None)


def reverse_goods_issue(bind: Bind, request: GoodsIssueInput, *,
                        posting_date: date) -> GoodsMovementResult:
    """Reverse the goods issue of a delivery (602); not once the delivery is billed."""
    check_date(posting_date, "posting_date")
    with transaction(bind) as conn:
        lock_row(conn, delivery, "delivery_id", request.delivery_id, "delivery")
        md = material_document
        reversed_docs = sa.select(md.c.reversal_of).where(md.c.reversal_of.is_not(None))
        original = conn.execute(
            sa.select(md.c.mat_doc_id)
            .where(md.c.delivery_id == request.delivery_id, md.c.movement_type == "601",
                   md.c.mat_doc_id.not_in(reversed_docs))).scalar()
        if original is None:
            raise Conflict("not_issued", f"delivery {request.delivery_id} has no goods issue "
                           "to reverse", delivery_id=request.delivery_id)
        items = conn.execute(delivery_item_quantities([request.delivery_id])).all()
        if any(row.billed_qty > 0 for row in items):
            raise Conflict("already_billed", f"delivery {request.delivery_id} is billed; "
                           "cancel the billing document first", delivery_id=request.delivery_id)
        order_items = {(r.order_id, r.item_no): r for r in conn.execute(
            sa.select(sales_order_item.c.order_id, sales_order_item.c.item_no,
                      sales_order_item.c.rejection_reason)
            .where(sales_order_item.c.order_id.in_({row.order_id for row in items})))}
        return _move(conn, request.delivery_id, items, order_items, posting_date,
                     reverse=int(original))


def _move(conn: sa.Connection, delivery_id: int, items: Sequence[Any],
          order_items: dict[tuple[int, int], Any], posting_date: date, *,
          reverse: int | None) -> GoodsMovementResult:
    """Goods issue (``reverse`` None) or its reversal (``reverse`` = the 601 document)."""
    sign = Decimal(1) if reverse is not None else Decimal(-1)
    movement = "602" if reverse is not None else "601"
    locked = lock_material_plants(conn, {(r.material_id, r.plant) for r in items})
    plan = plan_stock_changes(conn, _deltas(items, sign))
    numbers = allocate(conn, {"material_document": 1, "accounting_document": 1})
    mat_doc_id = numbers["material_document"][0]
    acc_doc_id = numbers["accounting_document"][0]
    currency = company_currency(conn)
    open_delta: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    rows, lines, flows, results = [], [], [], []
    for n, r in enumerate(items, start=1):
        amount = money(r.quantity * locked[(r.material_id, r.plant)].standard_price)
        rows.append({"mat_doc_id": mat_doc_id, "item_no": n, "movement_type": movement,
                     "material_id": r.material_id, "plant": r.plant,
                     "storage_location": r.storage_location, "stock_type": "U",
                     "quantity": r.quantity, "debit_credit": "S" if reverse else "H",
                     "amount": amount, "currency": currency, "delivery_id": delivery_id,
                     "delivery_item": r.item_no, "order_id": r.order_id,
                     "order_item": r.order_item})
        cogs, stock_line = (Line(Account.COGS, debit=amount, material_id=r.material_id),
                            Line(Account.INVENTORY, credit=amount, material_id=r.material_id))
        lines += [cogs, stock_line] if reverse is None else [
            Line(Account.INVENTORY, debit=amount, material_id=r.material_id),
            Line(Account.COGS, credit=amount, material_id=r.material_id)]
        flows.append(FlowRow(Category.DELIVERY, delivery_id, r.item_no,
                             Category.GOODS_ISSUE_CANCELLATION if reverse
                             else Category.GOODS_MOVEMENT, mat_doc_id, n, r.quantity, amount,
                             movement))
        if order_items[(r.order_id, r.order_item)].rejection_reason is None:
            open_delta[(r.material_id, r.plant)] += sign * r.quantity
        results.append(GoodsMovementItem(n, r.material_id, r.quantity, amount))
    unit = UnitOfWork(conn)
    unit.insert(material_document, [{
        "mat_doc_id": mat_doc_id, "movement_type": movement, "posting_date": posting_date,
        "document_date": posting_date, "delivery_id": delivery_id, "reversal_of": reverse}])
    write_stock_changes(unit, plan)  # first: movement items refer to stock rows
    unit.insert(material_document_item, rows)
    for (material_id, plant), delta in sorted(open_delta.items()):
        conn.execute(sa.update(material_plant).where(
            material_plant.c.material_id == material_id, material_plant.c.plant == plant)
            .values(open_confirmed_qty=quantity(
                locked[(material_id, plant)].open_confirmed_qty + delta)))
    original_acc = None if reverse is None else conn.execute(
        sa.select(accounting_document.c.acc_doc_id).where(
            accounting_document.c.reference_type == "material_document",
            accounting_document.c.reference_id == reverse)).scalar()
    post(unit, AccountingEntry(acc_doc_id, "WL", posting_date, currency, "material_document",
                               mat_doc_id, tuple(lines), reversal_of=original_acc))
    add_flows(unit, flows, posting_date)
    unit.finish()
    total = sum((r.amount for r in results), ZERO)
    return GoodsMovementResult(mat_doc_id, acc_doc_id, movement, total, tuple(results))


def _deltas(items: Sequence[Any], sign: Decimal) -> dict[tuple[str, str, str, str], Decimal]:
    deltas: dict[tuple[str, str, str, str], Decimal] = defaultdict(lambda: ZERO)
    for r in items:
        deltas[(r.material_id, r.plant, r.storage_location, "U")] += sign * r.quantity
    return dict(deltas)
