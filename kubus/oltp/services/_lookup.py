"""Shared reads of the services: customers with partners, materials, prices, tax rates.

Order entry is the hot path (``bench/bench_order_entry.py``), so the statements are built once
at import time with bind parameters, and the two it runs on every order are
:class:`~kubus.oltp.prepared.PreparedQuery` objects (compiled once, run on the DBAPI cursor).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from kubus.oltp.errors import BadRequest, Invalid, NotFound
from kubus.oltp.prepared import PreparedQuery
from kubus.oltp.schema import (
    currency,
    customer,
    customer_partner,
    customer_sales_area,
    material,
    material_plant,
    plant,
    route_determination,
    sales_price,
    shipping_point,
    tax_rate,
)


def _param(name: str, type_: Any = None) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=type_)


def _many(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name, expanding=True)


@dataclass(frozen=True)
class SalesContext:
    """The sold-to's sales-area data and the partners an order copies."""

    sold_to: Any
    area: Any
    ship_to: Any
    bill_to: str
    payer: str


_csa, _cp = customer_sales_area, customer_partner
_CUSTOMER = sa.select(customer).where(customer.c.customer_id == _param("customer_id"))


def _partner(function: str) -> sa.ScalarSelect[Any]:
    return (sa.select(_cp.c.partner_id)
            .where(_cp.c.customer_id == _csa.c.customer_id, _cp.c.sales_org == _csa.c.sales_org,
                   _cp.c.distribution_channel == _csa.c.distribution_channel,
                   _cp.c.division == _csa.c.division, _cp.c.partner_function == function)
            .order_by(_cp.c.counter).limit(1).scalar_subquery())


# Customer, sales-area data and the first ship-to, bill-to and payer in one statement.
_CONTEXT = PreparedQuery(
    sa.select(customer, *(c for c in _csa.c if c.name != "customer_id"),
              _csa.c.customer_id.label("area_customer"), _partner("WE").label("partner_we"),
              _partner("RE").label("partner_re"), _partner("RG").label("partner_rg"))
    .select_from(customer.outerjoin(_csa, sa.and_(
        _csa.c.customer_id == customer.c.customer_id,
        # Typed: PostgreSQL cannot infer the type of a parameter that is only tested for NULL.
        sa.or_(_param("sales_org", sa.String).is_(None), _csa.c.sales_org == _param("sales_org")),
        sa.or_(_param("channel", sa.String).is_(None),
               _csa.c.distribution_channel == _param("channel")),
        sa.or_(_param("division", sa.String).is_(None), _csa.c.division == _param("division")))))
    .where(customer.c.customer_id == _param("customer_id"))
    .limit(2))  # the single-row case is the common one; two mean an ambiguous sales area
_SHIP_TOS = (
    sa.select(_cp.c.partner_id)
    .where(_cp.c.customer_id == _param("customer_id"), _cp.c.sales_org == _param("sales_org"),
           _cp.c.distribution_channel == _param("channel"),
           _cp.c.division == _param("division"), _cp.c.partner_function == "WE"))


def sales_context(conn: sa.Connection, sold_to: str, area: tuple[str | None, str | None,
                  str | None], ship_to: str | None = None) -> SalesContext:
    """Customer, sales area and partners; NotFound / BadRequest with a clear message.

    ``area`` is the row of the customer joined with its sales-area data.
    """
    sales_org, channel, division = area
    rows = _CONTEXT.rows(conn, {"customer_id": sold_to, "sales_org": sales_org,
                                "channel": channel, "division": division})
    if not rows:
        raise NotFound("unknown_customer", f"customer {sold_to} does not exist",
                       customer_id=sold_to)
    if rows[0].area_customer is None:
        raise NotFound("unknown_sales_area",
                       f"customer {sold_to} has no sales data for sales area "
                       f"{'/'.join(v or '*' for v in area)}", customer_id=sold_to)
    if len(rows) > 1:
        raise BadRequest("sales_area_required",
                         f"customer {sold_to} is in several sales areas: give sales_org, "
                         "distribution_channel and division", customer_id=sold_to)
    row = rows[0]
    ship_to_id = ship_to or row.partner_we or sold_to
    if ship_to is not None and ship_to not in (sold_to, row.partner_we):
        allowed = conn.execute(_SHIP_TOS, {
            "customer_id": sold_to, "sales_org": row.sales_org,
            "channel": row.distribution_channel, "division": row.division}).scalars().all()
        if ship_to not in allowed:
            raise Invalid("not_a_ship_to", f"{ship_to} is not a ship-to party of {sold_to}",
                          customer_id=sold_to, ship_to=ship_to)
    ship_to_row = row if ship_to_id == sold_to else conn.execute(
        _CUSTOMER, {"customer_id": ship_to_id}).one()
    return SalesContext(row, row, ship_to_row, row.partner_re or sold_to,
                        row.partner_rg or sold_to)


_CURRENCY = sa.select(currency.c.currency).where(currency.c.currency == _param("code"))


def check_currency(conn: sa.Connection, code: str) -> None:
    if conn.execute(_CURRENCY, {"code": code}).scalar() is None:
        raise NotFound("unknown_currency", f"currency {code} does not exist", currency=code)


