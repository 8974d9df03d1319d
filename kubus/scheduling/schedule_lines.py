"""An order item's ATP check with delivery scheduling: the schedule lines it gets (§2.2, §3).

Schedule-line layout (domain.md §2.2): line 1 holds the requested delivery date and the full
order quantity, confirmed with what is available on time (possibly 0), with the backward-scheduled
dates. Every later confirmation is one more line with order quantity 0, its confirmed quantity and
the dates forward-scheduled from its material availability date; confirmations that reach the
customer on the same day share a line.

If backward scheduling lands before today, availability is checked on the first working day from
today instead, and nothing can be on time (SCH-2).

>>> from kubus.scheduling.delivery import Route, ShippingPoint
>>> from kubus.scheduling.timeline import Timeline
>>> supply = Timeline.from_arrays(["2024-03-04"], [100])
>>> item = confirm_item(ItemRequest(60, date(2024, 3, 6)), supply, ShippingPoint(2, 1),
...                     Route(2, 1), today=date(2024, 3, 4))
>>> [(str(line.delivery_date), str(line.confirmed_quantity)) for line in item.lines]
[('2024-03-06', '0'), ('2024-03-11', '60')]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kubus.scheduling.atp import (
    AtpRequest,
    Confirmation,
    ConfirmationRule,
    PartialDelivery,
    check,
)
from kubus.scheduling.calendar import days_array, to_date, to_day
from kubus.scheduling.delivery import (
    Route,
    ScheduleDates,
    ShippingPoint,
    backward,
    forward,
    forward_many,
)
from kubus.scheduling.errors import DateInPastError
from kubus.scheduling.quantities import Quantity, from_milli, to_milli
from kubus.scheduling.timeline import Timeline


@dataclass(frozen=True, slots=True)
class ItemRequest:
    """An order item: quantity (base unit) and requested delivery date."""

    quantity: Quantity
    delivery_date: date
    partial_delivery: PartialDelivery = PartialDelivery.ALLOWED
    complete_order: bool = False

    def __post_init__(self) -> None:
        to_milli(self.quantity)
        to_day(self.delivery_date, field="requested delivery date")


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    """One schedule line (``VBEP``): delivery date, order and confirmed quantity, dates."""

    number: int
    delivery_date: date
    order_quantity: Decimal
    confirmed_quantity: Decimal
    dates: ScheduleDates


@dataclass(frozen=True, slots=True)
class ItemConfirmation:
    """The schedule lines of an item and the ATP confirmation (by MAD) they come from."""

    lines: tuple[ScheduleLine, ...]
    confirmation: Confirmation

    @property
    def confirmed(self) -> Decimal:
        return self.confirmation.confirmed

    @property
    def unconfirmed(self) -> Decimal:
        return self.confirmation.unconfirmed


def confirm_item(
    request: ItemRequest,
    timeline: Timeline,
    shipping_point: ShippingPoint,
    route: Route,
    *,
    today: date,
    rule: ConfirmationRule = ConfirmationRule.PROPOSAL,
    rlt_end: date | None = None,
) -> ItemConfirmation:
    """Schedule, check availability on the MAD, and lay the result out as schedule lines."""
    if to_day(request.delivery_date) < to_day(today, field="today"):
        raise DateInPastError(
            f"requested delivery date {request.delivery_date} is before today {today}",
            field="delivery_date",
        )
    first = backward(request.delivery_date, shipping_point, route)
    on_time_possible = first.mad >= today and first.tpd >= today
    mad = first.mad if on_time_possible else forward(today, shipping_point, route, today=today).mad
    confirmation = check(
        AtpRequest(request.quantity, mad, request.partial_delivery, request.complete_order),
        timeline,
        today=today,
        rule=rule,
        rlt_end=rlt_end,
    )
    later: dict[date, tuple[Decimal, ScheduleDates]] = {}
    late_lines = [
        line for line in confirmation.lines if not (on_time_possible and line.date == mad)
    ]
    on_time = confirmation.confirmed - sum((line.quantity for line in late_lines), Decimal(0))
    if late_lines:
        dates = forward_many(
            days_array([line.date for line in late_lines]), shipping_point, route, today=today
        )
        for index, line in enumerate(late_lines):
            delivery = to_date(dates.delivery[index])
            previous = later.get(delivery, (Decimal(0), None))[0]
            # Lines come by ascending MAD: a shared line keeps the dates of its latest part.
            later[delivery] = (previous + line.quantity, dates.at(index))
    lines = [
        ScheduleLine(
            1, request.delivery_date, from_milli(to_milli(request.quantity)), on_time, first
        )
    ]
    lines.extend(
        ScheduleLine(number, delivery, Decimal(0), quantity, dates_)
        for number, (delivery, (quantity, dates_)) in enumerate(sorted(later.items()), start=2)
    )
    return ItemConfirmation(tuple(lines), confirmation)
