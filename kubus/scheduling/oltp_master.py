"""Planning master data from the OLTP database, as the pure scheduling core's objects.

What ATP and delivery scheduling need besides the time-phased elements: factory calendars with
their holidays, the material/plant planning data (checking group, procurement type, planned
delivery and GR processing time, replenishment lead time), shipping points (pick/pack and
loading time, calendar), routes (transit and transportation lead time, calendar) and the
customer's delivery agreements. Each loader is one set-based query (plus one for the holidays)
for any number of keys, and raises the OLTP's typed errors (:class:`~kubus.oltp.errors.NotFound`
``unknown_material`` / ``unknown_plant`` / ``unknown_material_plant``) for keys that do not exist.

Example::

    with read_only(engine) as conn:
        planning = load_material_planning(conn, [("M1", "1000")])[("M1", "1000")]
        planning.rlt_end(date(2024, 3, 4))          # None: no replenishment lead time maintained
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa

from kubus.oltp.errors import NotFound
from kubus.oltp.prepared import PreparedQuery
from kubus.oltp.schema import (
    calendar_holiday,
    customer,
    customer_sales_area,
    factory_calendar,
    material,
    material_plant,
    plant,
    route,
    route_determination,
    shipping_point,
)
from kubus.scheduling.atp import PartialDelivery, replenishment_lead_time_end
from kubus.scheduling.calendar import FactoryCalendar
from kubus.scheduling.delivery import Route, ShippingPoint
from kubus.scheduling.errors import CalendarError
from kubus.scheduling.timeline import ScopeOfCheck

__all__ = ["DEFAULT_CHECKING_RULE", "CheckingGroupRule", "DeliveryAgreement", "KeyShape",
           "MaterialPlanning", "MaterialPlant", "checking_rule", "determine_route",
           "key_condition", "key_parameters", "load_calendars", "load_delivery_agreement",
           "load_material_planning", "load_routes", "load_shipping_points",
           "plant_shipping_points"]

MaterialPlant = tuple[str, str]


@dataclass(frozen=True)
class CheckingGroupRule:
    """What a checking group checks for sales orders (checking rule ``A``).

    ``scope`` picks the stocks, receipts and issues that count; ``use_rlt`` confines the check
    to the replenishment lead time of the material (when one is maintained, see
    :meth:`MaterialPlanning.rlt_end`).
    """

    scope: ScopeOfCheck = field(default_factory=ScopeOfCheck)
    use_rlt: bool = True


DEFAULT_CHECKING_RULE = CheckingGroupRule()


def checking_rule(group: str, rules: Mapping[str, CheckingGroupRule] | None) -> CheckingGroupRule:
    """The rule of checking group ``group`` (the default rule for a group not in ``rules``)."""
    if rules is None:
        return DEFAULT_CHECKING_RULE
    return rules.get(group, rules.get("*", DEFAULT_CHECKING_RULE))


# -- calendars -------------------------------------------------------------------------------


def _workdays(flags: str, calendar_id: str) -> frozenset[int]:
    if len(flags) != 7 or set(flags) - {"0", "1"}:
        raise CalendarError(f"factory calendar {calendar_id}: workdays must be seven 0/1 flags "
                            f"Monday..Sunday, got {flags!r}", calendar_id=calendar_id)
    return frozenset(n for n, flag in enumerate(flags) if flag == "1")


_fc, _ch = factory_calendar, calendar_holiday
# Workdays and holidays in one statement (a calendar without holidays gives one NULL row).
_CALENDARS = PreparedQuery(
    sa.select(_fc.c.calendar_id, _fc.c.workdays, _ch.c.holiday)
    .select_from(_fc.outerjoin(_ch, _ch.c.calendar_id == _fc.c.calendar_id))
    .where(_fc.c.calendar_id.in_(sa.bindparam("ids", expanding=True))))


def load_calendars(conn: sa.Connection, ids: Iterable[str],
                   known: dict[str, FactoryCalendar] | None = None
                   ) -> dict[str, FactoryCalendar]:
    """The factory calendars ``ids`` with their holidays (one statement); ``known`` holds
    calendars read before (they are not read again, and the new ones are added to it)."""
    cache = known if known is not None else {}
    wanted = sorted(set(ids) - set(cache))
    if wanted:
        flags: dict[str, str] = {}
        holidays: dict[str, list[date]] = {}
        for calendar_id, workdays, holiday in _CALENDARS.rows(conn, {"ids": wanted}):
            flags[calendar_id] = workdays
            if holiday is not None:
                holidays.setdefault(calendar_id, []).append(holiday)
        for calendar_id in wanted:
            if calendar_id not in flags:
                raise NotFound("unknown_factory_calendar",
                               f"factory calendar {calendar_id} does not exist",
                               calendar_id=calendar_id)
            cache[calendar_id] = FactoryCalendar(_workdays(flags[calendar_id], calendar_id),
                                                 frozenset(holidays.get(calendar_id, ())))
    return {calendar_id: cache[calendar_id] for calendar_id in set(ids)}


# -- material / plant ------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialPlanning:
    """The planning view of a material in a plant (SAP MARC) and the plant's calendar."""

    material_id: str
    plant: str
    checking_group: str
    procurement_type: str
    planned_delivery_days: int
    gr_processing_days: int
    inhouse_production_days: int
    replenishment_days: int
    calendar_id: str
    calendar: FactoryCalendar

    @property
    def key(self) -> MaterialPlant:
        return (self.material_id, self.plant)

    def rlt_end(self, today: date) -> date | None:
        """End of the replenishment lead time from ``today``, or ``None`` if none is maintained.

        External procurement (``F``, and anything but ``E``): planned delivery time (calendar
        days) + GR processing time (working days of the plant). In-house production (``E``):
        the total replenishment lead time if maintained, else the in-house production time
        (working days). A lead time of zero means "not maintained" (decision in
        ``docs/scheduling.md``): the check then runs without a horizon instead of confirming
        everything from tomorrow on.
        """
        if self.procurement_type == "E":
            days = self.replenishment_days or self.inhouse_production_days
            if days <= 0:
                return None
            return replenishment_lead_time_end(today, calendar=self.calendar,
                                               processing_days=days)
        if self.planned_delivery_days <= 0 and self.gr_processing_days <= 0:
            return None
        return replenishment_lead_time_end(
            today, calendar=self.calendar, planned_delivery_days=self.planned_delivery_days,
            gr_processing_days=self.gr_processing_days)


