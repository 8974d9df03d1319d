"""Crash test: a load killed (SIGKILL) at random points and then rerun gives exactly the
warehouse of an uninterrupted load — every table compared row by row (load timestamps aside).
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from kubus.etl.warehouse_schema import metadata
from kubus.oltp.generator import generate_landscape

pytest_plugins = ["etl_support"]

SCRIPT = """
import sys
from datetime import date
import sqlalchemy as sa
from kubus.etl.pipeline import run_load
from kubus.etl.sources import Source
run_load(sa.create_engine(sys.argv[1]),
         [Source(n, f"sqlite:///{sys.argv[2]}/oltp_{n}.sqlite") for n in ("current", "legacy")],
         today=date(2025, 12, 19))
"""
#: Columns that say when, not what.
CLOCK = {"started_at", "finished_at", "loaded_at"}


@pytest.fixture(scope="module")
def landscape(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash-landscape")
    generate_landscape(path, 1_500, progress=False)
    return path


def _load(warehouse: Path, landscape: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, f"duckdb:///{warehouse}",
                             str(landscape)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _contents(warehouse: Path) -> dict[str, pd.DataFrame]:
    engine = sa.create_engine(f"duckdb:///{warehouse}")
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            frame = pd.read_sql(sa.select(table), conn)
            frame = frame.drop(columns=[c for c in frame.columns if c in CLOCK])
            out[table.name] = frame.sort_values(list(frame.columns), ignore_index=True)
    engine.dispose()
    return out


def test_killed_loads_rerun_to_the_uninterrupted_result(landscape: Path, tmp_path: Path) -> None:
    # The uninterrupted load; a process start (imports) takes about as long as the load
    # itself, so the kills below land somewhere in between.
    reference = tmp_path / "reference.duckdb"
    started = time.perf_counter()
    done = _load(reference, landscape)
    assert done.wait(timeout=120) == 0, done.stderr.read() if done.stderr else ""
    duration = time.perf_counter() - started
    expected = _contents(reference)
    assert len(expected["fact_order_item"]) == 3_000
    rng = random.Random(20240331)
    warehouse = tmp_path / "crashed.duckdb"
    kills = 0
    for _ in range(2):  # killed twice at random moments, then run to the end
        process = _load(warehouse, landscape)
        time.sleep(rng.uniform(0.4 * duration, 0.95 * duration))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    rerun = _load(warehouse, landscape)
    assert rerun.wait(timeout=120) == 0, rerun.stderr.read() if rerun.stderr else ""
    got = _contents(warehouse)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, check_dtype=False, obj=name)
    assert kills >= 1  # a load was really interrupted (each sleep is shorter than a load)
