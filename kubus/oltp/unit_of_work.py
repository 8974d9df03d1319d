"""The writes of one service call and their change-log rows, kept together.

Every service writes through a :class:`UnitOfWork`: each insert or update also records a
:class:`~kubus.oltp.changelog.Change` (entity = table name, key = primary key joined by ``/``),
and :meth:`UnitOfWork.finish` appends them all to the change log at the end of the service, in
the same transaction, after every other lock has been taken (the change-log counter is the
last lock, so it is held for the shortest time). Example::

    with transaction(engine) as conn:
        unit = UnitOfWork(conn)
        unit.insert(sales_order, [{"order_id": 4711, ...}])
        unit.update(sales_order, {"order_id": 4711}, {"net_value": Decimal("1250.00")})
        unit.finish()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa

from kubus.oltp import changelog
from kubus.oltp.changelog import Change
from kubus.oltp.prepared import PreparedInsert

__all__ = ["UnitOfWork"]


@cache
def _key_columns(table: sa.Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.primary_key.columns)


@cache
def _insert(table: sa.Table) -> PreparedInsert:
    return PreparedInsert(table)


class UnitOfWork:
    """Writes rows in ``conn``'s transaction and remembers one change-log row per row."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.changes: list[Change] = []

    def insert(self, table: sa.Table, rows: Sequence[Mapping[str, Any]],
               operation: str = "insert") -> None:
        """Insert ``rows`` (one ``executemany``) and log each as ``operation``."""
        if not rows:
            return
        _insert(table).executemany(self.conn, rows)
        keys = _key_columns(table)
        name = table.name
        self.changes.extend(
            Change(name, "/".join(str(row[k]) for k in keys), operation) for row in rows)

    def update(self, table: sa.Table, key: Mapping[str, Any], values: Mapping[str, Any],
               operation: str = "update") -> int:
        """Update the row with primary key ``key``; the number of rows changed (0 or 1)."""
        condition = sa.and_(*(table.c[k] == v for k, v in key.items()))
        count = self.conn.execute(sa.update(table).where(condition).values(**values)).rowcount
        if count:
            self.log(table.name, "/".join(str(key[k]) for k in _key_columns(table)), operation)
        return int(count)

    def log(self, entity: str, key: str, operation: str = "update") -> None:
        """Record a change made by other means (e.g. an ``executemany`` update)."""
        self.changes.append(Change(entity, key, operation))

    def finish(self) -> int:
        """Append the recorded changes to the change log; the last sequence number used."""
        last = changelog.append(self.conn, self.changes)
        self.changes = []
        return last