_mp = material_plant


def _key_filter(material_col: sa.ColumnElement[Any], plant_col: sa.ColumnElement[Any],
                keys: list[MaterialPlant] | None) -> sa.ColumnElement[bool]:
    """``(material, plant) IN keys``; equality for one key (an index seek on any database)."""
    if keys is None:
        return sa.true()
    if len(keys) == 1:
        return sa.and_(material_col == keys[0][0], plant_col == keys[0][1])
    return sa.tuple_(material_col, plant_col).in_(keys)


#: How a prepared statement selects material/plant keys: one key, a list of keys, or all.
KeyShape = Literal["one", "many", "all"]


def key_condition(material_col: sa.ColumnElement[Any], plant_col: sa.ColumnElement[Any],
                  shape: KeyShape) -> sa.ColumnElement[bool]:
    """:func:`_key_filter` with bind parameters (``k_material``/``k_plant`` or ``k_keys``),
    for statements built once and run many times (see :func:`key_parameters`)."""
    if shape == "all":
        return sa.true()
    if shape == "one":
        return sa.and_(material_col == sa.bindparam("k_material", type_=sa.String),
                       plant_col == sa.bindparam("k_plant", type_=sa.String))
    return sa.tuple_(material_col, plant_col).in_(sa.bindparam("k_keys", expanding=True))


def key_parameters(keys: list[MaterialPlant] | None) -> tuple[KeyShape, dict[str, Any]]:
    """The shape and parameters of :func:`key_condition` for ``keys`` (``None``: all)."""
    if keys is None:
        return "all", {}
    if len(keys) == 1:
        return "one", {"k_material": keys[0][0], "k_plant": keys[0][1]}
    return "many", {"k_keys": keys}


_PLANNING: dict[tuple[KeyShape, bool], PreparedQuery] = {}


