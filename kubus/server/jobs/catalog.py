"""The jobs that exist: name → function ``(context, **params) -> rows``, with typed parameters.

Adding a job is one :class:`JobSpec` in :data:`JOBS` (and a line in the cron table to
schedule it). The function gets a :class:`JobContext` — the engines it may use and the
business date — plus the parameters of its cron line or of the manual run, already converted
by the spec's :class:`JobParam` parsers, and returns how many rows it wrote (or would write).
A job raises to fail: the runner records the error; nothing it raises stops the scheduler.
Example::

    def snapshot_job(context: JobContext, *, full: bool = False) -> int:
        return take_stock_snapshot(context.warehouse_engine(), context.source(),
                                   day=context.today, full=full)

    JOBS = (..., JobSpec("stock-snapshot", snapshot_job, "Daily stock snapshot",
                         (JobParam("full", parse_bool, "rebuild all days"),)))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from kubus.scheduling.backorder import SortDate

__all__ = [
    "JOBS",
    "JobContext",
    "JobParam",
    "JobParamError",
    "JobSetupError",
    "JobSpec",
    "parse_bool",
    "parse_choice",
    "parse_list",
    "parse_text",
]

#: A job: ``function(context, **params) -> rows written``.
JobFunction = Callable[..., int]

#: The source system name of the ``[oltp]`` database in :attr:`JobContext.oltp`.
DEFAULT_SOURCE = "default"


class JobSetupError(RuntimeError):
    """A job cannot run in this setup (no OLTP database, no warehouse): recorded as failed."""


class JobParamError(ValueError):
    """Bad parameters for a job; ``problems`` has one message per parameter."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class JobContext:
    """What a run gets: engines and the business date (``today`` in the scheduler's zone).

    ``oltp`` maps source system names to OLTP engines (``"default"`` is ``[oltp] url``);
    ``warehouse`` is the warehouse engine (the default store), if any.
    """

    oltp: Mapping[str, sa.Engine]
    warehouse: sa.Engine | None
    today: date
    #: Start of the run, aware, in the scheduler's zone.
    now: datetime
    run_id: int
    #: ``cron`` or ``manual``.
    trigger: str
    #: The server's settings (source systems, ``[etl]``), when the runner was built from them.
    settings: Any = None
    #: The availability check order entry uses (channel orders); None: stock only.
    checker: Any = None

    def source(self, name: str | None = None) -> sa.Engine:
        """The OLTP engine of source system ``name`` (default: the only or the default one).
        Raises :class:`JobSetupError` if there is none."""
        if name is None:
            if len(self.oltp) == 1:
                return next(iter(self.oltp.values()))
            name = DEFAULT_SOURCE
        engine = self.oltp.get(name)
        if engine is None:
            known = ", ".join(self.oltp) or "none"
            raise JobSetupError(f"no OLTP database for source system {name!r} (configured: "
                                f"{known}); set [oltp] url or run `kubus oltp upgrade`")
        return engine

    def warehouse_engine(self) -> sa.Engine:
        """The warehouse engine; :class:`JobSetupError` if none is configured."""
        if self.warehouse is None:
            raise JobSetupError("no warehouse: configure the default store ([stores.default] "
                                "url)")
        return self.warehouse


# -- parameter parsers: a cron-table string to the function's argument ------------------------

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected true or false")


def parse_text(text: str) -> str:
    if not text.strip():
        raise ValueError("expected a non-empty value")
    return text.strip()


def parse_list(text: str) -> tuple[str, ...]:
    """``M1,M2`` as ``("M1", "M2")``."""
    items = tuple(part.strip() for part in text.split(","))
    if not all(items):
        raise ValueError("expected a comma-separated list without empty items")
    return items


def parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip() not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return text.strip()

    return parse


@dataclass(frozen=True)
class JobParam:
    """A parameter of a job: its name, the parser of its text and what it means."""

    name: str
    parse: Callable[[str], Any]
    description: str


@dataclass(frozen=True)
class JobSpec:
    """A job: its name (as in the cron table and the URLs), function, description and
    parameters."""

    name: str
    function: JobFunction
    description: str
    params: tuple[JobParam, ...] = field(default=())
    #: Scheduled only where a warehouse is configured (``[etl]`` or source systems), so a
    #: server without one never starts writing a warehouse because of the shipped cron table.
    needs_warehouse: bool = False

    def bind(self, params: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """``(key, text)`` pairs as keyword arguments of the function; :class:`JobParamError`
        names every unknown or malformed one."""
        known = {p.name: p for p in self.params}
        values: dict[str, Any] = {}
        problems = []
        for key, text in params:
            param = known.get(key)
            if param is None:
                names = ", ".join(known) or "none"
                problems.append(f"job {self.name} has no parameter {key!r} (parameters: "
                                f"{names})")
                continue
            try:
                values[key] = param.parse(text)
            except ValueError as exc:
                problems.append(f"parameter {key}={text!r}: {exc}")
        if problems:
            raise JobParamError(problems)
        return values


# -- the jobs ----------------------------------------------------------------------------------


def backorder_job(context: JobContext, *, dry_run: bool = False,
                  materials: tuple[str, ...] | None = None,
                  plants: tuple[str, ...] | None = None, sort_by: str = "created",
                  source: str | None = None) -> int:
    """Backorder processing over an OLTP database (``kubus atp backorder``): the schedule
    lines written (dry run: that would be written)."""
    from kubus.scheduling.oltp_backorder import run_backorder

    report = run_backorder(context.source(source), today=context.today, dry_run=dry_run,
                           sort_by=SortDate(sort_by), materials=materials, plants=plants)
    return report.lines_updated + report.lines_inserted


BACKORDER = JobSpec(
    "backorder", backorder_job,
    "Backorder processing: re-check the confirmations of open sales-order items by delivery "
    "priority and date and save the changed schedule lines (domain.md §2.4).",
    (JobParam("dry_run", parse_bool, "only count the changes, save nothing (default false)"),
     JobParam("materials", parse_list, "only these materials, comma-separated (default all)"),
     JobParam("plants", parse_list, "only these plants, comma-separated (default all)"),
     JobParam("sort_by", parse_choice("created", "requested"),
              "date ordering items of equal priority: created (default) or requested"),
     JobParam("source", parse_text, "source system (default: the [oltp] database)")))

#: Every job Kubus knows, by name. Add a job here; schedule it in the cron table.
def _all_jobs() -> Mapping[str, JobSpec]:
    from kubus.server.jobs.business_jobs import BUSINESS_JOBS

    return {spec.name: spec for spec in (BACKORDER, *BUSINESS_JOBS)}


JOBS: Mapping[str, JobSpec] = _all_jobs()
