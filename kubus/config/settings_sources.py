"""The raw settings layer, and its Kubus TOML and ``KUBUS_*`` environment readers.

Readers put every value into :class:`_Raw` as an :class:`_Entry` that remembers where it came
from (for messages) and what a relative path in it resolves against; values are converted
and their paths resolved only when :mod:`kubus.config.settings` builds the settings from all
layers. The slicer.ini reader is :mod:`kubus.config.slicer_ini`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubus.config.settings_values import (
    DEFAULT_NAMESPACE,
    DEFAULT_STORE,
    Converter,
    _Invalid,
    to_str,
)

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


# --- relative paths and file URLs ---------------------------------------------------------------


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


# --- Kubus TOML ---------------------------------------------------------------------------------

_TOML_TABLES = ("server", "workspace", "info", "authentication", "authorization", "browser",
                "oltp", "etl", "scheduler")


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
        elif key == "sources" and isinstance(value, dict):
            _toml_sources(raw, value, label)
        elif key == "models" and isinstance(value, list):
            _toml_models(raw, value, label)
        elif key == "locales" and isinstance(value, dict):
            _toml_locales(raw, value, label)
        elif key in (*_TOML_TABLES, "stores", "models", "locales"):
            shape = "an array of tables [[models]]" if key == "models" else "a table"
            raw.problems.append(f"{label} {key}: expected {shape}, got {value!r}")
        else:
            known = ("data_dir", *_TOML_TABLES, "stores", "sources", "models", "locales")
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


def _toml_sources(raw: _Raw, sources: dict[str, Any], label: str) -> None:
    """``[sources.NAME] url = ...``: OLTP source systems of the warehouse load."""
    for name, table in sources.items():
        where = f"{label} [sources.{name}]"
        if not isinstance(table, dict):
            raw.problems.append(f"{where}: expected a table, got {table!r}")
            continue
        raw.section(f"source:{name}", where)
        for option, value in table.items():
            raw.put(f"source:{name}", option, value, f"{where} {option}")


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
                 ("STORE_", f"store:{DEFAULT_STORE}"), ("OLTP_", "oltp"), ("ETL_", "etl"),
                 ("SCHEDULER_", "scheduler"))


def _read_environ(environ: Mapping[str, str], raw: _Raw) -> None:
    """``KUBUS_DATA_DIR``, ``KUBUS_SERVER_*``, ``KUBUS_WORKSPACE_*``, ``KUBUS_STORE_*``,
    ``KUBUS_OLTP_*``, ``KUBUS_SCHEDULER_*``.

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
