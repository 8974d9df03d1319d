"""Reconciliation: OLTP totals per source system and day equal the warehouse's.

After every load, aggregate SQL on both sides (the OLTP snapshot the load read, and the
warehouse inside the load's transaction) gives, per day: the order value and quantity of items
not rejected (order date), the signed billed net value (billing date; cancellations and credit
memos negative) and the paid amounts (payment date); and the stock per material and plant (the
OLTP ``stock`` rows against ``stock_marker``), written as one row for the load date. A delta
load compares the days its documents touched (before and after); a full load every day.

Example::

    rows = reconcile(conn, reader, source_key=1, system="CURRENT", days=None, load_id=7,
                     today=date(2024, 3, 31))
    rows[rows["ok"] == 0]      # the mismatches
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from kubus.etl.sources import Reader
from kubus.etl.warehouse_io import read_frame

__all__ = ["ReconciliationError", "reconcile"]

TOLERANCE = 0.005

# measure -> (fact table, OLTP SQL by day, warehouse SQL by day key); {days}/{keys} take the
# day filter. The OLTP side names the header first with CROSS JOIN: SQLite then scans the
# (smaller, date-filtered) headers and finds the items by primary key, about 10x faster than
# scanning the items; PostgreSQL plans it as a plain join.
_MEASURES = {
    "order_value": ("fact_order_item",
        "SELECT h.order_date AS day, SUM(CAST(i.net_value AS DOUBLE PRECISION)) AS v "
        "FROM sales_order h CROSS JOIN sales_order_item i WHERE i.order_id = h.order_id "
        "AND COALESCE(i.rejection_reason, '') = '' AND {days:h.order_date} "
        "GROUP BY h.order_date",
        "SELECT order_date_key AS k, SUM(net_value) AS v FROM fact_order_item "
        "WHERE source_key = {s} AND rejected = 0 AND {keys:order_date_key} "
        "GROUP BY order_date_key"),
    "order_quantity": ("fact_order_item",
        "SELECT h.order_date AS day, SUM(CAST(i.quantity AS DOUBLE PRECISION)) AS v "
        "FROM sales_order h CROSS JOIN sales_order_item i WHERE i.order_id = h.order_id "
        "AND COALESCE(i.rejection_reason, '') = '' AND {days:h.order_date} "
        "GROUP BY h.order_date",
        "SELECT order_date_key AS k, SUM(quantity) AS v FROM fact_order_item "
        "WHERE source_key = {s} AND rejected = 0 AND {keys:order_date_key} "
        "GROUP BY order_date_key"),
    "billed_net_value": ("fact_billing_item",
        "SELECT h.billing_date AS day, SUM(CASE WHEN h.category IN ('N', 'O') THEN -1 ELSE 1 "
        "END * CAST(b.net_value AS DOUBLE PRECISION)) AS v FROM billing_document h "
        "CROSS JOIN billing_item b WHERE b.billing_id = h.billing_id AND {days:h.billing_date} "
        "GROUP BY h.billing_date",
        "SELECT billing_date_key AS k, SUM(net_value) AS v FROM fact_billing_item "
        "WHERE source_key = {s} AND {keys:billing_date_key} GROUP BY billing_date_key"),
    "paid_amount": ("fact_payment",
        "SELECT p.payment_date AS day, SUM(CAST(pi.amount AS DOUBLE PRECISION)) AS v "
        "FROM payment p CROSS JOIN payment_item pi WHERE pi.payment_id = p.payment_id "
        "AND {days:p.payment_date} GROUP BY p.payment_date",
        "SELECT payment_date_key AS k, SUM(amount) AS v FROM fact_payment "
        "WHERE source_key = {s} AND {keys:payment_date_key} GROUP BY payment_date_key"),
}

_STOCK_OLTP = ("SELECT material_id, plant, SUM(CAST(unrestricted + quality + blocked AS "
               "DOUBLE PRECISION)) AS v FROM stock GROUP BY material_id, plant")
_STOCK_WAREHOUSE = ("SELECT p.material_id, l.plant, SUM(m.marker_qty) AS v FROM stock_marker m "
                    "JOIN dim_product p ON p.product_key = m.product_key "
                    "JOIN dim_plant l ON l.plant_key = m.plant_key "
                    "WHERE m.source_key = {s} GROUP BY p.material_id, l.plant")


class ReconciliationError(Exception):
    """Warehouse totals differ from the OLTP totals; ``mismatches`` lists the rows."""

    def __init__(self, system: str, mismatches: pd.DataFrame) -> None:
        self.system = system
        self.mismatches = mismatches
        first = mismatches.head(5)
        lines = [f"  {str(r.day)[:10]} {r.measure}: OLTP {r.oltp_value:,.2f} warehouse "
                 f"{r.warehouse_value:,.2f}" for r in first.itertuples()]
        super().__init__(f"reconciliation failed for source {system}: {len(mismatches)} "
                         "differing totals, first:\n" + "\n".join(lines))


def _in(column: str, values: list[str] | None) -> str:
    if values is None:
        return "1=1"
    return f"{column} IN ({', '.join(values)})" if values else "1=0"


def _sql(template: str, s: int, days: list[int] | None) -> str:
    """Fill ``{s}`` and the ``{days:col}`` (ISO dates) / ``{keys:col}`` (day keys) filters."""
    out = template.replace("{s}", str(int(s)))
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        kind, column = out[start + 1:end].split(":")
        values = None if days is None else [
            f"'{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}'" if kind == "days"
            else str(d) for d in days]
        out = out[:start] + _in(column, values) + out[end + 1:]
    return out


def _day_keys(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.slice(0, 10).str.replace("-", "")
    return pd.to_numeric(text, errors="coerce").fillna(0).astype("int64")


def reconcile(conn: sa.Connection, reader: Reader, *, source_key: int, system: str,
              days: Mapping[str, set[int]] | None, load_id: int, today: date
              ) -> pd.DataFrame:
    """The ``etl_reconciliation`` rows of this load (``ok`` 0 where totals differ).

    ``days``: per fact table the day keys the load touched (``None``: every day).
    """
    parts = []
    for measure, (fact, oltp_sql, warehouse_sql) in _MEASURES.items():
        wanted = None if days is None else sorted(days.get(fact, ()))
        if wanted is not None and not wanted:
            continue  # the load did not touch this fact: its totals cannot have moved
        left = reader.frame(_sql(oltp_sql, source_key, wanted))
        left = pd.DataFrame({"k": _day_keys(left["day"]), "oltp_value": left["v"]})
        right = read_frame(conn, _sql(warehouse_sql, source_key, wanted))
        right = pd.DataFrame({"k": right["k"].astype("int64"),
                              "warehouse_value": right["v"].astype("float64")})
        both = left.merge(right, on="k", how="outer").fillna(0.0)
        both["measure"] = measure
        parts.append(both)
    stock_o = reader.frame(_STOCK_OLTP)
    stock_w = read_frame(conn, _sql(_STOCK_WAREHOUSE, source_key, None))
    stock = stock_o.merge(stock_w, on=["material_id", "plant"], how="outer",
                          suffixes=("_o", "_w")).fillna(0.0)
    key = today.year * 10_000 + today.month * 100 + today.day
    in_oltp, in_warehouse = stock["v_o"].astype(float), stock["v_w"].astype(float)
    differing = stock[np.abs(in_oltp - in_warehouse) >= TOLERANCE]
    parts.append(pd.DataFrame({"k": [key], "oltp_value": [in_oltp.sum()],
                               "warehouse_value": [in_warehouse.sum()],
                               "measure": ["stock_quantity"]}))
    # A difference per material and plant gets a row of its own, naming them.
    parts.append(pd.DataFrame({
        "k": key, "oltp_value": differing["v_o"].astype(float),
        "warehouse_value": differing["v_w"].astype(float),
        "measure": ("stock " + differing["material_id"].astype(str) + "/"
                    + differing["plant"].astype(str)).str.slice(0, 40)}))
    rows = pd.concat(parts, ignore_index=True)
    rows["oltp_value"] = rows["oltp_value"].astype(float).round(2)
    rows["warehouse_value"] = rows["warehouse_value"].astype(float).round(2)
    ok = np.abs(rows["oltp_value"] - rows["warehouse_value"]) < TOLERANCE
    if not differing.empty:  # totals may agree while materials differ
        ok &= rows["measure"] != "stock_quantity"
    k = rows["k"].astype("int64")
    day = pd.to_datetime(k.where(k > 0, 19000101).astype(str), format="%Y%m%d")
    return pd.DataFrame({"load_id": load_id, "source_system": system, "day": day,
                         "measure": rows["measure"], "oltp_value": rows["oltp_value"],
                         "warehouse_value": rows["warehouse_value"],
                         "ok": ok.astype("int16")})
