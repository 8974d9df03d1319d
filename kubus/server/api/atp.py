"""Availability: the ATP check as a simulation and the backorder run (issue #4).

``POST /atp/check`` runs the order-entry ATP check (:func:`kubus.scheduling.oltp_checker.
simulate_check`) for one material, plant, quantity and requested delivery date and answers with
the schedule lines it would confirm; nothing is saved. ``POST /backorder-runs`` reschedules the
open sales-order items (:func:`kubus.scheduling.oltp_backorder.run_backorder`), by default as a
dry run that saves nothing, and answers with the confirmations it changes (before and after).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kubus.oltp.errors import BadRequest
from kubus.scheduling.oltp_backorder import (
    BackorderRunReport,
    LineState,
    RescheduledItem,
    run_backorder,
)
from kubus.scheduling.oltp_checker import AtpResult, simulate_check
from kubus.server.api.operations import Body, Call, Operation
from kubus.server.api.rows import qty

__all__ = ["OPERATIONS"]

TAG = "Availability"


@dataclass(frozen=True)
class AtpCheckInput:
    """What to check: a quantity (base unit) of a material in a plant for a delivery date."""

    material_id: str
    plant: str
    quantity: Decimal
    requested_delivery_date: date
    #: The sold-to party: brings in its partial-delivery agreement (and, with ``ship_to``,
    #: the route of order entry).
    customer_id: str | None = None
    ship_to: str | None = None


@dataclass(frozen=True)
class CheckDate:
    #: The business date of the check (default today); the requested delivery date must not
    #: be before it.
    today: date | None = None


@dataclass(frozen=True)
class AtpScheduleLine:
    """A schedule line the check would confirm, with every scheduling date."""

    line_no: int
    delivery_date: date
    order_quantity: Decimal
    confirmed_quantity: Decimal
    material_availability_date: date
    transportation_planning_date: date
    loading_date: date
    goods_issue_date: date


@dataclass(frozen=True)
class AtpCheckResult:
    """The result of a simulated ATP check (nothing saved). ``outcome``: ``full`` (all
    confirmed, maybe late), ``partial`` or ``none``; ``delay_days``: calendar days from the
    requested to the last confirmed delivery date."""

    material_id: str
    plant: str
    customer_id: str | None
    today: date
    requested_quantity: Decimal
    requested_delivery_date: date
    checking_group: str
    rule: str
    availability_date: date
    rlt_end: date | None
    shipping_point: str | None
    route: str | None
    confirmed_quantity: Decimal
    unconfirmed_quantity: Decimal
    confirmed_date: date | None
    delay_days: int | None
    outcome: str
    schedule_lines: tuple[AtpScheduleLine, ...]


def _check_result(result: AtpResult) -> AtpCheckResult:
    request = result.request
    lines = tuple(AtpScheduleLine(
        line.number, line.delivery_date, qty(line.order_quantity),
        qty(line.confirmed_quantity), line.dates.mad, line.dates.tpd, line.dates.load,
        line.dates.gi) for line in result.item.lines)
    return AtpCheckResult(
        request.material_id, request.plant, request.customer_id, request.today,
        result.requested_qty, request.requested_date, result.checking_group, result.rule.value,
        result.availability_date, result.rlt_end, result.shipping_point, result.route,
        result.confirmed_qty, qty(result.requested_qty - result.confirmed_qty),
        result.confirmed_date, result.delay_days, result.outcome, lines)


def _check(call: Call) -> AtpCheckResult:
    body: AtpCheckInput = call.body
    result = simulate_check(call.conn, body.material_id, body.plant, body.quantity,
                            body.requested_delivery_date, today=call.date_or_today("today"),
                            customer_id=body.customer_id, ship_to=body.ship_to)
    return _check_result(result)


@dataclass(frozen=True)
class BackorderRunInput:
    """Which open items to reschedule (omitted: every material, every plant; an empty list
    is a 400)."""

    #: Simulate only (the default): report the changes, save nothing.
    dry_run: bool = True
    materials: tuple[str, ...] | None = None
    plants: tuple[str, ...] | None = None


@dataclass(frozen=True)
class BackorderLine:
    """A schedule line of an order item, before or after the run."""

    line_no: int
    delivery_date: date
    requested_qty: Decimal
    confirmed_qty: Decimal
    material_availability_date: date
    transportation_planning_date: date
    loading_date: date
    goods_issue_date: date


@dataclass(frozen=True)
class BackorderChange:
    """An order item whose confirmation the run changes (dry run: would change)."""

    order_id: int
    item_no: int
    material_id: str
    plant: str
    open_qty: Decimal
    confirmed_before: Decimal
    confirmed_after: Decimal
    unconfirmed_after: Decimal
    lines_before: tuple[BackorderLine, ...]
    lines_after: tuple[BackorderLine, ...]


@dataclass(frozen=True)
class BackorderRun:
    """What a backorder run changed (dry run: would change), in processing order."""

    today: date
    dry_run: bool
    sort_by: str
    items_checked: int
    items_skipped: int
    lines_selected: int
    lines_updated: int
    lines_inserted: int
    changes: tuple[BackorderChange, ...]


def _line(line: LineState) -> BackorderLine:
    return BackorderLine(line.line_no, line.delivery_date, qty(line.requested_qty),
                         qty(line.confirmed_qty), line.mad, line.tpd, line.load, line.gi)


def _change(item: RescheduledItem) -> BackorderChange:
    return BackorderChange(item.order_id, item.item_no, item.material_id, item.plant,
                           qty(item.open_qty), qty(item.confirmed_before),
                           qty(item.confirmed_after), qty(item.unconfirmed_after),
                           tuple(_line(x) for x in item.lines_before),
                           tuple(_line(x) for x in item.lines_after))


def _run_report(report: BackorderRunReport) -> BackorderRun:
    return BackorderRun(report.today, report.dry_run, report.sort_by.value,
                        report.items_checked, report.items_skipped, report.lines_selected,
                        report.lines_updated, report.lines_inserted,
                        tuple(_change(c) for c in report.changes))


def _backorder_run(call: Call) -> BackorderRun:
    body: BackorderRunInput = call.body
    for name in ("materials", "plants"):
        if getattr(body, name) == ():
            raise BadRequest("invalid_parameter", f"{name} must not be empty (omit it for all)")
    report = run_backorder(call.conn, today=call.date_or_today("today"), dry_run=body.dry_run,
                           materials=body.materials, plants=body.plants)
    return _run_report(report)


OPERATIONS = (
    Operation("POST", "/atp/check", "checkAvailability",
              "Simulate an ATP check (nothing is saved)", TAG, _check, AtpCheckResult,
              body=Body(AtpCheckInput, CheckDate),
              description="The availability check of order entry for one quantity of a "
                          "material in a plant: the schedule lines it would confirm with all "
                          "their dates. An unknown material or plant is a 422; a quantity "
                          "that is not positive or a requested date before `today` a 400."),
    Operation("POST", "/backorder-runs", "runBackorder",
              "Reschedule open sales-order items (backorder processing)", TAG,
              _backorder_run, BackorderRun, body=Body(BackorderRunInput, CheckDate),
              description="Releases and re-checks the confirmations of the open items by "
                          "priority, then creation date. With `dry_run` (the default) only "
                          "reports the changes; otherwise saves them in one transaction."),
)
