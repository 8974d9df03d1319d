"""Create or upgrade the OLTP schema with Alembic, configured in code.

``kubus oltp upgrade`` calls :func:`upgrade`; a second run is a no-op. :func:`schema_diff`
compares a migrated database with :data:`kubus.oltp.schema.metadata` (what ``alembic check``
does), so a test notices a table change that has no migration.

Example::

    upgrade("sqlite:///var/oltp.sqlite")
    current_revision("sqlite:///var/oltp.sqlite")    # "0001"
    schema_diff("sqlite:///var/oltp.sqlite")         # [] when the schema is up to date
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from kubus.oltp.schema import metadata
from kubus.oltp.store import open_store

__all__ = ["alembic_config", "current_revision", "head_revision", "schema_diff", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | sa.URL) -> Config:
    """An Alembic configuration for the database at ``url`` (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    rendered = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def upgrade(url: str | sa.URL, revision: str = "head") -> str | None:
    """Migrate the database at ``url`` to ``revision``; the revision it is at afterwards."""
    command.upgrade(alembic_config(url), revision)
    return current_revision(url)


def head_revision() -> str | None:
    """The newest revision the code ships."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str | sa.URL) -> str | None:
    """The revision the database at ``url`` is at (``None`` before the first upgrade)."""
    engine = open_store(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def schema_diff(url: str | sa.URL) -> list[Any]:
    """Differences between the database at ``url`` and the metadata (empty: up to date)."""
    engine = open_store(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()
