"""The transactional services, one module per topic; each public function is one transaction.

Every service takes an engine (or a connection inside :func:`kubus.oltp.store.transaction`), a
frozen input dataclass and an explicit date, checks everything before it writes, appends the
change log in the same transaction and returns a frozen result dataclass.
"""
