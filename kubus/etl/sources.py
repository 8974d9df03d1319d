"""OLTP source systems and consistent bulk reads from them.

A :class:`Source` is a configured name plus a SQLAlchemy URL; its identity in the warehouse is
the OLTP ``system_info.system_id`` (``CURRENT``, ``LEGACY``, ...). :func:`snapshot` opens one
read transaction for a whole load, so the change-log watermark, the documents and the
reconciliation totals all come from the same committed state: SQLite through ADBC (Arrow
batches straight from the C driver; measured about 3x faster than ``pandas.read_sql``), under a
deferred ``BEGIN`` that pins a WAL snapshot; PostgreSQL through SQLAlchemy in a ``REPEATABLE
READ`` transaction.

Example::

    with snapshot(Source("current", "sqlite:///var/oltp_current.sqlite")) as reader:
        reader.frame("SELECT order_id, net_value FROM sales_order")
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd
import sqlalchemy as sa

__all__ = ["Reader", "Source", "SourceError", "snapshot"]


class SourceError(Exception):
    """A source system cannot be read (bad URL, no OLTP schema, unreachable)."""


@dataclass(frozen=True)
class Source:
    """One OLTP source system: the configured name and its SQLAlchemy URL."""

    name: str
    url: str

    @property
    def shown_url(self) -> str:
        """The URL with the password hidden (for logs and ``etl_source.url``)."""
        return sa.make_url(self.url).render_as_string(hide_password=True)


class Reader(Protocol):
    """Reads of one snapshot of a source system."""

    system_id: str
    system_name: str
    currency: str
    dialect: str

    def frame(self, sql: str) -> pd.DataFrame: ...


class _AdbcReader:
    dialect = "sqlite"

    def __init__(self, connection: Any) -> None:
        self._conn = connection

    def frame(self, sql: str) -> pd.DataFrame:
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql)
            frame: pd.DataFrame = cursor.fetch_arrow_table().to_pandas()
            return frame
        finally:
            cursor.close()


class _SqlAlchemyReader:
    def __init__(self, connection: sa.Connection) -> None:
        self._conn = connection
        self.dialect = connection.dialect.name

    def frame(self, sql: str) -> pd.DataFrame:
        return pd.read_sql(sa.text(sql), self._conn)


def _identify(reader: Any, source: Source) -> None:
    try:
        info = reader.frame("SELECT system_id, name, company_currency FROM system_info")
    except Exception as exc:
        raise SourceError(f"source {source.name} ({source.shown_url}): no OLTP schema "
                          f"(system_info): {str(exc).splitlines()[0]}") from exc
    if info.empty:
        raise SourceError(f"source {source.name} ({source.shown_url}): system_info is empty")
    reader.system_id = str(info.iloc[0]["system_id"])
    reader.system_name = str(info.iloc[0]["name"])
    reader.currency = str(info.iloc[0]["company_currency"])


@contextlib.contextmanager
def snapshot(source: Source) -> Iterator[Reader]:
    """A reader over one consistent, read-only state of ``source``."""
    url = sa.make_url(source.url)
    reader: Any
    if url.get_backend_name() == "sqlite":
        import adbc_driver_sqlite.dbapi as adbc

        path = url.database or ""
        if not path or path == ":memory:":
            raise SourceError(f"source {source.name}: needs a SQLite file, got {source.url!r}")
        try:
            conn = adbc.connect(f"file:{path}?mode=ro")
        except Exception as exc:
            raise SourceError(f"source {source.name}: cannot open {path}: {exc}") from exc
        try:
            # ADBC's DB-API runs with autocommit off: the first read begins the transaction
            # whose snapshot every later read of this load shares.
            reader = _AdbcReader(conn)
            _identify(reader, source)
            yield reader
        finally:
            with contextlib.suppress(Exception):
                conn.rollback()
            conn.close()
        return
    try:
        engine = sa.create_engine(url)
    except Exception as exc:
        raise SourceError(f"source {source.name}: bad URL {source.shown_url}: {exc}") from exc
    try:
        with engine.connect() as plain:
            options: dict[str, Any] = {"isolation_level": "REPEATABLE READ"}
            sa_conn = plain.execution_options(**options)
            with sa_conn.begin():
                reader = _SqlAlchemyReader(sa_conn)
                _identify(reader, source)
                yield reader
    except sa.exc.OperationalError as exc:
        raise SourceError(f"source {source.name} ({source.shown_url}): "
                          f"{str(exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()
