"""Workspace and browser: the Python API over cubes, and what the Slicer views call.

A :class:`Workspace` owns the catalog of cubes and one SQLAlchemy engine per store; a
:class:`Browser` runs compiled queries for one cube under a statement timeout and returns the
result shapes of :mod:`kubus.model.results`. Example::

    ws = Workspace.from_settings(load_settings("slicer.ini"))
    browser = ws.browser("irbd_balance")
    result = browser.aggregate(browser.prepare_aggregate(cut="item:a", drilldown=["year"]))
    result.to_dict()["summary"]          # {"amount_sum": 558430, ...}
    to_dataframe(result)                 # a pandas DataFrame of the cells
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from kubus.config.model_files import read_model
from kubus.config.settings import Settings
from kubus.model.catalog import Catalog, ModelSpec
from kubus.model.cells import Cell, Cut
from kubus.model.cut_grammar import parse_cell, parse_drilldown, parse_order
from kubus.model.localization import translate_model
from kubus.model.metadata import Cube
from kubus.model.query import AggregateQuery, Page, prepare_aggregate
from kubus.model.results import AggregationResult
from kubus.model.sql.physical import PhysicalCube
from kubus.model.sql.star import Star
from kubus.server.browser import Browser
from kubus.server.execution import Executor

if TYPE_CHECKING:
    import pandas as pd


class Authorizer(Protocol):
    """Decides what an identity may see. The default allows everything."""

    def authorize(self, identity: str | None, cubes: Sequence[Cube]) -> list[Cube]: ...

    def restricted_cell(self, identity: str | None, cube: Cube) -> tuple[Cut, ...]: ...


class AllowAll:
    def authorize(self, identity: str | None, cubes: Sequence[Cube]) -> list[Cube]:
        return list(cubes)

    def restricted_cell(self, identity: str | None, cube: Cube) -> tuple[Cut, ...]:
        return ()


@dataclass
class _Store:
    name: str
    engine: sa.Engine
    options: dict[str, Any]
    tables: dict[tuple[str | None, str], sa.Table] = field(default_factory=dict)
    metadata: sa.MetaData = field(default_factory=sa.MetaData)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def table(self, schema: str | None, name: str) -> sa.Table:
        key = (schema, name)
        found = self.tables.get(key)
        if found is not None:
            return found
        with self.lock:  # reflection once per table, whatever the number of threads
            if key not in self.tables:
                self.tables[key] = reflect_table(self.engine, self.metadata, schema, name)
            return self.tables[key]


_DUCKDB_TYPES: dict[str, type[sa.types.TypeEngine[Any]]] = {
    "TINYINT": sa.Integer, "SMALLINT": sa.Integer, "INTEGER": sa.Integer,
    "BIGINT": sa.BigInteger, "HUGEINT": sa.BigInteger, "UTINYINT": sa.Integer,
    "USMALLINT": sa.Integer, "UINTEGER": sa.BigInteger, "UBIGINT": sa.BigInteger,
    "DOUBLE": sa.Float, "FLOAT": sa.Float, "REAL": sa.Float, "VARCHAR": sa.String,
    "DATE": sa.Date, "TIMESTAMP": sa.DateTime, "TIMESTAMP WITH TIME ZONE": sa.DateTime,
    "BOOLEAN": sa.Boolean, "TIME": sa.Time,
}


def reflect_table(engine: sa.Engine, metadata: sa.MetaData, schema: str | None,
                  name: str) -> sa.Table:
    """Reflect a table; DuckDB reads ``information_schema`` because duckdb-engine's reflection
    queries PostgreSQL catalogs DuckDB lacks (``pg_collation``)."""
    if engine.dialect.name != "duckdb":
        return sa.Table(name, metadata, schema=schema, autoload_with=engine)
    query = sa.text("SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = :name AND (:schema IS NULL OR table_schema = :schema) "
                    "ORDER BY ordinal_position")
    with engine.connect() as conn:
        rows = conn.execute(query, {"name": name, "schema": schema}).all()
    if not rows:
        raise sa.exc.NoSuchTableError(name)
    columns = []
    for column, data_type in rows:
        base = str(data_type).upper().split("(")[0]
        type_: sa.types.TypeEngine[Any] = (sa.Numeric() if base == "DECIMAL"
                                           else _DUCKDB_TYPES.get(base, sa.String)())
        columns.append(sa.Column(column, type_))
    return sa.Table(name, metadata, *columns, schema=schema)


class Workspace:
    def __init__(self, settings: Settings, catalog: Catalog,
                 authorizer: Authorizer | None = None,
                 specs: Sequence[ModelSpec] = ()) -> None:
        self.settings = settings
        self.catalog = catalog
        #: The raw models, kept to build translated catalogs (``?lang=``) on first use.
        self._specs = tuple(specs)
        self._catalogs: dict[str, Catalog] = {}
        self.authorizer: Authorizer = authorizer or AllowAll()
        self._stores: dict[str, _Store] = {}
        self._physical: dict[str, PhysicalCube] = {}
        #: One star per cube: its column and join expressions are built once, not per request.
        self._stars: dict[str, Star] = {}
        self._lock = threading.Lock()
        self.timezone_name = settings.workspace.timezone or _local_timezone_name()
        self.first_weekday = settings.workspace.first_weekday

    @classmethod
    def from_settings(cls, settings: Settings) -> Workspace:
        specs = [ModelSpec(read_model(source.path), namespace=source.namespace,
                           store=source.store, source=str(source.path))
                 for source in settings.models]
        return cls(settings, Catalog.from_models(specs), specs=specs)

    # -- localization ------------------------------------------------------------------
    def catalog_for(self, locale: str | None) -> Catalog:
        """The catalog with ``[locale XX]`` translations applied; the model's own for an
        unknown or missing language (as Cubes, which serves untranslated metadata then)."""
        translations = self.settings.locales.get(locale or "")
        if not locale or not translations or not self._specs:
            return self.catalog
        with self._lock:
            found = self._catalogs.get(locale)
            if found is None:
                specs = [replace(spec, raw=self._translated(spec, translations))
                         for spec in self._specs]
                found = self._catalogs[locale] = Catalog.from_models(specs)
            return found

    @staticmethod
    def _translated(spec: ModelSpec, translations: Mapping[str, Path]) -> dict[str, Any]:
        path = translations.get(spec.namespace or "default")
        return translate_model(spec.raw, read_model(path)) if path else dict(spec.raw)

    # -- stores ------------------------------------------------------------------------
    def store(self, name: str | None) -> _Store:
        name = name or "default"
        with self._lock:
            found = self._stores.get(name)
            if found is None:
                config = self.settings.stores.get(name)
                if config is None or not config.url:
                    from kubus.model.errors import ModelError

                    raise ModelError(f"Unknown store '{name}' (no URL configured)")
                engine = create_store_engine(config.url, dict(config.options))
                found = _Store(name, engine, dict(config.options))
                self._stores[name] = found
            return found

    def physical(self, cube: Cube) -> PhysicalCube:
        found = self._physical.get(cube.public_name)
        if found is None:
            found = PhysicalCube.from_cube(cube, self.store(cube.store).options)
            self._physical[cube.public_name] = found
        return found

    # -- cubes -------------------------------------------------------------------------
    def cube(self, name: str, locale: str | None = None) -> Cube:
        return self.catalog_for(locale).cube(name)

    def authorized_cubes(self, identity: str | None = None,
                         locale: str | None = None) -> list[Cube]:
        return self.authorizer.authorize(identity, self.catalog_for(locale).cubes)

    def browser(self, cube_name: str | Cube, identity: str | None = None,
                locale: str | None = None) -> Browser:
        cube = cube_name if isinstance(cube_name, Cube) else self.cube(cube_name, locale)
        store = self.store(cube.store)
        # Translations change labels only: every language shares the model's star.
        base = self.catalog.cube(cube.public_name)
        star = self._stars.get(base.public_name)
        if star is None or star.cube is not base:
            star = Star(self.physical(base), store.table, store.engine.dialect.name)
            self._stars[base.public_name] = star
        executor = Executor(store.engine, self.settings.server.statement_timeout)
        return Browser(cube=cube, star=star, executor=executor, workspace=self,
                       identity=identity,
                       restrictions=self.authorizer.restricted_cell(identity, cube))

    def now(self) -> datetime:
        return datetime.now(ZoneInfo(self.timezone_name))

    def close(self) -> None:
        for store in self._stores.values():
            store.engine.dispose()
        self._stores.clear()
        self._stars.clear()


def create_store_engine(url: str, options: dict[str, Any]) -> sa.Engine:
    """An engine for a store; ``sqlalchemy_<opt>`` store options become engine options."""
    engine_options = {k.removeprefix("sqlalchemy_"): v for k, v in options.items()
                      if k.startswith("sqlalchemy_")}
    if url.startswith("duckdb"):
        _enable_duckdb_statement_cache()
    return sa.create_engine(url, **engine_options)


def _enable_duckdb_statement_cache() -> None:
    """duckdb-engine leaves SQLAlchemy's compiled-statement cache off (it does not declare
    ``supports_statement_cache``), so every query would be compiled anew (~2 ms). Its compiler
    is PostgreSQL's, which caches safely; the integration suite runs with it on."""
    import duckdb_engine

    duckdb_engine.Dialect.supports_statement_cache = True


