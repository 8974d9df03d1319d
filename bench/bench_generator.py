"""The OLTP demo generator against the raw write speed of SQLite, on the same rows.

Usage (from the repository root)::

    python bench/bench_generator.py --lines 1000000 --repeat 3 --out docs/bench-generator.md

Each repetition first generates ``--lines`` order items into a fresh SQLite file in
``bench/data/`` (git-ignored) with :func:`kubus.oltp.generator.generate`, timed end to end
(simulation, every table, indexes, the change log, number ranges). Then, as the baseline, it
copies exactly the rows the generator wrote into an identically shaped, freshly migrated empty
database with one plain ``INSERT INTO ... SELECT`` per table (the generated file ATTACHed,
same page size and pragmas, one transaction, the schema's indexes in place): the store's own
write speed for that data, with no simulation and no Python in the loop. ``--executemany``
adds a second baseline that streams the same rows through Python ``executemany``, the floor
for any writer that feeds SQLite from Python.

The ratio generator / INSERT-SELECT says how much the simulation, the Python-side binding and
the change-log construction cost on top of merely storing the result. Medians of the
repetitions are reported; generator and baselines alternate, so machine noise hits all alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubus.oltp import gen_writer, generator  # noqa: E402
from kubus.oltp.generator import (  # noqa: E402
    SQLITE_CACHE_KIB,
    SQLITE_MMAP_BYTES,
    SQLITE_PAGE_SIZE,
    GenerationStats,
    generate,
)
from kubus.oltp.migrate import upgrade  # noqa: E402
from kubus.oltp.schema import metadata  # noqa: E402

DATA_DIR = ROOT / "bench" / "data"
GOAL_SECONDS_PER_MILLION = 60.0


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.tmp")):
        leftover.unlink(missing_ok=True)


def _empty_copy_target(path: Path) -> sqlite3.Connection:
    """A freshly migrated, empty database like the generator's, opened for a bulk load."""
    _remove(path)
    generator._create_sqlite_file(path)  # same page size as the generator's files
    upgrade(f"sqlite:///{path}")
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF",
                   f"cache_size=-{SQLITE_CACHE_KIB}", "temp_store=MEMORY",
                   f"mmap_size={SQLITE_MMAP_BYTES}"):
        con.execute(f"PRAGMA {pragma}")
    return con


def _tables() -> list[str]:
    return [t.name for t in metadata.sorted_tables]


def baseline_insert_select(source: Path, target: Path) -> float:
    """Seconds to copy every table of ``source`` into an empty ``target`` with INSERT-SELECT."""
    con = _empty_copy_target(target)
    try:
        con.execute("ATTACH DATABASE ? AS gen", (str(source),))
        started = time.perf_counter()
        con.execute("BEGIN")
        for table in _tables():
            con.execute(f'DELETE FROM main."{table}"')  # the migration's seed rows
            con.execute(f'INSERT INTO main."{table}" SELECT * FROM gen."{table}"')
        con.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        con.close()
        _remove(target)


def baseline_executemany(source: Path, target: Path) -> float:
    """Seconds to stream every row of ``source`` through Python ``executemany`` into ``target``.

    Reading the rows back is timed separately and left out: only the writes count.
    """
    con = _empty_copy_target(target)
    reader = sqlite3.connect(source)
    spent = 0.0
    try:
        con.execute("BEGIN")
        for table in _tables():
            con.execute(f'DELETE FROM "{table}"')
            cursor = reader.execute(f'SELECT * FROM "{table}"')
            marks = ", ".join("?" * len(cursor.description))
            sql = f'INSERT INTO "{table}" VALUES ({marks})'
            while chunk := cursor.fetchmany(200_000):
                started = time.perf_counter()
                con.executemany(sql, chunk)
                spent += time.perf_counter() - started
        started = time.perf_counter()
        con.execute("COMMIT")
        return spent + time.perf_counter() - started
    finally:
        reader.close()
        con.close()
        _remove(target)


