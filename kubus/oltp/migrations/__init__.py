"""Alembic migrations of the OLTP schema (run by :func:`kubus.oltp.migrate.upgrade`)."""
