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

The parts live beside this module: the value converters and option tables in
:mod:`kubus.config.settings_values`, the raw layer with the TOML and environment readers in
:mod:`kubus.config.settings_sources`, and the slicer.ini reader in
:mod:`kubus.config.slicer_ini`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeAlias

from kubus.config.settings_sources import (
    _convert,
    _Entry,
    _model_path,
    _Raw,
    _read_environ,
    _read_toml,
    _resolve,
    _resolve_url,
    _suggestion,
)
from kubus.config.settings_values import (
    AUTHENTICATION_METHODS,
    AUTHORIZATION_OPTIONS,
    BROWSER_OPTIONS,
    DEFAULT_NAMESPACE,
    DEFAULT_STORE,
    ETL_OPTIONS,
    INFO_KEYS,
    JOBS_DEFAULT_FILE,
    OLTP_DEFAULT_FILE,
    OLTP_OPTIONS,
    SCHEDULER_OPTIONS,
    SERVER_OPTIONS,
    SLICER_INI_IGNORED_SERVER_OPTIONS,  # noqa: F401  (re-exported: read by the settings doc test)
    SLICER_STORE_OPTIONS,
    SQL_STORE_OPTIONS,
    SQLALCHEMY_OPTIONS,
    STORE_KEYS,
    STORE_TYPES,
    WAREHOUSE_DEFAULT_FILE,
    WORKSPACE_OPTIONS,
    Converter,
    _Invalid,
    one_of,
    to_path,
    to_str,
)
from kubus.config.slicer_ini import _read_slicer_ini

__all__ = [
    "AUTHENTICATION_METHODS",
    "INFO_KEYS",
    "EtlSettings",
    "ModelSource",
    "OltpSettings",
    "SchedulerSettings",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "SourceSettings",
    "StoreSettings",
    "WorkspaceSettings",
    "load_settings",
    "with_overrides",
]

StoreOption: TypeAlias = str | bool | int


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
class OltpSettings:
    """``[oltp]``: the transactional database (one source system) and its JSON API."""

    #: SQLAlchemy URL; ``None``: ``sqlite:///<data_dir>/oltp.sqlite`` (see ``Settings.oltp_url``).
    url: str | None = None
    #: Serve the JSON API (``/api/v1``) with ``kubus serve``.
    api: bool = True
    #: ``kubus serve`` migrates the schema to the newest revision at start.
    auto_upgrade: bool = True
    #: The availability check of order entry in the JSON API: ``atp`` (available-to-promise
    #: with delivery scheduling, ``kubus.scheduling``) or ``stock`` (unrestricted stock only).
    availability: str = "atp"


@dataclass(frozen=True)
class SchedulerSettings:
    """``[scheduler]``: the job runner (``docs/jobs.md``)."""

    #: ``kubus serve`` runs the scheduled jobs (when it serves the JSON API).
    enabled: bool = True
    #: The cron table; ``None``: the one shipped in ``kubus/config/jobs.cron``.
    cron_file: Path | None = None
    #: Zone of cron lines without ``CRON_TZ``; ``None``: ``[workspace] timezone``, else local.
    timezone: str | None = None
    #: SQLAlchemy URL of the run records and locks; ``None``: ``<data_dir>/jobs.sqlite``.
    store_url: str | None = None
    #: Seconds a run may start late and still run (missed runs coalesce into one).
    misfire_grace_time: float = 300.0
    #: Seconds without a heartbeat after which another process may take a job's lock over.
    lock_timeout: float = 600.0
    #: Jobs that may run at the same time (different jobs; one job never runs twice at once).
    workers: int = 4


@dataclass(frozen=True)
class EtlSettings:
    """``[etl]``: the warehouse load (``kubus etl run``, ``docs/warehouse.md``)."""

    #: SQLAlchemy URL of the warehouse; ``None``: ``duckdb:///<data_dir>/warehouse.duckdb``.
    warehouse_url: str | None = None
    #: The currency every amount is translated to (``*_gc`` columns).
    group_currency: str = "EUR"
    #: Compare OLTP and warehouse totals after every load; a difference fails the load.
    reconciliation: bool = True


