"""Settings: defaults, slicer.ini, Kubus TOML, environment, overrides and validation."""

from __future__ import annotations

import dataclasses
import json
import re
import textwrap
from pathlib import Path

import pytest

from kubus.config import settings as settings_module
from kubus.config.settings import (
    INFO_KEYS,
    ModelSource,
    ServerSettings,
    Settings,
    SettingsError,
    StoreSettings,
    WorkspaceSettings,
    load_settings,
    with_overrides,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SETTINGS_DOC = REPO_ROOT / "docs" / "settings.md"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def load(path: Path, **environ: str) -> Settings:
    return load_settings(path, environ=environ)


def problems_of(path: Path | None, **environ: str) -> tuple[str, ...]:
    with pytest.raises(SettingsError) as info:
        load_settings(path, environ=environ)
    return info.value.problems


# --- documentation (datasette habit: an undocumented setting fails the build) -------------------


DOC_PREFIXES = {
    Settings: "",
    ServerSettings: "server.",
    WorkspaceSettings: "workspace.",
    StoreSettings: "stores.<name>.",
    ModelSource: "models[].",
}


@pytest.mark.parametrize("cls", list(DOC_PREFIXES), ids=lambda c: c.__name__)
def test_every_settings_field_is_documented(cls: type) -> None:
    doc = SETTINGS_DOC.read_text(encoding="utf-8")
    missing = [f"{DOC_PREFIXES[cls]}{f.name}" for f in dataclasses.fields(cls)
               if f"`{DOC_PREFIXES[cls]}{f.name}`" not in doc]
    assert not missing, f"document these in docs/settings.md: {missing}"


def test_every_accepted_option_is_documented() -> None:
    doc = SETTINGS_DOC.read_text(encoding="utf-8")
    names = [
        *settings_module.SQL_STORE_OPTIONS,
        *(f"sqlalchemy_{n}" for n in settings_module.SQLALCHEMY_OPTIONS),
        *settings_module.SLICER_STORE_OPTIONS,
        *settings_module.SLICER_INI_IGNORED_SERVER_OPTIONS,
        *settings_module.WORKSPACE_OPTIONS,
        *settings_module.AUTHORIZATION_OPTIONS,
        "models_path", "stores_file", "backend",
    ]
    missing = [n for n in names if f"`{n}`" not in doc]
    assert not missing, f"document these in docs/settings.md: {missing}"


def test_environment_variables_in_the_doc_exist() -> None:
    """Every KUBUS_SERVER_*/KUBUS_WORKSPACE_* variable the doc names is accepted."""
    doc = SETTINGS_DOC.read_text(encoding="utf-8")
    for section, cls in (("SERVER", ServerSettings), ("WORKSPACE", WorkspaceSettings)):
        documented = set(re.findall(rf"`KUBUS_{section}_([A-Z_]+)`", doc))
        expected = {f.name.upper() for f in dataclasses.fields(cls)} - {"INFO"}
        assert documented == expected


def test_converters_cover_every_field() -> None:
    assert set(settings_module.SERVER_OPTIONS) == {
        f.name for f in dataclasses.fields(ServerSettings)}
    workspace_fields = {f.name for f in dataclasses.fields(WorkspaceSettings)}
    assert workspace_fields - {"info"} <= set(settings_module.WORKSPACE_OPTIONS)


# --- defaults -----------------------------------------------------------------------------------


def test_defaults_without_a_file() -> None:
    settings = load_settings(None, environ={})
    assert settings == Settings()
    assert settings.data_dir == Path("./var")
    server = settings.server
    assert (server.host, server.port, server.prettyprint, server.json_record_limit) == (
        "127.0.0.1", 5000, False, 1000)
    assert server.allow_cors_origin is None and server.visualizer is None
    assert (server.hide_private_cuts, server.debug, server.result_cache) == (False, False, True)
    assert (server.threads, server.authentication, server.statement_timeout) == (8, "none", 30.0)
    assert settings.workspace == WorkspaceSettings()
    assert settings.workspace.first_weekday == 0 and settings.workspace.info is None
    assert settings.stores == {} and settings.models == () and settings.default_store is None


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().server.port = 1  # type: ignore[misc]


def test_settings_error_is_a_value_error() -> None:
    error = SettingsError(["a", "b"])
    assert isinstance(error, ValueError)
    assert str(error) == "a\nb" and error.problems == ("a", "b")


# --- slicer.ini ---------------------------------------------------------------------------------


def test_shipped_hello_world_slicer_ini(hello_world_dir: Path) -> None:
    ini = hello_world_dir / "slicer.ini"
    settings = load(ini)
    assert settings.source == ini.absolute()
    assert settings.server.host == "localhost"
    assert settings.server.port == 5000
    assert settings.server.prettyprint is True
    assert settings.server.allow_cors_origin == "*"
    assert settings.workspace.log_level == "info"
    store = settings.stores["default"]
    assert settings.default_store is store
    assert store.type == "sql"
    # Relative to the ini's directory, not to wherever the server was started.
    assert store.url == f"sqlite:///{(hello_world_dir / 'data.sqlite').absolute()}"
    assert settings.models == (ModelSource(hello_world_dir.absolute() / "model.json"),)
    assert any("[server] reload" in w for w in settings.warnings)
    assert any("[models]: deprecated" in w for w in settings.warnings)


def test_model_section_and_workspace_directories(tmp_path: Path) -> None:
    ini = write(tmp_path / "conf" / "slicer.ini", """
        [workspace]
        root_directory = ../project
        models_directory = models
        timezone = Europe/Bratislava
        first_weekday = Sunday
        [model]
        path = sales.json
        [store]
        type = sql
        url = sqlite:///data/warehouse.sqlite
        """)
    settings = load(ini)
    root = (tmp_path / "conf" / ".." / "project").absolute()
    assert settings.workspace.root_directory == root
    assert settings.workspace.models_directory == root / "models"
    assert settings.workspace.timezone == "Europe/Bratislava"
    assert settings.workspace.first_weekday == 6
    assert settings.models == (ModelSource(root / "models" / "sales.json"),)
    assert settings.stores["default"].url == f"sqlite:///{root / 'data' / 'warehouse.sqlite'}"
    assert settings.warnings == ()


def test_models_path_alias(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", """
        [workspace]
        models_path = m
        [models]
        main = model.json
        other = /abs/other.cubesmodel
        """)
    settings = load(ini)
    assert settings.workspace.models_directory == tmp_path / "m"
    assert [m.path for m in settings.models] == [tmp_path / "m" / "model.json",
                                                 Path("/abs/other.cubesmodel")]


def test_named_stores_with_model_and_namespace(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", """
        [store]
        type = sql
        url = postgresql://localhost/dw
        fact_prefix = ft_
        dimension_prefix = dm_
        include_summary = no
        sqlalchemy_pool_size = 5
        sqlalchemy_echo = yes
        [store finance]
        type = sql
        url = sqlite://
        model = finance.json
        namespace = fin
        [store_hr]
        backend = sql
        url = sqlite:///:memory:
        model = hr.json
        [store shared]
        type = sql
        url = duckdb:////abs/shared.duckdb
        model = shared.json
        namespace = default
        [store remote]
        type = slicer
        auth_parameter = token
        """)
    settings = load(ini)
    assert list(settings.stores) == ["default", "finance", "hr", "shared", "remote"]
    default = settings.stores["default"]
    assert default.url == "postgresql://localhost/dw"
    assert default.options == {"fact_prefix": "ft_", "dimension_prefix": "dm_",
                               "include_summary": False, "sqlalchemy_pool_size": 5,
                               "sqlalchemy_echo": True}
    assert settings.stores["hr"].type == "sql"  # backend: deprecated alias of type
    assert settings.stores["hr"].url == "sqlite:///:memory:"
    assert settings.stores["finance"].url == "sqlite://"
    assert settings.stores["shared"].url == "duckdb:////abs/shared.duckdb"
    assert settings.stores["remote"] == StoreSettings(
        "remote", "slicer", "http://localhost:5000", {"auth_parameter": "token"})
    assert settings.models == (
        ModelSource(tmp_path / "finance.json", "finance", "fin"),
        ModelSource(tmp_path / "hr.json", "hr", "hr"),
        ModelSource(tmp_path / "shared.json", "shared", None),
    )
    assert any("backend: deprecated" in w for w in settings.warnings)


def test_stores_file(tmp_path: Path) -> None:
    write(tmp_path / "stores.ini", """
        [warehouse]
        type = sql
        url = sqlite:///w.sqlite
        """)
    ini = write(tmp_path / "slicer.ini", """
        [workspace]
        stores_file = stores.ini
        """)
    settings = load(ini)
    assert settings.stores["warehouse"].url == f"sqlite:///{tmp_path / 'w.sqlite'}"


def test_info_section_with_visualizer(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", """
        [info]
        label = Test Server
        description = Hello world data
        license = Public Domain
        keywords = a, b
        visualizer = http://example.com/viz
        """)
    info = load(ini).workspace.info
    assert info is not None
    assert list(info) == list(INFO_KEYS)
    assert info["label"] == "Test Server" and info["name"] is None
    assert info["keywords"] == "a, b"  # INI values are strings (COMPAT)
    assert info["visualizers"] == [{"label": "Test Server", "url": "http://example.com/viz"}]


@pytest.mark.parametrize(("extra", "label"), [("name = srv", "srv"), ("", "Default")])
def test_visualizer_label_falls_back_to_name_then_default(tmp_path: Path, extra: str,
                                                          label: str) -> None:
    ini = write(tmp_path / "slicer.ini", f"[info]\nvisualizer = http://v\n{extra}\n")
    info = load(ini).workspace.info
    assert info is not None and info["visualizers"] == [{"label": label, "url": "http://v"}]


def test_info_file_wins_over_info_section(tmp_path: Path) -> None:
    (tmp_path / "info.json").write_text(json.dumps(
        {"label": "From file", "keywords": ["x", "y"], "extra": 1}), encoding="utf-8")
    ini = write(tmp_path / "slicer.ini", """
        [workspace]
        info_file = info.json
        [info]
        label = From section
        """)
    info = load(ini).workspace.info
    assert info == {**dict.fromkeys(INFO_KEYS), "label": "From file", "keywords": ["x", "y"]}


def test_locale_section_registers_its_language(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", """
        [locale sk]
        default = translations/sk.json
        finance = translations/sk-finance.json
        [locale_de]
        default = de.json
        """)
    assert load(ini).locales == {
        "sk": {"default": tmp_path / "translations" / "sk.json",
               "finance": tmp_path / "translations" / "sk-finance.json"},
        "de": {"default": tmp_path / "de.json"},
    }


def test_authentication_and_authorization(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", """
        [server]
        authentication = pass_parameter
        [workspace]
        authorization = simple
        [authentication]
        parameter = token
        [authorization]
        rights_file = rights.json
        order = allow_deny
        guest = guest
        """)
    settings = load(ini)
    assert settings.server.authentication == "pass_parameter"
    assert settings.workspace.authorization == "simple"
    assert settings.authentication_options == {"parameter": "token"}
    assert settings.authorization_options == {
        "rights_file": str(tmp_path / "rights.json"), "order": "allow_deny", "guest": "guest"}


def test_authorization_options_without_authorizer_warn(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", "[authorization]\nguest = g\n")
    assert any("ignored without" in w for w in load(ini).warnings)


def test_browser_options_are_typed(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", "[browser]\ninclude_cell_count = off\nschema = dw\n")
    assert load(ini).browser_options == {"include_cell_count": False, "schema": "dw"}


def test_sections_cubes_accepts_are_not_errors(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", """
        [query_log]
        type = default
        [query_log csv]
        type = csv
        path = q.csv
        [main]
        x = 1
        [cubesviewer]
        url = http://x
        """)
    warnings = load(ini).warnings
    assert len(warnings) == 4
    assert sum("request logging is not supported" in w for w in warnings) == 2
    assert any("[cubesviewer]: section not used" in w for w in warnings)


def test_every_documented_cubes_key_is_accepted(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", """
        [server]
        host = 0.0.0.0
        port = 0
        reload = yes
        debug = no
        processes = 2
        pid_file = /tmp/slicer.pid
        modules = my.plugin
        prettyprint = true
        json_record_limit = 5
        hide_private_cuts = on
        allow_cors_origin =
        visualizer = http://viz
        authentication = admin_admin
        asynchronous_logging = off
        [workspace]
        log = slicer.log
        log_level = debug
        root_directory = .
        models_directory = .
        timezone = UTC
        first_weekday = 1
        authorization = simple
        """)
    settings = load(ini)
    assert settings.server.port == 0 and settings.server.json_record_limit == 5
    assert settings.server.allow_cors_origin is None  # empty means unset
    assert settings.server.hide_private_cuts is True
    assert settings.workspace.log == tmp_path / "slicer.log"
    ignored = [w for w in settings.warnings if "accepted for Cubes compatibility" in w]
    assert len(ignored) == 5


@pytest.mark.parametrize(("text", "value"), [
    ("yes", True), ("No", False), ("TRUE", True), ("false", False), ("1", True), ("0", False),
    ("on", True), ("off", False),
])
def test_booleans(tmp_path: Path, text: str, value: bool) -> None:
    ini = write(tmp_path / "slicer.ini", f"[server]\nprettyprint = {text}\n")
    assert load(ini).server.prettyprint is value


@pytest.mark.parametrize(("text", "value"), [
    ("monday", 0), ("Tuesday", 1), ("sun", 6), ("0", 0), ("6", 6),
])
def test_first_weekday_name_or_number(tmp_path: Path, text: str, value: int) -> None:
    ini = write(tmp_path / "slicer.ini", f"[workspace]\nfirst_weekday = {text}\n")
    assert load(ini).workspace.first_weekday == value


def test_bad_port_type_names_file_section_and_key(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", "[server]\nport = abc\n")
    assert problems_of(ini) == (f"{ini} [server] port: expected an integer, got 'abc'",)


def test_unknown_keys_are_errors_with_suggestions(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", "[server]\nprot = 80\n[workspace]\ntimezon = UTC\n")
    assert problems_of(ini) == (
        f"{ini} [server] prot: unknown key (did you mean 'port'?)",
        f"{ini} [workspace] timezon: unknown key (did you mean 'timezone'?)",
    )


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", """
        [server]
        port = 99999
        threads = 0
        prettyprint = maybe
        reload = sometimes
        authentication = oauth
        statement_timeout = -1
        [workspace]
        timezone = Mars/Olympus
        first_weekday = someday
        log_level = loud
        [store]
        type = sql
        fact_prefx = f_
        [store mongo]
        type = mongo
        [authorization]
        colour = red
        [model]
        name = x
        """)
    problems = problems_of(ini)
    expected = [
        "[server] port: expected a port number from 0 to 65535, got '99999'",
        "[server] threads: expected an integer of at least 1, got '0'",
        "[server] prettyprint: expected a boolean",
        "[server] reload: expected a boolean",
        "[server] authentication: expected one of none, pass_parameter, http_basic_proxy",
        "[server] statement_timeout: expected a number of seconds (0 = no limit), got '-1'",
        "[workspace] timezone: expected an IANA time zone name",
        "[workspace] first_weekday: expected a weekday name",
        "[workspace] log_level: expected one of critical",
        "[store] fact_prefx: unknown key (did you mean 'fact_prefix'?)",
        "[store] url: required for a sql store",
        "[store mongo] type: expected one of sql, slicer, got 'mongo'",
        "[authorization] colour: unknown key",
        "[model]: no model path specified",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert len(problems) == len(expected)
    assert all(p.startswith(str(ini)) for p in problems)


def test_unreadable_ini_is_a_settings_error(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", "[server]\nport = 1\nport = 2\n")
    (problem,) = problems_of(ini)
    assert problem.startswith(f"{ini}: ") and "port" in problem and "\n" not in problem
    assert problems_of(tmp_path / "missing.ini") == (f"{tmp_path / 'missing.ini'}: no such file",)
    no_header = write(tmp_path / "bad.ini", "port = 1\n")
    assert "section header" in problems_of(no_header)[0]


def test_model_urls_are_rejected(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", "[model]\npath = http://example.com/model.json\n")
    assert "model URLs are not supported" in problems_of(ini)[0]
    ini = write(tmp_path / "slicer.ini", f"[model]\npath = file://{tmp_path}/m.json\n")
    assert load(ini).models == (ModelSource(tmp_path / "m.json"),)


def test_workspace_model_key_is_loaded_with_a_warning(tmp_path: Path) -> None:
    ini = write(tmp_path / "slicer.ini", "[workspace]\nmodel = model.json\n")
    settings = load(ini)
    assert settings.models == (ModelSource(tmp_path / "model.json"),)
    assert any("model: deprecated" in w for w in settings.warnings)


# --- Kubus TOML ---------------------------------------------------------------------------------


def test_toml_settings(tmp_path: Path) -> None:
    toml = write(tmp_path / "kubus.toml", """
        data_dir = "state"

        [server]
        port = 8080
        prettyprint = true
        statement_timeout = 2.5
        result_cache = false

        [workspace]
        timezone = "UTC"
        first_weekday = "monday"

        [stores.default]
        url = "duckdb:///var/warehouse.duckdb"
        dimension_prefix = "dim_"
        include_cell_count = false

        [stores.oltp]
        url = "sqlite:///var/oltp.sqlite"

        [[models]]
        path = "models/sales.json"

        [[models]]
        path = "models/oltp.json"
        store = "oltp"
        namespace = "ops"

        [info]
        label = "Kubus"
        keywords = ["olap", "cubes"]

        [authentication]
        parameter = "token"

        [locales]
        sk = "sk.json"
        de = { default = "de.json", ops = "de-ops.json" }
        """)
    settings = load(toml)
    assert settings.data_dir == tmp_path / "state"
    assert settings.server.port == 8080 and settings.server.statement_timeout == 2.5
    assert settings.server.result_cache is False and settings.server.prettyprint is True
    assert settings.workspace.timezone == "UTC" and settings.workspace.first_weekday == 0
    assert settings.stores["default"] == StoreSettings(
        "default", "sql", f"duckdb:///{tmp_path / 'var' / 'warehouse.duckdb'}",
        {"dimension_prefix": "dim_", "include_cell_count": False})
    assert settings.models == (
        ModelSource(tmp_path / "models" / "sales.json"),
        ModelSource(tmp_path / "models" / "oltp.json", "oltp", "ops"),
    )
    assert settings.workspace.info is not None
    assert settings.workspace.info["keywords"] == ["olap", "cubes"]
    assert settings.authentication_options == {"parameter": "token"}
    assert settings.locales == {"sk": {"default": tmp_path / "sk.json"},
                                "de": {"default": tmp_path / "de.json",
                                       "ops": tmp_path / "de-ops.json"}}
    assert settings.warnings == ()


def test_toml_problems(tmp_path: Path) -> None:
    toml = write(tmp_path / "kubus.toml", """
        serverr = 1
        [server]
        port = "abc"
        debug = 3
        [info]
        labl = "x"
        [[models]]
        path = "m.json"
        store = "nowhere"
        colour = "red"
        """)
    problems = problems_of(toml)
    expected = [
        f"{toml} serverr: unknown key (did you mean 'server'?)",
        f"{toml} [server] port: expected an integer, got 'abc'",
        f"{toml} [server] debug: expected a boolean (yes/no, true/false, on/off, 1/0), got 3",
        f"{toml} [info] labl: unknown key (did you mean 'label'?)",
        f"{toml} [[models]] #1 colour: unknown key",
        f"{toml} [[models]] #1 path: store 'nowhere' is not configured (stores: none)",
    ]
    assert sorted(problems) == sorted(expected)


def test_toml_syntax_error(tmp_path: Path) -> None:
    toml = write(tmp_path / "kubus.toml", "[server\nport = 1\n")
    (problem,) = problems_of(toml)
    assert problem.startswith(f"{toml}: ") and "line 1" in problem


def test_toml_booleans_are_not_integers(tmp_path: Path) -> None:
    toml = write(tmp_path / "kubus.toml", "[server]\nport = true\n")
    assert problems_of(toml) == (f"{toml} [server] port: expected an integer, got True",)


# --- environment --------------------------------------------------------------------------------


def test_environment_overrides_the_file(hello_world_dir: Path, tmp_path: Path) -> None:
    settings = load(hello_world_dir / "slicer.ini", KUBUS_SERVER_PORT="8080",
                    KUBUS_SERVER_DEBUG="yes", KUBUS_DATA_DIR=str(tmp_path / "x"),
                    KUBUS_STORE_URL="postgresql://db/dw", KUBUS_WORKSPACE_FIRST_WEEKDAY="friday",
                    KUBUS_SHARED_DIR="/elsewhere", KUBUS_TEST_POSTGRES_URL="postgresql://t",
                    PATH="/bin")
    assert settings.server.port == 8080 and settings.server.debug is True
    assert settings.server.host == "localhost"  # untouched file value
    assert settings.data_dir == tmp_path / "x"
    assert settings.stores["default"].url == "postgresql://db/dw"
    assert settings.workspace.first_weekday == 4


def test_environment_alone_creates_the_default_store() -> None:
    settings = load_settings(None, environ={"KUBUS_STORE_URL": "sqlite://",
                                            "KUBUS_STORE_FACT_PREFIX": "ft_"})
    assert settings.stores == {"default": StoreSettings("default", "sql", "sqlite://",
                                                        {"fact_prefix": "ft_"})}


def test_environment_problems_name_the_variable() -> None:
    problems = problems_of(None, KUBUS_SERVER_PORT="http", KUBUS_SERVER_PROT="1",
                           KUBUS_WORKSPACE_LOG_LEVEL="chatty")
    assert "environment KUBUS_SERVER_PORT: expected an integer, got 'http'" in problems
    assert "environment KUBUS_SERVER_PROT: unknown key (did you mean 'port'?)" in problems
    assert any(p.startswith("environment KUBUS_WORKSPACE_LOG_LEVEL: expected one of")
               for p in problems)
    assert len(problems) == 3


def test_os_environ_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBUS_SERVER_THREADS", "3")
    assert load_settings().server.threads == 3


# --- explicit overrides -------------------------------------------------------------------------


def test_with_overrides(tmp_path: Path) -> None:
    base = load_settings(None, environ={"KUBUS_STORE_URL": "sqlite://"})
    settings = with_overrides(base, port="9000", debug=None, host="0.0.0.0", visualizer="http://v",
                              timezone="UTC", data_dir=str(tmp_path), store_url="duckdb://",
                              models=[tmp_path / "a.json", ModelSource(Path("/b"), "x", "y")])
    assert settings.server.port == 9000 and settings.server.debug is False
    assert settings.server.host == "0.0.0.0" and settings.server.visualizer == "http://v"
    assert settings.workspace.timezone == "UTC"
    assert settings.data_dir == tmp_path
    assert settings.stores["default"].url == "duckdb://"
    assert settings.models == (ModelSource(tmp_path / "a.json"), ModelSource(Path("/b"), "x", "y"))
    assert base.server.port == 5000  # the original is unchanged


def test_with_overrides_reports_every_problem() -> None:
    with pytest.raises(SettingsError) as info:
        with_overrides(Settings(), port="x", threads=0, colour="red")
    assert info.value.problems == (
        "override port: expected an integer, got 'x'",
        "override threads: expected an integer of at least 1, got 0",
        "override colour: unknown key",
    )


def test_with_overrides_creates_a_default_store() -> None:
    settings = with_overrides(Settings(), store_url="sqlite://")
    assert settings.stores == {"default": StoreSettings("default", url="sqlite://")}
