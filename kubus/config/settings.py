"""Typed Kubus settings, read from a Kubus TOML file or a Cubes ``slicer.ini``.

Layers, the last one winning: the dataclass defaults, one settings file (``*.toml`` is Kubus
TOML, anything else is read as a Cubes ``slicer.ini``), ``KUBUS_<SECTION>_<KEY>`` environment
variables, then explicit overrides from the command line (:func:`with_overrides`).

Every value is checked once, at startup. All problems are collected and raised together as one
:class:`SettingsError` whose lines name the file, section and key and say what was expected::

    slicer.ini [server] port: expected an integer, got 'abc'

Relative paths in a file resolve against the workspace root: ``[workspace] root_directory``
(itself relative to the file's directory), or else the directory of the file. Paths given in the
environment or as overrides are relative to the current directory. Every setting is listed in
``docs/settings.md``; a test fails when a field is missing there.

Why over 800 lines: the slicer.ini reader, the TOML reader, the environment reader and the one
validating builder they share were written as one unit. They split cleanly along the ``# ---``
sections (slicer.ini reader, TOML reader, builder) if it grows further.
"""

from __future__ import annotations

import configparser
import difflib
import json
import math
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeAlias

__all__ = [
    "AUTHENTICATION_METHODS",
    "INFO_KEYS",
    "ModelSource",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "StoreSettings",
    "WorkspaceSettings",
    "load_settings",
    "with_overrides",
]

StoreOption: TypeAlias = str | bool | int
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


# --- the settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSettings:
    """``[server]``: the HTTP server and the Slicer API."""

    host: str = "127.0.0.1"
    port: int = 5000
    prettyprint: bool = False
    json_record_limit: int = 1000
    allow_cors_origin: str | None = None
    hide_private_cuts: bool = False
    threads: int = 8
    debug: bool = False
    visualizer: str | None = None
    authentication: str = "none"
    #: Seconds a query may run; ``0`` means no limit.
    statement_timeout: float = 30.0
    result_cache: bool = True


@dataclass(frozen=True)
class WorkspaceSettings:
    """``[workspace]`` plus ``[info]``: calendar, paths, server info, authorizer, logging."""

    timezone: str | None = None
    #: 0 = Monday ... 6 = Sunday.
    first_weekday: int = 0
    root_directory: Path | None = None
    models_directory: Path | None = None
    #: The ten ``INFO_KEYS`` (``None`` when missing), or ``None`` without ``[info]``/``info_file``.
    info: dict[str, Any] | None = None
    authorization: str | None = None
    log: Path | None = None
    log_level: str | None = None


@dataclass(frozen=True)
class StoreSettings:
    """One data store; the store named ``"default"`` serves models that name no store."""

    name: str
    type: str = "sql"
    url: str | None = None
    #: Naming options (slicer-api §3.9), result options (§3.10) and ``sqlalchemy_*`` options.
    options: dict[str, StoreOption] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSource:
    """A model file or bundle directory to load, with its store and namespace.

    ``store`` ``None`` means the model's own ``store`` key, else the default store; ``namespace``
    ``None`` means the global namespace (cubes served without a ``ns.`` prefix).
    """

    path: Path
    store: str | None = None
    namespace: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything Kubus reads at startup."""

    data_dir: Path = Path("./var")
    server: ServerSettings = field(default_factory=ServerSettings)
    workspace: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    stores: dict[str, StoreSettings] = field(default_factory=dict)
    models: tuple[ModelSource, ...] = ()
    #: Options of the authenticator (``[authentication]``), e.g. ``{"parameter": "token"}``.
    authentication_options: dict[str, str] = field(default_factory=dict)
    #: Options of the authorizer (``[authorization]``); file paths are absolute.
    authorization_options: dict[str, str] = field(default_factory=dict)
    #: Default browser options of every cube (``[browser]``).
    browser_options: dict[str, StoreOption] = field(default_factory=dict)
    #: Metadata translations: language -> namespace (``"default"`` = global) -> file.
    locales: dict[str, dict[str, Path]] = field(default_factory=dict)
    #: The settings file read, if any.
    source: Path | None = None
    #: Things accepted but worth knowing (deprecated or ignored keys and sections).
    warnings: tuple[str, ...] = ()

    @property
    def default_store(self) -> StoreSettings | None:
        return self.stores.get(DEFAULT_STORE)


class SettingsError(ValueError):
    """Invalid settings. ``problems`` has one line per problem; the message joins them."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


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

