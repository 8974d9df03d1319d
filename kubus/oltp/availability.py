"""The availability check order entry calls, passed in by the caller.

``oltp/`` may not import ``scheduling/`` (the ATP of issue #4), so order entry takes any object
with the :class:`AvailabilityChecker` shape. The default, :class:`StockOnlyChecker`, confirms
from unrestricted stock minus the open confirmed quantity of all sales orders (confirmed but
not yet goods-issued), on the requested date. The service calls the checker inside its
transaction *after* locking the material/plant row, so two orders for the same material check
one after the other and can never confirm the same stock twice.

Example::

    checker = StockOnlyChecker()
    checker.check(conn, AvailabilityRequest("M1", "1000", Decimal(100), date(2024, 3, 12),
                                            today=date(2024, 3, 4)))
    # [Confirmation(quantity=Decimal("100"), delivery_date=date(2024, 3, 12))]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

import sqlalchemy as sa

from kubus.oltp.amounts import ZERO, quantity
from kubus.oltp.prepared import PreparedQuery
from kubus.oltp.schema import (
    material_document_item,
    material_plant,
    sales_order_item,
    sales_order_schedule_line,
    stock,
)

__all__ = ["AvailabilityChecker", "AvailabilityRequest", "BatchAvailabilityChecker",
           "Confirmation", "StockOnlyChecker", "open_confirmed_from_documents"]


@dataclass(frozen=True)
class AvailabilityRequest:
    """What order entry asks: a quantity of a material in a plant for a delivery date."""

    material_id: str
    plant: str
    quantity: Decimal
    requested_date: date
    today: date
    checking_group: str = "02"
    customer_id: str | None = None
    ship_to: str | None = None
    shipping_point: str | None = None
    route: str | None = None


@dataclass(frozen=True)
class Confirmation:
    """A confirmed quantity for a delivery date; scheduling dates default to that date."""

    quantity: Decimal
    delivery_date: date
    material_availability_date: date | None = None
    transportation_planning_date: date | None = None
    loading_date: date | None = None
    goods_issue_date: date | None = None


class AvailabilityChecker(Protocol):
    """Confirms what it can of a request; an empty list confirms nothing.

    Called inside the order-entry transaction with the ``material_plant`` row of the request
    already locked. The confirmed quantities must not add up to more than requested.
    """

    def check(self, conn: sa.Connection,
              request: AvailabilityRequest) -> Sequence[Confirmation]: ...


_on_hand = (sa.select(sa.func.coalesce(sa.func.sum(stock.c.unrestricted), 0))
            .where(stock.c.material_id == material_plant.c.material_id,
                   stock.c.plant == material_plant.c.plant).scalar_subquery())
_AVAILABLE = PreparedQuery(sa.select(_on_hand.label("on_hand"), material_plant.c.open_confirmed_qty)
              .where(material_plant.c.material_id == sa.bindparam("material_id"),
                     material_plant.c.plant == sa.bindparam("plant")))


_AVAILABLE_MANY = PreparedQuery(
    sa.select(material_plant.c.material_id, material_plant.c.plant, _on_hand.label("on_hand"),
              material_plant.c.open_confirmed_qty)
    .where(sa.tuple_(material_plant.c.material_id, material_plant.c.plant)
           .in_(sa.bindparam("keys", expanding=True))))


class BatchAvailabilityChecker(AvailabilityChecker, Protocol):
    """A checker that can also answer several requests in one go (an optimisation).

    Order entry uses :meth:`check_many` when no two items of an order share a material and
    plant; the result must equal calling :meth:`check` for each request in turn.
    """

    def check_many(self, conn: sa.Connection, requests: Sequence[AvailabilityRequest]
                   ) -> list[Sequence[Confirmation]]: ...


class StockOnlyChecker:
    """Unrestricted stock minus open confirmed quantities, confirmed on the requested date."""

    def check(self, conn: sa.Connection,
              request: AvailabilityRequest) -> Sequence[Confirmation]:
        (row,) = _AVAILABLE.rows(conn, {"material_id": request.material_id,
                                        "plant": request.plant})
        return self._confirm(request, row.on_hand, row.open_confirmed_qty)

    def check_many(self, conn: sa.Connection, requests: Sequence[AvailabilityRequest]
                   ) -> list[Sequence[Confirmation]]:
        keys = sorted({(r.material_id, r.plant) for r in requests})
        rows = {(r.material_id, r.plant): r for r in _AVAILABLE_MANY.rows(conn, {"keys": keys})}
        return [self._confirm(r, rows[(r.material_id, r.plant)].on_hand,
                              rows[(r.material_id, r.plant)].open_confirmed_qty)
                for r in requests]

    @staticmethod
    def _confirm(request: AvailabilityRequest, on_hand: Decimal,
                 committed: Decimal) -> Sequence[Confirmation]:
        available = quantity(Decimal(on_hand) - Decimal(committed))
        confirmed = min(request.quantity, max(available, ZERO))
        if confirmed <= 0:
            return []
        return [Confirmation(confirmed, request.requested_date)]


def open_confirmed_from_documents(conn: sa.Connection, material_id: str, plant: str) -> Decimal:
    """The open confirmed quantity recomputed from the documents (what the stored total must be).

    Σ over items not rejected of (confirmed - goods issued (601 - 602)).
    """
    item = sales_order_item
    line = sales_order_schedule_line
    confirmed = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(line.c.confirmed_qty), 0))
        .select_from(line.join(item, sa.and_(line.c.order_id == item.c.order_id,
                                             line.c.item_no == item.c.item_no)))
        .where(item.c.material_id == material_id, item.c.plant == plant,
               item.c.rejection_reason.is_(None))).scalar_one()
    mdi = material_document_item
    signed = sa.case((mdi.c.movement_type == "601", mdi.c.quantity),
                     (mdi.c.movement_type == "602", -mdi.c.quantity), else_=0)
    issued = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(signed), 0))
        .select_from(mdi.join(item, sa.and_(mdi.c.order_id == item.c.order_id,
                                            mdi.c.order_item == item.c.item_no)))
        .where(item.c.material_id == material_id, item.c.plant == plant,
               item.c.rejection_reason.is_(None))).scalar_one()
    return quantity(Decimal(confirmed) - Decimal(issued))