def _planning_query(shape: KeyShape, lock: bool) -> PreparedQuery:
    query = _PLANNING.get((shape, lock))
    if query is None:
        statement = (sa.select(_mp.c.material_id, _mp.c.plant, _mp.c.checking_group,
                               _mp.c.procurement_type, _mp.c.planned_delivery_days,
                               _mp.c.gr_processing_days, _mp.c.inhouse_production_days,
                               _mp.c.replenishment_days, plant.c.calendar_id)
                     .select_from(_mp.join(plant, plant.c.plant == _mp.c.plant))
                     .where(key_condition(_mp.c.material_id, _mp.c.plant, shape))
                     .order_by(_mp.c.material_id, _mp.c.plant))
        if lock:
            statement = statement.with_for_update(of=_mp)
        query = _PLANNING[(shape, lock)] = PreparedQuery(statement)
    return query


def load_material_planning(conn: sa.Connection, keys: Iterable[MaterialPlant] | None, *,
                           lock: bool = False,
                           calendars: dict[str, FactoryCalendar] | None = None,
                           ) -> dict[MaterialPlant, MaterialPlanning]:
    """Planning data of ``keys`` (``None``: every material/plant), in key order.

    ``lock=True`` locks the ``material_plant`` rows in key order (``SELECT ... FOR UPDATE``;
    the lock order entry takes too). Unknown keys raise :class:`NotFound` naming the plant,
    the material, or the material not maintained in the plant. ``calendars`` caches the
    factory calendars read (see :func:`load_calendars`).
    """
    wanted = None if keys is None else sorted(set(keys))
    shape, params = key_parameters(wanted)
    rows = _planning_query(shape, lock).rows(conn, params)
    if wanted is not None and len(rows) < len(wanted):
        _raise_missing(conn, wanted, {(r.material_id, r.plant) for r in rows})
    found = load_calendars(conn, {r.calendar_id for r in rows}, calendars)
    return {(r.material_id, r.plant): MaterialPlanning(
        r.material_id, r.plant, r.checking_group, r.procurement_type,
        int(r.planned_delivery_days), int(r.gr_processing_days),
        int(r.inhouse_production_days), int(r.replenishment_days), r.calendar_id,
        found[r.calendar_id]) for r in rows}


def _raise_missing(conn: sa.Connection, wanted: list[MaterialPlant],
                   found: set[MaterialPlant]) -> None:
    missing = [key for key in wanted if key not in found]
    plants = {p for _, p in missing}
    known_plants = set(conn.execute(sa.select(plant.c.plant)
                                    .where(plant.c.plant.in_(sorted(plants)))).scalars())
    materials = {m for m, _ in missing}
    known_materials = set(conn.execute(sa.select(material.c.material_id).where(
        material.c.material_id.in_(sorted(materials)))).scalars())
    for material_id, plant_id in missing:
        if plant_id not in known_plants:
            raise NotFound("unknown_plant", f"plant {plant_id} does not exist", plant=plant_id)
        if material_id not in known_materials:
            raise NotFound("unknown_material", f"material {material_id} does not exist",
                           material_id=material_id)
    material_id, plant_id = missing[0]
    raise NotFound("unknown_material_plant", f"material {material_id} is not maintained in "
                   f"plant {plant_id}", material_id=material_id, plant=plant_id)


# -- shipping points and routes --------------------------------------------------------------


_sp, _route = shipping_point, route
_FIRST_POINTS = PreparedQuery(
    sa.select(_sp.c.plant, sa.func.min(_sp.c.shipping_point).label("shipping_point"))
    .where(_sp.c.plant.in_(sa.bindparam("ids", expanding=True))).group_by(_sp.c.plant))
_POINTS = PreparedQuery(
    sa.select(_sp.c.shipping_point, _sp.c.calendar_id, _sp.c.pick_pack_days, _sp.c.loading_days)
    .where(_sp.c.shipping_point.in_(sa.bindparam("ids", expanding=True))))
_ROUTES = PreparedQuery(
    sa.select(_route.c.route, _route.c.calendar_id, _route.c.transit_days,
              _route.c.transport_lead_days)
    .where(_route.c.route.in_(sa.bindparam("ids", expanding=True))))


def plant_shipping_points(conn: sa.Connection, plants: Iterable[str]) -> dict[str, str]:
    """The shipping point order entry uses for each plant: its first (smallest key)."""
    wanted = sorted(set(plants))
    if not wanted:
        return {}
    return {r.plant: r.shipping_point for r in _FIRST_POINTS.rows(conn, {"ids": wanted})}


