"""A star (or snowflake) schema for one query: column expressions and the minimal join tree.

Only the tables a query's columns need are joined (§3.9): every column expression records the
tables it touched in a ``used`` set, and :meth:`Star.from_clause` joins exactly those, masters
before details.

A star lives as long as its workspace and serves every request (and thread): column,
aggregate and join expressions are built once and reused, since SQLAlchemy elements are
immutable once built.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from kubus.model.errors import ArgumentError, ModelError, NoSuchAttributeError
from kubus.model.expressions import (
    COMBINE_FROM_GROUPS,
    compile_aggregate_function,
    compile_expression,
    compile_windowed_total,
    parse,
)
from kubus.model.metadata import Aggregate, Attribute, Cube, Measure
from kubus.model.sql.physical import ColumnRef, JoinSpec, PhysicalCube, TableKey

#: Gives the (reflected) table for a schema and name; supplied by whoever owns the engine.
TableProvider = Callable[[str | None, str], sa.Table]

Used = set[TableKey]


class Star:
    def __init__(self, physical: PhysicalCube, tables: TableProvider, dialect_name: str) -> None:
        self.physical = physical
        self.cube: Cube = physical.cube
        self.dialect_name = dialect_name
        self._tables = tables
        self._selectables: dict[TableKey, FromClause] = {}
        self._joins: dict[TableKey, JoinSpec] = {j.detail: j for j in physical.joins}
        # Memos (keys are metadata objects, hashed by identity): expression and tables used.
        self._columns: dict[object, tuple[ColumnElement[Any], frozenset[TableKey]]] = {}
        self._aggregates: dict[object, tuple[ColumnElement[Any], frozenset[TableKey]]] = {}
        self._windowed: dict[object, tuple[ColumnElement[Any] | None, frozenset[TableKey]]] = {}
        self._froms: dict[frozenset[TableKey], FromClause] = {}

    # -- tables ------------------------------------------------------------------------
    def selectable(self, key: TableKey) -> FromClause:
        found = self._selectables.get(key)
        if found is not None:
            return found
        join = self._joins.get(key)
        if join is not None and join.alias:
            result: FromClause = self._tables(*join.detail_table).alias(join.alias)
        elif join is not None:
            result = self._tables(*join.detail_table)
        else:
            result = self._tables(*key)
        self._selectables[key] = result
        return result

    def _table_column(self, key: TableKey, column: str) -> ColumnElement[Any]:
        table = self.selectable(key)
        try:
            return table.c[column]
        except KeyError:
            raise ModelError(f"Table '{key[1]}' has no column '{column}' (cube "
                             f"'{self.cube.name}')") from None

    @property
    def fact_key(self) -> ColumnElement[Any]:
        fact = self.selectable(self.physical.fact_table)
        if self.physical.fact_key in fact.c:
            return fact.c[self.physical.fact_key]
        # 1.1 falls back to the first column when there is no ``id`` (§1.8).
        return next(iter(fact.c))

    def from_clause(self, used: Used) -> FromClause:
        """Join the fact table with the detail tables in ``used`` (and their masters)."""
        key = frozenset(used)
        found = self._froms.get(key)
        if found is None:
            found = self._froms[key] = self._from_clause(key)
        return found

    def _from_clause(self, used: frozenset[TableKey]) -> FromClause:
        needed: list[JoinSpec] = []
        pending = [key for key in used if key != self.physical.fact_table]
        seen: set[TableKey] = set()
        while pending:
            key = pending.pop()
            if key in seen:
                continue
            seen.add(key)
            join = self._joins.get(key)
            if join is None:
                raise ModelError(f"Cube '{self.cube.name}': no join leads to table '{key[1]}'")
            needed.append(join)
            if join.master != self.physical.fact_table:
                pending.append(join.master)
        result: FromClause = self.selectable(self.physical.fact_table)
        joined = {self.physical.fact_table}
        # Masters before details: repeat passes until every join's master is present.
        while needed:
            progress = False
            for join in list(needed):
                if join.master not in joined:
                    continue
                result = self._join(result, join)
                joined.add(join.detail)
                needed.remove(join)
                progress = True
            if not progress:
                raise ModelError(f"Cube '{self.cube.name}': circular joins")
        return result

    def _join(self, left: FromClause, join: JoinSpec) -> FromClause:
        detail = self.selectable(join.detail)
        condition = sa.and_(*(
            self._table_column(join.master, m) == detail.c[d]
            for m, d in zip(join.master_columns, join.detail_columns, strict=True)))
        if join.method == "detail":  # RIGHT OUTER: keep every detail row
            return sa.join(detail, left, condition, isouter=True)
        return sa.join(left, detail, condition, isouter=join.method == "master")

    # -- columns -----------------------------------------------------------------------
    @staticmethod
    def _memo(memo: dict[object, tuple[Any, frozenset[TableKey]]], key: object, used: Used,
              build: Callable[[Used], Any]) -> Any:
        """``build(used)`` once per ``key``; later calls add the tables it used to ``used``."""
        found = memo.get(key)
        if found is None:
            touched: Used = set()
            found = memo[key] = (build(touched), frozenset(touched))
        used.update(found[1])
        return found[0]

    def column(self, attribute: Attribute | Measure, used: Used) -> ColumnElement[Any]:
        """The expression of an attribute, detail or measure (expressions resolved)."""
        return self._memo(self._columns, attribute, used,  # type: ignore[no-any-return]
                          lambda touched: self._column(attribute, touched))

    def _column(self, attribute: Attribute | Measure, used: Used) -> ColumnElement[Any]:
        if attribute.expression:
            return self._expression(attribute.expression, used)
        ref = self.physical.column(attribute)
        used.add(ref.table)
        return self._mapped(ref)

    def _mapped(self, ref: ColumnRef) -> ColumnElement[Any]:
        col = self._table_column(ref.table, ref.column)
        if ref.extract:
            return sa.extract(ref.extract, col)
        if ref.function:
            return getattr(sa.func, ref.function)(col)  # type: ignore[no-any-return]
        return col

    def _expression(self, text: str, used: Used) -> ColumnElement[Any]:
        return compile_expression(parse(text), lambda name: self.ref(name, used),
                                  dialect_name=self.dialect_name)

    def ref(self, name: str, used: Used) -> ColumnElement[Any]:
        """Resolve a variable of an expression: a measure, detail or attribute ref."""
        for measure in self.cube.measures:
            if measure.name == name:
                return self.column(measure, used)
        if self.cube.has_attribute(name):
            return self.column(self.cube.attribute(name), used)
        raise NoSuchAttributeError(f"Cube '{self.cube.public_name}' has no attribute '{name}'")

    def windowed_total(self, aggregate: Aggregate, used: Used) -> ColumnElement[Any] | None:
        """The aggregate's total over all groups as window functions, if it decomposes."""
        return self._memo(self._windowed, aggregate, used,  # type: ignore[no-any-return]
                          lambda touched: self._windowed_total(aggregate, touched))

    def _windowed_total(self, aggregate: Aggregate, used: Used) -> ColumnElement[Any] | None:
        if aggregate.expression:
            return compile_windowed_total(parse(aggregate.expression),
                                          lambda name: self.ref(name, used),
                                          dialect_name=self.dialect_name)
        combine = COMBINE_FROM_GROUPS.get(aggregate.function or "")
        if combine is None:
            return None
        per_group = self.aggregate(aggregate, used)
        return getattr(sa.func, combine)(per_group).over()  # type: ignore[no-any-return]

    def aggregate(self, aggregate: Aggregate, used: Used) -> ColumnElement[Any]:
        """The SQL of a built-in or expression aggregate (not post-aggregates)."""
        return self._memo(self._aggregates, aggregate, used,  # type: ignore[no-any-return]
                          lambda touched: self._aggregate(aggregate, touched))

    def _aggregate(self, aggregate: Aggregate, used: Used) -> ColumnElement[Any]:
        if aggregate.expression:
            return self._expression(aggregate.expression, used)
        function = aggregate.function
        if function == "count" and not aggregate.measure:
            used.add(self.physical.fact_table)
            return compile_aggregate_function("count", None, dialect_name=self.dialect_name,
                                              count_column=self.fact_key)
        if not aggregate.measure:
            raise ModelError(f"Aggregate '{aggregate.name}' needs a measure or an expression")
        argument = self.ref(aggregate.measure, used)
        if function is None:  # ``identity``: the measure is itself an aggregate expression
            return argument
        used.add(self.physical.fact_table)
        return compile_aggregate_function(function, argument, dialect_name=self.dialect_name,
                                          count_column=self.fact_key)

    # -- values ------------------------------------------------------------------------
    def coerce(self, column: ColumnElement[Any], value: object, what: str) -> object:
        """Path values arrive as strings; compare them as the key column's type (§2.1)."""
        if value is None or not isinstance(value, str):
            return value
        if "\x00" in value:  # PostgreSQL text cannot hold NUL; no backend can match it
            raise ArgumentError(f"The value for {what} contains a NUL character")
        try:
            python_type = column.type.python_type
        except NotImplementedError:
            return value
        try:
            if python_type is bool:
                return value.lower() in ("1", "true", "yes", "t")
            if python_type is int:
                number = int(value)
                if not -(2**63) <= number < 2**63:  # no backend stores it; drivers would fail
                    raise ValueError(value)
                return number
            if python_type is float:
                return float(value)
            if python_type is Decimal:
                return Decimal(value)
            if python_type is datetime:
                return datetime.fromisoformat(value)
            if python_type is date:
                return date.fromisoformat(value)
        except (ValueError, InvalidOperation):
            raise ArgumentError(f"'{value}' is not a valid value for {what} "
                                f"(expected {python_type.__name__})") from None
        return value