def _local_timezone_name() -> str:
    name = datetime.now().astimezone().tzname() or "UTC"
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        return "UTC"
    return name


# -- Python API conveniences -----------------------------------------------------------------
def quick_aggregate(browser: Browser, *, cut: str | Iterable[str] | None = None,
                    drilldown: str | Iterable[str] = (), aggregates: Sequence[str] | None = None,
                    order: str | Iterable[str] = (), page: int | None = None,
                    page_size: int | None = None) -> AggregationResult:
    """Aggregate with Slicer-style strings.

    Example: ``quick_aggregate(browser, cut="item:a", drilldown="year")``.
    """
    texts = [cut] if isinstance(cut, str) else list(cut or ())
    cuts = tuple(c for text in texts for c in parse_cell(text))
    cell = browser.cell(cuts)
    query: AggregateQuery = prepare_aggregate(
        browser.cube, cell, aggregates=aggregates, drilldown=parse_drilldown(drilldown),
        order=parse_order(order),
        page=Page(page, page_size) if page is not None and page_size is not None else None)
    return browser.aggregate(query)


def to_dataframe(result: AggregationResult) -> pd.DataFrame:
    """The cells of an aggregation as a DataFrame (the summary when there is no drilldown)."""
    import pandas as pd

    if result.levels is None:
        return pd.DataFrame([result.summary])
    return pd.DataFrame(result.cells, columns=result.columns or None)


__all__ = ["AllowAll", "Authorizer", "Browser", "Cell", "Workspace", "quick_aggregate",
           "to_dataframe"]
