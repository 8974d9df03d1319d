"""Extraction, transformation, warehouse load, aggregate tables, reconciliation, demo star schema.

May import: ``kubus.config``, ``kubus.model``, ``kubus.oltp``.
"""
