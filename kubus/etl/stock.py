"""Non-cumulative stock (domain.md §4.7): reconstruction from a marker and the daily snapshot.

The warehouse keeps stock the way BW does: movements (``fact_stock_movement``: inflow and
outflow per posting day) plus a **marker** per (source system, product, plant)
(``stock_marker``: the absolute stock after every loaded movement). The stock at the end of any
earlier day is rebuilt backwards::

    stock(t) = marker - Σ (inflow - outflow) of the movements posted after day t

:func:`stock_at` and friends state this in plain Python (BW-6 is their test).
:func:`build_stock_snapshot` does the same set-based in SQL for a range of days and rewrites
``fact_stock_daily`` — closing stock, inflow and outflow per day, product, plant and source
system, for every day of the range (days without movements included, so an average over the
days of a period is the day-weighted AV1 average) — in one transaction, on DuckDB, SQLite and
PostgreSQL. Movements without a posting date (``posting_date_key = 0``) count as before every
day (they are inside the marker). A (source, product, plant) whose stock is zero on every day of
the range and that has no movement in it gets no rows (zero elimination).

Stock value: closing quantity x the value per unit (``|value_gc| / (inflow + outflow)``) of the
latest valued movement day on or before the day; 0 when no valued movement exists yet.

Example (the cron job ``stock-snapshot`` rebuilds a recent window, e.g. the last 31 days, so
that movements posted back into earlier days are reflected)::

    build_stock_snapshot(engine, date(2024, 1, 1), date(2024, 3, 31))  # rows written
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from kubus.etl.warehouse_schema import fact_stock_daily

__all__ = [
    "Movement",
    "average_of_period_ends",
    "build_stock_snapshot",
    "compress_requests",
    "day_weighted_average",
    "flows",
    "stock_at",
]


@dataclass(frozen=True)
class Movement:
    """One posting day's inflow and outflow (both >= 0)."""

    day: date
    inflow: Decimal = Decimal(0)
    outflow: Decimal = Decimal(0)


def stock_at(marker: Decimal, movements: Iterable[Movement], day: date) -> Decimal:
    """Closing stock at the end of ``day``: marker - Σ net movements after ``day``.

    Example::

        stock_at(Decimal(1150), [Movement(date(2024, 3, 5), Decimal(400), Decimal(200))],
                 date(2024, 2, 29))  # Decimal('950')
    """
    return marker - sum((m.inflow - m.outflow for m in movements if m.day > day), Decimal(0))


def flows(movements: Iterable[Movement], first: date, last: date) -> tuple[Decimal, Decimal]:
    """(Σ inflow, Σ outflow) of the movements posted in ``first..last``."""
    inside = [m for m in movements if first <= m.day <= last]
    return (sum((m.inflow for m in inside), Decimal(0)),
            sum((m.outflow for m in inside), Decimal(0)))


def average_of_period_ends(values: Sequence[Decimal]) -> Decimal:
    """Simple mean of period-end stocks (BW-6: month ends 1,100, 950, 1,150 → 1,066.67)."""
    if not values:
        raise ValueError("need at least one period-end value")
    return sum(values, Decimal(0)) / len(values)


def day_weighted_average(
    marker: Decimal, movements: Sequence[Movement], first: date, last: date
) -> Decimal:
    """Mean of the closing stocks of every day in ``first..last`` (SAP's AV1, by days)."""
    if first > last:
        raise ValueError(f"first ({first}) is after last ({last})")
    days = (last - first).days + 1
    total = sum((stock_at(marker, movements, first + timedelta(days=i)) for i in range(days)),
                Decimal(0))
    return total / days


