"""Kubus: an OLAP server with an embedded transactional core.

The sub-packages are the layers of ``docs/architecture.md``; each one's docstring says what it
owns and what it may import (``tests/unit/test_import_rules.py`` keeps that true).
"""

__version__ = "0.1.0"
