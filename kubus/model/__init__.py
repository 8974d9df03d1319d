"""Cube metadata, cut/drilldown grammar, query planning, SQL compilation, result shapes.

Pure: SQLAlchemy Core expressions only (no engines, sessions or I/O), no Flask, no global state.
May import: ``kubus.config``.
"""
