"""Run statements under a statement timeout and record what ran (SQL and timings).

PostgreSQL enforces the timeout itself (``SET LOCAL statement_timeout``); DuckDB and SQLite
have no such setting, so one watchdog thread per process interrupts the connection of a
statement past its deadline, which both drivers support (``interrupt()``).

Reads on DuckDB run in its autocommit mode: SQLAlchemy would otherwise send ``BEGIN`` before
and ``ROLLBACK`` after every read-only statement, two round trips through the driver that cost
about half a millisecond together (see :func:`_autocommit_reads`).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from kubus.model.errors import QueryTimeoutError
from kubus.model.results import Timing


class Watchdog:
    """Calls a function when its deadline passes unless cancelled first: one daemon thread
    for every statement of the process (a ``threading.Timer`` per statement starts a thread
    each time)."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int]] = []
        self._pending: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, delay: float, callback: Callable[[], None]) -> int:
        """Run ``callback`` on the watchdog thread in ``delay`` seconds; returns a handle for
        :meth:`cancel`."""
        with self._condition:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="kubus-watchdog",
                                                daemon=True)
                self._thread.start()
            handle = next(self._ids)
            self._pending[handle] = callback
            heapq.heappush(self._heap, (time.monotonic() + delay, handle))
            if self._heap[0][1] == handle:  # earlier than what the thread waits for
                self._condition.notify()
            if len(self._heap) > 2 * len(self._pending) + 64:  # drop cancelled entries
                self._heap = [e for e in self._heap if e[1] in self._pending]
                heapq.heapify(self._heap)
            return handle

    def cancel(self, handle: int) -> bool:
        """Forget ``handle``; False when its callback already ran (or is running)."""
        with self._condition:
            return self._pending.pop(handle, None) is not None

    def _run(self) -> None:
        while True:
            with self._condition:
                callback = None
                while callback is None:
                    while self._heap and self._heap[0][1] not in self._pending:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._condition.wait()
                        continue
                    deadline, handle = self._heap[0]
                    wait = deadline - time.monotonic()
                    if wait > 0:
                        self._condition.wait(wait)
                        continue
                    heapq.heappop(self._heap)
                    callback = self._pending.pop(handle)
            with contextlib.suppress(Exception):  # a failed interrupt must not stop the thread
                callback()


WATCHDOG = Watchdog()

_reading = threading.local()
_NO_BEGIN = "kubus.no_begin"


def _autocommit_reads(engine: sa.Engine) -> None:
    """Let :class:`Executor` run DuckDB reads without ``BEGIN``/``ROLLBACK``.

    Only statements the executor runs while its thread-local flag is set skip the ``BEGIN``;
    the connection remembers that (in its ``info``) so that the ``ROLLBACK`` of the same
    checkout is skipped too. Everything else on the engine (writes, reflection) keeps its
    transactions. DuckDB runs a statement outside an explicit transaction in a transaction of
    its own, so a read sees one consistent snapshot either way.
    """
    dialect = engine.dialect
    if engine.dialect.name != "duckdb" or getattr(dialect, "_kubus_autocommit_reads", False):
        return
    begin, rollback = dialect.do_begin, dialect.do_rollback

    def do_begin(dbapi_connection: Any) -> None:
        if getattr(_reading, "active", False):
            dbapi_connection.info[_NO_BEGIN] = True
            return
        begin(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            info = dbapi_connection.info
        except (AttributeError, NotImplementedError):  # the first connect's ad-hoc wrapper
            info = {}
        if info.pop(_NO_BEGIN, False):
            return
        rollback(dbapi_connection)

    dialect.do_begin = do_begin  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    dialect._kubus_autocommit_reads = True  # type: ignore[attr-defined]


class Executor:
    def __init__(self, engine: sa.Engine, timeout: float) -> None:
        self.engine = engine
        self.timeout = timeout
        self.timings: list[Timing] = []
        _autocommit_reads(engine)

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

    @staticmethod
    def _execute(conn: sa.Connection, statement: sa.Select[Any]) -> sa.CursorResult[Any]:
        _reading.active = True
        try:
            return conn.execute(statement)
        finally:
            _reading.active = False

    def all(self, statement: sa.Select[Any], purpose: str) -> list[sa.Row[Any]]:
        """Execute and fetch every row, under the timeout."""
        started = time.perf_counter()
        with self.connection() as conn, self._guard(conn):
            rows = list(self._execute(conn, statement).all())
        self._record(statement, purpose, started, len(rows))
        return rows

    def stream(self, statement: sa.Select[Any], purpose: str,
               batch: int = 10_000) -> Iterator[sa.Row[Any]]:
        """Yield rows in batches (for unlimited CSV/JSON-lines exports)."""
        started = time.perf_counter()
        count = 0
        with self.connection() as conn:
            with self._guard(conn):
                result = self._execute(conn.execution_options(yield_per=batch), statement)
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
        handle = None
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

            handle = WATCHDOG.schedule(self.timeout, interrupt)
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
            if handle is not None:
                WATCHDOG.cancel(handle)


def _is_timeout(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return "statement timeout" in text or "canceling statement" in text or "interrupt" in text