AUTHORIZATION_OPTIONS: dict[str, Converter] = {
    "rights_file": to_path,
    "roles_file": to_path,
    "order": one_of("deny_allow", "allow_deny"),
    "guest": to_str,
    "identity_dimension": to_str,
}


# --- the raw layer: every value with where it came from -----------------------------------------


@dataclass
class _Entry:
    value: Any
    #: Prefix of messages about this value: ``slicer.ini [server] port``.
    where: str
    #: Directory a relative path resolves against; ``None``: the workspace root (file values).
    base: Path | None = None


@dataclass
class _Raw:
    """Values gathered from all layers before conversion, plus what was found on the way."""

    directory: Path
    sections: dict[str, dict[str, _Entry]] = field(default_factory=dict)
    section_where: dict[str, str] = field(default_factory=dict)
    models: list[tuple[_Entry, str | None, str | None]] = field(default_factory=list)
    locales: dict[str, dict[str, _Entry]] = field(default_factory=dict)
    source: Path | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def put(self, section: str, key: str, value: Any, where: str,
            base: Path | None = None) -> None:
        self.sections.setdefault(section, {})[key] = _Entry(value, where, base)

    def section(self, name: str, where: str) -> dict[str, _Entry]:
        self.section_where.setdefault(name, where)
        return self.sections.setdefault(name, {})