def machine_info() -> str:
    cpu = platform.machine() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, nproc {os.cpu_count()}{memory}, {platform.platform()}"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass(frozen=True)
class Result:
    stats: GenerationStats
    times: dict[str, list[float]]
    file_bytes: int
    phases: dict[str, list[float]]
    #: Process CPU seconds (Python and SQLite, all threads) of each timed run.
    cpu: dict[str, list[float]]
    load: tuple[float, float]


# Phases of a generator run, timed by wrapping the functions that do them.
PHASES = (("migrate the empty schema", generator, "upgrade"),
          ("simulate (numpy)", generator, "build_sources"),
          ("executemany rows", gen_writer, "_sqlite_insert"),
          ("INSERT-SELECT derived rows", gen_writer, "_sqlite_derive"),
          ("change log", gen_writer, "_sqlite_log"))


class PhaseTimer:
    """Adds up the wall time spent in each of :data:`PHASES` during one generator run."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        for label, module, name in PHASES:
            original = getattr(module, name)
            setattr(module, name, self._wrap(label, original))

    def _wrap(self, label: str, function: Callable[..., object]) -> Callable[..., object]:
        def timed(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - started
        return timed

    def take(self) -> dict[str, float]:
        spent, self.spent = self.spent, {}
        return spent


def run(lines: int, repeat: int, seed: int, executemany: bool,
        say: Callable[[str], None]) -> Result:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    generated = DATA_DIR / f"oltp_generated_{lines}.sqlite"
    copy = DATA_DIR / f"oltp_copy_{lines}.sqlite"
    times: dict[str, list[float]] = {"generator": [], "insert_select": [], "executemany": []}
    cpu: dict[str, list[float]] = {"generator": [], "insert_select": []}
    load_start = os.getloadavg()[0]
    phases: dict[str, list[float]] = {}
    timer = PhaseTimer()
    stats = None
    for n in range(1, repeat + 1):
        _remove(generated)
        cpu_started = time.process_time()
        stats = generate(f"sqlite:///{generated}", lines, seed=seed, progress=False)
        cpu["generator"].append(time.process_time() - cpu_started)
        times["generator"].append(stats.seconds)
        spent = timer.take()
        spent["indexes, event keys, number ranges, commit"] = stats.seconds - sum(spent.values())
        for label, seconds in spent.items():
            phases.setdefault(label, []).append(seconds)
        say(f"[{n}/{repeat}] generator      {stats.seconds:7.1f} s "
            f"({stats.total_rows:,} rows + {stats.change_log_rows:,} change-log rows)")
        cpu_started = time.process_time()
        seconds = baseline_insert_select(generated, copy)
        cpu["insert_select"].append(time.process_time() - cpu_started)
        times["insert_select"].append(seconds)
        say(f"[{n}/{repeat}] INSERT-SELECT  {seconds:7.1f} s")
        if executemany:
            seconds = baseline_executemany(generated, copy)
            times["executemany"].append(seconds)
            say(f"[{n}/{repeat}] executemany    {seconds:7.1f} s")
    assert stats is not None
    size = generated.stat().st_size
    _remove(generated)
    return Result(stats, times, size, phases, cpu, (load_start, os.getloadavg()[0]))


def report(result: Result, args: argparse.Namespace, command: str) -> str:
    stats, times = result.stats, result.times
    rows = stats.total_rows + stats.change_log_rows
    gen = _median(times["generator"])
    base = _median(times["insert_select"])
    gen_cpu = _median(result.cpu["generator"])
    base_cpu = _median(result.cpu["insert_select"])
    goal = GOAL_SECONDS_PER_MILLION * args.lines / 1_000_000
    lines = [
        "# OLTP generator benchmark: `kubus oltp generate` vs the raw write speed of SQLite",
        "",
        f"- Command: `{command}`",
        f"- Date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        f"- Machine: {machine_info()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"page size {SQLITE_PAGE_SIZE}, {args.repeat} repetitions (medians); 1-minute load "
        f"average {result.load[0]:.2f} at the start and {result.load[1]:.2f} at the end (other "
        "work on the machine slows the wall-clock figures; the CPU column counts this "
        "process's CPU time, Python and SQLite, all threads)",
        f"- Generated: {args.lines:,} order lines, seed {args.seed}: "
        f"{stats.total_rows:,} table rows + {stats.change_log_rows:,} "
        f"change-log rows = {rows:,} rows, {result.file_bytes / 1e9:.2f} GB file",
        "- Baseline: the same rows copied with one `INSERT INTO ... SELECT` per table into a "
        "freshly migrated, identically shaped empty database (same pragmas, one transaction)"
        + (", and streamed through Python `executemany`." if times["executemany"] else "."),
        "",
        "| what | median s | rows/s | vs INSERT-SELECT | median CPU s | CPU vs INSERT-SELECT |",
        "|---|---:|---:|---:|---:|---:|",
        f"| generator (end to end) | {gen:.1f} | {rows / gen:,.0f} | {gen / base:.2f} | "
        f"{gen_cpu:.1f} | {gen_cpu / base_cpu:.2f} |",
        f"| baseline INSERT-SELECT | {base:.1f} | {rows / base:,.0f} | 1.00 | {base_cpu:.1f} | "
        "1.00 |",
    ]
    if times["executemany"]:
        many = _median(times["executemany"])
        lines.append(f"| baseline executemany | {many:.1f} | {rows / many:,.0f} | "
                     f"{many / base:.2f} | | |")
    verdict = "met" if gen <= goal else "NOT met"
    lines += [
        "",
        f"Goal (60 s per million lines): {args.lines:,} lines in <= {goal:.0f} s: "
        f"**{verdict}** (median {gen:.1f} s).",
        "",
        "Where the generator's time goes (medians of the phases, wall clock):",
        "",
        "| phase | median s |",
        "|---|---:|",
        *(f"| {label} | {_median(values):.1f} |" for label, values in result.phases.items()),
        "",
        "Reading the figures: the INSERT-SELECT baseline only copies finished rows inside "
        "SQLite, so it is a floor no generator reaches. The generator also simulates the "
        "history, hands the primary documents to SQLite through Python `executemany` of "
        "multi-row `INSERT ... VALUES` statements (128 rows each; about half of the rows; "
        "SQLite derives the big document-flow and accounting-line groups and "
        "the goods-issue items itself with `INSERT ... SELECT`), rebuilds the secondary "
        "indexes, and builds the change log block by block. About half of all rows written are "
        "change-log rows: one per row, as the services' unit of work logs them, so the "
        "warehouse can load the history through its ordinary delta path. On a busy machine "
        "the wall clock stretches while the CPU time stays put: compare the CPU ratio with "
        "earlier runs.",
        "",
        "All runs (seconds): " + "; ".join(
            f"{name} {', '.join(f'{v:.1f}' for v in values)}"
            for name, values in times.items() if values),
        "CPU seconds: " + "; ".join(
            f"{name} {', '.join(f'{v:.1f}' for v in values)}"
            for name, values in result.cpu.items() if values),
        "",
        "Rows per table:",
        "",
        "| table | rows |",
        "|---|---:|",
        *(f"| {table} | {count:,} |" for table, count in sorted(
            stats.rows.items(), key=lambda kv: -kv[1])),
        f"| change_log | {stats.change_log_rows:,} |",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--executemany", action="store_true",
                        help="also time the Python executemany baseline (slow)")
    parser.add_argument("--out", type=Path, help="write the Markdown report here")
    args = parser.parse_args()
    command = "python bench/bench_generator.py " + shlex.join(sys.argv[1:])
    result = run(args.lines, args.repeat, args.seed, args.executemany, print)
    text = report(result, args, command)
    print()
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
