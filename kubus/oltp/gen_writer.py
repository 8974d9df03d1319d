"""Bulk writer of the OLTP demo generator: tables plus a gap-free, chronological change log.

The generator hands over every table as one or more sources of column arrays (:class:`Rows`),
each sorted by the day its rows were created, and the later changes as :class:`Events`. A
column that is the same in every row is a :class:`Const` and is written as a literal. The
writer inserts the sources in foreign-key order and then writes the change log the services'
unit of work would have written: one ``insert`` row per table row, one row per event, ``seq``
gap-free from 1, ordered by day and, within a day, by source, with ``changed_at`` rising
through the working day. ``change_log_counter`` ends at the last ``seq``.

SQLite (one transaction; ``synchronous=OFF`` and no journal, because the file is a temporary
one until it is complete): secondary indexes are dropped and rebuilt at the end; rows go in
with ``executemany``, except sources that carry a :attr:`Rows.derive` SELECT, which SQLite
builds itself from the tables written before (the big document-flow and accounting-line
groups, the goods-issue items) with ``INSERT ... SELECT`` at C speed. Because every source is
inserted in day order, the rows of one (day, source) block are a contiguous ``rowid`` range,
so the change log is one ``INSERT ... SELECT`` per block, in ``seq`` order: no change-log row
passes through Python.

PostgreSQL: every source is streamed with ``COPY ... FROM STDIN (FORMAT csv)`` from Arrow-built
CSV (derived sources too, from their numpy columns), and the change log is assembled in Arrow
from the same block plan and copied the same way.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from kubus.oltp.schema import change_log, change_log_counter, metadata

__all__ = ["Coded", "Const", "Events", "LogPlan", "Rows", "plan_log", "sorted_table_names", "take",
           "write_postgres", "write_sqlite"]

CHUNK_ROWS = 200_000
#: Rows per multi-row ``INSERT ... VALUES`` statement (SQLite; at most 32,766 parameters).
VALUES_ROWS = 128
_DERIVED_FIRST = frozenset({"material_document_item"})
#: Use :attr:`Rows.derive` on SQLite (tests switch it off to compare with the plain rows).
DERIVE = True
DAY_START_SECONDS = 8 * 3600
DAY_SPAN_SECONDS = 10 * 3600
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Const:
    """A column with the same value in every row (written as a literal, not per row)."""

    value: object


@dataclass(frozen=True)
class Coded:
    """A column of few distinct values: ``values[codes]`` (strings stay unmaterialised until
    they are written, and sorting moves integers, not Python objects)."""

    codes: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)


Column = np.ndarray | Const | Coded


def take(column: Column, index: np.ndarray) -> Column:
    """The rows ``index`` of a column (a constant stays constant)."""
    if isinstance(column, Const):
        return column
    if isinstance(column, Coded):
        return Coded(column.codes[index], column.values)
    return np.asarray(np.asarray(column)[index])


def _materialise(column: Column, start: int, stop: int) -> np.ndarray:
    if isinstance(column, Coded):
        return np.asarray(column.values[column.codes[start:stop]])
    assert isinstance(column, np.ndarray)
    return column[start:stop]


@dataclass(frozen=True)
class Rows:
    """The rows of one table: column arrays and the (non-decreasing) day each was created.

    Date columns are int64 day numbers (-1 = NULL) listed in ``dates``; money and quantities
    are floats or ints; strings are object arrays (``None`` = NULL).
    """

    table: str
    columns: dict[str, Column]
    day: np.ndarray
    dates: frozenset[str] = frozenset()
    #: SQLite only: a SELECT that derives exactly these rows, in this order, from tables the
    #: writer filled before (``INSERT ... SELECT`` runs at C speed, with no row through Python).
    derive: str | None = None

    def __len__(self) -> int:
        return len(self.day)


@dataclass(frozen=True)
class Events:
    """Later changes to existing rows: change-log rows only (``key`` as the log spells it)."""

    entity: str
    operation: str
    key: np.ndarray
    day: np.ndarray


Source = Rows | Events


@dataclass(frozen=True)
class LogPlan:
    """Contiguous blocks of change-log rows, one per (day, source) that has rows.

    ``lo``/``hi`` are 1-based row positions inside the source; ``seq0`` is the ``seq`` of the
    block's first row; ``changed_at`` its timestamp (ISO text, milliseconds).
    """

    source: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    seq0: np.ndarray
    changed_at: np.ndarray
    total: int


def plan_log(sources: Sequence[Source], first_seq: int = 1) -> LogPlan:
    """Blocks ordered by day, then by source position; ``seq`` runs from ``first_seq``."""
    days = [np.asarray(s.day, dtype=np.int64) for s in sources]
    for source, day in zip(sources, days, strict=True):
        if len(day) and np.any(np.diff(day) < 0):
            raise ValueError(f"rows of {_name(source)} are not sorted by day")
    present = [d for d in days if len(d)]
    if not present:
        empty = np.zeros(0, dtype=np.int64)
        return LogPlan(empty, empty, empty, empty, np.zeros(0, dtype=object), 0)
    first_day = min(int(d[0]) for d in present)
    span = max(int(d[-1]) for d in present) - first_day + 1
    # counts[day, source]: rows of each source per day (one bincount per source, no sort).
    counts = np.stack([np.bincount(d - first_day, minlength=span) if len(d)
                       else np.zeros(span, dtype=np.int64) for d in days], axis=1)
    hi_all = np.cumsum(counts, axis=0)  # running row position within each source
    b_day, b_src = np.nonzero(counts)  # row-major: sorted by (day, source)
    count = counts[b_day, b_src]
    hi = hi_all[b_day, b_src]
    lo = hi - count + 1
    seq0 = first_seq + np.cumsum(count) - count
    # Blocks of one day spread over the working day, in order.
    per_day = np.bincount(b_day, minlength=span)[b_day]
    rank = np.arange(len(b_day)) - np.searchsorted(b_day, b_day, side="left")
    seconds = DAY_START_SECONDS + rank * (DAY_SPAN_SECONDS / per_day)
    stamps = ((b_day + first_day).astype("datetime64[D]").astype("datetime64[ms]")
              + (seconds * 1000).astype(np.int64).astype("timedelta64[ms]"))
    text = np.char.replace(np.datetime_as_string(stamps, unit="ms"), "T", " ")
    return LogPlan(source=b_src.astype(np.int64), lo=lo, hi=hi, seq0=seq0,
                   changed_at=text.astype(object), total=int(count.sum()))


def _table(source: Source) -> str:
    return source.table if isinstance(source, Rows) else source.entity


def _name(source: Source) -> str:
    return source.table if isinstance(source, Rows) else f"{source.entity}/{source.operation}"


def _pk(table: str) -> list[str]:
    return [c.name for c in metadata.tables[table].primary_key.columns]


def _key_expression(table: str) -> str:
    """SQLite expression of a row's change-log key: the primary key joined by ``/``.

    ``printf`` is about twice as fast as ``||`` here, and ``%d`` prints integers as
    Python's ``str`` does; a single integer key is a ``CAST`` (the same text, twice as fast
    again as ``printf``).
    """
    columns = list(metadata.tables[table].primary_key.columns)
    if len(columns) == 1 and isinstance(columns[0].type, sa.Integer):
        return f'CAST("{columns[0].name}" AS TEXT)'
    formats = "/".join("%d" if isinstance(c.type, sa.Integer) else "%s" for c in columns)
    names = ", ".join(f'"{c.name}"' for c in columns)
    return f"printf('{formats}', {names})"


def _python_column(rows: Rows, name: str, start: int, stop: int) -> list[Any]:
    values = _materialise(rows.columns[name], start, stop)
    if name in rows.dates:
        return _date_texts(values).tolist()  # type: ignore[no-any-return]
    if values.dtype == bool:
        return values.astype(np.int64).tolist()  # type: ignore[no-any-return]
    return values.tolist()  # type: ignore[no-any-return]


def _date_texts(days: np.ndarray) -> np.ndarray:
    """ISO date strings of day numbers (-1: None), via a lookup table of the days in range."""
    valid = days >= 0
    if not valid.any():
        return np.full(len(days), None, dtype=object)
    low, high = int(days[valid].min()), int(days.max())
    table = np.empty(high - low + 2, dtype=object)
    table[:-1] = np.arange(low, high + 1).astype("datetime64[D]").astype(str)
    table[-1] = None
    return np.asarray(table[np.where(valid, days - low, high - low + 1)])


# --- SQLite ---------------------------------------------------------------------------------


def write_sqlite(dbapi: Any, sources: Sequence[Source], progress: Progress) -> int:
    """Insert ``sources`` and their change log on a raw ``sqlite3`` connection; the last seq.

    The caller owns the transaction. Every table of ``sources`` must be empty beforehand (its
    ``rowid`` then counts its rows from 1 in insertion order). Secondary indexes are dropped
    for the load and rebuilt afterwards (sorting once beats a random B-tree insert per row).
    """
    cursor = dbapi.cursor()
    indexes = _drop_indexes(cursor, [s.table for s in sources if isinstance(s, Rows)])
    derived = [i for i, s in enumerate(sources) if isinstance(s, Rows) and s.derive and DERIVE]
    # Items first: the document flow and accounting lines derive from them.
    derived.sort(key=lambda i: (_table(sources[i]) not in _DERIVED_FIRST, i))
    derived_tables = {_table(sources[i]) for i in derived}
    filled: dict[str, int] = {}
    base: dict[int, int] = {}  # rows of its table before each source (sources share tables)
    tables: dict[int, str] = {}  # the table each source's log rows are read from
    for index, source in enumerate(sources):
        if isinstance(source, Events):
            tables[index] = _event_table(cursor, index, source)
            base[index] = 0
        elif index not in derived:
            base[index] = _fill(filled, source, lambda s: _sqlite_insert(cursor, s, progress))
    # Derived rows read the tables filled above (with their indexes back), then the rest.
    for table, sql in indexes:
        if table not in derived_tables:
            cursor.execute(sql)
    for index in derived:
        source = sources[index]
        assert isinstance(source, Rows)
        base[index] = _fill(filled, source, lambda s: _sqlite_derive(cursor, s, progress))
    for table, sql in indexes:
        if table in derived_tables:
            cursor.execute(sql)
    last = _sqlite_log(cursor, sources, base, tables)
    for name in tables.values():
        cursor.execute(f'DROP TABLE temp."{name}"')
    return last


def _fill(filled: dict[str, int], source: Source, insert: Callable[[Rows], None]) -> int:
    """Insert ``source`` with ``insert``; the rows its table had before."""
    assert isinstance(source, Rows)
    before = filled.get(source.table, 0)
    insert(source)
    filled[source.table] = before + len(source)
    return before


def _event_table(cursor: Any, index: int, events: Events) -> str:
    """A temporary table of the events' keys, in order (their rowids address them)."""
    name = f"_kubus_gen_events_{index}"
    cursor.execute(f'CREATE TEMP TABLE "{name}" ("key" TEXT NOT NULL)')
    cursor.executemany(f'INSERT INTO "{name}" ("key") VALUES (?)',
                       ((k,) for k in events.key.tolist()))
    return name