@dataclass(frozen=True)
class SourceSettings:
    """``[source NAME]``: one OLTP source system the warehouse loads from."""

    name: str
    url: str


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
    #: The transactional database and its JSON API (``[oltp]``).
    oltp: OltpSettings = field(default_factory=OltpSettings)
    #: The warehouse load (``[etl]``).
    etl: EtlSettings = field(default_factory=EtlSettings)
    #: OLTP source systems of the warehouse by name (``[source NAME]``); none: ``[oltp]``.
    sources: dict[str, SourceSettings] = field(default_factory=dict)
    #: The job runner (``[scheduler]``).
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    #: The settings file read, if any.
    source: Path | None = None
    #: Things accepted but worth knowing (deprecated or ignored keys and sections).
    warnings: tuple[str, ...] = ()

    @property
    def default_store(self) -> StoreSettings | None:
        return self.stores.get(DEFAULT_STORE)

    @property
    def oltp_url(self) -> str:
        """``[oltp] url``, or the embedded default ``sqlite:///<data_dir>/oltp.sqlite``."""
        if self.oltp.url:
            return self.oltp.url
        return f"sqlite:///{(self.data_dir / OLTP_DEFAULT_FILE).absolute()}"

    @property
    def warehouse_url(self) -> str:
        """``[etl] warehouse_url``, or the embedded ``duckdb:///<data_dir>/warehouse.duckdb``."""
        if self.etl.warehouse_url:
            return self.etl.warehouse_url
        return f"duckdb:///{(self.data_dir / WAREHOUSE_DEFAULT_FILE).absolute()}"

    @property
    def jobs_store_url(self) -> str:
        """``[scheduler] store_url``; else the job store lives with the OLTP database: in it
        when that is a database server (PostgreSQL), in ``jobs.sqlite`` beside it when it is
        a SQLite file, else (no ``[oltp] url``) in ``<data_dir>/jobs.sqlite``."""
        if self.scheduler.store_url:
            return self.scheduler.store_url
        url = self.oltp.url or ""
        if url.startswith("postgresql"):
            return url
        beside = _SQLITE_FILE.match(url)
        if beside and beside["path"] != ":memory:":
            return f"sqlite:///{Path(beside['path']).parent / JOBS_DEFAULT_FILE}"
        return f"sqlite:///{(self.data_dir / JOBS_DEFAULT_FILE).absolute()}"


_SQLITE_FILE = re.compile(r"^sqlite(?:\+\w+)?:///(?P<path>[^?]+)")


class SettingsError(ValueError):
    """Invalid settings. ``problems`` has one line per problem; the message joins them."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


# --- building the settings ----------------------------------------------------------------------


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


def _build_oltp(raw: _Raw, root: Path) -> OltpSettings:
    entries = raw.sections.get("oltp", {})
    values = _convert(raw, entries, OLTP_OPTIONS)
    if values.get("url"):
        values["url"] = _resolve_url(entries["url"], values["url"], root)
    return OltpSettings(**values)


def _build_scheduler(raw: _Raw, root: Path) -> SchedulerSettings:
    entries = raw.sections.get("scheduler", {})
    values = _convert(raw, entries, SCHEDULER_OPTIONS)
    if values.get("store_url"):
        values["store_url"] = _resolve_url(entries["store_url"], values["store_url"], root)
    if "cron_file" in values:
        values["cron_file"] = _resolve(entries["cron_file"], values["cron_file"], root)
    return SchedulerSettings(**values)


def _build_etl(raw: _Raw, root: Path) -> tuple[EtlSettings, dict[str, SourceSettings]]:
    entries = raw.sections.get("etl", {})
    values = _convert(raw, entries, ETL_OPTIONS)
    if values.get("warehouse_url"):
        values["warehouse_url"] = _resolve_url(entries["warehouse_url"],
                                               values["warehouse_url"], root)
    sources: dict[str, SourceSettings] = {}
    for section, items in raw.sections.items():
        if not section.startswith("source:"):
            continue
        name, where = section[len("source:"):], raw.section_where.get(section, section)
        for key, entry in items.items():
            if key != "url":
                raw.problems.append(f"{entry.where}: unknown key{_suggestion(key, ('url',))}")
        url = _convert(raw, {k: e for k, e in items.items() if k == "url"},
                       {"url": to_str}).get("url")
        if not url:
            raw.problems.append(f"{where} url: required for a source system")
            continue
        sources[name] = SourceSettings(name, _resolve_url(items["url"], url, root))
    return EtlSettings(**values), sources


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
    etl, sources = _build_etl(raw, root)
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
        oltp=_build_oltp(raw, root),
        etl=etl,
        sources=sources,
        scheduler=_build_scheduler(raw, root),
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

    Keys are ``data_dir``, ``models`` (paths or :class:`ModelSource`), ``store_url``,
    ``oltp_url``, any :class:`ServerSettings` field and any :class:`WorkspaceSettings` field
    but ``info``.
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
        elif key == "oltp_url":
            url = _convert(raw, {"url": _Entry(value, "override oltp_url")}, OLTP_OPTIONS)
            if url.get("url"):
                top["oltp"] = replace(settings.oltp, url=url["url"])
        else:
            known = (*server_fields, *workspace_fields, "data_dir", "models", "store_url",
                     "oltp_url")
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
