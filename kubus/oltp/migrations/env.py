"""Alembic environment: migrate the database of ``sqlalchemy.url`` to :data:`metadata`.

The configuration is built in code by :mod:`kubus.oltp.migrate` (no ``alembic.ini`` at run
time). A caller may hand over an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from kubus.oltp.schema import metadata
from kubus.oltp.store import open_store


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: Alembic rebuilds the table ("batch" mode).
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = open_store(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run `kubus oltp upgrade`")
run_migrations_online()
