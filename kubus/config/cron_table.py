"""The cron table of scheduled jobs: crontab lines read into frozen entries.

The format is crontab's (as cronie reads it), one job per line::

    # comments and blank lines are ignored
    CRON_TZ=Europe/Berlin                   # the zone of the lines below it
    0 * * * *    backorder                  # five fields, then the job name
    30 2 * * 1-5 backorder sort_by=requested materials=M1,M2
    @daily       stock-snapshot             # @hourly @daily @midnight @weekly @monthly @yearly
    @every 30s   etl-delta                  # not crontab: a fixed interval (s, m or h)

After the five schedule fields (minute, hour, day of month, month, day of week) come the job
name and ``key=value`` parameters (shell-quoted when a value has blanks: ``note="a b"``).
``CRON_TZ=`` applies to every following line until the next one; lines before the first give
no zone (the scheduler's default applies). A job appears on one line only.

This module only reads the file (stdlib only, like all of ``kubus.config``): it checks the
line structure, names, parameters and time zones and reports every bad line at once with its
line number. Whether the five fields are a valid schedule and whether the job and its
parameters exist is checked by the server (``kubus.server.jobs``), again per line. Example::

    table = read_cron_table(DEFAULT_CRON_FILE)
    [(e.line, e.schedule, e.job, e.params) for e in table.entries]
    # [(12, '0 * * * *', 'backorder', (('dry_run', 'false'),))]
"""

from __future__ import annotations

import re
import shlex
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_CRON_FILE", "MACROS", "CronEntry", "CronTable", "CronTableError",
           "parse_cron_table", "parse_params", "read_cron_table"]

#: ``@every`` intervals: a positive whole number of seconds, minutes or hours.
_INTERVAL = re.compile(r"^[1-9][0-9]*[smh]$")

#: The cron table shipped with Kubus (``[scheduler] cron_file`` defaults to it).
DEFAULT_CRON_FILE = Path(__file__).with_name("jobs.cron")

#: cronie's nicknames and the five fields they stand for (``@reboot`` has no meaning here).
MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_JOB_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
# Characters a cron field may contain (numbers, names, * / , - and APScheduler's extras).
_FIELD = re.compile(r"^[A-Za-z0-9*/,#-]+$")


@dataclass(frozen=True)
class CronEntry:
    """One job line: where it is, its five schedule fields, job name, parameters and zone."""

    source: str
    line: int
    #: The five fields, single-spaced (a ``@daily`` macro is expanded).
    schedule: str
    job: str
    #: ``(key, value)`` pairs as written, in order; values are strings.
    params: tuple[tuple[str, str], ...] = ()
    #: ``CRON_TZ`` in effect, or ``None``: the scheduler's default zone.
    timezone: str | None = None

    @property
    def where(self) -> str:
        """``jobs.cron:12``: the prefix of messages about this line."""
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class CronTable:
    """Every job line of a cron file, in file order."""

    source: str
    entries: tuple[CronEntry, ...] = ()

    def entry(self, job: str) -> CronEntry | None:
        """The line of ``job``, or ``None`` when the table does not schedule it."""
        return next((e for e in self.entries if e.job == job), None)