def _suggestion(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _convert(raw: _Raw, entries: Mapping[str, _Entry],
             spec: Mapping[str, Converter]) -> dict[str, Any]:
    """Convert ``entries`` by ``spec``; unknown keys and bad values become problems."""
    values: dict[str, Any] = {}
    for key, entry in entries.items():
        converter = spec.get(key)
        if converter is None:
            raw.problems.append(f"{entry.where}: unknown key{_suggestion(key, spec)}")
            continue
        try:
            values[key] = converter(entry.value)
        except _Invalid as exc:
            raw.problems.append(f"{entry.where}: expected {exc.expected}, got {entry.value!r}")
    return values


# --- slicer.ini ---------------------------------------------------------------------------------


def _read_ini_file(path: Path, label: str, raw: _Raw) -> configparser.ConfigParser | None:
    # No interpolation: URLs with percent-encoded passwords must pass unchanged.
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8-sig") as handle:
            parser.read_file(handle, source=label)
    except FileNotFoundError:
        raw.problems.append(f"{label}: no such file")
    except (OSError, UnicodeDecodeError) as exc:
        raw.problems.append(f"{label}: cannot read the file: {exc}")
    except configparser.Error as exc:
        raw.problems.append(f"{label}: {exc}".replace("\n", " "))
    else:
        return parser
    return None


def _ini_root(parser: configparser.ConfigParser, directory: Path) -> Path:
    root = parser.get("workspace", "root_directory", fallback="").strip()
    return (directory / Path(root).expanduser()) if root else directory


def _read_slicer_ini(path: Path, raw: _Raw) -> None:
    label = str(path)
    parser = _read_ini_file(path, label, raw)
    if parser is None:
        return
    root = _ini_root(parser, raw.directory)
    for section in parser.sections():
        items = dict(parser.items(section))
        where = f"{label} [{section}]"
        handler = _INI_SECTIONS.get(section)
        if handler is not None:
            handler(raw, items, where, root)
        elif section.startswith(("store ", "store_")):
            _ini_store(raw, section[6:].strip(), items, where)
        elif section.startswith("locale"):
            _ini_locale(raw, section, items, where)
        elif section.startswith("query_log"):
            raw.warnings.append(f"{where}: request logging is not supported; section ignored")
        else:
            raw.warnings.append(f"{where}: section not used by Kubus; ignored")


def _ini_server(raw: _Raw, items: dict[str, str], where: str, root: Path) -> None:
    raw.section("server", where)
    for key, value in items.items():
        ignored = SLICER_INI_IGNORED_SERVER_OPTIONS.get(key)
        if ignored is None:
            raw.put("server", key, value, f"{where} {key}")
            continue
        try:
            ignored(value)
        except _Invalid as exc:
            raw.problems.append(f"{where} {key}: expected {exc.expected}, got {value!r}")
        else:
            raw.warnings.append(f"{where} {key}: accepted for Cubes compatibility, ignored")


def _ini_workspace(raw: _Raw, items: dict[str, str], where: str, root: Path) -> None:
    raw.section("workspace", where)
    for key, value in items.items():
        if key == "models_path":
            if "models_directory" in items:
                raw.warnings.append(f"{where} models_path: ignored, models_directory is set")
            else:
                raw.put("workspace", "models_directory", value, f"{where} models_path")
        elif key == "stores_file":
            _ini_stores_file(raw, value, f"{where} {key}", root)
        elif key == "model":
            # The docs' [workspace] model, ignored by 1.1 (no cubes at all): we load it.
            raw.models.append((_Entry(value, f"{where} model"), None, None))
            raw.warnings.append(f"{where} model: deprecated, use [model] path")
        else:
            raw.put("workspace", key, value, f"{where} {key}")


def _ini_stores_file(raw: _Raw, value: str, where: str, root: Path) -> None:
    try:
        path = root / to_path(value)
    except _Invalid as exc:
        raw.problems.append(f"{where}: expected {exc.expected}, got {value!r}")
        return
    parser = _read_ini_file(path, str(path), raw)
    if parser is not None:
        for section in parser.sections():
            _ini_store(raw, section, dict(parser.items(section)), f"{path} [{section}]")


def _ini_store(raw: _Raw, name: str, items: dict[str, str], where: str) -> None:
    if not name:
        raw.problems.append(f"{where}: store section without a store name")
        return
    key = f"store:{name}"
    if key in raw.section_where:
        raw.problems.append(f"{where}: store '{name}' is already defined in "
                            f"{raw.section_where[key]}")
        return
    raw.section(key, where)
    for option, value in items.items():
        target = option
        if option == "backend":
            raw.warnings.append(f"{where} backend: deprecated, use type")
            if "type" in items:
                continue
            target = "type"
        raw.put(key, target, value, f"{where} {target}")


def _ini_store_default(raw: _Raw, items: dict[str, str], where: str, root: Path) -> None:
    _ini_store(raw, DEFAULT_STORE, items, where)


def _ini_model(raw: _Raw, items: dict[str, str], where: str, root: Path) -> None:
    if "path" not in items:
        raw.problems.append(f"{where}: no model path specified (path = model.json)")
    for key, value in items.items():
        if key == "path":
            raw.models.append((_Entry(value, f"{where} path"), None, None))
        else:
            raw.warnings.append(f"{where} {key}: unknown key ignored")


def _ini_models(raw: _Raw, items: dict[str, str], where: str, root: Path) -> None:
    raw.warnings.append(f"{where}: deprecated, use [model] path = ...")
    for key, value in items.items():
        raw.models.append((_Entry(value, f"{where} {key}"), None, None))


def _ini_info(raw: _Raw, items: dict[str, str], where: str, root: Path) -> None:
    raw.section("info", where)
    for key, value in items.items():
        if key in INFO_KEYS or key == "visualizer":
            raw.put("info", key, value, f"{where} {key}")
        else:
            raw.warnings.append(f"{where} {key}: not an /info key; ignored")


def _ini_options(section: str) -> Callable[[_Raw, dict[str, str], str, Path], None]:
    def read(raw: _Raw, items: dict[str, str], where: str, root: Path) -> None:
        raw.section(section, where)
        for key, value in items.items():
            raw.put(section, key, value, f"{where} {key}")

    return read


def _ini_main(raw: _Raw, items: dict[str, str], where: str, root: Path) -> None:
    raw.warnings.append(f"{where}: read but unused by Cubes 1.1; ignored")


def _ini_locale(raw: _Raw, section: str, items: dict[str, str], where: str) -> None:
    # 1.1 sliced ``section[9:]`` and registered [locale sk] as language '' (FIX, §3.12).
    lang = section[len("locale"):].strip(" _:")
    if not lang:
        raw.problems.append(f"{where}: expected [locale XX] with a language code")
        return
    for namespace, value in items.items():
        raw.locales.setdefault(lang, {})[namespace] = _Entry(value, f"{where} {namespace}")


_INI_SECTIONS: dict[str, Callable[[_Raw, dict[str, str], str, Path], None]] = {
    "server": _ini_server,
    "workspace": _ini_workspace,
    "store": _ini_store_default,
    "model": _ini_model,
    "models": _ini_models,
    "info": _ini_info,
    "authentication": _ini_options("authentication"),
    "authorization": _ini_options("authorization"),
    "browser": _ini_options("browser"),
    "main": _ini_main,
}


# --- Kubus TOML ---------------------------------------------------------------------------------

_TOML_TABLES = ("server", "workspace", "info", "authentication", "authorization", "browser")


def _read_toml(path: Path, raw: _Raw) -> None:
    label = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raw.problems.append(f"{label}: no such file")
        return
    except (OSError, UnicodeDecodeError) as exc:
        raw.problems.append(f"{label}: cannot read the file: {exc}")
        return
    except tomllib.TOMLDecodeError as exc:
        raw.problems.append(f"{label}: {exc}")
        return
    for key, value in data.items():
        where = f"{label} [{key}]"
        if key == "data_dir":
            raw.put("", key, value, f"{label} data_dir", base=raw.directory)
        elif key in _TOML_TABLES and isinstance(value, dict):
            raw.section(key, where)
            for option, item in value.items():
                raw.put(key, option, item, f"{where} {option}")
        elif key == "stores" and isinstance(value, dict):
            _toml_stores(raw, value, label)
        elif key == "models" and isinstance(value, list):
            _toml_models(raw, value, label)
        elif key == "locales" and isinstance(value, dict):
            _toml_locales(raw, value, label)
        elif key in (*_TOML_TABLES, "stores", "models", "locales"):
            shape = "an array of tables [[models]]" if key == "models" else "a table"
            raw.problems.append(f"{label} {key}: expected {shape}, got {value!r}")
        else:
            known = ("data_dir", *_TOML_TABLES, "stores", "models", "locales")
            raw.problems.append(f"{label} {key}: unknown key{_suggestion(key, known)}")


def _toml_stores(raw: _Raw, stores: dict[str, Any], label: str) -> None:
    for name, table in stores.items():
        where = f"{label} [stores.{name}]"
        if not isinstance(table, dict):
            raw.problems.append(f"{where}: expected a table, got {table!r}")
            continue
        raw.section(f"store:{name}", where)
        for option, value in table.items():
            raw.put(f"store:{name}", option, value, f"{where} {option}")


def _toml_models(raw: _Raw, models: list[Any], label: str) -> None:
    for number, table in enumerate(models, start=1):
        where = f"{label} [[models]] #{number}"
        if not isinstance(table, dict) or "path" not in table:
            raw.problems.append(f"{where}: expected a table with a path, got {table!r}")
            continue
        names: dict[str, str | None] = {"store": None, "namespace": None}
        for key, value in table.items():
            if key == "path":
                continue
            if key not in names:
                raw.problems.append(f"{where} {key}: unknown key"
                                    f"{_suggestion(key, ('path', *names))}")
            elif not isinstance(value, str):
                raw.problems.append(f"{where} {key}: expected a string, got {value!r}")
            else:
                names[key] = value
        raw.models.append((_Entry(table["path"], f"{where} path"),
                           names["store"], names["namespace"]))


def _toml_locales(raw: _Raw, locales: dict[str, Any], label: str) -> None:
    for lang, given in locales.items():
        where = f"{label} [locales.{lang}]"
        value = {DEFAULT_NAMESPACE: given} if isinstance(given, str) else given
        if not isinstance(value, dict):
            raw.problems.append(f"{where}: expected a path or a table namespace = path")
            continue
        for namespace, path in value.items():
            raw.locales.setdefault(lang, {})[namespace] = _Entry(path, f"{where} {namespace}")


# --- environment --------------------------------------------------------------------------------

_ENV_SECTIONS = (("SERVER_", "server"), ("WORKSPACE_", "workspace"),
                 ("STORE_", f"store:{DEFAULT_STORE}"))


def _read_environ(environ: Mapping[str, str], raw: _Raw) -> None:
    """``KUBUS_DATA_DIR``, ``KUBUS_SERVER_*``, ``KUBUS_WORKSPACE_*``, ``KUBUS_STORE_*``.

    Other ``KUBUS_*`` variables belong to other tools (tests, scripts) and are left alone.
    """
    cwd = Path.cwd()
    for name in sorted(environ):
        if not name.startswith("KUBUS_"):
            continue
        rest, value, where = name[len("KUBUS_"):], environ[name], f"environment {name}"
        if rest == "DATA_DIR":
            raw.put("", "data_dir", value, where, base=cwd)
            continue
        for prefix, section in _ENV_SECTIONS:
            if rest.startswith(prefix) and len(rest) > len(prefix):
                raw.section(section, f"environment KUBUS_{prefix}*")
                raw.put(section, rest[len(prefix):].lower(), value, where, base=cwd)


# --- building the settings ----------------------------------------------------------------------


def _resolve(entry: _Entry | None, path: Path, root: Path) -> Path:
    if path.is_absolute():
        return path
    return ((entry.base if entry and entry.base else root) / path).absolute()


_FILE_URL = re.compile(
    r"^(?P<scheme>(?:sqlite|duckdb)(?:\+\w+)?):///(?P<path>[^/?][^?]*)(?P<query>.*)$")


def _resolve_url(entry: _Entry | None, url: str, root: Path) -> str:
    """Make a relative SQLite/DuckDB file URL absolute, against the workspace root.

    Cubes opened ``sqlite:///data.sqlite`` relative to the current directory, so slicer.ini
    only worked when started beside it; resolving it like every other path keeps it working.
    """
    match = _FILE_URL.match(url)
    if not match or match["path"] == ":memory:":
        return url
    path = _resolve(entry, Path(match["path"]), root)
    return f"{match['scheme']}:///{path}{match['query']}"


def _build_workspace(raw: _Raw) -> tuple[WorkspaceSettings, Path, Path]:
    entries = raw.sections.get("workspace", {})
    values = _convert(raw, entries, WORKSPACE_OPTIONS)
    root = raw.directory.absolute()
    if "root_directory" in values:
        entry = entries["root_directory"]
        root = _resolve(entry, values["root_directory"], raw.directory)
        values["root_directory"] = root
    for key in ("models_directory", "log", "info_file"):
        if key in values:
            values[key] = _resolve(entries[key], values[key], root)
    models_dir = values.get("models_directory") or root
    info_file = values.pop("info_file", None)
    values["info"] = _build_info(raw, info_file)
    return WorkspaceSettings(**values), root, models_dir


def _build_info(raw: _Raw, info_file: Path | None) -> dict[str, Any] | None:
    if info_file is not None:
        # Like 1.1, an info file wins over an [info] section.
        try:
            data = json.loads(info_file.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raw.problems.append(f"info_file {info_file}: cannot read JSON: {exc}")
            return None
        if not isinstance(data, dict):
            raw.problems.append(f"info_file {info_file}: expected a JSON object")
            return None
        return {key: data.get(key) for key in INFO_KEYS}
    entries = raw.sections.get("info")
    if entries is None:
        return None
    info: dict[str, Any] = {}
    for key, entry in entries.items():
        if key in INFO_KEYS or key == "visualizer":
            info[key] = entry.value
        else:
            raw.problems.append(f"{entry.where}: unknown key{_suggestion(key, INFO_KEYS)}")
    if "visualizer" in info:
        label = info.get("label") or info.get("name") or "Default"
        info["visualizers"] = [{"label": label, "url": info.pop("visualizer")}]
    return {key: info.get(key) for key in INFO_KEYS}


def _store_spec(store_type: str) -> Mapping[str, Converter]:
    return SQL_STORE_OPTIONS if store_type == "sql" else SLICER_STORE_OPTIONS


def _store_option(raw: _Raw, store_type: str, key: str, entry: _Entry) -> StoreOption | None:
    if store_type == "sql" and key.startswith("sqlalchemy_"):
        converter = SQLALCHEMY_OPTIONS.get(key[len("sqlalchemy_"):], to_str)
        values = _convert(raw, {key: entry}, {key: converter})
    else:
        values = _convert(raw, {key: entry}, _store_spec(store_type))
    value: StoreOption | None = values.get(key)
    return value


def _build_store(raw: _Raw, name: str, root: Path,
                 models_dir: Path) -> tuple[StoreSettings, ModelSource | None]:
    entries = dict(raw.sections.get(f"store:{name}", {}))
    where = raw.section_where.get(f"store:{name}", f"store {name}")
    head = _convert(raw, {k: e for k, e in entries.items() if k in STORE_KEYS},
                    {"type": one_of(*STORE_TYPES), "url": to_str, "model": to_path,
                     "namespace": to_str})
    store_type = head.get("type") or ("sql" if "type" not in entries else "")
    options: dict[str, StoreOption] = {}
    for key, entry in entries.items():
        if key not in STORE_KEYS and store_type:
            value = _store_option(raw, store_type, key, entry)
            if value is not None:
                options[key] = value
    url = head.get("url")
    if url is not None:
        url = _resolve_url(entries["url"], url, root)
    elif store_type == "slicer":
        url = "http://localhost:5000"
    elif store_type == "sql":
        raw.problems.append(f"{where} url: required for a sql store")
    model = None
    if "model" in head:
        namespace = head.get("namespace", name)
        model = ModelSource(_resolve(entries["model"], head["model"], models_dir), name,
                            None if namespace == DEFAULT_NAMESPACE else namespace)
    return StoreSettings(name, store_type or "sql", url, options), model


def _model_path(raw: _Raw, entry: _Entry, models_dir: Path) -> Path | None:
    try:
        text = to_str(entry.value).strip()
    except _Invalid as exc:
        raw.problems.append(f"{entry.where}: expected {exc.expected}, got {entry.value!r}")
        return None
    if text.startswith("file://"):
        text = text[len("file://"):]
    elif re.match(r"^[a-z][a-z0-9+.-]+://", text, re.IGNORECASE):
        raw.problems.append(f"{entry.where}: model URLs are not supported, got {text!r}; "
                            "download the model and give its path")
        return None
    if not text:
        raw.problems.append(f"{entry.where}: expected a path, got {entry.value!r}")
        return None
    return _resolve(entry, Path(text).expanduser(), models_dir)


def _build_models(raw: _Raw, stores: Mapping[str, StoreSettings], models_dir: Path,
                  store_models: list[ModelSource]) -> tuple[ModelSource, ...]:
    models: list[ModelSource] = []
    for entry, store, namespace in raw.models:
        path = _model_path(raw, entry, models_dir)
        if store is not None and store not in stores:
            raw.problems.append(f"{entry.where}: store '{store}' is not configured "
                                f"(stores: {', '.join(stores) or 'none'})")
        if path is not None:
            models.append(ModelSource(path, store, namespace))
    return (*models, *store_models)


def _build_authorization(raw: _Raw, workspace: WorkspaceSettings, root: Path) -> dict[str, str]:
    entries = raw.sections.get("authorization", {})
    values = _convert(raw, entries, AUTHORIZATION_OPTIONS)
    for key in ("rights_file", "roles_file"):
        if key in values:
            values[key] = _resolve(entries[key], values[key], root)
    if values and workspace.authorization is None:
        raw.warnings.append(f"{raw.section_where['authorization']}: ignored without "
                            "[workspace] authorization = simple")
    return {key: str(value) for key, value in values.items()}


def _plain_options(raw: _Raw, section: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for key, entry in raw.sections.get(section, {}).items():
        if isinstance(entry.value, dict | list):
            raw.problems.append(f"{entry.where}: expected a scalar, got {entry.value!r}")
        else:
            options[key] = entry.value if isinstance(entry.value, str) else str(entry.value)
    return options


def _build_locales(raw: _Raw, root: Path) -> dict[str, dict[str, Path]]:
    locales: dict[str, dict[str, Path]] = {}
    for lang, namespaces in raw.locales.items():
        for namespace, entry in namespaces.items():
            try:
                path = _resolve(entry, to_path(entry.value), root)
            except _Invalid as exc:
                raw.problems.append(f"{entry.where}: expected {exc.expected}, "
                                    f"got {entry.value!r}")
                continue
            locales.setdefault(lang, {})[namespace] = path
    return locales


def _build(raw: _Raw) -> Settings:
    top = raw.sections.get("", {})
    data_dir = _convert(raw, top, {"data_dir": to_path}).get("data_dir")
    if data_dir is not None:
        data_dir = _resolve(top["data_dir"], data_dir, raw.directory)
    server = ServerSettings(**_convert(raw, raw.sections.get("server", {}), SERVER_OPTIONS))
    workspace, root, models_dir = _build_workspace(raw)
    stores: dict[str, StoreSettings] = {}
    store_models: list[ModelSource] = []
    for section in raw.sections:
        if section.startswith("store:"):
            store, model = _build_store(raw, section[len("store:"):], root, models_dir)
            stores[store.name] = store
            if model is not None:
                store_models.append(model)
    return Settings(
        data_dir=data_dir if data_dir is not None else Settings.data_dir,
        server=server,
        workspace=workspace,
        stores=stores,
        models=_build_models(raw, stores, models_dir, store_models),
        authentication_options=_plain_options(raw, "authentication"),
        authorization_options=_build_authorization(raw, workspace, root),
        browser_options=_convert(raw, raw.sections.get("browser", {}), BROWSER_OPTIONS),
        locales=_build_locales(raw, root),
        source=raw.source,
        warnings=tuple(raw.warnings),
    )


# --- public entry points ------------------------------------------------------------------------


def load_settings(path: str | Path | None = None, *,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``path`` (TOML if it ends in ``.toml``, else slicer.ini) and the
    environment (``os.environ`` unless ``environ`` is given).

    Raises :class:`SettingsError` listing every problem found. Example::

        settings = load_settings("slicer.ini", environ={"KUBUS_SERVER_PORT": "8080"})
        settings.server.port  # 8080
    """
    raw = _Raw(directory=Path.cwd())
    if path is not None:
        file = Path(path)
        raw.directory = file.parent.absolute()
        raw.source = file.absolute()
        if file.suffix.lower() == ".toml":
            _read_toml(file, raw)
        else:
            _read_slicer_ini(file, raw)
    _read_environ(os.environ if environ is None else environ, raw)
    settings = _build(raw)
    if raw.problems:
        raise SettingsError(raw.problems)
    return settings


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    """``settings`` with explicit (command line) values; ``None`` values are skipped.

    Keys are ``data_dir``, ``models`` (paths or :class:`ModelSource`), ``store_url``, any
    :class:`ServerSettings` field and any :class:`WorkspaceSettings` field but ``info``.
    Strings are converted like settings-file values. Example::

        with_overrides(settings, port=8080, debug=None)  # debug keeps its value
    """
    raw = _Raw(directory=Path.cwd())
    server_fields = {f.name for f in fields(ServerSettings)}
    workspace_fields = {f.name for f in fields(WorkspaceSettings)} - {"info"}
    server: dict[str, Any] = {}
    workspace: dict[str, Any] = {}
    top: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        entry = {key: _Entry(value, f"override {key}")}
        if key in server_fields:
            server.update(_convert(raw, entry, SERVER_OPTIONS))
        elif key in workspace_fields:
            workspace.update(_convert(raw, entry, WORKSPACE_OPTIONS))
        elif key == "data_dir":
            top.update(_convert(raw, entry, {"data_dir": to_path}))
        elif key == "models":
            top["models"] = _override_models(raw, value)
        elif key == "store_url":
            top["stores"] = _override_store_url(raw, settings, value)
        else:
            known = (*server_fields, *workspace_fields, "data_dir", "models", "store_url")
            raw.problems.append(f"override {key}: unknown key{_suggestion(key, known)}")
    if raw.problems:
        raise SettingsError(raw.problems)
    return replace(settings, server=replace(settings.server, **server),
                   workspace=replace(settings.workspace, **workspace), **top)


def _override_models(raw: _Raw, value: Any) -> tuple[ModelSource, ...]:
    items = [value] if isinstance(value, str | Path | ModelSource) else list(value)
    models: list[ModelSource] = []
    for item in items:
        if isinstance(item, ModelSource):
            models.append(item)
            continue
        path = _model_path(raw, _Entry(str(item), "override models"), Path.cwd())
        if path is not None:
            models.append(ModelSource(path))
    return tuple(models)


def _override_store_url(raw: _Raw, settings: Settings, value: Any) -> dict[str, StoreSettings]:
    try:
        url = to_str(value)
    except _Invalid as exc:
        raw.problems.append(f"override store_url: expected {exc.expected}, got {value!r}")
        return settings.stores
    current = settings.stores.get(DEFAULT_STORE) or StoreSettings(DEFAULT_STORE)
    return {**settings.stores, DEFAULT_STORE: replace(current, url=url)}
