"""Available-to-promise, delivery and transportation scheduling, backorder processing.

Pure planning core (no database, no HTTP; ``docs/scheduling.md``): ``calendar`` (factory
calendars), ``timeline`` (time-phased elements, scope of check), ``atp`` (cumulative ATP and the
check), ``delivery`` (backward/forward scheduling), ``schedule_lines`` (ATP + scheduling as
schedule lines), ``backorder`` and ``batch_check`` (rescheduling), ``rules`` (rules-based ATP),
``allocation`` (product allocation), ``errors`` (typed errors), ``quantities``.

May import: ``kubus.config``, ``kubus.oltp``.
"""
