"""The Cubes ``slicer.ini`` reader of :func:`kubus.config.settings.load_settings`.

Puts every section of a Cubes 1.1 ``slicer.ini`` (and of its ``stores_file``) into the raw
layer of :mod:`kubus.config.settings_sources`, maps the deprecated 1.1 spellings to the
current ones and warns about what Kubus accepts but ignores. Values are converted later,
together with those of the environment.
"""

from __future__ import annotations

import configparser
from collections.abc import Callable
from pathlib import Path

from kubus.config.settings_sources import _Entry, _Raw
from kubus.config.settings_values import (
    DEFAULT_STORE,
    INFO_KEYS,
    SLICER_INI_IGNORED_SERVER_OPTIONS,
    _Invalid,
    to_path,
)


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
        elif section.startswith("source ") and section[7:].strip():
            # Kubus only: an OLTP source system of the warehouse load.
            _ini_options(f"source:{section[7:].strip()}")(raw, items, where, root)
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
    # Kubus only: the transactional database and its JSON API.
    "oltp": _ini_options("oltp"),
    "etl": _ini_options("etl"),
    "main": _ini_main,
}
