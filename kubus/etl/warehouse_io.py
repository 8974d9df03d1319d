"""Bulk reads and writes on the warehouse connection: DataFrames in, set operations out.

Every write goes through one open SQLAlchemy connection (the load's single transaction), as a
batch: DuckDB scans a registered DataFrame (``INSERT ... SELECT``), PostgreSQL takes ``COPY ...
FROM STDIN`` of CSV text, SQLite one ``executemany`` of a prepared statement. Deletes by
semantic key stage the keys in a temporary table and run one ``DELETE ... WHERE key IN
(SELECT ...)``.

Example::

    with engine.begin() as conn:
        delete_keys(conn, "fact_order_item", 1, "order_id", [4711, 4712])
        insert_frame(conn, "fact_order_item", frame)
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

__all__ = ["delete_keys", "insert_frame", "read_frame", "scalar"]

_SQLITE_BATCH = 50_000


def read_frame(conn: sa.Connection, sql: str, params: dict[str, Any] | None = None
               ) -> pd.DataFrame:
    """The result of ``sql`` as a DataFrame (DuckDB: straight from its Arrow result)."""
    if conn.dialect.name == "duckdb" and not params:
        frame: pd.DataFrame = conn.connection.driver_connection.execute(  # type: ignore[union-attr]
            sql).df()
        return frame
    return pd.read_sql(sa.text(sql), conn, params=params)


def scalar(conn: sa.Connection, sql: str, params: dict[str, Any] | None = None) -> Any:
    return conn.execute(sa.text(sql), params or {}).scalar()


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO text, missing values as None: what every driver accepts."""
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_datetime64_any_dtype(col):
            out[name] = col.dt.strftime("%Y-%m-%d").astype(object).where(col.notna(), None)
        elif (col.dtype == object or pd.api.types.is_string_dtype(col)
              or pd.api.types.is_extension_array_dtype(col)):
            out[name] = col.astype(object).where(col.notna(), None)
    return out


def insert_frame(conn: sa.Connection, table: str, frame: pd.DataFrame) -> int:
    """Append ``frame`` (columns named like the table's) to ``table``; the row count."""
    if frame.empty:
        return 0
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    dialect = conn.dialect.name
    raw: Any = conn.connection.driver_connection
    if dialect == "duckdb":
        name = f"_kubus_batch_{table}"
        # DuckDB scans Arrow natively (about twice as fast as a pandas frame).
        raw.register(name, pa.Table.from_pandas(frame, preserve_index=False))
        try:
            raw.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{name}"')
        finally:
            raw.unregister(name)
    elif dialect == "postgresql":
        buffer = io.StringIO()
        _plain(frame).to_csv(buffer, index=False, header=False, na_rep="\\N")
        with raw.cursor() as cursor, cursor.copy(
                f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')'
        ) as copy:
            copy.write(buffer.getvalue())
    else:
        plain = _plain(frame)
        marks = ", ".join("?" for _ in frame.columns)
        cursor = raw.cursor()
        try:
            rows: Iterable[tuple[Any, ...]] = plain.itertuples(index=False, name=None)
            sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'
            while batch := list(itertools.islice(rows, _SQLITE_BATCH)):
                cursor.executemany(sql, [tuple(_py(v) for v in row) for row in batch])
        finally:
            cursor.close()
    return len(frame)


def _py(value: Any) -> Any:
    """numpy scalars as Python values (sqlite3 binds only those)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return value


def delete_keys(conn: sa.Connection, table: str, source_key: int, column: str,
                keys: Sequence[int] | np.ndarray | None) -> int:
    """Delete the rows of ``source_key`` whose ``column`` is in ``keys`` (all when ``None``)."""
    if keys is None:
        return int(conn.execute(sa.text(f'DELETE FROM "{table}" WHERE source_key = :s'),
                                {"s": source_key}).rowcount or 0)
    if len(keys) == 0:
        return 0
    stage_keys(conn, keys)
    result = conn.execute(sa.text(
        f'DELETE FROM "{table}" WHERE source_key = :s AND "{column}" IN '
        f"(SELECT k FROM etl_stage_keys)"), {"s": source_key})
    return int(result.rowcount or 0)


def stage_keys(conn: sa.Connection, keys: Sequence[int] | np.ndarray) -> None:
    """Put ``keys`` into the temporary table ``etl_stage_keys (k)``, replacing what it held."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("CREATE TEMPORARY TABLE IF NOT EXISTS etl_stage_keys (k BIGINT) "
                             "ON COMMIT DROP"))
    else:
        conn.execute(sa.text("CREATE TEMPORARY TABLE IF NOT EXISTS etl_stage_keys (k BIGINT)"))
    conn.execute(sa.text("DELETE FROM etl_stage_keys"))
    insert_frame(conn, "etl_stage_keys",
                 pd.DataFrame({"k": pd.unique(np.asarray(keys, dtype="int64"))}))
