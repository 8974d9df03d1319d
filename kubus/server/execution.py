"""Run statements under a statement timeout and record what ran (SQL and timings).

PostgreSQL enforces the timeout itself (``SET LOCAL statement_timeout``); DuckDB and SQLite
have no such setting, so a timer interrupts the connection from another thread, which both
drivers support (``interrupt()``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from kubus.model.errors import QueryTimeoutError
from kubus.model.results import Timing


class Executor:
    def __init__(self, engine: sa.Engine, timeout: float) -> None:
        self.engine = engine
        self.timeout = timeout
        self.timings: list[Timing] = []

    def _sql(self, statement: sa.Select[Any]) -> str:
        try:
            return str(statement.compile(self.engine, compile_kwargs={"literal_binds": True}))
        except Exception:  # some values cannot be rendered inline: show the parameters
            return str(statement.compile(self.engine))

    @contextmanager
    def connection(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            if self.timeout and conn.dialect.name == "postgresql":
                # Local to the transaction SQLAlchemy opens for this connection.
                conn.execute(sa.select(sa.func.set_config(
                    "statement_timeout", str(int(self.timeout * 1000)), True)))
            yield conn

    def all(self, statement: sa.Select[Any], purpose: str) -> list[sa.Row[Any]]:
        """Execute and fetch every row, under the timeout."""
        started = time.perf_counter()
        with self.connection() as conn, self._guard(conn):
            rows = list(conn.execute(statement))
        self._record(statement, purpose, started, len(rows))
        return rows

    def stream(self, statement: sa.Select[Any], purpose: str,
               batch: int = 10_000) -> Iterator[sa.Row[Any]]:
        """Yield rows in batches (for unlimited CSV/JSON-lines exports)."""
        started = time.perf_counter()
        count = 0
        with self.connection() as conn:
            with self._guard(conn):
                result = conn.execution_options(yield_per=batch).execute(statement)
                first = result.fetchmany(batch)
            self._record(statement, purpose, started, len(first))
            yield from first
            count += len(first)
            while first:
                first = result.fetchmany(batch)
                count += len(first)
                yield from first

    def _record(self, statement: sa.Select[Any], purpose: str, started: float,
                rows: int) -> None:
        self.timings.append(Timing(purpose, time.perf_counter() - started, rows,
                                   render=lambda: self._sql(statement)))

    @contextmanager
    def _guard(self, conn: sa.Connection) -> Iterator[None]:
        fired = threading.Event()
        timer = None
        if self.timeout and conn.dialect.name != "postgresql":
            raw = conn.connection.dbapi_connection

            def interrupt() -> None:
                fired.set()
                target = getattr(raw, "interrupt", None)
                if target is None and raw is not None:  # duckdb-engine wraps the connection
                    target = getattr(getattr(raw, "_ConnectionWrapper__c", None), "interrupt",
                                     None)
                if target is not None:
                    target()

            timer = threading.Timer(self.timeout, interrupt)
            timer.daemon = True
            timer.start()
        try:
            yield
        except DBAPIError as exc:
            if fired.is_set() or _is_timeout(exc):
                raise QueryTimeoutError(
                    f"The query took longer than the statement timeout of {self.timeout:g} s",
                    hint="Narrow the cell with cuts, drill down less deep, or page the "
                         "result") from None
            raise
        finally:
            if timer is not None:
                timer.cancel()


def _is_timeout(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return "statement timeout" in text or "canceling statement" in text or "interrupt" in text
