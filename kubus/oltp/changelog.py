"""The change log: what the warehouse loads from.

Every service appends one row per inserted or updated document/master row, in the transaction
that makes the change: ``(seq, entity, key, operation, changed_at)``. ``entity`` is the table
name, ``key`` the primary key joined with ``/`` (``"4711/10"``), ``operation`` one of
:data:`OPERATIONS`. Readers poll :func:`changes_after` with the last ``seq`` they loaded.

The sequence is gap-free and in commit order. It is allocated from one counter row that the
allocating transaction keeps locked until it commits (``UPDATE ... RETURNING`` takes the row
lock on PostgreSQL; SQLite writers are serialised by ``BEGIN IMMEDIATE`` anyway). A plain
sequence or autoincrement would not do: transaction A may draw 10 and B 11, B commit first, a
reader see 11, remember it as its watermark, and skip 10 forever. A rolled-back transaction
rolls its counter update back too, so no number is lost.

Example::

    with transaction(engine) as conn:
        append(conn, [Change("sales_order", "4711", "insert")])
    changes_after(engine, 0)     # [ChangeRecord(seq=1, entity="sales_order", key="4711", ...)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from kubus.oltp.prepared import Prepared
from kubus.oltp.schema import change_log, change_log_counter
from kubus.oltp.store import Bind, read_only

__all__ = ["OPERATIONS", "Change", "ChangeRecord", "append", "changes_after", "key_of", "last_seq"]

OPERATIONS = ("insert", "update", "cancel", "reverse")


@dataclass(frozen=True)
class Change:
    """One change to append: the table, the row's key and what happened to it."""

    entity: str
    key: str
    operation: str = "insert"


@dataclass(frozen=True)
class ChangeRecord:
    """One committed change as readers see it."""

    seq: int
    entity: str
    key: str
    operation: str
    changed_at: datetime


def key_of(*parts: object) -> str:
    """The change-log key of a row: its primary-key values joined with ``/``."""
    return "/".join(str(p) for p in parts)


_BUMP = Prepared(
    sa.update(change_log_counter)
    .where(change_log_counter.c.id == 1)
    .values(last_seq=change_log_counter.c.last_seq + sa.bindparam("n", type_=sa.BigInteger))
    .returning(change_log_counter.c.last_seq)
)


def _now(dialect: str) -> sa.ColumnElement[datetime]:
    if dialect == "sqlite":
        # SQLite's CURRENT_TIMESTAMP has whole seconds only.
        return sa.func.strftime("%Y-%m-%d %H:%M:%f", "now", type_=sa.DateTime)
    return sa.func.clock_timestamp(type_=sa.DateTime)


_INSERTS: dict[str, Prepared] = {}


def append(conn: sa.Connection, changes: Sequence[Change]) -> int:
    """Append ``changes`` in the caller's transaction; the last ``seq`` used (0 if none)."""
    if not changes:
        return 0
    for change in changes:
        if change.operation not in OPERATIONS:
            raise ValueError(f"unknown change-log operation {change.operation!r}")
    last = int(_BUMP.execute(conn, {"n": len(changes)})[0][0])
    first = last - len(changes) + 1
    insert = _INSERTS.get(conn.dialect.name)
    if insert is None:
        insert = _INSERTS[conn.dialect.name] = Prepared(
            change_log.insert().values(changed_at=_now(conn.dialect.name)),
            column_keys=("seq", "entity", "key", "operation"))
    insert.executemany(conn, [
        {"seq": first + i, "entity": c.entity, "key": c.key, "operation": c.operation}
        for i, c in enumerate(changes)
    ])
    return int(last)


def changes_after(bind: Bind, seq: int, limit: int = 10_000) -> list[ChangeRecord]:
    """Committed changes with a sequence number above ``seq``, oldest first, at most ``limit``."""
    query = (sa.select(change_log).where(change_log.c.seq > seq)
             .order_by(change_log.c.seq).limit(limit))
    with read_only(bind) as conn:
        rows = conn.execute(query).all()
    return [ChangeRecord(seq=r.seq, entity=r.entity, key=r.key, operation=r.operation,
                         changed_at=r.changed_at) for r in rows]


def last_seq(bind: Bind) -> int:
    """The highest committed sequence number (0 for an empty log)."""
    with read_only(bind) as conn:
        value = conn.execute(sa.select(change_log_counter.c.last_seq)).scalar()
    return int(value or 0)
