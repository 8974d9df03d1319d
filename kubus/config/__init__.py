"""Settings loading and validation, shipped cube models, cron table, defaults.

May import: the standard library only.
"""
