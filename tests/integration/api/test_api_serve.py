"""``[oltp]`` settings and ``kubus serve`` wiring: the JSON API beside the Slicer API."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from kubus.config.settings import OltpSettings, SettingsError, load_settings
from kubus.oltp.migrate import current_revision, head_revision
from kubus.server.cli import main

REPO_ROOT = Path(__file__).resolve().parents[3]
SETTINGS_DOC = REPO_ROOT / "docs" / "settings.md"


def test_every_oltp_setting_is_documented() -> None:
    doc = SETTINGS_DOC.read_text(encoding="utf-8")
    missing = [f"oltp.{f.name}" for f in dataclasses.fields(OltpSettings)
               if f"`oltp.{f.name}`" not in doc]
    assert not missing, f"document these in docs/settings.md: {missing}"
    documented = set(re.findall(r"`KUBUS_OLTP_([A-Z_]+)`", doc))
    assert documented == {f.name.upper() for f in dataclasses.fields(OltpSettings)}


def test_oltp_settings_from_toml_ini_and_environment(tmp_path: Path) -> None:
    assert load_settings(None, environ={}).oltp == OltpSettings()
    toml = tmp_path / "kubus.toml"
    toml.write_text('[oltp]\nurl = "sqlite:///erp.sqlite"\nauto_upgrade = false\n')
    settings = load_settings(toml, environ={})
    assert settings.oltp == OltpSettings(f"sqlite:///{tmp_path / 'erp.sqlite'}", True, False)
    assert settings.oltp_url == f"sqlite:///{tmp_path / 'erp.sqlite'}"
    ini = tmp_path / "slicer.ini"
    ini.write_text("[oltp]\nurl = postgresql+psycopg://kubus@db/erp1\napi = no\n")
    settings = load_settings(ini, environ={"KUBUS_OLTP_AUTO_UPGRADE": "off"})
    assert settings.oltp == OltpSettings("postgresql+psycopg://kubus@db/erp1", False, False)
    assert not settings.warnings
    default = load_settings(None, environ={"KUBUS_DATA_DIR": str(tmp_path / "var")})
    assert default.oltp_url == f"sqlite:///{tmp_path / 'var' / 'oltp.sqlite'}"
    with pytest.raises(SettingsError) as info:
        load_settings(None, environ={"KUBUS_OLTP_API": "maybe", "KUBUS_OLTP_URLL": "x"})
    assert info.value.problems == (
        "environment KUBUS_OLTP_API: expected a boolean (yes/no, true/false, on/off, 1/0), "
        "got 'maybe'",
        "environment KUBUS_OLTP_URLL: unknown key (did you mean 'url'?)")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBUS_")}
    env.update(extra)
    return env


def test_kubus_serve_serves_the_json_api(tmp_path: Path) -> None:
    """``kubus serve --oltp URL`` without a model: the schema is created, the JSON API answers
    under /api/v1 and the (empty) Slicer API beside it; SIGTERM stops it cleanly."""
    url = f"sqlite:///{tmp_path / 'erp.sqlite'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "kubus.server.cli", "serve", "--oltp", url, "--port", "0",
         "--threads", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_clean_env(KUBUS_DATA_DIR=str(tmp_path / "var")), cwd=tmp_path)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Serving Kubus on http://127.0.0.1:"), (
            line + (process.stderr.read() if process.poll() is not None else ""))
        base = line.split(" on ", 1)[1].strip().rstrip("/")
        spec = requests.get(base + "/api/v1/openapi.json", timeout=30)
        assert spec.status_code == 200 and spec.json()["openapi"].startswith("3.1")
        created = requests.post(base + "/api/v1/master-data", timeout=30, json={
            "records": [{"type": "currency", "currency": "EUR", "name": "Euro"}]})
        assert created.status_code == 201, created.text
        assert requests.get(base + "/api/v1/nope", timeout=30).json()["error"]["code"] == (
            "not_found")
        assert requests.get(base + "/cubes", timeout=30).json() == []
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Kubus stopped." in out
    assert "JSON API at /api/v1 over sqlite:///" in err
    assert current_revision(url) == head_revision()
    assert not (tmp_path / "var").exists()


def test_kubus_serve_without_auto_upgrade_refuses_an_old_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    result = CliRunner(env={"KUBUS_OLTP_AUTO_UPGRADE": "false"}).invoke(
        main, ["serve", "--oltp", url, "--port", "0"])
    assert result.exit_code == 2, result.output
    assert "run `kubus oltp upgrade" in result.output
    assert "Traceback" not in result.output


def test_kubus_serve_without_an_oltp_database_serves_the_slicer_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No [oltp] url and no <data_dir>/oltp.sqlite: no file is created, the Slicer serves."""
    model = tmp_path / "model.json"
    model.write_text(textwrap.dedent("""
        {"cubes": [{"name": "c", "dimensions": ["d"]}], "dimensions": [{"name": "d"}]}"""))
    served = {}

    def fake_run_server(app: object, *args: object, **kwargs: object) -> None:
        served["app"] = app

    monkeypatch.setattr("kubus.server.cli.run_server", fake_run_server)
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("KUBUS_")]:
        monkeypatch.delenv(name)
    result = CliRunner().invoke(main, ["serve", "--model", str(model), "--store",
                                       "sqlite://"])
    assert result.exit_code == 0, result.output
    assert "JSON API off" in result.output
    assert "kubus.api" not in served["app"].extensions  # type: ignore[attr-defined]
    assert not (tmp_path / "var").exists()
