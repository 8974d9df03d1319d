"""The watchdog thread behind the statement timeout of DuckDB and SQLite."""

from __future__ import annotations

import threading
import time

from kubus.server.execution import Watchdog


def test_callbacks_run_at_their_deadline_in_order() -> None:
    watchdog = Watchdog()
    fired: list[str] = []
    done = threading.Event()
    watchdog.schedule(0.2, lambda: (fired.append("late"), done.set()))
    watchdog.schedule(0.05, lambda: fired.append("early"))
    assert done.wait(5)
    assert fired == ["early", "late"]


def test_cancelled_callbacks_never_run() -> None:
    watchdog = Watchdog()
    fired = threading.Event()
    handle = watchdog.schedule(0.05, fired.set)
    assert watchdog.cancel(handle) is True
    assert not fired.wait(0.2)
    assert watchdog.cancel(handle) is False  # unknown (or already run) handles


def test_a_failing_callback_does_not_stop_the_thread() -> None:
    watchdog = Watchdog()
    fired = threading.Event()

    def fail() -> None:
        raise RuntimeError("interrupt failed")

    watchdog.schedule(0.01, fail)
    watchdog.schedule(0.05, fired.set)
    assert fired.wait(5)


def test_many_cancelled_entries_are_dropped() -> None:
    watchdog = Watchdog()
    for _ in range(1_000):
        watchdog.cancel(watchdog.schedule(60, lambda: None))
    assert len(watchdog._heap) < 200  # pruned as they pile up, not kept for a minute
    started = time.perf_counter()
    fired = threading.Event()
    watchdog.schedule(0.01, fired.set)
    assert fired.wait(5) and time.perf_counter() - started < 5
