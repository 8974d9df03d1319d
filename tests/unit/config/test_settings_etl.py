"""``[etl]`` and the source systems (``[source NAME]`` / ``[sources.NAME]``) in the settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kubus.config.settings import EtlSettings, SettingsError, load_settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "settings.md"


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(None, environ={"KUBUS_DATA_DIR": str(tmp_path)})
    assert settings.etl == EtlSettings()
    assert settings.sources == {}
    assert settings.warehouse_url == f"duckdb:///{tmp_path.absolute() / 'warehouse.duckdb'}"


def test_slicer_ini_sections(tmp_path: Path) -> None:
    ini = tmp_path / "slicer.ini"
    ini.write_text("[etl]\ngroup_currency = USD\nreconciliation = false\n\n"
                   "[source current]\nurl = sqlite:///var/current.sqlite\n\n"
                   "[source legacy]\nurl = postgresql+psycopg://kubus@db/erp\n",
                   encoding="utf-8")
    settings = load_settings(ini, environ={})
    assert (settings.etl.group_currency, settings.etl.reconciliation) == ("USD", False)
    assert {n: s.url for n, s in settings.sources.items()} == {
        "current": f"sqlite:///{tmp_path / 'var' / 'current.sqlite'}",
        "legacy": "postgresql+psycopg://kubus@db/erp"}


def test_toml_tables_and_environment(tmp_path: Path) -> None:
    toml = tmp_path / "kubus.toml"
    toml.write_text('[etl]\nwarehouse_url = "duckdb:///wh.duckdb"\n\n'
                    '[sources.erp]\nurl = "sqlite:///erp.sqlite"\n', encoding="utf-8")
    settings = load_settings(toml, environ={"KUBUS_ETL_GROUP_CURRENCY": "CHF"})
    assert settings.warehouse_url == f"duckdb:///{tmp_path / 'wh.duckdb'}"
    assert settings.etl.group_currency == "CHF"
    assert list(settings.sources) == ["erp"]


def test_problems_are_named(tmp_path: Path) -> None:
    toml = tmp_path / "kubus.toml"
    toml.write_text('[etl]\nreconciliation = "maybe"\nwarehouse = "x"\n\n'
                    '[sources.erp]\nuri = "sqlite:///erp.sqlite"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings(toml, environ={})
    text = str(info.value)
    assert "reconciliation" in text and "warehouse" in text
    assert "[sources.erp] uri: unknown key" in text
    assert "[sources.erp] url: required" in text


def test_etl_settings_are_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    missing = [f"etl.{f.name}" for f in dataclasses.fields(EtlSettings)
               if f"`etl.{f.name}`" not in doc]
    assert not missing
