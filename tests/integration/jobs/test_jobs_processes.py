"""``kubus serve`` runs the scheduler and stops it on SIGTERM; ``kubus scheduler`` runs the
schedule in a process of its own and stops cleanly too (real processes, real HTTP)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
import sqlalchemy as sa


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBUS_")}
    env.update(extra)
    return env


def test_kubus_serve_runs_the_scheduler(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "kubus.server.cli", "serve", "--oltp", url, "--port", "0",
         "--threads", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=clean_env(KUBUS_DATA_DIR=str(tmp_path / "var")), cwd=tmp_path)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Serving Kubus on http://127.0.0.1:"), (
            line + (process.stderr.read() if process.poll() is not None else ""))
        base = line.split(" on ", 1)[1].strip().rstrip("/") + "/api/v1"
        listing = requests.get(base + "/jobs", timeout=30).json()
        assert listing["scheduler"] == "running"
        backorder = listing["items"][0]
        assert (backorder["name"], backorder["schedule"], backorder["scheduled_here"]) == (
            "backorder", "0 * * * *", True)
        assert backorder["next_run_time"].endswith(":00:00+01:00") or \
            backorder["next_run_time"].endswith(":00:00+02:00")
        started = requests.post(base + "/jobs/backorder/runs", timeout=30,
                                json={"params": ["dry_run=true"]})
        assert started.status_code == 202, started.text
        location = started.headers["Location"]
        deadline = time.monotonic() + 30
        run = started.json()
        while run["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the run resource, as a client would
            run = requests.get(line.split(" on ", 1)[1].strip().rstrip("/") + location,
                               timeout=30).json()
        assert (run["status"], run["rows"]) == ("ok", 0)  # an empty database
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Kubus stopped." in out
    assert "Scheduler on: 1 scheduled jobs" in err
    # The job store lives beside the SQLite OLTP file; nothing lands in the data directory.
    store = sa.create_engine(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    with store.connect() as conn:
        assert conn.execute(sa.text("SELECT job, run_trigger, status FROM job_run")).all() == [
            ("backorder", "manual", "ok")]
    store.dispose()
    assert not (tmp_path / "var").exists()


def test_kubus_scheduler_runs_until_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kubus.server.cli", "scheduler"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env=clean_env(KUBUS_DATA_DIR=str(tmp_path / "var")), cwd=tmp_path)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("backorder: 0 * * * * (Europe/Berlin), next run "), (
            first + (process.stderr.read() if process.poll() is not None else ""))
        assert process.stdout.readline().startswith("Scheduler running (job store sqlite:///")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Scheduler stopped." in out
    assert (tmp_path / "var" / "jobs.sqlite").is_file()