class CronTableError(ValueError):
    """A cron table with bad lines; ``problems`` has one ``file:line: message`` each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def parse_params(tokens: Sequence[str]) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """``key=value`` tokens as pairs, plus one message per bad token (malformed, bad name,
    repeated key). Example::

        parse_params(["dry_run=true", "plants=1000"])
        # ((('dry_run', 'true'), ('plants', '1000')), [])
    """
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep:
            problems.append(f"expected key=value, got {token!r}")
        elif not _PARAM_NAME.match(key):
            problems.append(f"parameter name {key!r}: expected lower-case letters, digits "
                            "and _ (starting with a letter or _)")
        elif any(key == k for k, _ in pairs):
            problems.append(f"parameter {key!r} is given twice")
        else:
            pairs.append((key, value))
    return tuple(pairs), problems


def _check_timezone(name: str) -> str | None:
    """A problem with the zone ``name``, or ``None`` when it is a known IANA zone."""
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return (f"CRON_TZ: unknown time zone {name!r}, expected an IANA name such as "
                "'UTC' or 'Europe/Berlin'")
    return None


def _split(text: str) -> list[str] | str:
    """The words of a line (shell rules, ``#`` starts a comment), or a problem."""
    try:
        return shlex.split(text, comments=True)
    except ValueError as exc:
        return f"cannot split the line into words: {exc}"


def _job_line(words: list[str]) -> tuple[str, list[str]] | str:
    """``(schedule, rest)`` of a job line's words, or a problem."""
    if words[0].lower() == "@every":
        # Not crontab: a fixed interval for what runs more often than once a minute (a
        # near-real-time delta load, tests), as in Go's cron packages.
        if len(words) < 3 or not _INTERVAL.match(words[1]):
            return ("@every needs an interval such as 30s, 5m or 2h, then a job name, got "
                    f"{' '.join(words)!r}")
        return f"@every {words[1]}", words[2:]
    if words[0].startswith("@"):
        macro = words[0].lower()
        if macro not in MACROS:
            return (f"unknown nickname {words[0]!r}, expected one of "
                    f"{', '.join(MACROS)} or five schedule fields")
        return MACROS[macro], words[1:]
    fields = words[:5]
    if len(words) == 5 and all(_FIELD.match(f) for f in fields):
        return "a job name must follow the five schedule fields"
    if len(words) < 6 or not all(_FIELD.match(f) for f in fields):
        return ("expected five schedule fields (minute hour day-of-month month day-of-week) "
                f"and a job name, got {' '.join(words)!r}")
    return " ".join(fields), words[5:]


def parse_cron_table(text: str, source: str = "<cron>") -> CronTable:
    """The entries of a cron table's ``text``; :class:`CronTableError` lists every bad line
    (``source:line: message``)."""
    entries: list[CronEntry] = []
    problems: list[str] = []
    zone: str | None = None
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{source}:{number}"
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        assignment = _ASSIGNMENT.match(stripped)
        if assignment and not stripped.startswith("@"):
            name, value = assignment.group(1), assignment.group(2).strip().strip("'\"")
            if name != "CRON_TZ":
                problems.append(f"{where}: unknown setting {name!r}; only CRON_TZ=<zone> "
                                "may be set in a Kubus cron table")
                continue
            problem = _check_timezone(value)
            if problem:
                problems.append(f"{where}: {problem}")
            zone = value or None
            continue
        words = _split(stripped)
        if isinstance(words, str):
            problems.append(f"{where}: {words}")
            continue
        parsed = _job_line(words)
        if isinstance(parsed, str):
            problems.append(f"{where}: {parsed}")
            continue
        schedule, rest = parsed
        if not rest:
            problems.append(f"{where}: a job name must follow the schedule")
            continue
        job, tokens = rest[0], rest[1:]
        line_problems = []
        if not _JOB_NAME.match(job):
            line_problems.append(f"job name {job!r}: expected lower-case letters, digits, - "
                                 "and _, starting with a letter")
        elif job in seen:
            line_problems.append(f"job {job!r} is already scheduled on line {seen[job]}; "
                                 "a job appears on one line only")
        params, bad = parse_params(tokens)
        line_problems.extend(bad)
        if line_problems:
            problems.extend(f"{where}: {p}" for p in line_problems)
            continue
        seen[job] = number
        entries.append(CronEntry(source, number, schedule, job, params, zone))
    if problems:
        raise CronTableError(problems)
    return CronTable(source, tuple(entries))


def read_cron_table(path: str | Path) -> CronTable:
    """The cron table in the file ``path`` (UTF-8); a missing or unreadable file is a
    :class:`CronTableError` as well."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CronTableError([f"{file}: cannot read the cron table: {exc}"]) from None
    return parse_cron_table(text, str(file))
