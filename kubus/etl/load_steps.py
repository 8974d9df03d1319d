"""The steps of one source system's load: master data, facts (DSO overwrite), stock markers.

:data:`FACT_STEPS` lists per fact table the document kind whose ids select its rows, the
semantic key column the rows are replaced by, the day column reconciliation compares, and the
read + transformation. :func:`replace_rows` is the DSO overwrite: delete the documents' rows,
insert their current state. Used by :mod:`kubus.etl.pipeline`.

Example::

    for table, kind, key, day, step in FACT_STEPS:
        frame = step(ctx, reader, ids)
        replace_rows(conn, table, key, source_key=1, ids=ids, rows=frame, day=day)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from kubus.etl import dimensions as dims
from kubus.etl import facts as f
from kubus.etl import queries as q
from kubus.etl.customers import upsert_customers
from kubus.etl.extract import ChangeSet
from kubus.etl.interactions import interaction_rows, read_interactions
from kubus.etl.sources import Reader
from kubus.etl.transform import clean_text
from kubus.etl.warehouse_io import delete_keys, insert_frame, read_frame, stage_keys

__all__ = ["FACT_STEPS", "load_masters", "replace_rows", "update_markers"]


Step = Callable[[f.Context, Reader, "np.ndarray | None"], pd.DataFrame]


def _orders(ctx: f.Context, r: Reader, ids: np.ndarray | None) -> pd.DataFrame:
    items = q.read_docs(r, q.ORDER_ITEMS, "i.order_id", ids)
    if ids is None:  # a full load: every order's dates, which the deliveries need too
        ctx.memo["order_dates"] = items[["order_id", "item_no", "order_date",
                                         "requested_date"]].rename(
            columns={"item_no": "order_item"})
    return f.order_item_rows(ctx, items,
                             q.read_docs(r, q.ORDER_CONFIRMED, "s.order_id", ids),
                             q.read_docs(r, q.ORDER_ISSUED, "d.order_id", ids))


def _deliveries(ctx: f.Context, r: Reader, ids: np.ndarray | None) -> pd.DataFrame:
    items = q.read_docs(r, q.DELIVERY_ITEMS, "d.delivery_id", ids)
    dates = ctx.memo.pop("order_dates", None) if ids is None else None
    if dates is None:
        orders = None if ids is None else items["order_id"].dropna().unique()
        dates = q.read_docs(r, q.ORDER_DATES, "i.order_id", orders)
    items = items.merge(dates, on=["order_id", "order_item"], how="left")
    return f.delivery_rows(ctx, items, q.read_docs(r, q.DELIVERY_ISSUED, "m.delivery_id", ids))


def _movements(ctx: f.Context, r: Reader, ids: np.ndarray | None, *,
               keep: bool) -> pd.DataFrame:
    """Material-document items, read once for both the stock and the goods-receipt fact."""
    frame = ctx.memo.pop("movements", None)
    if frame is None:
        frame = q.read_docs(r, q.MOVEMENTS, "m.mat_doc_id", ids)
    if keep:
        ctx.memo["movements"] = frame
    return frame


def _pos(ctx: f.Context, r: Reader, ids: np.ndarray | None) -> pd.DataFrame:
    return f.po_rows(ctx, q.read_docs(r, q.PO_ITEMS, "i.po_id", ids),
                     q.read_docs(r, q.PO_RECEIVED, "m.po_id", ids))


# fact table, document kind, semantic key column, reconciled day column, transformation.
FACT_STEPS: tuple[tuple[str, str, str, str | None, Step], ...] = (
    ("fact_order_item", "order", "order_id", "order_date_key", _orders),
    ("fact_delivery_item", "delivery", "delivery_id", None, _deliveries),
    ("fact_billing_item", "billing", "billing_id", "billing_date_key",
     lambda c, r, i: f.billing_rows(c, q.read_docs(r, q.BILLING_ITEMS, "b.billing_id", i))),
    ("fact_open_item", "open_item", "open_item_id", None,
     lambda c, r, i: f.open_item_rows(c, q.read_docs(r, q.OPEN_ITEMS, "o.open_item_id", i))),
    ("fact_payment", "payment", "payment_id", "payment_date_key",
     lambda c, r, i: f.payment_rows(c, q.read_docs(r, q.PAYMENTS, "pi.payment_id", i))),
    ("fact_stock_movement", "movement", "mat_doc_id", None,
     lambda c, r, i: f.movement_rows(c, _movements(c, r, i, keep=True))),
    ("fact_goods_receipt", "movement", "mat_doc_id", None,
     lambda c, r, i: f.goods_receipt_rows(c, _movements(c, r, i, keep=False))),
    ("fact_po_item", "po", "po_id", None, _pos),
    ("fact_atp_check", "atp", "check_id", None,
     lambda c, r, i: f.atp_rows(c, q.read_docs(r, q.ATP_CHECKS, "check_id", i))),
    ("fact_interaction", "interaction", "interaction_id", None,
     lambda c, r, i: interaction_rows(c, read_interactions(r, i))),
)


def load_masters(conn: sa.Connection, reader: Reader, changes: ChangeSet, *, source_key: int,
                 system: str, today: date) -> None:
    """Upsert the dimensions from the changed (or, for a full load, all) master records."""
    ids = changes.masters
    customers = ids.get("customer")
    if customers is None or len(customers):
        upsert_customers(conn, source_key, system,
                         q.read_docs(reader, q.CUSTOMERS, "customer_id", customers), today)
    plans: tuple[tuple[str, dims.DimSpec, str, Callable[[pd.DataFrame], pd.DataFrame]], ...] = (
        ("material", dims.PRODUCT, q.MATERIALS, lambda m: pd.DataFrame({
            "material_id": m["material_id"], "product_name": clean_text(m["description"]),
            "category": clean_text(m["category"]), "subcategory": clean_text(m["subcategory"]),
            "base_unit": clean_text(m["base_unit"], case="upper")})),
        ("plant", dims.PLANT, q.PLANTS, lambda m: pd.DataFrame({
            "plant": m["plant"], "plant_name": clean_text(m["name"]),
            "country": clean_text(m["country"], case="upper")})),
        ("route", dims.ROUTE, q.ROUTES, lambda m: pd.DataFrame({
            "route": m["route"], "route_name": clean_text(m["description"]),
            "transit_days": m["transit_days"].round().astype("int64")})),
        ("vendor", dims.VENDOR, q.VENDORS, lambda m: pd.DataFrame({
            "vendor_id": m["vendor_id"], "vendor_name": clean_text(m["name"]),
            "country": clean_text(m["country"], case="upper")})),
    )
    for kind, spec, sql, shape in plans:
        wanted = ids.get(kind)
        if wanted is not None and not len(wanted):
            continue
        rows = q.read_docs(reader, sql, spec.natural, wanted)
        dims.upsert_members(conn, spec, shape(rows), source_key)


def replace_rows(conn: sa.Connection, table: str, key: str, *, source_key: int,
                 ids: np.ndarray | None, rows: pd.DataFrame, day: str | None) -> set[int]:
    """DSO overwrite: delete the documents' rows, insert their new state; days touched."""
    touched: set[int] = set()
    if day is not None and ids is not None and len(ids):
        stage_keys(conn, ids)
        old = read_frame(conn, f"SELECT DISTINCT {day} AS d FROM {table} WHERE source_key = "
                         f"{source_key} AND {key} IN (SELECT k FROM etl_stage_keys)")
        touched.update(int(v) for v in old["d"])
    delete_keys(conn, table, source_key, key, ids)
    if day is not None:
        touched.update(int(v) for v in pd.unique(rows[day]))
    insert_frame(conn, table, rows)
    return touched


def update_markers(conn: sa.Connection, source_key: int, movements: pd.DataFrame, *,
                   full: bool) -> None:
    """stock_marker = Σ inflow - outflow of every loaded movement, per product and plant."""
    where = ""
    if not full:
        if movements.empty:
            return
        pairs = movements["product_key"].astype("int64") * 1_000_000 + movements["plant_key"]
        stage_keys(conn, pairs.to_numpy())
        where = " AND product_key * 1000000 + plant_key IN (SELECT k FROM etl_stage_keys)"
    conn.execute(sa.text(f"DELETE FROM stock_marker WHERE source_key = {source_key}{where}"))
    conn.execute(sa.text(
        "INSERT INTO stock_marker (source_key, product_key, plant_key, marker_qty) "
        "SELECT source_key, product_key, plant_key, SUM(inflow_qty - outflow_qty) "
        f"FROM fact_stock_movement WHERE source_key = {source_key}{where} "
        "GROUP BY source_key, product_key, plant_key"))