def compress_requests(
    rows: Iterable[tuple[Hashable, int, Decimal]], *, zero_elimination: bool = False
) -> dict[Hashable, Decimal]:
    """BW compression (domain.md §4.6, BW-5): sum rows equal but for the request id.

    ``rows`` are ``(characteristics, request_id, quantity)``; the result is the E-table under
    request 0, keyed by characteristics. With ``zero_elimination`` rows summing to 0 vanish.

    Example::

        compress_requests([(("C1", "M1", "2024-03"), 1, Decimal(10)),
                           (("C1", "M1", "2024-03"), 2, Decimal(5)),
                           (("C1", "M1", "2024-03"), 3, Decimal(-15))])
        # {('C1', 'M1', '2024-03'): Decimal('0')}
    """
    out: dict[Hashable, Decimal] = {}
    for characteristics, _request, quantity in rows:
        out[characteristics] = out.get(characteristics, Decimal(0)) + quantity
    if zero_elimination:
        out = {k: v for k, v in out.items() if v != 0}
    return out


def _date_key(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


# Set-based reconstruction. CTEs: the day grid (temp table), movements per key and day, the
# net change after the range, the closing stock as a backwards running sum from the marker
# (window ROWS ... 1 PRECEDING over days in descending order), and the latest valued movement
# day on or before each day (a running MAX) for the unit value.
_SNAPSHOT_SQL = """
INSERT INTO _kubus_stock_new (source_key, date_key, product_key, plant_key,
                              stock_qty, inflow_qty, outflow_qty, stock_value_gc)
WITH mv AS (
    SELECT source_key, product_key, plant_key, posting_date_key AS date_key,
           SUM(inflow_qty) AS inflow, SUM(outflow_qty) AS outflow,
           SUM(ABS(value_gc)) AS value, SUM(inflow_qty + outflow_qty) AS qty
    FROM fact_stock_movement
    WHERE posting_date_key > 0
    GROUP BY source_key, product_key, plant_key, posting_date_key
), stock_keys AS (
    SELECT source_key, product_key, plant_key FROM stock_marker
    UNION
    SELECT source_key, product_key, plant_key FROM mv
), later AS (
    SELECT source_key, product_key, plant_key, SUM(inflow - outflow) AS net
    FROM mv WHERE date_key > :last_key
    GROUP BY source_key, product_key, plant_key
), priced_before AS (
    SELECT source_key, product_key, plant_key, MAX(date_key) AS price_day
    FROM mv WHERE date_key < :first_key AND qty > 0 AND value > 0
    GROUP BY source_key, product_key, plant_key
), grid AS (
    SELECT k.source_key, k.product_key, k.plant_key, d.date_key,
           COALESCE(mv.inflow, 0) AS inflow, COALESCE(mv.outflow, 0) AS outflow,
           CASE WHEN mv.qty > 0 AND mv.value > 0 THEN d.date_key END AS price_day,
           COALESCE(m.marker_qty, 0) - COALESCE(later.net, 0) AS end_of_range,
           pb.price_day AS price_day_before
    FROM stock_keys k
    CROSS JOIN _kubus_stock_days d
    LEFT JOIN mv ON mv.source_key = k.source_key AND mv.product_key = k.product_key
        AND mv.plant_key = k.plant_key AND mv.date_key = d.date_key
    LEFT JOIN stock_marker m ON m.source_key = k.source_key AND m.product_key = k.product_key
        AND m.plant_key = k.plant_key
    LEFT JOIN later ON later.source_key = k.source_key AND later.product_key = k.product_key
        AND later.plant_key = k.plant_key
    LEFT JOIN priced_before pb ON pb.source_key = k.source_key
        AND pb.product_key = k.product_key AND pb.plant_key = k.plant_key
), closing AS (
    SELECT source_key, product_key, plant_key, date_key, inflow, outflow,
           end_of_range - COALESCE(SUM(inflow - outflow) OVER (
               PARTITION BY source_key, product_key, plant_key ORDER BY date_key DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS stock,
           COALESCE(MAX(price_day) OVER (
               PARTITION BY source_key, product_key, plant_key ORDER BY date_key
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), price_day_before) AS priced_on
    FROM grid
), kept AS (
    SELECT c.*,
           MAX(ABS(stock) + inflow + outflow) OVER (
               PARTITION BY source_key, product_key, plant_key) AS activity
    FROM closing c
)
SELECT kept.source_key, kept.date_key, kept.product_key, kept.plant_key,
       kept.stock, kept.inflow, kept.outflow,
       COALESCE(ROUND(kept.stock * p.value / p.qty, 2), 0)
FROM kept
LEFT JOIN mv p ON p.source_key = kept.source_key AND p.product_key = kept.product_key
    AND p.plant_key = kept.plant_key AND p.date_key = kept.priced_on
WHERE kept.activity > 0
"""

_DIMENSIONS = ("source_key", "date_key", "product_key", "plant_key")
_MEASURES = ("stock_qty", "inflow_qty", "outflow_qty", "stock_value_gc")
_scratch = sa.MetaData()
_days = sa.Table("_kubus_stock_days", _scratch,
                 sa.Column("date_key", sa.Integer, primary_key=True, autoincrement=False),
                 prefixes=["TEMPORARY"])
# The new rows of the range (no index: written once, read twice in full).
_new = sa.Table("_kubus_stock_new", _scratch,
                *(sa.Column(c.name, c.type) for c in fact_stock_daily.columns),
                prefixes=["TEMPORARY"])
# The (source, product, plant) keys that have rows in the range after zero elimination.
_kept = sa.Table("_kubus_stock_keys", _scratch,
                 *(sa.Column(n, sa.Integer, primary_key=True, autoincrement=False)
                   for n in ("source_key", "product_key", "plant_key")),
                 prefixes=["TEMPORARY"])

_KEEP_SQL = """
INSERT INTO _kubus_stock_keys (source_key, product_key, plant_key)
SELECT DISTINCT source_key, product_key, plant_key FROM _kubus_stock_new
"""
# A key that keeps rows has one for every day of the range, so the only rows to delete are
# those of keys without rows any more (zero elimination).
_DELETE_SQL = """
DELETE FROM fact_stock_daily
WHERE date_key BETWEEN :first_key AND :last_key AND NOT EXISTS (
    SELECT 1 FROM _kubus_stock_keys k
    WHERE k.source_key = fact_stock_daily.source_key
      AND k.product_key = fact_stock_daily.product_key
      AND k.plant_key = fact_stock_daily.plant_key)
"""
# Upsert rather than delete + insert: DuckDB re-inserting deleted primary keys in the same
# transaction is ~30x slower. ``WHERE true`` keeps SQLite's parser from reading ON CONFLICT as
# a join constraint.
_UPSERT_SQL = (
    f"INSERT INTO fact_stock_daily ({', '.join(_DIMENSIONS + _MEASURES)}) "
    f"SELECT {', '.join(_DIMENSIONS + _MEASURES)} FROM _kubus_stock_new WHERE true "
    f"ON CONFLICT ({', '.join(_DIMENSIONS)}) DO UPDATE SET "
    + ", ".join(f"{m} = excluded.{m}" for m in _MEASURES))


def build_stock_snapshot(warehouse: sa.Engine, first_day: date, last_day: date) -> int:
    """Rebuild ``fact_stock_daily`` for ``first_day..last_day``; return the rows written.

    Rows of the range are replaced in one transaction (readers see the old or the new
    snapshot); rows outside it stay.
    """
    if first_day > last_day:
        raise ValueError(f"first_day ({first_day}) is after last_day ({last_day})")
    keys = [_date_key(first_day + timedelta(days=i))
            for i in range((last_day - first_day).days + 1)]
    bounds = {"first_key": keys[0], "last_key": keys[-1]}
    scratch = (_days, _new, _kept)
    with warehouse.begin() as conn:
        # A failed run rolls the temporary tables back with everything else.
        for table in scratch:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
            table.create(conn)
        # A few thousand day keys at most: one executemany.
        conn.execute(_days.insert(), [{"date_key": k} for k in keys])
        conn.execute(sa.text(_SNAPSHOT_SQL), bounds)
        conn.execute(sa.text(_KEEP_SQL))
        conn.execute(sa.text(_DELETE_SQL), bounds)
        conn.execute(sa.text(_UPSERT_SQL))
        written = conn.execute(sa.select(sa.func.count()).select_from(_new)).scalar_one()
        for table in scratch:
            table.drop(conn)
    return int(written)
