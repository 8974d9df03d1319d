"""The ``kubus serve --demo`` data set: the demo sales star plus the Cubes hello-world cube.

``prepare_demo(data_dir)`` creates (or reuses) ``<data_dir>/demo.duckdb`` and returns the
settings that serve it. Generation is deterministic and happens only on first start.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from kubus.config.settings import ModelSource, Settings, StoreSettings
from kubus.etl.demo_star import ensure_demo_star
from kubus.etl.examples import load_hello_world

DEMO_FACTS = 1_000_000


def _config_path(*parts: str) -> Path:
    return Path(str(resources.files("kubus.config").joinpath(*parts)))


def prepare_demo(data_dir: Path, *, facts: int = DEMO_FACTS, progress: bool = True) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    warehouse = data_dir / "demo.duckdb"
    ensure_demo_star(warehouse, facts, progress=progress)
    url = f"duckdb:///{warehouse.resolve()}"
    engine = sa.create_engine(url)
    try:
        load_hello_world(engine, _config_path("examples", "hello_world", "data.csv"))
    finally:
        engine.dispose()
    return Settings(
        data_dir=data_dir,
        stores={"default": StoreSettings(name="default", url=url)},
        models=(ModelSource(path=_config_path("models", "demo_sales.json")),
                ModelSource(path=_config_path("examples", "hello_world", "model.json"))),
    )
