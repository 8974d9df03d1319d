"""Statements compiled once per dialect and run on the raw DBAPI cursor: the hot-path writes.

SQLAlchemy's execution layer costs some 15-25 µs per statement and a few µs per row of an
``executemany``; order entry writes ~30 rows in ~8 statements, so that overhead was a third of
its time. A :class:`Prepared` statement is a Core statement compiled once per dialect (and per
set of columns, for inserts), whose parameters go through the same bind processors the column
types define (e.g. ``Decimal`` to ``float`` and ``date`` to ISO text on SQLite), executed on
the DBAPI cursor of the caller's connection, inside the caller's transaction. Only for
statements without expanding (``IN``) parameters; reads keep using ``conn.execute``.

Example::

    INSERT_ITEMS = PreparedInsert(sales_order_item)
    INSERT_ITEMS.execute(conn, [{"order_id": 4711, "item_no": 10, ...}])
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["Prepared", "PreparedInsert", "PreparedQuery", "pipelined"]

_Processor = Callable[[Any], Any] | None


class _Compiled:
    def __init__(self, statement: sa.ClauseElement, dialect: sa.Dialect,
                 column_keys: Sequence[str] | None = None) -> None:
        compiled = cast(SQLCompiler, statement.compile(
            dialect=dialect, column_keys=list(column_keys or ()) or None))
        self.sql = compiled.string
        # Known up front, not from ``cursor.description``: in psycopg's pipeline mode the
        # description only arrives with the results (see :func:`pipelined`).
        self.returns_rows = bool(compiled.returning) or bool(
            getattr(statement, "is_select", False))
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        self.names = names
        processors: dict[str, _Processor] = {}
        for name in names:
            bind = compiled.binds[name]
            processors[name] = bind.type.bind_processor(dialect)
        self.processors = processors
        # Literal values bound by the statement itself (e.g. .values(x=1)) are kept.
        self.fixed = {name: compiled.binds[name].effective_value for name in names
                      if compiled.binds[name].value is not None
                      and not compiled.binds[name].required}

    def parameters(self, row: Mapping[str, Any]) -> Any:
        values = []
        for name in self.names:
            value = row[name] if name in row else self.fixed.get(name)
            processor = self.processors[name]
            values.append(processor(value) if processor is not None and value is not None
                          else value)
        return tuple(values) if self.positional else dict(zip(self.names, values,
                                                              strict=True))


def _cursor(conn: sa.Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


@contextmanager
def pipelined(conn: sa.Connection) -> Iterator[None]:
    """Queue the statements of the block in psycopg's pipeline mode (PostgreSQL): writes go
    out without waiting for each answer, a statement whose rows are fetched waits for all
    before it, and leaving the block waits for the rest. Elsewhere it changes nothing.

    Only for :class:`Prepared`, :class:`PreparedInsert` and :class:`PreparedQuery`
    statements: SQLAlchemy's ``conn.execute`` reads ``cursor.description`` before the answer
    is there. An error of a queued statement surfaces at the next wait, still inside the
    caller's transaction. Example::

        with pipelined(conn):          # one round trip instead of three
            INSERT_ITEMS.executemany(conn, items)
            INSERT_LINES.executemany(conn, lines)
            last = BUMP.execute(conn, {"n": 7})
    """
    dbapi = conn.connection.dbapi_connection
    pipeline = getattr(dbapi, "pipeline", None)
    if conn.dialect.name != "postgresql" or pipeline is None:
        yield
        return
    with pipeline():
        yield


class Prepared:
    """A statement with plain (non-expanding) bind parameters, compiled per dialect."""

    def __init__(self, statement: sa.ClauseElement,
                 column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.column_keys = column_keys
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, conn: sa.Connection) -> _Compiled:
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            compiled = self._compiled[conn.dialect.name] = _Compiled(
                self.statement, conn.dialect, self.column_keys)
        return compiled

    def execute(self, conn: sa.Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run once; the rows it returns (for ``RETURNING``), as plain tuples."""
        compiled = self._for(conn)
        cursor = _cursor(conn)
        try:
            cursor.execute(compiled.sql, compiled.parameters(params))
            return list(cursor.fetchall()) if compiled.returns_rows else []
        finally:
            cursor.close()

    def executemany(self, conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per row, in one ``executemany``."""
        if not rows:
            return
        compiled = self._for(conn)
        cursor = _cursor(conn)
        try:
            cursor.executemany(compiled.sql, [compiled.parameters(r) for r in rows])
        finally:
            cursor.close()


class PreparedInsert:
    """``INSERT`` into a table of the columns each batch of rows has (compiled per set)."""

    def __init__(self, table: sa.Table) -> None:
        self.table = table
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def executemany(self, conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        columns = tuple(rows[0])
        if any(len(row) != len(columns) for row in rows):  # mixed column sets: one batch each
            groups: dict[frozenset[str], list[Mapping[str, Any]]] = {}
            for row in rows:
                groups.setdefault(frozenset(row), []).append(row)
            for group in groups.values():
                self.executemany(conn, group)
            return
        key = (conn.dialect.name, columns)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self.table.insert(), conn.dialect,
                                                       columns)
        cursor = _cursor(conn)
        try:
            cursor.executemany(compiled.sql, [compiled.parameters(r) for r in rows])
        finally:
            cursor.close()


class _Slot:
    """Where a parameter value goes in a compiled statement: a parameter, or an element (and
    tuple member) of an expanding ``IN`` parameter."""

    __slots__ = ("index", "member", "name")

    def __init__(self, name: str, index: int | None = None, member: int | None = None) -> None:
        self.name, self.index, self.member = name, index, member


class _Shape:
    """A query compiled for one set of ``IN``-list lengths."""

    def __init__(self, sql: str, positional: bool, slots: list[tuple[str, Any, _Processor]]
                 ) -> None:
        self.sql, self.positional, self.slots = sql, positional, slots
        self.row_processors: list[_Processor] | None = None

    def parameters(self, params: Mapping[str, Any]) -> Any:
        values: list[Any] = []
        for _, source, processor in self.slots:
            if isinstance(source, _Slot):
                value = params[source.name]
                if source.index is not None:
                    value = value[source.index]
                    if source.member is not None:
                        value = value[source.member]
            else:
                value = source
            values.append(processor(value) if processor is not None and value is not None
                          else value)
        if self.positional:
            return tuple(values)
        return {name: value for (name, _, _), value in zip(self.slots, values, strict=True)}


class PreparedQuery:
    """A ``SELECT`` run on the DBAPI cursor, with SQLAlchemy's bind and result processing.

    Expanding (``IN``) parameters are compiled once per list length. Rows come back as named
    tuples with the statement's column keys, their values converted by the column types (e.g.
    ``Decimal`` for ``Numeric`` and ``date`` for ``Date`` on SQLite).
    """

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement
        self.row_type: Any = namedtuple(  # type: ignore[misc]
            "Row", [str(c.key) for c in statement.selected_columns])
        self._compiled: dict[str, SQLCompiler] = {}
        self._shapes: dict[tuple[str, tuple[int, ...]], _Shape] = {}

    def _shape(self, dialect: sa.Dialect, params: Mapping[str, Any]) -> _Shape:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self.statement.compile(dialect=dialect)
        expanding = [n for n, b in compiled.binds.items() if b.expanding and n in params]
        key = (dialect.name, tuple(len(params[n]) for n in expanding))
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = self._build(compiled, dialect, params, expanding)
        return shape

    @staticmethod
    def _build(compiled: SQLCompiler, dialect: sa.Dialect, params: Mapping[str, Any],
               expanding: list[str]) -> _Shape:
        markers: dict[str, Any] = {}
        for name, value in params.items():
            if name in expanding:
                markers[name] = [
                    tuple(_Slot(name, i, j) for j in range(len(v))) if isinstance(v, tuple)
                    else _Slot(name, i) for i, v in enumerate(value)]
            else:
                markers[name] = _Slot(name)
        state = compiled.construct_expanded_state(markers)
        names = list(state.positiontup or []) if compiled.positional else list(
            state.parameters)
        slots: list[tuple[str, Any, _Processor]] = []
        for name in names:
            source = state.parameters[name]
            processor: _Processor = state.processors.get(name)
            if isinstance(source, _Slot):
                type_ = compiled.binds[source.name].type
                if source.member is not None and isinstance(type_, sa.types.TupleType):
                    type_ = type_.types[source.member]
                processor = type_.bind_processor(dialect)
            slots.append((name, source, processor))
        return _Shape(state.statement, bool(compiled.positional), slots)

    def rows(self, conn: sa.Connection, params: Mapping[str, Any]) -> list[Any]:
        """All rows for ``params``."""
        shape = self._shape(conn.dialect, params)
        cursor = _cursor(conn)
        try:
            cursor.execute(shape.sql, shape.parameters(params))
            raw = cursor.fetchall()
            if shape.row_processors is None:
                # The dialect's implementation of each type: a generic ``Date`` converts
                # nothing on SQLite, its SQLite ``DATE`` turns ISO text into a ``date``.
                shape.row_processors = [
                    column.type.dialect_impl(conn.dialect).result_processor(
                        conn.dialect, description[1])
                    for column, description in zip(self.statement.selected_columns,
                                                   cursor.description, strict=True)]
        finally:
            cursor.close()
        processors = shape.row_processors
        make = self.row_type._make
        if not any(processors):
            return [make(r) for r in raw]
        return [make(v if p is None or v is None else p(v)
                     for p, v in zip(processors, r, strict=True)) for r in raw]
