"""Settings values: accepted choices, value converters and what each section accepts.

A converter turns one value from a settings file, the environment or an override into its
type, or raises :class:`_Invalid` saying what was expected; the option tables give the
converter of every key a section accepts. :mod:`kubus.config.settings` and its readers share
them, and ``docs/settings.md`` documents every key.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

Converter: TypeAlias = Callable[[Any], Any]

#: The ``/info`` keys taken from ``[info]`` or ``info_file``, in response order (slicer-api §1.4).
INFO_KEYS = ("name", "label", "description", "copyright", "license", "maintainer",
             "contributors", "visualizers", "keywords", "related")
AUTHENTICATION_METHODS = ("none", "pass_parameter", "http_basic_proxy", "admin_admin")
AUTHORIZATION_METHODS = ("simple",)
STORE_TYPES = ("sql", "slicer")
LOG_LEVELS = ("critical", "error", "warn", "warning", "info", "debug")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_STORE = "default"
DEFAULT_NAMESPACE = "default"


# --- value converters ---------------------------------------------------------------------------


class _Invalid(Exception):
    """A value that does not convert; ``expected`` completes "expected ..."."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


_TRUE = frozenset({"yes", "true", "on", "1"})
_FALSE = frozenset({"no", "false", "off", "0"})


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _Invalid("a boolean (yes/no, true/false, on/off, 1/0)")


def to_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _Invalid("an integer")


def to_positive_int(value: Any) -> int:
    number = to_int(value)
    if number < 1:
        raise _Invalid("an integer of at least 1")
    return number


def to_port(value: Any) -> int:
    number = to_int(value)
    if not 0 <= number <= 65535:
        raise _Invalid("a port number from 0 to 65535")
    return number


def to_seconds(value: Any) -> float:
    expected = "a number of seconds (0 = no limit)"
    if isinstance(value, bool):
        raise _Invalid(expected)
    try:
        seconds = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise _Invalid(expected) from None
    if not math.isfinite(seconds) or seconds < 0:
        raise _Invalid(expected)
    return seconds


def to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _Invalid("a string")


def to_optional_str(value: Any) -> str | None:
    """A string; empty means unset (INI cannot spell null)."""
    text = to_str(value).strip()
    return text or None


def to_path(value: Any) -> Path:
    text = to_str(value).strip()
    if not text:
        raise _Invalid("a path")
    return Path(text).expanduser()


def to_weekday(value: Any) -> int:
    """A weekday name (``monday``, ``mon``) or number, 0 = Monday."""
    if isinstance(value, str):
        text = value.strip().lower()
        for number, name in enumerate(WEEKDAYS):
            if text in (name, name[:3]):
                return number
    try:
        number = to_int(value)
    except _Invalid:
        number = -1
    if 0 <= number <= 6:
        return number
    raise _Invalid("a weekday name (monday ... sunday) or a number from 0 (Monday) to 6")


def to_timezone(value: Any) -> str | None:
    name = to_optional_str(value)
    if name is None:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise _Invalid("an IANA time zone name such as 'UTC' or 'Europe/Bratislava'") from None
    return name


def one_of(*choices: str) -> Converter:
    def convert(value: Any) -> str:
        if isinstance(value, str) and value.strip().lower() in choices:
            return value.strip().lower()
        raise _Invalid("one of " + ", ".join(choices))

    return convert


# --- what each section accepts ------------------------------------------------------------------

SERVER_OPTIONS: dict[str, Converter] = {
    "host": to_str,
    "port": to_port,
    "prettyprint": to_bool,
    "json_record_limit": to_positive_int,
    "allow_cors_origin": to_optional_str,
    "hide_private_cuts": to_bool,
    "threads": to_positive_int,
    "debug": to_bool,
    "visualizer": to_optional_str,
    "authentication": one_of(*AUTHENTICATION_METHODS),
    "statement_timeout": to_seconds,
    "result_cache": to_bool,
}