def _sqlite_log(cursor: Any, sources: Sequence[Source], base: dict[int, int],
                event_tables: dict[int, str]) -> int:
    """The change log of ``sources``, block by block in ``seq`` order; the last ``seq``."""
    first = int(cursor.execute("SELECT last_seq FROM change_log_counter").fetchone()[0]) + 1
    plan = plan_log(sources, first)
    statements = []
    for index, source in enumerate(sources):
        if isinstance(source, Rows):
            table, entity, operation = source.table, source.table, "insert"
            key = _key_expression(source.table)
        else:
            table, entity, operation = event_tables[index], source.entity, source.operation
            key = '"key"'
        statements.append(
            f'INSERT INTO change_log (seq, entity, "key", operation, changed_at) '
            f"SELECT ? + rowid, '{entity}', {key}, '{operation}', ? "
            f'FROM "{table}" WHERE rowid BETWEEN ? AND ?')
    # In seq order, the log (and its primary-key index) is only ever appended to.
    for source, lo, hi, seq0, changed_at in zip(
            plan.source.tolist(), plan.lo.tolist(), plan.hi.tolist(), plan.seq0.tolist(),
            plan.changed_at.tolist(), strict=True):
        offset = base[source]
        cursor.execute(statements[source], (seq0 - lo - offset, changed_at, lo + offset,
                                            hi + offset))
    last = first + plan.total - 1
    cursor.execute("UPDATE change_log_counter SET last_seq = ? WHERE id = 1", (last,))
    return last


