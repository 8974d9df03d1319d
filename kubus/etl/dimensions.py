"""Conformed dimensions: surrogate keys, upserts, inferred members, the date dimension.

Surrogate keys are stable across loads: a member keeps its key for ever, a new member gets
``max(key) + 1`` (new members numbered in the order of their natural keys, so two runs of the
same loads give the same keys). Key ``0`` is the "not assigned" member of every dimension.
Plants, routes and vendors are compounded with the source system (domain.md §4.5); products
and channels are conformed across systems by their code.

A fact that refers to a member the warehouse has not seen (its master record comes in a later
change) gets an *inferred* member: the natural key with empty attributes, filled in by the
later master-data load (same key, attributes overwritten).

Example::

    keys = member_keys(conn, PRODUCT, frame["material_id"], source_key=1)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from kubus.etl.transform import lookup, text
from kubus.etl.warehouse_io import insert_frame, read_frame, stage_keys

__all__ = ["CHANNEL", "PLANT", "PRODUCT", "ROUTE", "VENDOR", "DimSpec", "ensure_dates",
           "ensure_unassigned", "member_keys", "source_key", "upsert_members"]


@dataclass(frozen=True)
class DimSpec:
    """A dimension table: its surrogate key, natural key and whether that is per source."""

    table: str
    key: str
    natural: str
    compounded: bool


PRODUCT = DimSpec("dim_product", "product_key", "material_id", False)
PLANT = DimSpec("dim_plant", "plant_key", "plant", True)
ROUTE = DimSpec("dim_route", "route_key", "route", True)
VENDOR = DimSpec("dim_vendor", "vendor_key", "vendor_id", True)
CHANNEL = DimSpec("dim_channel", "channel_key", "channel", False)

_UNASSIGNED: dict[str, dict[str, object]] = {
    "dim_source_system": {"source_key": 0, "source_system": "", "source_name": "not assigned"},
    "dim_customer": {"customer_key": 0, "global_id": "", "customer_name": "not assigned"},
    "dim_customer_version": {"customer_version_key": 0, "customer_key": 0,
                             "valid_from": "1900-01-01",
                             "valid_to": "9999-12-31"},
    "dim_product": {"product_key": 0, "material_id": "", "product_name": "not assigned"},
    "dim_plant": {"plant_key": 0, "plant": "", "plant_name": "not assigned"},
    "dim_route": {"route_key": 0, "route": "", "route_name": "not assigned"},
    "dim_vendor": {"vendor_key": 0, "vendor_id": "", "vendor_name": "not assigned"},
    "dim_channel": {"channel_key": 0, "channel": "", "channel_name": "not assigned"},
    "dim_date": {"date_key": 0},
}


def ensure_unassigned(conn: sa.Connection) -> None:
    """Insert the key-0 "not assigned" row of every dimension that lacks it."""
    for table, row in _UNASSIGNED.items():
        key = next(iter(row))
        if conn.execute(sa.text(f"SELECT 1 FROM {table} WHERE {key} = 0")).first() is None:
            insert_frame(conn, table, pd.DataFrame([row]))


def source_key(conn: sa.Connection, system_id: str, name: str) -> int:
    """The key of source system ``system_id`` (created on its first load)."""
    found = conn.execute(sa.text("SELECT source_key FROM dim_source_system "
                                 "WHERE source_system = :s"), {"s": system_id}).scalar()
    if found is not None:
        return int(found)
    key = int(conn.execute(sa.text("SELECT COALESCE(MAX(source_key), 0) + 1 "
                                   "FROM dim_source_system")).scalar_one())
    insert_frame(conn, "dim_source_system", pd.DataFrame(
        [{"source_key": key, "source_system": system_id, "source_name": name[:80]}]))
    return key


def _existing(conn: sa.Connection, spec: DimSpec, source: int) -> pd.DataFrame:
    where = f" WHERE source_key = {int(source)}" if spec.compounded else ""
    return read_frame(conn, f"SELECT {spec.key}, {spec.natural} FROM {spec.table}{where}")


def _next_key(conn: sa.Connection, spec: DimSpec) -> int:
    return int(conn.execute(sa.text(f"SELECT COALESCE(MAX({spec.key}), 0) + 1 "
                                    f"FROM {spec.table}")).scalar_one())


def _assign(conn: sa.Connection, spec: DimSpec, naturals: pd.Series, source: int,
            existing: pd.DataFrame) -> pd.DataFrame:
    """Natural key -> surrogate key for ``naturals``, numbering the new ones."""
    wanted = pd.DataFrame({spec.natural: pd.unique(naturals.astype(str))})
    wanted = wanted[wanted[spec.natural] != ""]
    merged = wanted.merge(existing.astype({spec.natural: str}), on=spec.natural, how="left")
    new = merged[spec.key].isna()
    if new.any():
        order = merged.loc[new, spec.natural].sort_values().index
        merged.loc[order, spec.key] = np.arange(len(order)) + _next_key(conn, spec)
    merged[spec.key] = merged[spec.key].astype("int64")
    merged["is_new"] = new
    return merged


def upsert_members(conn: sa.Connection, spec: DimSpec, frame: pd.DataFrame,
                   source: int) -> None:
    """Write master data ``frame`` (natural key + attribute columns): new or overwritten."""
    if frame.empty:
        return
    frame = frame.drop_duplicates(spec.natural, keep="last")
    keys = _assign(conn, spec, frame[spec.natural], source, _existing(conn, spec, source))
    rows = frame.astype({spec.natural: str}).merge(keys[[spec.natural, spec.key]],
                                                   on=spec.natural)
    if spec.compounded:
        rows["source_key"] = source
    stage_keys(conn, rows[spec.key].to_numpy())
    conn.execute(sa.text(f"DELETE FROM {spec.table} WHERE {spec.key} IN "
                         f"(SELECT k FROM etl_stage_keys)"))
    insert_frame(conn, spec.table, rows)


def member_keys(conn: sa.Connection, spec: DimSpec, values: pd.Series, source: int
                ) -> pd.Series:
    """The surrogate keys of ``values`` (0 for empty), inferring members not yet loaded."""
    clean = text(values)
    existing = _existing(conn, spec, source)
    keys = _assign(conn, spec, pd.Series(pd.unique(clean)), source, existing)
    inferred = keys[keys["is_new"]]
    if len(inferred):
        rows = inferred[[spec.key, spec.natural]].copy()
        if spec.compounded:
            rows["source_key"] = source
        insert_frame(conn, spec.table, rows)
    return lookup(clean, keys[spec.natural], keys[spec.key])


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def ensure_dates(conn: sa.Connection, keys: list[pd.Series]) -> None:
    """Fill ``dim_date`` for every day from the earliest to the latest date key seen."""
    seen = pd.concat([k[k > 0] for k in keys]) if keys else pd.Series(dtype="int64")
    if seen.empty:
        return
    lo, hi = int(seen.min()), int(seen.max())
    bounds = conn.execute(sa.text("SELECT MIN(date_key), MAX(date_key) FROM dim_date "
                                  "WHERE date_key > 0")).first()
    if bounds is not None and bounds[0] is not None:
        lo, hi = min(lo, int(bounds[0])), max(hi, int(bounds[1]))
    first = date(lo // 10_000, lo // 100 % 100, lo % 100)
    last = date(hi // 10_000, hi // 100 % 100, hi % 100)
    days = pd.date_range(first, last, freq="D")
    frame = pd.DataFrame({"date": days})
    frame["date_key"] = (days.year * 10_000 + days.month * 100 + days.day).astype("int64")
    have = set(read_frame(conn, "SELECT date_key FROM dim_date")["date_key"].astype("int64"))
    frame = frame[~frame["date_key"].isin(have)]
    if frame.empty:
        return
    d = frame["date"].dt
    iso = d.isocalendar()
    frame = frame.assign(
        year=d.year, quarter=d.quarter, month=d.month,
        month_name=d.month.map(lambda m: _MONTHS[m - 1]), day=d.day,
        iso_year=iso["year"].astype("int64"), iso_week=iso["week"].astype("int64"),
        weekday=d.day_of_week + 1, fiscal_year=d.year,
        # K4: fiscal year = calendar year, period = month (0FISCPER YYYYPPP).
        fiscal_period=d.year * 1000 + d.month)
    insert_frame(conn, "dim_date", frame)


def day_of(key: int) -> date:
    """The date of a ``YYYYMMDD`` key."""
    return date(key // 10_000, key // 100 % 100, key % 100)


def minus_day(day: date) -> date:
    return day - timedelta(days=1)
