"""Engines and transactions for an OLTP database (SQLite file by default, or PostgreSQL).

:func:`open_store` makes an engine that every service shares. On SQLite it switches the file to
WAL (readers never block the one writer), sets ``busy_timeout`` so a waiting writer queues
instead of failing and turns foreign keys on; :func:`transaction` takes the database lock
*up front* with ``BEGIN IMMEDIATE``: two writers that both began with a plain ``BEGIN`` and
then tried to upgrade to a write lock would deadlock, and SQLite resolves that by failing one
of them. (Use :func:`transaction`, not ``engine.begin()``: on SQLite the latter only begins a
deferred transaction at the first write, as SQLAlchemy's pysqlite driver always does.)
On PostgreSQL services lock the rows they depend on (``SELECT ... FOR UPDATE`` in key order,
so lockers never deadlock).

:func:`transaction` is the one way services write: one call, one transaction, committed when
the block ends and rolled back when it raises. Example::

    engine = open_store("sqlite:///var/oltp.sqlite")
    with transaction(engine) as conn:
        conn.execute(...)
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

__all__ = ["Bind", "open_store", "read_only", "transaction"]

#: What a service accepts: an engine (it runs its own transaction) or a connection that is
#: already inside a transaction begun with :func:`transaction` (the caller's transaction).
Bind = sa.Engine | sa.Connection

BUSY_TIMEOUT_MS = 30_000
# One writer at a time per SQLite engine: threads queue on a Python lock (woken at once)
# instead of polling SQLite's busy handler, which sleeps up to 100 ms between tries.
_WRITER_LOCKS: weakref.WeakKeyDictionary[sa.Engine, threading.RLock] = (
    weakref.WeakKeyDictionary())
WAL_AUTOCHECKPOINT_PAGES = 10_000


def open_store(url: str | sa.URL, *, echo: bool = False, **engine_kwargs: Any) -> sa.Engine:
    """An engine for the OLTP database at ``url`` with the pragmas and hooks described above."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine_kwargs.setdefault("connect_args", {}).update(
            {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
        engine = sa.create_engine(parsed, echo=echo, **engine_kwargs)
        _install_sqlite_hooks(engine, in_memory=parsed.database in (None, "", ":memory:"))
        _WRITER_LOCKS[engine] = threading.RLock()
        return engine
    engine_kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, echo=echo, **engine_kwargs)


def _install_sqlite_hooks(engine: sa.Engine, *, in_memory: bool) -> None:
    # A pool event, not a connection event: connection events (e.g. "begin") would make
    # SQLAlchemy dispatch on every statement, which doubles the cost of a short statement.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL is safe against process crashes (the WAL is in the OS
                # cache); only an OS crash or power loss may lose the last commits.
                cursor.execute("PRAGMA synchronous=NORMAL")
                # A checkpoint fsyncs; every 1,000 pages (the default) it dominated commit time
                # on a virtual disk (fsync ~4 ms). 10,000 pages is a WAL of about 40 MB, cut
                # back to 64 MB at most after each checkpoint.
                cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
                cursor.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()


def _begin(conn: sa.Connection, *, write: bool) -> None:
    """Open the database transaction explicitly (SQLite); PostgreSQL needs nothing.

    Python's sqlite3 driver would only issue a deferred ``BEGIN`` before the first write, so
    the reads before it would see no snapshot and take no lock; it notices a transaction we
    opened ourselves and commits or rolls it back as usual.
    """
    if conn.dialect.name == "sqlite":
        # Straight to the driver: this runs once per service call, on the hot path.
        conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def transaction(bind: Bind) -> Iterator[sa.Connection]:
    """A write transaction: commit at the end of the block, roll back if it raises.

    Given a connection already in a transaction, run inside that transaction instead (the
    caller commits); given a connection outside one, begin a write transaction on it.
    """
    if isinstance(bind, sa.Connection):
        if bind.in_transaction():
            yield bind
            return
        with bind.begin():
            _begin(bind, write=True)
            yield bind
        return
    lock = _WRITER_LOCKS.get(bind)
    with lock or nullcontext(), bind.connect() as conn, conn.begin():
        _begin(conn, write=True)
        yield conn


@contextmanager
def read_only(bind: Bind) -> Iterator[sa.Connection]:
    """A connection for consistent reads (one snapshot; never blocks the writer)."""
    if isinstance(bind, sa.Connection):
        yield bind
        return
    with bind.connect() as conn, conn.begin():
        _begin(conn, write=False)
        yield conn
