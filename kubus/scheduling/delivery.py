"""Delivery and transportation scheduling (domain.md §3.2-§3.4, SCH-1..SCH-5).

Backward scheduling from the requested delivery date, always tried first::

    GI   = RDD  - transit time                (route calendar; then the previous working
                                               day of the shipping point if GI is not one)
    LOAD = GI   - loading time                (shipping-point calendar)
    MAD  = LOAD - pick/pack time              (shipping-point calendar)
    TPD  = LOAD - transportation lead time    (shipping-point calendar)

Forward scheduling when backward scheduling lands before today, or from a later availability::

    MAD  = next working day of max(today, availability date)
    LOAD = max(MAD + pick/pack time, today + transportation lead time)
    GI   = LOAD + loading time
    TPD  = max(today, LOAD - transportation lead time)
    delivery = GI + transit time              (route calendar)

Decisions (``docs/scheduling.md``): pick/pack and transportation lead time run in parallel
(``max``), not in series; a fractional lead time (days with 2 decimals) is rounded up to whole
working days at each step, so backward dates are never later and forward dates never earlier than
exact fractional arithmetic would give.

Everything runs on ``datetime64[D]`` vectors (:func:`schedule_many`); the scalar functions wrap it.

>>> sp, route = ShippingPoint(pick_pack_days=2, loading_days=1), Route(2, 1)
>>> schedule(date(2024, 3, 15), sp, route, today=date(2024, 3, 4)).mad
datetime.date(2024, 3, 8)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from kubus.scheduling.calendar import Days, FactoryCalendar, days_array, to_date, to_day
from kubus.scheduling.errors import DateInPastError, InvalidLeadTimeError

MAX_LEAD_TIME_DAYS = 999


def whole_working_days(value: float | Decimal, name: str = "lead time") -> int:
    """A lead time in days (2 decimals) as whole working days, rounded up (0.25 -> 1).

    >>> whole_working_days(2), whole_working_days(0.5), whole_working_days(1.001)
    (2, 1, 1)
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidLeadTimeError(f"{name} must be a number of days, got {value!r}", field=name)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidLeadTimeError(f"{name} must be finite, got {value!r}", field=name)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite() or not 0 <= number <= MAX_LEAD_TIME_DAYS:
        raise InvalidLeadTimeError(
            f"{name} must be between 0 and {MAX_LEAD_TIME_DAYS} days, got {value}", field=name
        )
    hundredths = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(hundredths.to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True, slots=True)
class ShippingPoint:
    """Pick/pack and loading times (days) and the shipping point's factory calendar."""

    pick_pack_days: float | Decimal = 0
    loading_days: float | Decimal = 0
    calendar: FactoryCalendar = field(default_factory=FactoryCalendar)
    pick_pack: int = field(init=False, repr=False, compare=False)
    loading: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pick_pack", whole_working_days(self.pick_pack_days, "pick/pack"))
        object.__setattr__(self, "loading", whole_working_days(self.loading_days, "loading"))


@dataclass(frozen=True, slots=True)
class Route:
    """Transit and transportation lead time (days) and the route's (forwarder's) calendar."""

    transit_days: float | Decimal = 0
    transportation_lead_days: float | Decimal = 0
    calendar: FactoryCalendar = field(default_factory=FactoryCalendar)
    transit: int = field(init=False, repr=False, compare=False)
    transportation_lead: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "transit", whole_working_days(self.transit_days, "transit"))
        object.__setattr__(
            self,
            "transportation_lead",
            whole_working_days(self.transportation_lead_days, "transportation lead time"),
        )


class Direction(StrEnum):
    BACKWARD = "backward"
    FORWARD = "forward"


@dataclass(frozen=True, slots=True)
class ScheduleDates:
    """The dates of one schedule line (``MBDAT``, ``TDDAT``, ``LDDAT``, ``WADAT``, ``LFDAT``)."""

    mad: date
    tpd: date
    load: date
    gi: date
    delivery: date
    direction: Direction

    @property
    def selection_date(self) -> date:
        """The delivery must be created by this date: the earlier of MAD and TPD."""
        return min(self.mad, self.tpd)


