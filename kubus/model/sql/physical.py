"""Physical mapping of a cube: which table and column holds each attribute, and the joins.

Implements the naming conventions, explicit ``mappings`` and ``joins`` of slicer-api.md §3.9.
Pure: it only describes tables; :mod:`kubus.model.sql.star` turns descriptions into
SQLAlchemy selectables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from kubus.model.errors import ModelError
from kubus.model.metadata import Attribute, Cube, Measure

TableKey = tuple[str | None, str]  # (schema, table name or join alias)


@dataclass(frozen=True)
class NamingOptions:
    fact_prefix: str = ""
    fact_suffix: str = ""
    dimension_prefix: str = ""
    dimension_suffix: str = ""
    fact_key: str = "id"
    schema: str | None = None
    fact_schema: str | None = None
    dimension_schema: str | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> NamingOptions:
        def text(key: str, default: str | None) -> Any:
            value = options.get(key)
            return default if value is None else str(value)

        return cls(
            fact_prefix=text("fact_prefix", ""), fact_suffix=text("fact_suffix", ""),
            dimension_prefix=text("dimension_prefix", ""),
            dimension_suffix=text("dimension_suffix", ""),
            fact_key=text("fact_key", "id"), schema=text("schema", None),
            fact_schema=text("fact_schema", None),
            dimension_schema=text("dimension_schema", None),
        )


@dataclass(frozen=True)
class ColumnRef:
    table: TableKey
    column: str
    extract: str | None = None
    function: str | None = None


@dataclass(frozen=True)
class JoinSpec:
    master: TableKey
    master_columns: tuple[str, ...]
    detail_table: tuple[str | None, str]  # the real (schema, table)
    detail_columns: tuple[str, ...]
    alias: str | None
    method: str  # match | master | detail

    @property
    def detail(self) -> TableKey:
        """How the detail is known to mappings: its alias, or its table."""
        return (None, self.alias) if self.alias else self.detail_table


def _split_dotted(text: str) -> tuple[str | None, str | None, str]:
    parts = text.split(".")
    if len(parts) == 1:
        return None, None, parts[0]
    if len(parts) == 2:
        return None, parts[0], parts[1]
    return ".".join(parts[:-2]), parts[-2], parts[-1]


@dataclass(frozen=True, eq=False)
class PhysicalCube:
    """Where a cube's attributes live."""

    cube: Cube
    naming: NamingOptions
    fact_table: TableKey
    fact_key: str
    joins: tuple[JoinSpec, ...]

    @classmethod
    def from_cube(cls, cube: Cube, options: Mapping[str, Any] | None = None) -> PhysicalCube:
        merged = {**(options or {}), **cube.browser_options}
        naming = NamingOptions.from_options(merged)
        schema = naming.fact_schema or naming.schema
        fact = cube.fact or f"{naming.fact_prefix}{cube.name}{naming.fact_suffix}"
        fact_schema, _, fact_table = fact.rpartition(".")
        fact_tkey: TableKey = (fact_schema or schema, fact_table)
        fact_key = cube.key or naming.fact_key
        joins = tuple(_join_spec(j, fact_tkey, naming) for j in cube.joins)
        joins = tuple(_normalise_master(j, joins, fact_tkey) for j in joins)
        seen: set[TableKey] = set()
        for join in joins:
            if join.detail in seen:
                raise ModelError(f"Cube '{cube.name}': table {join.detail[1]} is joined twice "
                                 "without an alias")
            seen.add(join.detail)
        return cls(cube=cube, naming=naming, fact_table=fact_tkey, fact_key=fact_key,
                   joins=joins)

    def column(self, attribute: Attribute | Measure) -> ColumnRef:
        """The physical column of an attribute, measure or detail (explicit or by naming)."""
        mapped = self.cube.mappings.get(attribute.ref)
        if mapped is not None:
            return self._explicit(mapped)
        if isinstance(attribute, Measure) or attribute.dimension is None:
            return ColumnRef(self.fact_table, attribute.name)
        if attribute.ref == attribute.dimension:  # flat dimension without details
            return ColumnRef(self.fact_table, attribute.name)
        table = f"{self.naming.dimension_prefix}{attribute.dimension}" \
                f"{self.naming.dimension_suffix}"
        schema = self.naming.dimension_schema or self.naming.schema
        return ColumnRef(self._known_table(schema, table), attribute.name)

    def _known_table(self, schema: str | None, table: str) -> TableKey:
        """A table named by a mapping: a join alias, a joined table or the fact table."""
        for join in self.joins:
            if join.alias == table and schema is None:
                return join.detail
            if join.detail_table[1] == table and (schema is None or join.detail_table[0]
                                                  == schema):
                return join.detail
        if table == self.fact_table[1]:
            return self.fact_table
        return (schema if schema is not None else self.naming.dimension_schema
                or self.naming.schema, table)

    def _explicit(self, mapped: Any) -> ColumnRef:
        if isinstance(mapped, str):
            schema, table, column = _split_dotted(mapped)
            if table is None:
                return ColumnRef(self.fact_table, column)
            return ColumnRef(self._known_table(schema, table), column)
        if isinstance(mapped, Mapping):
            table = mapped.get("table")
            tkey = self.fact_table if not table else self._known_table(mapped.get("schema"),
                                                                       str(table))
            return ColumnRef(tkey, str(mapped["column"]), extract=mapped.get("extract"),
                             function=mapped.get("function"))
        raise ModelError(f"Mapping {mapped!r} should be a string or an object")


def _normalise_master(join: JoinSpec, joins: tuple[JoinSpec, ...],
                      fact: TableKey) -> JoinSpec:
    """Point a join's master at the key its table is known by (alias or joined table)."""
    if join.master == fact:
        return join
    schema, table = join.master
    for other in joins:
        if (other.alias == table and schema is None) or (
                other.detail_table[1] == table and schema in (None, other.detail_table[0])):
            return replace(join, master=other.detail)
    if table == fact[1]:
        return replace(join, master=fact)
    return join


def _join_side(value: Any) -> tuple[str | None, str | None, tuple[str, ...]]:
    if isinstance(value, str):
        schema, table, column = _split_dotted(value)
        return schema, table, (column,)
    if isinstance(value, Mapping):
        given = value.get("column")
        columns = tuple(given) if isinstance(given, (list, tuple)) else (str(given),)
        return value.get("schema"), value.get("table"), columns
    raise ModelError(f"Join side {value!r} should be a string or an object")


def _join_spec(raw: Mapping[str, Any], fact: TableKey, naming: NamingOptions) -> JoinSpec:
    m_schema, m_table, m_cols = _join_side(raw["master"])
    d_schema, d_table, d_cols = _join_side(raw["detail"])
    if not d_table:
        raise ModelError(f"Join detail {raw['detail']!r} must name a table")
    if len(m_cols) != len(d_cols):
        raise ModelError(f"Join {dict(raw)} has key lists of different lengths")
    master: TableKey = fact if not m_table else (m_schema, m_table)
    if m_table and m_table == fact[1] and m_schema is None:
        master = fact
    method = str(raw.get("method") or "match").lower()
    if method not in ("match", "master", "detail"):
        raise ModelError(f"Unknown join method '{method}'")
    default_schema = naming.dimension_schema or naming.schema
    return JoinSpec(master=master, master_columns=m_cols,
                    detail_table=(d_schema if d_schema is not None else default_schema, d_table),
                    detail_columns=d_cols, alias=raw.get("alias"), method=method)