#: slicer.ini ``[server]`` keys of Cubes 1.1 that Kubus accepts, checks and ignores.
SLICER_INI_IGNORED_SERVER_OPTIONS: dict[str, Converter] = {
    "reload": to_bool,
    "processes": to_positive_int,
    "pid_file": to_str,
    "modules": to_str,
    "asynchronous_logging": to_bool,
}

WORKSPACE_OPTIONS: dict[str, Converter] = {
    "timezone": to_timezone,
    "first_weekday": to_weekday,
    "root_directory": to_path,
    "models_directory": to_path,
    "info_file": to_path,
    "authorization": one_of(*AUTHORIZATION_METHODS),
    "log": to_path,
    "log_level": one_of(*LOG_LEVELS),
}

#: Options of SQL stores and of ``[browser]`` (slicer-api §3.9, §3.10).
SQL_NAMING_OPTIONS = (
    "schema", "fact_schema", "dimension_schema", "aggregate_schema",
    "fact_prefix", "fact_suffix", "dimension_prefix", "dimension_suffix",
    "dimension_key_prefix", "dimension_key_suffix", "fact_key", "dimension_key",
    "denormalized_prefix", "denormalized_suffix", "aggregated_prefix", "aggregated_suffix",
)
SQL_FLAG_OPTIONS = (
    "explicit_dimension_primary", "include_summary", "include_cell_count",
    "use_denormalization", "is_denormalized", "safe_labels", "exclude_null_agregates",
)
BROWSER_OPTIONS: dict[str, Converter] = {
    **dict.fromkeys(SQL_NAMING_OPTIONS, to_str),
    **dict.fromkeys(SQL_FLAG_OPTIONS, to_bool),
}
SQL_STORE_OPTIONS: dict[str, Converter] = {**BROWSER_OPTIONS, "model_provider": to_str}
#: ``sqlalchemy_<name>`` engine options with a known type; other names pass as strings.
SQLALCHEMY_OPTIONS: dict[str, Converter] = {
    "pool_size": to_int, "max_overflow": to_int, "pool_timeout": to_int, "pool_recycle": to_int,
    "echo": to_bool, "echo_pool": to_bool, "pool_pre_ping": to_bool,
}
SLICER_STORE_OPTIONS: dict[str, Converter] = {
    "authentication": one_of("none", "pass_parameter"),
    "auth_identity": to_str,
    "auth_parameter": to_str,
    "username": to_str,
    "password": to_str,
    "model_provider": to_str,
}
#: Keys of a store section that are not store options.
STORE_KEYS = ("type", "url", "model", "namespace")

#: ``[oltp]``: the transactional database (one source system) and its JSON API.
OLTP_OPTIONS: dict[str, Converter] = {
    "url": to_optional_str,
    "api": to_bool,
    "auto_upgrade": to_bool,
    "availability": one_of("atp", "stock"),
}
#: The OLTP database file in ``data_dir`` when ``[oltp] url`` is not set.
OLTP_DEFAULT_FILE = "oltp.sqlite"

#: ``[etl]``: the warehouse load (``docs/warehouse.md``).
ETL_OPTIONS: dict[str, Converter] = {
    "warehouse_url": to_optional_str,
    "group_currency": to_str,
    "reconciliation": to_bool,
}
#: The warehouse file in ``data_dir`` when ``[etl] warehouse_url`` is not set.
WAREHOUSE_DEFAULT_FILE = "warehouse.duckdb"

#: ``[scheduler]``: the job runner (cron table, time zone, run records and locks).
SCHEDULER_OPTIONS: dict[str, Converter] = {
    "enabled": to_bool,
    "cron_file": to_path,
    "timezone": to_timezone,
    "store_url": to_optional_str,
    "misfire_grace_time": to_seconds,
    "lock_timeout": to_seconds,
    "workers": to_positive_int,
}
#: The job store file in ``data_dir`` when ``[scheduler] store_url`` is not set.
JOBS_DEFAULT_FILE = "jobs.sqlite"

AUTHORIZATION_OPTIONS: dict[str, Converter] = {
    "rights_file": to_path,
    "roles_file": to_path,
    "order": one_of("deny_allow", "allow_deny"),
    "guest": to_str,
    "identity_dimension": to_str,
}