@dataclass(frozen=True, eq=False)
class ScheduleArrays:
    """Vectorised :class:`ScheduleDates`: one entry per requested date."""

    mad: Days
    tpd: Days
    load: Days
    gi: Days
    delivery: Days
    forward: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.mad.size)

    def at(self, index: int) -> ScheduleDates:
        return ScheduleDates(
            to_date(self.mad[index]),
            to_date(self.tpd[index]),
            to_date(self.load[index]),
            to_date(self.gi[index]),
            to_date(self.delivery[index]),
            Direction.FORWARD if self.forward[index] else Direction.BACKWARD,
        )


def backward_many(rdd: Days, shipping_point: ShippingPoint, route: Route) -> ScheduleArrays:
    """Backward scheduling of every requested delivery date (no check against today)."""
    ship = shipping_point.calendar
    gi = route.calendar.subtract_workdays_array(rdd, route.transit)
    gi = ship.subtract_workdays_array(gi, 0)  # a GI on a shipping-point holiday moves earlier
    load = ship.subtract_workdays_array(gi, shipping_point.loading)
    mad = ship.subtract_workdays_array(load, shipping_point.pick_pack)
    tpd = ship.subtract_workdays_array(load, route.transportation_lead)
    return ScheduleArrays(mad, tpd, load, gi, rdd.copy(), np.zeros(rdd.shape, dtype=np.bool_))


def forward_many(
    available: Days, shipping_point: ShippingPoint, route: Route, *, today: date
) -> ScheduleArrays:
    """Forward scheduling from material availability dates (moved to today if earlier)."""
    ship = shipping_point.calendar
    day0 = to_day(today, field="today")
    mad = ship.add_workdays_array(np.maximum(available, day0), 0)
    earliest_load = ship.add_workdays_array(day0, route.transportation_lead)
    load = np.maximum(ship.add_workdays_array(mad, shipping_point.pick_pack), earliest_load)
    gi = ship.add_workdays_array(load, shipping_point.loading)
    delivery = route.calendar.add_workdays_array(gi, route.transit)
    tpd = np.maximum(ship.subtract_workdays_array(load, route.transportation_lead), day0)
    return ScheduleArrays(mad, tpd, load, gi, delivery, np.ones(mad.shape, dtype=np.bool_))


def schedule_many(
    rdd: Days | list[date], shipping_point: ShippingPoint, route: Route, *, today: date
) -> ScheduleArrays:
    """Backward scheduling, and forward scheduling from today where MAD or TPD is before today."""
    rdd = days_array(rdd, field="requested delivery dates")
    day0 = to_day(today, field="today")
    if rdd.size and rdd.min() < day0:
        raise DateInPastError(
            f"requested delivery date {to_date(rdd.min())} is before today {today}",
            field="requested_delivery_date",
        )
    result = backward_many(rdd, shipping_point, route)
    late = (result.mad < day0) | (result.tpd < day0)
    if not late.any():
        return result
    fwd = forward_many(np.full(rdd.shape, day0), shipping_point, route, today=today)
    return ScheduleArrays(
        mad=np.where(late, fwd.mad, result.mad),
        tpd=np.where(late, fwd.tpd, result.tpd),
        load=np.where(late, fwd.load, result.load),
        gi=np.where(late, fwd.gi, result.gi),
        delivery=np.where(late, fwd.delivery, result.delivery),
        forward=late,
    )


def backward(rdd: date, shipping_point: ShippingPoint, route: Route) -> ScheduleDates:
    """Backward scheduling from a requested delivery date (dates may lie in the past)."""
    days = np.array([to_day(rdd, field="requested delivery date")])
    return backward_many(days, shipping_point, route).at(0)


def forward(
    available: date, shipping_point: ShippingPoint, route: Route, *, today: date
) -> ScheduleDates:
    """Forward scheduling from a material availability date (e.g. a later ATP confirmation)."""
    days = np.array([to_day(available, field="availability date")])
    return forward_many(days, shipping_point, route, today=today).at(0)


def schedule(
    rdd: date, shipping_point: ShippingPoint, route: Route, *, today: date
) -> ScheduleDates:
    """Backward scheduling; forward from today when MAD or TPD would be before today."""
    days = np.array([to_day(rdd, field="requested delivery date")])
    return schedule_many(days, shipping_point, route, today=today).at(0)
