"""Multichannel ingest: one adapter per channel, interaction records, customer identification.

May import: ``kubus.config``, ``kubus.oltp``.
"""
