"""Available-to-promise, delivery and transportation scheduling, backorder processing.

May import: ``kubus.config``, ``kubus.oltp``.
"""
