"""The transactional core: schema, services with their invariants, change log, demo generator.

May import: ``kubus.config``.
"""
