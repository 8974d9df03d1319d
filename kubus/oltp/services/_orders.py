"""Shared pieces of the sales services: schedule lines from confirmations, order locks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp.amounts import ZERO, quantity
from kubus.oltp.availability import Confirmation
from kubus.oltp.errors import Conflict, NotFound
from kubus.oltp.schema import sales_order, sales_order_item


@dataclass(frozen=True)
class ScheduleLineResult:
    line_no: int
    delivery_date: date
    requested_qty: Decimal
    confirmed_qty: Decimal
    material_availability_date: date

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ScheduleLineResult:
        return cls(row["line_no"], row["delivery_date"], row["requested_qty"],
                   row["confirmed_qty"], row["material_availability_date"])


def _line(key: tuple[int, int, int], delivery_date: date, requested: Decimal,
          confirmed: Decimal, conf: Confirmation | None) -> dict[str, Any]:
    order_id, item_no, line_no = key
    dates = {"material_availability_date": delivery_date,
             "transportation_planning_date": delivery_date,
             "loading_date": delivery_date, "goods_issue_date": delivery_date}
    if conf is not None:
        for name in dates:
            dates[name] = getattr(conf, name) or delivery_date
    return {"order_id": order_id, "item_no": item_no, "line_no": line_no,
            "delivery_date": delivery_date, "requested_qty": requested,
            "confirmed_qty": confirmed, **dates}


def lines_from_confirmations(order_id: int, item_no: int, requested: Decimal, wanted: date,
                             confirmations: Sequence[Confirmation], *, first_line: int = 1,
                             ) -> list[dict[str, Any]]:
    """Schedule lines: the first carries the requested quantity and date and what is confirmed
    for that date; each later confirmation date gets a line of its own (requested 0)."""
    on_time = [c for c in confirmations if c.delivery_date <= wanted and c.quantity > 0]
    later: dict[date, list[Confirmation]] = {}
    for conf in confirmations:
        if conf.delivery_date > wanted and conf.quantity > 0:
            later.setdefault(conf.delivery_date, []).append(conf)
    lines = [_line((order_id, item_no, first_line), wanted, requested,
                   quantity(sum((c.quantity for c in on_time), ZERO)),
                   on_time[0] if on_time else None)]
    for n, day in enumerate(sorted(later), start=first_line + 1):
        confs = later[day]
        lines.append(_line((order_id, item_no, n), day, ZERO,
                           quantity(sum((c.quantity for c in confs), ZERO)), confs[0]))
    return lines


def lock_order(conn: sa.Connection, order_id: int, expected_version: int | None) -> Any:
    """The order header, locked; NotFound, or Conflict ``stale_version`` on a version mismatch."""
    row = conn.execute(sa.select(sales_order).where(sales_order.c.order_id == order_id)
                       .with_for_update()).one_or_none()
    if row is None:
        raise NotFound("unknown_order", f"sales order {order_id} does not exist",
                       order_id=order_id)
    if expected_version is not None and row.version != expected_version:
        raise Conflict("stale_version", f"sales order {order_id} is at version {row.version}, "
                       f"not {expected_version}: reload and retry", order_id=order_id,
                       version=row.version)
    return row


def order_item_row(conn: sa.Connection, order_id: int, item_no: int) -> Any:
    row = conn.execute(sa.select(sales_order_item).where(
        sales_order_item.c.order_id == order_id,
        sales_order_item.c.item_no == item_no)).one_or_none()
    if row is None:
        raise NotFound("unknown_order_item", f"sales order {order_id} has no item {item_no}",
                       order_id=order_id, item_no=item_no)
    return row