def _drop_indexes(cursor: Any, tables: Sequence[str]) -> list[tuple[str, str]]:
    """Drop the secondary indexes of ``tables``; (table, statement recreating it) each.

    Building an index once from the finished table (one sort) is cheaper than keeping it up
    to date row by row, even for indexes led by the (chronological) document numbers.
    """
    unique = sorted(set(tables))
    marks = ", ".join("?" * len(unique))
    found = cursor.execute(
        f"SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' "
        f"AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY name", unique).fetchall()
    for name, _, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [(table, sql) for _, table, sql in found]


def _sqlite_derive(cursor: Any, rows: Rows, progress: Progress) -> None:
    quoted = ", ".join(f'"{n}"' for n in rows.columns)
    cursor.execute(f'INSERT INTO "{rows.table}" ({quoted}) {rows.derive}')
    # The log addresses these rows by rowid: the SELECT must have produced exactly them.
    if cursor.rowcount != len(rows):
        raise AssertionError(f"{rows.table}: derived {cursor.rowcount} rows, "
                             f"expected {len(rows)}")
    progress(len(rows))


def _literal(value: object) -> str:
    """An SQL literal for a constant column."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | float | np.integer | np.floating):
        return repr(value.item() if isinstance(value, np.generic) else value)
    return "'" + str(value).replace("'", "''") + "'"


def _sqlite_insert(cursor: Any, rows: Rows, progress: Progress) -> None:
    """``executemany`` of multi-row ``INSERT ... VALUES (...), (...), ...`` statements, in
    row order (so the rowids are the same as one row at a time): each execution of a statement
    costs the same whatever its size, so :data:`VALUES_ROWS` rows per execution save most of
    that (about 15 % of the insert time); the rest of a chunk goes one row at a time."""
    names = list(rows.columns)
    varying = [n for n in names if not isinstance(rows.columns[n], Const)]
    values = ", ".join("?" if n in varying else _literal(_const(rows, n)) for n in names)
    quoted = ", ".join(f'"{n}"' for n in names)
    sql = f'INSERT INTO "{rows.table}" ({quoted}) VALUES ({values})'
    multi = f'INSERT INTO "{rows.table}" ({quoted}) VALUES ' + ", ".join(
        [f"({values})"] * VALUES_ROWS)
    total = len(rows)
    for start in range(0, total, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, total)
        count = stop - start
        columns = [_python_column(rows, n, start, stop) for n in varying]
        if not columns:
            cursor.executemany(sql, ((),) * count)
            progress(count)
            continue
        grid = np.empty((count, len(columns)), dtype=object)  # row-major: rows of parameters
        for j, column in enumerate(columns):
            grid[:, j] = column
        whole = count - count % VALUES_ROWS
        if whole:
            cursor.executemany(multi, grid[:whole].reshape(-1, VALUES_ROWS * len(columns))
                               .tolist())
        cursor.executemany(sql, grid[whole:].tolist())
        progress(count)


def _const(rows: Rows, name: str) -> object:
    column = rows.columns[name]
    assert isinstance(column, Const)
    return column.value


# --- PostgreSQL -----------------------------------------------------------------------------


def _arrow_column(rows: Rows, name: str, start: int, stop: int) -> pa.Array:
    column = rows.columns[name]
    if isinstance(column, Const):
        value = column.value.item() if isinstance(column.value, np.generic) else column.value
        return pa.nulls(stop - start) if value is None else pa.repeat(pa.scalar(value),
                                                                         stop - start)
    values = _materialise(column, start, stop)
    if name in rows.dates:
        return pa.array(values.astype("datetime64[D]"), mask=values < 0)
    if values.dtype == object:  # strings, or numbers with NULLs: let Arrow infer the type
        return pa.array(values.tolist(), from_pandas=True)  # NaN is NULL too
    return pa.array(values)


def _copy(cursor: Any, table: str, data: pa.Table) -> None:
    buffer = io.BytesIO()
    pacsv.write_csv(data, buffer, write_options=pacsv.WriteOptions(
        include_header=False, quoting_style="all_valid"))
    columns = ", ".join(f'"{n}"' for n in data.column_names)
    with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN (FORMAT csv)') as copy:
        copy.write(buffer.getvalue())


def write_postgres(dbapi: Any, sources: Sequence[Source], progress: Progress) -> int:
    """Insert ``sources`` and their change log on a raw psycopg connection; the last seq."""
    cursor = dbapi.cursor()
    keys: list[pa.Array] = []
    for source in sources:
        if isinstance(source, Events):
            keys.append(pa.array(source.key.tolist(), type=pa.string()))
            continue
        pk = _pk(source.table)
        parts: list[list[pa.Array]] = [[] for _ in pk]
        for start in range(0, len(source), CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, len(source))
            data = pa.table({n: _arrow_column(source, n, start, stop) for n in source.columns})
            _copy(cursor, source.table, data)
            for i, column in enumerate(pk):
                parts[i].append(pc.cast(data[column], pa.string()).combine_chunks())
            progress(stop - start)
        joined = [pa.concat_arrays(p) if p else pa.array([], pa.string()) for p in parts]
        keys.append(pc.binary_join_element_wise(*joined, "/") if len(joined) > 1 else joined[0])
    cursor.execute("SELECT last_seq FROM change_log_counter WHERE id = 1")
    first = int(cursor.fetchone()[0]) + 1
    plan = plan_log(sources, first)
    lengths = plan.hi - plan.lo + 1
    rows = np.repeat(np.arange(len(lengths)), lengths)
    offset = np.arange(plan.total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    position = plan.lo[rows] - 1 + offset  # 0-based row inside its source
    names = [s.table if isinstance(s, Rows) else s.entity for s in sources]
    operations = ["insert" if isinstance(s, Rows) else s.operation for s in sources]
    src = plan.source[rows]
    starts = np.cumsum([0, *[len(k) for k in keys]])[:-1]
    all_keys = pa.concat_arrays([k.cast(pa.string()) for k in keys]) if keys else pa.array(
        [], pa.string())
    log = pa.table({
        "seq": pa.array(plan.seq0[rows] + offset),
        "entity": pa.array(np.asarray(names, dtype=object)[src].tolist(), pa.string()),
        "key": all_keys.take(pa.array(starts[src] + position)),
        "operation": pa.array(np.asarray(operations, dtype=object)[src].tolist(), pa.string()),
        "changed_at": pa.array(plan.changed_at[rows].tolist(), pa.string()),
    })
    for start in range(0, log.num_rows, CHUNK_ROWS * 5):
        _copy(cursor, change_log.name, log.slice(start, CHUNK_ROWS * 5))
    last = first + plan.total - 1
    cursor.execute(f"UPDATE {change_log_counter.name} SET last_seq = %s WHERE id = 1", (last,))
    return last


def sorted_table_names() -> list[str]:
    """Table names in foreign-key order (referenced tables first)."""
    return [t.name for t in metadata.sorted_tables]

