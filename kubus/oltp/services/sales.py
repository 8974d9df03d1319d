"""Sales orders (VBAK/VBAP/VBEP): create with the availability check, change a quantity,
reject an item.

Order entry locks the ``material_plant`` row of every item (in key order) before it asks the
availability checker, then writes the confirmations as schedule lines and adds them to the
row's open confirmed quantity, all in one transaction: concurrent orders for a scarce material
check one after the other and never confirm more than is available. Example (O2C-1)::

    result = create_sales_order(engine, SalesOrderInput(
        sold_to="C1", requested_delivery_date=date(2024, 3, 12),
        items=(OrderItemInput("M1", Decimal(100), plant="1000", net_price=Decimal("12.50")),)),
        today=date(2024, 3, 4))
    result.order_id, result.net_value, result.items[0].confirmed_qty   # 4711, 1250.00, 100
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp.amounts import ZERO, check_date, check_money, check_quantity, money, quantity
from kubus.oltp.availability import (
    AvailabilityChecker,
    AvailabilityRequest,
    Confirmation,
    StockOnlyChecker,
)
from kubus.oltp.errors import BadRequest, Conflict, Invalid
from kubus.oltp.numbering import allocate_one
from kubus.oltp.prepared import Prepared, pipelined
from kubus.oltp.schema import material_plant, sales_order, sales_order_item
from kubus.oltp.schema import sales_order_schedule_line as schedule_line
from kubus.oltp.services import _lookup
from kubus.oltp.services._orders import (
    ScheduleLineResult,
    lines_from_confirmations,
    lock_order,
    order_item_row,
)
from kubus.oltp.status import order_item_quantities
from kubus.oltp.stock import lock_material_plants
from kubus.oltp.store import Bind, transaction
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["ChangeQuantityInput", "ItemChangeResult", "OrderItemInput", "OrderItemResult",
           "RejectItemInput", "SalesOrderInput", "SalesOrderResult", "ScheduleLineResult",
           "change_item_quantity", "create_sales_order", "reject_item"]

MAX_ITEMS = 999
_DEFAULT_CHECKER = StockOnlyChecker()

_ADD_OPEN = Prepared(
    sa.update(material_plant)
    .where(material_plant.c.material_id == sa.bindparam("m"),
           material_plant.c.plant == sa.bindparam("p"))
    .values(open_confirmed_qty=sa.bindparam("qty", type_=material_plant.c.open_confirmed_qty.type))
)


@dataclass(frozen=True)
class OrderItemInput:
    """One item: material and quantity; plant, price and date default from master data."""

    material_id: str
    quantity: Decimal
    plant: str | None = None
    net_price: Decimal | None = None
    requested_delivery_date: date | None = None
    storage_location: str | None = None


@dataclass(frozen=True)
class SalesOrderInput:
    """A new sales order. The sales area may be left out when the customer has only one."""

    sold_to: str
    requested_delivery_date: date
    items: tuple[OrderItemInput, ...]
    sales_org: str | None = None
    distribution_channel: str | None = None
    division: str | None = None
    ship_to: str | None = None
    currency: str | None = None
    order_type: str = "OR"
    customer_reference: str = ""
    channel: str = ""


@dataclass(frozen=True)
class OrderItemResult:
    item_no: int
    material_id: str
    plant: str
    quantity: Decimal
    confirmed_qty: Decimal
    net_price: Decimal
    net_value: Decimal
    tax_rate: Decimal
    schedule_lines: tuple[ScheduleLineResult, ...]


@dataclass(frozen=True)
class SalesOrderResult:
    order_id: int
    sold_to: str
    currency: str
    net_value: Decimal
    items: tuple[OrderItemResult, ...]


def _check_input(order: SalesOrderInput, today: date) -> list[tuple[OrderItemInput, Decimal,
                                                                      Decimal | None, date]]:
    check_date(today, "today")
    check_date(order.requested_delivery_date, "requested_delivery_date")
    if not order.items:
        raise BadRequest("no_items", "a sales order needs at least one item")
    if len(order.items) > MAX_ITEMS:
        raise BadRequest("too_many_items", f"a sales order has at most {MAX_ITEMS} items")
    checked = []
    for n, item in enumerate(order.items, start=1):
        qty = check_quantity(item.quantity, f"items[{n}].quantity")
        price = (None if item.net_price is None
                 else check_money(item.net_price, f"items[{n}].net_price"))
        wanted = item.requested_delivery_date or order.requested_delivery_date
        check_date(wanted, f"items[{n}].requested_delivery_date")
        checked.append((item, qty, price, wanted))
    return checked


def create_sales_order(bind: Bind, order: SalesOrderInput, *, today: date,
                       checker: AvailabilityChecker | None = None) -> SalesOrderResult:
    """Create a sales order with items and confirmed schedule lines, in one transaction."""
    checked = _check_input(order, today)
    checker = checker or _DEFAULT_CHECKER
    with transaction(bind) as conn:
        ctx = _lookup.sales_context(conn, order.sold_to, (
            order.sales_org, order.distribution_channel, order.division), order.ship_to)
        area = ctx.area
        doc_currency = order.currency or area.currency
        if order.currency is not None and order.currency != area.currency:
            _lookup.check_currency(conn, order.currency)
        plant_ids = []
        for n, (item, _, _, _) in enumerate(checked, start=1):
            plant_id = item.plant or area.delivering_plant
            if plant_id is None:
                raise BadRequest("plant_required", f"items[{n}]: no plant given and customer "
                                 f"{order.sold_to} has no delivering plant")
            plant_ids.append(plant_id)
        data = _lookup.item_data(conn, ((item.material_id, p) for (item, *_), p in zip(
            checked, plant_ids, strict=True)), ctx, doc_currency, today)
        items: list[dict[str, Any]] = []
        for n, ((item, qty, given_price, wanted), plant_id) in enumerate(
                zip(checked, plant_ids, strict=True), start=1):
            row = data[(item.material_id, plant_id)]
            price = given_price if given_price is not None else row.list_price
            if price is None:
                raise Invalid("no_price", f"no {doc_currency} sales price for material "
                              f"{item.material_id} in sales org {area.sales_org}",
                              material_id=item.material_id)
            if row.tax_code is None:
                raise Invalid("no_tax_rate", f"no tax rate for country {row.country}, "
                              f"customer class {ctx.sold_to.tax_class}, material class "
                              f"{row.tax_class}", material_id=item.material_id)
            items.append({
                "item_no": 10 * n, "material_id": item.material_id, "plant": plant_id,
                "storage_location": item.storage_location,
                "shipping_point": row.shipping_point, "route": row.route,
                "quantity": qty, "unit": row.base_unit, "net_price": price,
                "net_value": money(qty * price), "tax_code": row.tax_code,
                "tax_rate": row.tax_rate, "requested_delivery_date": wanted,
                "item_category": "TAN"})
        order_id = allocate_one(conn, "sales_order")
        net_value = sum((i["net_value"] for i in items), ZERO)
        unit = UnitOfWork(conn)
        unit.insert(sales_order, [{
            "order_id": order_id, "order_type": order.order_type,
            "sales_org": area.sales_org, "distribution_channel": area.distribution_channel,
            "division": area.division, "sold_to": order.sold_to,
            "ship_to": ctx.ship_to.customer_id, "bill_to": ctx.bill_to, "payer": ctx.payer,
            "order_date": today, "requested_delivery_date": order.requested_delivery_date,
            "currency": doc_currency, "payment_terms": area.payment_terms,
            "shipping_conditions": area.shipping_conditions,
            "delivery_priority": area.delivery_priority,
            "complete_delivery": area.complete_delivery,
            "partial_delivery": area.partial_delivery,
            "customer_reference": order.customer_reference, "channel": order.channel,
            "net_value": net_value, "version": 1}])
        results = _confirm_and_write(unit, order_id, items, locked=data, checker=checker,
                                     ctx=ctx, today=today)
    return SalesOrderResult(order_id, order.sold_to, doc_currency, net_value, results)


def _confirm_and_write(unit: UnitOfWork, order_id: int, items: list[dict[str, Any]], *,
                       locked: dict[tuple[str, str], Any], checker: AvailabilityChecker,
                       ctx: _lookup.SalesContext, today: date) -> tuple[OrderItemResult, ...]:
    """Check each item, write items, schedule lines, open quantities and the change log.

    Writes are batched; they are flushed before checking an item whose material/plant an
    earlier item of this order already confirmed, so the checker sees those confirmations.
    The last flush and the change log go out pipelined (PostgreSQL: two round trips instead
    of five; the checks, which read, are done by then).
    """
    open_qty = {key: row.open_confirmed_qty for key, row in locked.items()}
    pending_items: list[dict[str, Any]] = []
    pending_lines: list[dict[str, Any]] = []
    pending_keys: set[tuple[str, str]] = set()
    results = []

    def flush() -> None:
        unit.insert(sales_order_item, [{"order_id": order_id, **i} for i in pending_items])
        unit.insert(schedule_line, pending_lines)
        _ADD_OPEN.executemany(unit.conn, [{"m": m, "p": p, "qty": open_qty[(m, p)]}
                                          for m, p in sorted(pending_keys)])
        pending_items.clear()
        pending_lines.clear()
        pending_keys.clear()

    requests = [AvailabilityRequest(
        item["material_id"], item["plant"], item["quantity"], item["requested_delivery_date"],
        today, checking_group=locked[(item["material_id"], item["plant"])].checking_group,
        customer_id=ctx.sold_to.customer_id, ship_to=ctx.ship_to.customer_id,
        shipping_point=item["shipping_point"], route=item["route"]) for item in items]
    keys = [(item["material_id"], item["plant"]) for item in items]
    check_many = getattr(checker, "check_many", None)
    # One call for the whole order when no two items compete for the same material/plant.
    answers = (list(check_many(unit.conn, requests))
               if check_many is not None and len(set(keys)) == len(keys) else None)
    for n, (item, request, key) in enumerate(zip(items, requests, keys, strict=True)):
        if answers is not None:
            confirmations = list(answers[n])
        else:
            if key in pending_keys:
                flush()
            confirmations = list(checker.check(unit.conn, request))
        lines = lines_from_confirmations(order_id, item["item_no"], item["quantity"],
                                         item["requested_delivery_date"], confirmations)
        confirmed = sum((line["confirmed_qty"] for line in lines), ZERO)
        if confirmed > item["quantity"]:
            raise ValueError(f"availability checker confirmed {confirmed} of "
                             f"{item['quantity']} (material {item['material_id']})")
        open_qty[key] = quantity(open_qty[key] + confirmed)
        pending_items.append(item)
        pending_lines.extend(lines)
        pending_keys.add(key)
        results.append(OrderItemResult(
            item["item_no"], item["material_id"], item["plant"], item["quantity"], confirmed,
            item["net_price"], item["net_value"], item["tax_rate"],
            tuple(ScheduleLineResult.from_row(line) for line in lines)))
    with pipelined(unit.conn):
        flush()
        unit.finish()
    return tuple(results)


# --- changes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeQuantityInput:
    """A new order quantity for one item; ``expected_version`` guards against lost updates."""

    order_id: int
    item_no: int
    quantity: Decimal
    expected_version: int | None = None


@dataclass(frozen=True)
class RejectItemInput:
    """Reject (close) an item with a reason code; it then counts as completed."""

    order_id: int
    item_no: int
    reason: str = "00"
    expected_version: int | None = None


@dataclass(frozen=True)
class ItemChangeResult:
    order_id: int
    item_no: int
    quantity: Decimal
    confirmed_qty: Decimal
    rejected: bool
    order_net_value: Decimal
    version: int


def _item_quantities(conn: sa.Connection, order_id: int, item_no: int) -> Any:
    for row in conn.execute(order_item_quantities(order_id)):
        if row.item_no == item_no:
            return row
    raise AssertionError("item vanished")  # pragma: no cover - the item was read just before


def _touch_header(unit: UnitOfWork, header: Any) -> tuple[Decimal, int]:
    """Recompute the header net value from its items and bump the version."""
    i = sales_order_item
    net = unit.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(i.c.net_value), 0))
        .where(i.c.order_id == header.order_id, i.c.rejection_reason.is_(None))).scalar_one()
    net_value, version = money(Decimal(net)), header.version + 1
    unit.update(sales_order, {"order_id": header.order_id},
                {"net_value": net_value, "version": version})
    return net_value, version


def change_item_quantity(bind: Bind, change: ChangeQuantityInput, *, today: date,
                         checker: AvailabilityChecker | None = None) -> ItemChangeResult:
    """Change an item's quantity: more is checked for availability, less gives confirmations
    back (latest schedule lines first). Never below the quantity already delivered."""
    check_date(today, "today")
    new_qty = check_quantity(change.quantity)
    checker = checker or _DEFAULT_CHECKER
    with transaction(bind) as conn:
        header = lock_order(conn, change.order_id, change.expected_version)
        item = order_item_row(conn, change.order_id, change.item_no)
        if item.rejection_reason is not None:
            raise Conflict("item_rejected", f"item {change.item_no} of order "
                           f"{change.order_id} is rejected", order_id=change.order_id)
        done = _item_quantities(conn, change.order_id, change.item_no)
        if new_qty < done.delivered_qty:
            raise Conflict("below_delivered_quantity",
                           f"{done.delivered_qty} of item {change.item_no} are already "
                           f"delivered; the quantity cannot go below that",
                           order_id=change.order_id, delivered=str(done.delivered_qty))
        key = (item.material_id, item.plant)
        locked = lock_material_plants(conn, [key])[key]
        lines = {r.line_no: dict(r._mapping) for r in conn.execute(
            sa.select(schedule_line).where(schedule_line.c.order_id == change.order_id,
                                           schedule_line.c.item_no == change.item_no))}
        old_confirmed = sum((line["confirmed_qty"] for line in lines.values()), ZERO)
        new_lines: list[dict[str, Any]] = []
        if new_qty > item.quantity:
            request = AvailabilityRequest(
                item.material_id, item.plant, new_qty - item.quantity,
                item.requested_delivery_date, today, checking_group=locked.checking_group,
                customer_id=header.sold_to, ship_to=header.ship_to,
                shipping_point=item.shipping_point, route=item.route)
            new_lines = _merge_confirmations(lines, list(checker.check(conn, request)),
                                             change, item.requested_delivery_date)
        else:
            _give_back(lines, old_confirmed - min(old_confirmed, new_qty))
        lines[min(lines)]["requested_qty"] = new_qty
        new_confirmed = sum((line["confirmed_qty"] for line in [*lines.values(), *new_lines]),
                            ZERO)
        if new_confirmed > new_qty:
            raise ValueError("availability checker confirmed more than requested")
        unit = UnitOfWork(conn)
        for line in lines.values():
            unit.update(schedule_line, {k: line[k] for k in ("order_id", "item_no", "line_no")},
                        {"requested_qty": line["requested_qty"],
                         "confirmed_qty": line["confirmed_qty"]})
        unit.insert(schedule_line, new_lines)
        _ADD_OPEN.executemany(conn, [{"m": key[0], "p": key[1], "qty": quantity(
            locked.open_confirmed_qty + new_confirmed - old_confirmed)}])
        unit.update(sales_order_item, {"order_id": change.order_id, "item_no": change.item_no},
                    {"quantity": new_qty, "net_value": money(new_qty * item.net_price)})
        net_value, version = _touch_header(unit, header)
        unit.finish()
    return ItemChangeResult(change.order_id, change.item_no, new_qty, new_confirmed, False,
                            net_value, version)


def _merge_confirmations(lines: dict[int, dict[str, Any]], confirmations: list[Confirmation],
                         change: ChangeQuantityInput, wanted: date) -> list[dict[str, Any]]:
    """Add confirmations to the line of their date (line 1 for on-time ones) or new lines."""
    first = min(lines)
    by_date = {line["delivery_date"]: line for n, line in lines.items() if n != first}
    new_lines: list[dict[str, Any]] = []
    next_no = max(lines) + 1
    for conf in confirmations:
        if conf.quantity <= 0:
            continue
        target = lines[first] if conf.delivery_date <= wanted else by_date.get(conf.delivery_date)
        if target is None:
            target = lines_from_confirmations(change.order_id, change.item_no, ZERO, wanted,
                                              [conf], first_line=next_no - 1)[1]
            new_lines.append(target)
            by_date[conf.delivery_date] = target
            next_no += 1
        else:
            target["confirmed_qty"] = quantity(target["confirmed_qty"] + conf.quantity)
    return new_lines


def _give_back(lines: dict[int, dict[str, Any]], excess: Decimal) -> None:
    """Reduce confirmed quantities by ``excess``, latest schedule line first."""
    for line_no in sorted(lines, reverse=True):
        if excess <= 0:
            break
        take = min(excess, lines[line_no]["confirmed_qty"])
        lines[line_no]["confirmed_qty"] = quantity(lines[line_no]["confirmed_qty"] - take)
        excess -= take


def reject_item(bind: Bind, reject: RejectItemInput, *, today: date) -> ItemChangeResult:
    """Reject an item: it counts as completed and its open confirmation is released."""
    check_date(today, "today")
    if not reject.reason or len(reject.reason) > 2:
        raise BadRequest("invalid_reason", "a rejection reason is a code of 1 or 2 characters")
    with transaction(bind) as conn:
        header = lock_order(conn, reject.order_id, reject.expected_version)
        item = order_item_row(conn, reject.order_id, reject.item_no)
        if item.rejection_reason is not None:
            raise Conflict("already_rejected", f"item {reject.item_no} of order "
                           f"{reject.order_id} is already rejected", order_id=reject.order_id)
        done = _item_quantities(conn, reject.order_id, reject.item_no)
        if done.delivered_qty >= item.quantity:
            raise Conflict("item_completed", f"item {reject.item_no} is fully delivered",
                           order_id=reject.order_id)
        if done.delivered_qty > done.issued_qty:
            raise Conflict("open_delivery", f"item {reject.item_no} has a delivery without "
                           "goods issue; reverse or issue it first", order_id=reject.order_id)
        key = (item.material_id, item.plant)
        locked = lock_material_plants(conn, [key])[key]
        release = Decimal(done.confirmed_qty) - Decimal(done.issued_qty)
        _ADD_OPEN.executemany(conn, [{"m": key[0], "p": key[1],
                                      "qty": quantity(locked.open_confirmed_qty - release)}])
        unit = UnitOfWork(conn)
        unit.update(sales_order_item, {"order_id": reject.order_id, "item_no": reject.item_no},
                    {"rejection_reason": reject.reason})
        net_value, version = _touch_header(unit, header)
        unit.finish()
    return ItemChangeResult(reject.order_id, reject.item_no, item.quantity,
                            Decimal(done.confirmed_qty), True, net_value, version)
