"""Stock per material, plant and storage location (SAP MARD), and the locks that guard it.

Stock is unrestricted, in quality inspection or blocked. Only goods movements change it, and
never below zero (checked here before writing, and again by a CHECK constraint). Lock order,
kept by every service so that lockers never deadlock on PostgreSQL: the ``material_plant``
rows first (sorted by key), then the ``stock`` rows (sorted), then number ranges, then the
change-log counter. Order entry takes the same ``material_plant`` lock, which is what keeps a
goods issue and an availability check from interleaving.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kubus.oltp.amounts import ZERO, quantity
from kubus.oltp.errors import Conflict, NotFound
from kubus.oltp.schema import material_plant, stock, storage_location
from kubus.oltp.store import Bind, read_only
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["STOCK_TYPES", "StockKey", "StockLevel", "lock_material_plants", "plan_stock_changes",
           "stock_levels", "write_stock_changes"]

#: Stock type code of a movement -> stock column.
STOCK_TYPES = {"U": "unrestricted", "Q": "quality", "B": "blocked"}

MaterialPlant = tuple[str, str]
StockKey = tuple[str, str, str]  # material, plant, storage location


@dataclass(frozen=True)
class StockLevel:
    material_id: str
    plant: str
    storage_location: str
    unrestricted: Decimal
    quality: Decimal
    blocked: Decimal


def stock_levels(bind: Bind, material_id: str, plant: str | None = None) -> list[StockLevel]:
    """Stock of a material (at one plant, or all), per storage location."""
    query = sa.select(stock).where(stock.c.material_id == material_id)
    if plant is not None:
        query = query.where(stock.c.plant == plant)
    with read_only(bind) as conn:
        rows = conn.execute(query.order_by(stock.c.plant, stock.c.storage_location)).all()
    return [StockLevel(r.material_id, r.plant, r.storage_location, r.unrestricted, r.quality,
                       r.blocked) for r in rows]


def lock_material_plants(conn: sa.Connection, keys: Iterable[MaterialPlant], *,
                         lock: bool = True) -> dict[MaterialPlant, Any]:
    """Lock the ``material_plant`` rows of ``keys`` in key order (or only read them, with
    ``lock=False``); :class:`NotFound` if one is missing."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    mp = material_plant
    query = (sa.select(mp).where(sa.tuple_(mp.c.material_id, mp.c.plant).in_(wanted))
             .order_by(mp.c.material_id, mp.c.plant))
    if lock:
        query = query.with_for_update()
    found = {(r.material_id, r.plant): r for r in conn.execute(query)}
    for material_id, plant in wanted:
        if (material_id, plant) not in found:
            raise NotFound("unknown_material_plant",
                           f"material {material_id} is not maintained in plant {plant}",
                           material_id=material_id, plant=plant)
    return found


@dataclass(frozen=True)
class StockPlan:
    """New stock quantities, checked and ready to write."""

    new_values: dict[StockKey, dict[str, Decimal]]
    missing: frozenset[StockKey]


def plan_stock_changes(conn: sa.Connection,
                       deltas: Mapping[tuple[str, str, str, str], Decimal]) -> StockPlan:
    """Lock the stock rows of ``deltas`` ((material, plant, sloc, stock type) -> signed qty).

    Raises :class:`Conflict` ``insufficient_stock`` if a quantity would go below zero, and
    :class:`NotFound` for an unknown storage location. Writes nothing.
    """
    keys = sorted({(m, p, s) for m, p, s, _ in deltas})
    if not keys:
        return StockPlan({}, frozenset())
    query = (sa.select(stock).where(
        sa.tuple_(stock.c.material_id, stock.c.plant, stock.c.storage_location).in_(keys))
        .order_by(stock.c.material_id, stock.c.plant, stock.c.storage_location)
        .with_for_update())
    current = {(r.material_id, r.plant, r.storage_location): r for r in conn.execute(query)}
    missing = frozenset(k for k in keys if k not in current)
    if missing:
        _check_storage_locations(conn, {(p, s) for _, p, s in missing})
    new_values: dict[StockKey, dict[str, Decimal]] = {}
    for (m, p, s, stock_type), delta in sorted(deltas.items()):
        column = STOCK_TYPES[stock_type]
        row = current.get((m, p, s))
        values = new_values.setdefault((m, p, s), {})
        before = values.get(column, row._mapping[column] if row is not None else ZERO)
        after = quantity(before + delta)
        if after < 0:
            raise Conflict("insufficient_stock",
                           f"{column} stock of {m} in {p}/{s} is {before}, "
                           f"a movement of {delta} would make it negative",
                           material_id=m, plant=p, storage_location=s, available=str(before))
        values[column] = after
    return StockPlan(new_values, missing)


def _check_storage_locations(conn: sa.Connection, wanted: set[tuple[str, str]]) -> None:
    sl = storage_location
    query = sa.select(sl.c.plant, sl.c.storage_location).where(
        sa.tuple_(sl.c.plant, sl.c.storage_location).in_(sorted(wanted)))
    found = {(r.plant, r.storage_location) for r in conn.execute(query)}
    for plant, sloc in sorted(wanted - found):
        raise NotFound("unknown_storage_location",
                       f"storage location {sloc} does not exist in plant {plant}",
                       plant=plant, storage_location=sloc)


def write_stock_changes(unit: UnitOfWork, plan: StockPlan) -> None:
    """Write a checked :class:`StockPlan` (new rows are inserted, others updated)."""
    inserts = []
    for key, values in plan.new_values.items():
        m, p, s = key
        if key in plan.missing:
            inserts.append({"material_id": m, "plant": p, "storage_location": s,
                            "unrestricted": ZERO, "quality": ZERO, "blocked": ZERO, **values})
        else:
            unit.update(stock, {"material_id": m, "plant": p, "storage_location": s}, values)
    unit.insert(stock, inserts)
