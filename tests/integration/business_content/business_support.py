"""The ``bc`` fixture of the business-content suite (a pytest plugin:
``pytest_plugins = ["business_support"]``).

A warehouse of its own on each backend of the matrix (a fresh DuckDB or SQLite file, a fresh
PostgreSQL database: never shared with other suites, whose tables could collide), filled by
:func:`business_data.load_warehouse` and served with the shipped model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from business_data import MODEL, Slicer, load_warehouse
from conftest import _create_postgres_namespace, _drop_postgres_namespace, _require_postgres

from kubus.config.settings import load_settings, with_overrides
from kubus.server.workspace import Workspace


@pytest.fixture(scope="session", params=[
    pytest.param("duckdb", id="duckdb"), pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)])
def bc(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[Slicer]:
    """A warehouse of its own (never shared with other suites) on each backend, served."""
    name: str = request.param
    namespace = None
    if name == "postgres":
        namespace = _create_postgres_namespace(_require_postgres())
        url = namespace.url
    else:
        directory: Path = tmp_path_factory.mktemp(f"business-{name}")
        url = (f"duckdb:///{directory / 'warehouse.duckdb'}" if name == "duckdb"
               else f"sqlite:///{directory / 'warehouse.sqlite'}")
    engine = sa.create_engine(url)
    try:
        load_warehouse(engine)
    finally:
        engine.dispose()
    settings = with_overrides(load_settings(None, environ={}), models=[str(MODEL)],
                              store_url=url, timezone="UTC")
    workspace = Workspace.from_settings(settings)
    try:
        yield Slicer(name, workspace)
    finally:
        workspace.close()
        if namespace is not None:
            _drop_postgres_namespace(namespace)
