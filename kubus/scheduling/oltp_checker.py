"""The ATP check of order entry over the OLTP database (issue #4): :class:`AtpChecker`.

:class:`AtpChecker` implements :class:`kubus.oltp.availability.AvailabilityChecker` (and the
batch :class:`~kubus.oltp.availability.BatchAvailabilityChecker`), so order entry takes it as
``create_sales_order(bind, order, today=..., checker=AtpChecker())``. For each request it

1. reads the material/plant planning data, the shipping point (the request's, else the plant's
   first) and the route (the request's; none: no transit time), with their factory calendars;
2. loads the material's time-phased elements (:mod:`kubus.scheduling.oltp_timeline`) and builds
   the timeline the checking group's scope of check sees (:class:`CheckingGroupRule`);
3. schedules the item backwards from the requested delivery date, checks availability on the
   material availability date (forward scheduling for what comes later), within the
   replenishment lead time of the material when the checking group uses it, with the customer's
   partial-delivery agreement (complete delivery, one delivery, delivery proposal) —
   :func:`kubus.scheduling.schedule_lines.confirm_item`;
4. records the check in ``atp_check`` (one row per check, one change-log row each) in the
   caller's transaction, and returns one :class:`~kubus.oltp.availability.Confirmation` per
   confirmed schedule line with all its dates, which order entry writes as schedule lines.

Order entry calls the checker inside its transaction after locking the ``material_plant`` row
of every item, so concurrent orders for a material check one after the other (first come, first
served) and never confirm the same quantity twice.

Errors are the OLTP's typed errors, so every caller's error mapping applies unchanged:
:class:`~kubus.oltp.errors.NotFound` for an unknown material, plant or master data,
:class:`~kubus.oltp.errors.Invalid` for master data that cannot be scheduled with
(``invalid_calendar``, ``invalid_lead_time``), :class:`~kubus.oltp.errors.BadRequest` for bad
input (the scheduling error's ``code``: ``invalid_quantity``, ``date_in_past``, ...). A raised
error rolls the whole order back: nothing is written, not even the check record.

The order item a check belongs to: :class:`~kubus.oltp.availability.AvailabilityRequest` does
not name it, so the checker recognises order entry by the order header its transaction has just
created (the sales-order number it drew, a header for the request's customer that has no items
yet) and counts the items in the order they are checked (10, 20, ...: order entry checks item
``n`` as the ``n``-th request). Outside order entry (``change_item_quantity``) the record's order
and item stay empty. See ``docs/scheduling.md``.

Example (a simulation: nothing is written)::

    result = AtpChecker().simulate(engine, AvailabilityRequest(
        "M1", "1000", Decimal(60), date(2024, 3, 7), today=date(2024, 3, 4)))
    [(l.delivery_date, l.confirmed_quantity) for l in result.item.lines]
    # [(2024-03-07, 40), (2024-03-18, 20)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from kubus.oltp import changelog
from kubus.oltp.amounts import quantity
from kubus.oltp.availability import (
    AvailabilityChecker,
    AvailabilityRequest,
    BatchAvailabilityChecker,
    Confirmation,
    StockOnlyChecker,
)
from kubus.oltp.errors import BadRequest, Invalid, NotFound, OltpError
from kubus.oltp.prepared import Prepared, PreparedQuery
from kubus.oltp.schema import atp_check, number_range, sales_order, sales_order_item
from kubus.oltp.store import Bind, read_only
from kubus.scheduling.atp import ConfirmationRule, effective_rule, with_confirmation
from kubus.scheduling.calendar import FactoryCalendar, to_day
from kubus.scheduling.delivery import Route, ShippingPoint, forward
from kubus.scheduling.errors import (
    CalendarError,
    DateInPastError,
    InvalidLeadTimeError,
    SchedulingError,
    UnknownMaterialError,
)
from kubus.scheduling.oltp_master import (
    CheckingGroupRule,
    DeliveryAgreement,
    MaterialPlanning,
    MaterialPlant,
    checking_rule,
    determine_route,
    load_delivery_agreement,
    load_material_planning,
    load_routes,
    load_shipping_points,
    plant_shipping_points,
)
from kubus.scheduling.oltp_timeline import load_elements, timeline_of
from kubus.scheduling.quantities import to_milli
from kubus.scheduling.schedule_lines import ItemConfirmation, ItemRequest, confirm_item
from kubus.scheduling.timeline import Timeline

__all__ = ["AVAILABILITY_CHECKS", "AtpChecker", "AtpResult", "availability_checker",
           "oltp_error", "simulate_check"]


def oltp_error(exc: SchedulingError) -> OltpError:
    """A scheduling error as the OLTP's typed error: same code, message and details.

    Over the database, calendars and lead times come from master data, not from the request:
    a factory calendar without a working day or a negative lead time is :class:`Invalid`
    (422: the request is fine, the data it needs cannot be scheduled with); an unknown
    material is :class:`NotFound`; everything else is the request's :class:`BadRequest`.
    """
    kind: type[OltpError] = BadRequest
    if isinstance(exc, UnknownMaterialError):
        kind = NotFound
    elif isinstance(exc, CalendarError | InvalidLeadTimeError):
        kind = Invalid
    return kind(exc.code, exc.message, **exc.details)


@dataclass(frozen=True)
class AtpResult:
    """One check: the request, what decided it, and the schedule lines it gives."""

    request: AvailabilityRequest
    checking_group: str
    rule: ConfirmationRule
    rlt_end: date | None
    availability_date: date
    shipping_point: str | None
    route: str | None
    item: ItemConfirmation
    order_id: int | None = None
    item_no: int | None = None

    @property
    def requested_qty(self) -> Decimal:
        return quantity(self.request.quantity)

    @property
    def confirmed_qty(self) -> Decimal:
        return quantity(self.item.confirmed)

    @property
    def confirmed_date(self) -> date | None:
        """Delivery date of the last confirmed schedule line (``None``: nothing confirmed)."""
        dates = [line.delivery_date for line in self.item.lines if line.confirmed_quantity > 0]
        return max(dates) if dates else None

    @property
    def delay_days(self) -> int | None:
        """Calendar days from the requested to the confirmed date (0 = on time)."""
        confirmed = self.confirmed_date
        return None if confirmed is None else (confirmed - self.request.requested_date).days

    @property
    def outcome(self) -> str:
        """``full`` (all confirmed, maybe late), ``partial`` or ``none``."""
        confirmed = self.confirmed_qty
        if confirmed <= 0:
            return "none"
        return "full" if confirmed >= self.requested_qty else "partial"

    def confirmations(self) -> list[Confirmation]:
        """One confirmation per confirmed schedule line, with every scheduling date."""
        return [Confirmation(quantity(line.confirmed_quantity), line.delivery_date,
                             line.dates.mad, line.dates.tpd, line.dates.load, line.dates.gi)
                for line in self.item.lines if line.confirmed_quantity > 0]

    def record(self) -> dict[str, Any]:
        """The ``atp_check`` row of this check (without key and timestamp)."""
        return {"check_date": self.request.today, "material_id": self.request.material_id,
                "plant": self.request.plant, "customer_id": self.request.customer_id,
                "order_id": self.order_id, "item_no": self.item_no,
                "checking_group": self.checking_group, "rule": self.rule.value,
                "requested_qty": self.requested_qty,
                "requested_date": self.request.requested_date,
                "availability_date": self.availability_date,
                "confirmed_qty": self.confirmed_qty, "confirmed_date": self.confirmed_date,
                "delay_days": self.delay_days, "outcome": self.outcome}


@dataclass(frozen=True)
class _OrderContext:
    """The order entry a transaction is in: the order, its delivery agreement, items seen."""

    transaction: Any
    order_id: int
    agreement: DeliveryAgreement
    checked: int


_CONTEXT_KEY = "kubus.scheduling.atp_order_context"
_h, _i, _nr = sales_order, sales_order_item, number_range
# The sales-order number this transaction (or the last committed one) drew, its header if it
# is visible, and whether it has items yet: during order entry the header is written before the
# items are checked, and the number-range row stays locked until the order commits.
_CURRENT_ORDER = PreparedQuery(
    sa.select(_h.c.order_id, _h.c.sold_to, _h.c.partial_delivery, _h.c.complete_delivery,
              sa.exists().where(_i.c.order_id == _h.c.order_id).label("has_items"))
    .select_from(_h.join(_nr, sa.and_(_nr.c.object_type == "sales_order",
                                      _h.c.order_id == _nr.c.next_number - 1))))


def _now(dialect: str) -> sa.ColumnElement[Any]:
    if dialect == "sqlite":
        return sa.func.strftime("%Y-%m-%d %H:%M:%f", "now", type_=sa.DateTime)
    return sa.func.clock_timestamp(type_=sa.DateTime)


_RECORD_COLUMNS = ("check_date", "material_id", "plant", "customer_id", "order_id", "item_no",
                   "checking_group", "rule", "requested_qty", "requested_date",
                   "availability_date", "confirmed_qty", "confirmed_date", "delay_days",
                   "outcome")
_INSERTS: dict[str, Prepared] = {}


def _insert(dialect: str) -> Prepared:
    """``INSERT INTO atp_check ... RETURNING check_id`` for one record (DB clock)."""
    statement = _INSERTS.get(dialect)
    if statement is None:
        statement = _INSERTS[dialect] = Prepared(
            atp_check.insert().values(
                checked_at=_now(dialect),
                **{name: sa.bindparam(f"r_{name}", type_=atp_check.c[name].type)
                   for name in _RECORD_COLUMNS})
            .returning(atp_check.c.check_id))
    return statement


class AtpChecker:
    """ATP with delivery scheduling for order entry (see the module docstring).

    ``checking_rules`` maps checking groups to their scope of check and RLT use (key ``"*"``:
    the rule of every other group; default: :data:`~kubus.scheduling.oltp_master.
    DEFAULT_CHECKING_RULE`, unrestricted stock, every receipt and issue, with RLT). ``rule``
    is the reaction to a shortage before the customer's agreements apply (default: delivery
    proposal). ``record=False`` checks without writing ``atp_check`` rows.
    """

    def __init__(self, *, checking_rules: Mapping[str, CheckingGroupRule] | None = None,
                 rule: ConfirmationRule = ConfirmationRule.PROPOSAL,
                 record: bool = True) -> None:
        if not isinstance(rule, ConfirmationRule):
            raise TypeError(f"rule must be a ConfirmationRule, got {rule!r}")
        self.checking_rules = dict(checking_rules) if checking_rules is not None else None
        self.rule = rule
        self.record = record

    # -- the AvailabilityChecker protocol ------------------------------------------------------

    def check(self, conn: sa.Connection,
              request: AvailabilityRequest) -> Sequence[Confirmation]:
        """Confirm ``request`` (inside the caller's transaction); records the check."""
        return self.check_many(conn, [request])[0]

    def check_many(self, conn: sa.Connection, requests: Sequence[AvailabilityRequest]
                   ) -> list[Sequence[Confirmation]]:
        """Confirm several requests at once; equal to :meth:`check` for each in turn (a later
        request for the same material/plant sees the earlier ones' confirmations)."""
        if not requests:
            return []
        context = self._order_context(conn, requests[0]) if self.record else None
        results = self.evaluate(conn, requests, context=context)
        if self.record:
            self._record(conn, results)
            if context is not None:
                conn.info[_CONTEXT_KEY] = replace(context,
                                                  checked=context.checked + len(results))
        return [result.confirmations() for result in results]

    # -- checks without writing ----------------------------------------------------------------

    def simulate(self, bind: Bind, request: AvailabilityRequest) -> AtpResult:
        """Check ``request`` in a read-only transaction of its own: nothing is written.

        Without a route in the request, the route is determined as order entry would for the
        request's ship-to (or customer); without either there is no transit time.
        """
        with read_only(bind) as conn:
            return self.evaluate(conn, [request], determine_routes=True)[0]

    def evaluate(self, conn: sa.Connection, requests: Sequence[AvailabilityRequest], *,
                 context: _OrderContext | None = None,
                 determine_routes: bool = False) -> list[AtpResult]:
        """The checks of ``requests`` in order, each seeing the earlier ones (writes nothing)."""
        try:
            return self._evaluate(conn, requests, context, determine_routes)
        except SchedulingError as exc:
            raise oltp_error(exc) from exc

    def _evaluate(self, conn: sa.Connection, requests: Sequence[AvailabilityRequest],
                  context: _OrderContext | None, determine_routes: bool) -> list[AtpResult]:
        for request in requests:
            _validate(request)
        keys = sorted({(r.material_id, r.plant) for r in requests})
        calendars: dict[str, FactoryCalendar] = {}
        planning = load_material_planning(conn, keys, calendars=calendars)
        points = self._shipping_points(conn, requests)
        routes = self._routes(conn, requests, points, determine_routes)
        sp_data = load_shipping_points(conn, {p for p in points if p is not None}, calendars)
        route_data = load_routes(conn, {r for r in routes if r is not None}, calendars)
        elements = load_elements(conn, keys)
        agreements: dict[str | None, DeliveryAgreement] = {}
        timelines: dict[MaterialPlant, Timeline] = {}
        results = []
        for n, (request, point, route_id) in enumerate(zip(requests, points, routes,
                                                           strict=True)):
            key = (request.material_id, request.plant)
            plan = planning[key]
            rule = checking_rule(plan.checking_group, self.checking_rules)
            timeline = timelines.get(key)
            if timeline is None:
                timeline = timeline_of(elements[key], plan, today=request.today, rule=rule)
            if context is not None:
                agreement = context.agreement
            elif request.customer_id in agreements:
                agreement = agreements[request.customer_id]
            else:
                agreement = agreements[request.customer_id] = load_delivery_agreement(
                    conn, request.customer_id)
            result = self._confirm(request, plan, rule, timeline, agreement,
                                   point=sp_data.get(point) if point else None,
                                   route=route_data.get(route_id) if route_id else None)
            result = replace(result, shipping_point=point, route=route_id)
            if context is not None:
                result = replace(result, order_id=context.order_id,
                                 item_no=10 * (context.checked + n + 1))
            timelines[key] = with_confirmation(timeline, result.item.confirmation)
            results.append(result)
        return results

    def _confirm(self, request: AvailabilityRequest, plan: MaterialPlanning,
                 rule: CheckingGroupRule, timeline: Timeline, agreement: DeliveryAgreement, *,
                 point: ShippingPoint | None, route: Route | None) -> AtpResult:
        point = point or ShippingPoint(0, 0, plan.calendar)
        route = route or Route(0, 0, point.calendar)
        today = request.today
        rlt_end = plan.rlt_end(today) if rule.use_rlt else None
        item = confirm_item(
            ItemRequest(request.quantity, request.requested_date, agreement.partial_delivery,
                        agreement.complete_order),
            timeline, point, route, today=today, rule=self.rule, rlt_end=rlt_end)
        first = item.lines[0].dates
        mad = (first.mad if first.mad >= today and first.tpd >= today
               else forward(today, point, route, today=today).mad)
        effective = effective_rule(self.rule, agreement.partial_delivery,
                                   complete_order=agreement.complete_order)
        return AtpResult(request, plan.checking_group, effective, rlt_end, mad, None, None, item)

    @staticmethod
    def _shipping_points(conn: sa.Connection, requests: Sequence[AvailabilityRequest]
                         ) -> list[str | None]:
        missing = {r.plant for r in requests if r.shipping_point is None}
        firsts = plant_shipping_points(conn, missing) if missing else {}
        return [r.shipping_point or firsts.get(r.plant) for r in requests]

    @staticmethod
    def _routes(conn: sa.Connection, requests: Sequence[AvailabilityRequest],
                points: list[str | None], determine: bool) -> list[str | None]:
        routes = []
        for request, point in zip(requests, points, strict=True):
            route_id = request.route
            receiver = request.ship_to or request.customer_id
            if route_id is None and determine and point is not None and receiver is not None:
                route_id = determine_route(conn, point, receiver, request.material_id)
            routes.append(route_id)
        return routes

    # -- recording -----------------------------------------------------------------------------

    @staticmethod
    def _order_context(conn: sa.Connection, request: AvailabilityRequest) -> _OrderContext | None:
        """The order entry this transaction is in (see the module docstring), or ``None``."""
        if request.customer_id is None:
            return None
        transaction = conn.get_transaction()
        rows = _CURRENT_ORDER.rows(conn, {})
        row = rows[0] if rows else None
        if row is None or row.sold_to != request.customer_id:
            return None
        known = conn.info.get(_CONTEXT_KEY)
        if (isinstance(known, _OrderContext) and known.transaction is transaction
                and known.order_id == row.order_id):
            return known
        if row.has_items:
            return None
        return _OrderContext(transaction, int(row.order_id),
                             DeliveryAgreement.of(row.partial_delivery, row.complete_delivery),
                             0)

    @staticmethod
    def _record(conn: sa.Connection, results: list[AtpResult]) -> None:
        insert = _insert(conn.dialect.name)
        try:
            ids = [insert.execute(conn, {f"r_{k}": v for k, v in result.record().items()})[0][0]
                   for result in results]
        except conn.dialect.loaded_dbapi.IntegrityError as exc:  # on the DBAPI cursor
            # The only reference not checked before: the customer.
            customer = results[0].request.customer_id
            raise NotFound("unknown_customer", f"customer {customer} does not exist",
                           customer_id=customer) from exc
        changelog.append(conn, [changelog.Change("atp_check", str(i)) for i in ids])


def _validate(request: AvailabilityRequest) -> None:
    """Quantity > 0 with at most 3 decimals, dates that are dates, nothing before today."""
    to_milli(request.quantity, field="quantity")
    today = to_day(request.today, field="today")
    if to_day(request.requested_date, field="requested_date") < today:
        raise DateInPastError(f"requested delivery date {request.requested_date} is before "
                              f"today {request.today}", field="requested_date")


if TYPE_CHECKING:  # the protocols of order entry, checked by mypy
    _PROTOCOL: BatchAvailabilityChecker = AtpChecker()


def simulate_check(bind: Bind, material_id: str, plant: str, quantity_: Decimal | int,
                   requested_date: date, *, today: date, customer_id: str | None = None,
                   ship_to: str | None = None, checker: AtpChecker | None = None) -> AtpResult:
    """An ATP check without saving anything (``kubus atp check``, ``POST /api/v1/atp/check``).

    Quantity in the material's base unit; ``customer_id`` brings in the customer's delivery
    agreements and, with ``ship_to``, the route of order entry.
    """
    value = quantity_ if isinstance(quantity_, Decimal) else Decimal(quantity_)
    request = AvailabilityRequest(material_id, plant, value, requested_date, today,
                                  customer_id=customer_id, ship_to=ship_to)
    return (checker or AtpChecker(record=False)).simulate(bind, request)



#: The availability checks a server can run order entry with (``[oltp] availability``).
AVAILABILITY_CHECKS = ("atp", "stock")


def availability_checker(kind: str = "atp") -> AvailabilityChecker:
    """The checker of ``[oltp] availability``: ``atp`` an :class:`AtpChecker` (recording every
    check), ``stock`` the OLTP's stock-only default. ``kubus serve`` passes it to
    ``create_app``::

        create_app(workspace, oltp=engine,
                   checker=availability_checker(settings.oltp.availability))
    """
    if kind == "atp":
        return AtpChecker()
    if kind == "stock":
        return StockOnlyChecker()
    raise ValueError(f"availability check must be one of {', '.join(AVAILABILITY_CHECKS)}, "
                     f"got {kind!r}")