def load_shipping_points(conn: sa.Connection, ids: Iterable[str],
                         calendars: dict[str, FactoryCalendar] | None = None
                         ) -> dict[str, ShippingPoint]:
    """Shipping points with pick/pack and loading times and their calendars."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = _POINTS.rows(conn, {"ids": wanted})
    found_calendars = load_calendars(conn, {r.calendar_id for r in rows}, calendars)
    found = {r.shipping_point: ShippingPoint(Decimal(r.pick_pack_days), Decimal(r.loading_days),
                                             found_calendars[r.calendar_id]) for r in rows}
    for point in wanted:
        if point not in found:
            raise NotFound("unknown_shipping_point", f"shipping point {point} does not exist",
                           shipping_point=point)
    return found


def load_routes(conn: sa.Connection, ids: Iterable[str],
                calendars: dict[str, FactoryCalendar] | None = None) -> dict[str, Route]:
    """Routes with transit and transportation lead times and their calendars."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = _ROUTES.rows(conn, {"ids": wanted})
    found_calendars = load_calendars(conn, {r.calendar_id for r in rows}, calendars)
    found = {r.route: Route(Decimal(r.transit_days), Decimal(r.transport_lead_days),
                            found_calendars[r.calendar_id]) for r in rows}
    for name in wanted:
        if name not in found:
            raise NotFound("unknown_route", f"route {name} does not exist", route=name)
    return found


def determine_route(conn: sa.Connection, shipping_point_id: str, ship_to: str,
                    material_id: str) -> str | None:
    """Route determination as order entry does it: departure zone of the shipping point,
    country and transportation zone of the ship-to, the customer's shipping conditions (first
    sales area) and the material's transportation group; ``None`` if nothing matches."""
    sp, rd, c, csa = shipping_point, route_determination, customer, customer_sales_area
    conditions = (sa.select(csa.c.shipping_conditions).where(csa.c.customer_id == ship_to)
                  .order_by(csa.c.sales_org, csa.c.distribution_channel, csa.c.division)
                  .limit(1).scalar_subquery())
    group = (sa.select(material.c.transportation_group)
             .where(material.c.material_id == material_id).scalar_subquery())
    query = (sa.select(rd.c.route)
             .select_from(rd.join(sp, sp.c.departure_zone == rd.c.departure_zone)
                          .join(c, sa.and_(c.c.country == rd.c.destination_country,
                                           c.c.transport_zone == rd.c.destination_zone)))
             .where(sp.c.shipping_point == shipping_point_id, c.c.customer_id == ship_to,
                    rd.c.shipping_conditions == sa.func.coalesce(conditions, "01"),
                    rd.c.transportation_group == group)
             .limit(1))
    value = conn.execute(query).scalar()
    return None if value is None else str(value)


# -- customer delivery agreements ------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryAgreement:
    """The customer's partial-delivery agreement (``KZTLF``) and complete delivery (``AUTLF``)."""

    partial_delivery: PartialDelivery = PartialDelivery.ALLOWED
    complete_order: bool = False

    @classmethod
    def of(cls, partial_delivery: str | None, complete_delivery: bool | None) -> DeliveryAgreement:
        code = (partial_delivery or "").strip()
        try:
            partial = PartialDelivery(code)
        except ValueError:
            partial = PartialDelivery.ALLOWED  # unknown codes: no restriction, as SAP's blank
        return cls(partial, bool(complete_delivery))


_AGREEMENTS = PreparedQuery(
    sa.select(customer_sales_area.c.partial_delivery, customer_sales_area.c.complete_delivery)
    .where(customer_sales_area.c.customer_id == sa.bindparam("customer_id")))
_RESTRICTIVENESS = {PartialDelivery.COMPLETE_ONLY: 3, PartialDelivery.ONE_DELIVERY: 2}


def load_delivery_agreement(conn: sa.Connection, customer_id: str | None) -> DeliveryAgreement:
    """The customer's delivery agreement; with several sales areas the most restrictive one
    (complete delivery per order, then ``C``, then ``B``); none for no customer."""
    if customer_id is None:
        return DeliveryAgreement()
    rows = _AGREEMENTS.rows(conn, {"customer_id": customer_id})
    agreements = [DeliveryAgreement.of(r.partial_delivery, r.complete_delivery) for r in rows]
    if not agreements:
        return DeliveryAgreement()
    return max(agreements, key=lambda a: (a.complete_order,
                                          _RESTRICTIVENESS.get(a.partial_delivery, 0)))
