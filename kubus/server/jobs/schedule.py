"""The cron table checked against the job catalog and turned into APScheduler triggers.

Each line's five fields become a trigger by ``CronTrigger.from_crontab`` with two corrections
so that the file means what it means to cron:

* day of week: APScheduler 3 counts 0 = Monday, crontab 0 (and 7) = Sunday. Numbers, names
  and steps are read the crontab way and passed on as names (``1-5`` → ``mon,tue,...,fri``;
  ``*/2`` → Sunday, Tuesday, Thursday, Saturday).
* when both day of month and day of week are restricted, cron runs on days matching *either*
  (``0 0 1 * 1``: the 1st and every Monday); APScheduler would need both. Such a line
  becomes an ``OrTrigger`` of the two.

Every problem of every line is reported at once with its ``file:line``. Example::

    jobs = build_schedule(read_cron_table(path), JOBS, ZoneInfo("Europe/Berlin"))
    jobs[0].trigger.get_next_fire_time(None, now)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from kubus.config.cron_table import CronEntry, CronTable
from kubus.server.jobs.catalog import JobParamError, JobSpec

__all__ = ["ScheduleError", "ScheduledJob", "build_schedule", "cron_trigger"]

_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleError(ValueError):
    """Cron lines the server cannot run; ``problems`` has one ``file:line: message`` each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class ScheduledJob:
    """A cron line ready to run: the job, its line, trigger and converted parameters."""

    spec: JobSpec
    entry: CronEntry
    trigger: BaseTrigger
    kwargs: Mapping[str, Any]
    timezone: ZoneInfo

    @property
    def name(self) -> str:
        return self.spec.name


def _cron_day(token: str) -> int:
    text = token.strip().lower()
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text[:3] in _CRON_DAYS and len(text) == 3:
        return _CRON_DAYS.index(text)
    raise ValueError(f"day of week: expected 0-7 (0 and 7 = Sunday) or sun-sat, got {token!r}")


def _weekdays(field: str) -> str:
    """A crontab day-of-week field as APScheduler day names (``*`` stays ``*``)."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        base, slash, step_text = item.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) > 0):
            raise ValueError(f"day of week: bad step in {item!r}")
        step = int(step_text) if slash else 1
        # crontab's day-of-week range is 0-7 (both Sunday): ``*`` and ``N/step`` run to 7.
        if base == "*":
            low, high = 0, 7
        elif "-" in base:
            first, last = base.split("-", 1)
            low, high = _cron_day(first), _cron_day(last)
        else:
            low = _cron_day(base)
            high = 7 if slash else low
        if low > high:
            raise ValueError(f"day of week: range {base!r} runs backwards")
        days.update(day % 7 for day in range(low, high + 1, step))
    # APScheduler's order is Monday first; Sunday (0) goes last.
    return ",".join(_CRON_DAYS[d] for d in sorted(days, key=lambda d: (d + 6) % 7))


def cron_trigger(schedule: str, timezone: ZoneInfo) -> BaseTrigger:
    """The trigger of five crontab fields in ``timezone`` (module docstring); ``ValueError``
    says what is wrong."""
    fields = schedule.split()
    if fields[:1] == ["@every"] and len(fields) == 2:
        unit = {"s": 1, "m": 60, "h": 3600}[fields[1][-1]]
        return IntervalTrigger(seconds=int(fields[1][:-1]) * unit, timezone=timezone)
    if len(fields) != 5:
        raise ValueError(f"expected five fields, got {len(fields)}")
    minute, hour, day, month, weekday = fields
    days = _weekdays(weekday)
    if day != "*" and weekday != "*":
        return OrTrigger([
            CronTrigger.from_crontab(f"{minute} {hour} {day} {month} *", timezone=timezone),
            CronTrigger.from_crontab(f"{minute} {hour} * {month} {days}", timezone=timezone)])
    return CronTrigger.from_crontab(f"{minute} {hour} {day} {month} {days}",
                                    timezone=timezone)


def build_schedule(table: CronTable, catalog: Mapping[str, JobSpec],
                   default_timezone: ZoneInfo) -> tuple[ScheduledJob, ...]:
    """The scheduled jobs of ``table``; :class:`ScheduleError` lists every line naming an
    unknown job, with an invalid schedule or with bad parameters."""
    jobs: list[ScheduledJob] = []
    problems: list[str] = []
    for entry in table.entries:
        spec = catalog.get(entry.job)
        if spec is None:
            problems.append(f"{entry.where}: unknown job {entry.job!r} (jobs: "
                            f"{', '.join(sorted(catalog)) or 'none'})")
            continue
        zone = ZoneInfo(entry.timezone) if entry.timezone else default_timezone
        try:
            trigger = cron_trigger(entry.schedule, zone)
        except ValueError as exc:
            problems.append(f"{entry.where}: schedule {entry.schedule!r}: {exc}")
            continue
        try:
            kwargs = spec.bind(entry.params)
        except JobParamError as exc:
            problems.extend(f"{entry.where}: {p}" for p in exc.problems)
            continue
        jobs.append(ScheduledJob(spec, entry, trigger, kwargs, zone))
    if problems:
        raise ScheduleError(problems)
    return tuple(jobs)
