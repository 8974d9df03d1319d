"""Compilation of cube queries to SQLAlchemy Core selects (physical mapping, star joins)."""