_MATERIALS = sa.select(material).where(material.c.material_id.in_(_many("ids")))


def materials(conn: sa.Connection, ids: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(set(ids))
    rows = {r.material_id: r for r in conn.execute(_MATERIALS, {"ids": wanted})}
    for material_id in wanted:
        if material_id not in rows:
            raise NotFound("unknown_material", f"material {material_id} does not exist",
                           material_id=material_id)
    return rows


_sp, _rd, _spt = sales_price, route_determination, shipping_point
_first = _spt.alias("first_point")
# correlate_except: the item's plant also inside the route subquery, which nests this one
# (auto-correlation only looks one level up and would scan every plant's shipping points).
_first_point = (sa.select(sa.func.min(_first.c.shipping_point))
                .where(_first.c.plant == material_plant.c.plant)
                .correlate_except(_first).scalar_subquery())
_list_price = (
    sa.select(_sp.c.price)
    .where(_sp.c.material_id == material_plant.c.material_id,
           _sp.c.sales_org == _param("sales_org"), _sp.c.distribution_channel == _param("channel"),
           _sp.c.currency == _param("currency"), _sp.c.valid_from <= _param("on"))
    .order_by(_sp.c.valid_from.desc()).limit(1).scalar_subquery())
_route = (
    sa.select(_rd.c.route)
    .select_from(_spt.join(_rd, _rd.c.departure_zone == _spt.c.departure_zone))
    .where(_spt.c.shipping_point == _first_point,
           _rd.c.destination_country == _param("country"),
           _rd.c.destination_zone == _param("zone"),
           _rd.c.shipping_conditions == _param("conditions"),
           _rd.c.transportation_group == material.c.transportation_group)
    .limit(1).scalar_subquery())
_mp = material_plant
_ITEM_DATA = PreparedQuery(
    sa.select(_mp.c.material_id, _mp.c.plant, _mp.c.checking_group, _mp.c.open_confirmed_qty,
              material.c.base_unit, material.c.tax_class,
              material.c.transportation_group, plant.c.country,
              _first_point.label("shipping_point"), _route.label("route"),
              _list_price.label("list_price"), tax_rate.c.tax_code,
              tax_rate.c.rate.label("tax_rate"))
    .select_from(
        material.join(material_plant, material.c.material_id == material_plant.c.material_id)
        .join(plant, plant.c.plant == material_plant.c.plant)
        .outerjoin(tax_rate, sa.and_(tax_rate.c.country == plant.c.country,
                                     tax_rate.c.customer_tax_class == _param("customer_class"),
                                     tax_rate.c.material_tax_class == material.c.tax_class)))
    .where(sa.tuple_(material_plant.c.material_id, material_plant.c.plant).in_(_many("keys")))
    .order_by(material_plant.c.material_id, material_plant.c.plant)
    .with_for_update(of=material_plant))


def item_data(conn: sa.Connection, keys: Iterable[tuple[str, str]], ctx: SalesContext,
              currency_code: str, on: date) -> dict[tuple[str, str], Any]:
    """Everything order entry needs per (material, plant), in one statement: material and
    plant data, the first shipping point, the route, the list price and the tax rate; the
    ``material_plant`` rows are locked in key order. NotFound names an unknown plant or
    material before a material not maintained in a plant."""
    wanted = sorted(set(keys))
    area = ctx.area
    found = {(r.material_id, r.plant): r for r in _ITEM_DATA.rows(conn, {
        "keys": wanted, "sales_org": area.sales_org, "channel": area.distribution_channel,
        "currency": currency_code, "on": on, "country": ctx.ship_to.country,
        "zone": ctx.ship_to.transport_zone, "conditions": area.shipping_conditions,
        "customer_class": ctx.sold_to.tax_class})}
    if len(found) < len(wanted):
        plants(conn, (p for _, p in wanted))  # raises unknown_plant if that is it
        materials(conn, (m for m, _ in wanted))  # raises unknown_material if that is it
        for material_id, plant_id in wanted:
            if (material_id, plant_id) not in found:
                raise NotFound("unknown_material_plant",
                               f"material {material_id} is not maintained in plant "
                               f"{plant_id}", material_id=material_id, plant=plant_id)
    return found


_first_sp = (sa.select(sa.func.min(shipping_point.c.shipping_point))
             .where(shipping_point.c.plant == plant.c.plant).scalar_subquery())
_PLANTS = (sa.select(plant, _first_sp.label("shipping_point"))
           .where(plant.c.plant.in_(_many("ids"))))


def plants(conn: sa.Connection, ids: Iterable[str]) -> dict[str, Any]:
    """Plant rows with the plant's first shipping point (``shipping_point``, may be None)."""
    wanted = sorted(set(ids))
    rows = {r.plant: r for r in conn.execute(_PLANTS, {"ids": wanted})}
    for plant_id in wanted:
        if plant_id not in rows:
            raise NotFound("unknown_plant", f"plant {plant_id} does not exist", plant=plant_id)
    return rows
