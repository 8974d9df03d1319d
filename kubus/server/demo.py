"""The ``kubus serve --demo`` data set (placeholder until the demo generator lands).

``prepare_demo(data_dir)`` creates (or reuses) the demo databases below ``data_dir`` and returns
the settings that serve them.
"""

from __future__ import annotations

from pathlib import Path

from kubus.config.settings import Settings


def prepare_demo(data_dir: Path) -> Settings:
    raise NotImplementedError("the demo data set is not available yet in this build")
