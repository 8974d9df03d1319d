"""Reading model JSON files and .cubesmodel bundle directories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubus.config.model_files import ModelFileError, read_model


def dump(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")
    return path


def test_reads_the_hello_world_model(hello_world_dir: Path) -> None:
    model = read_model(hello_world_dir / "model.json")
    assert [c["name"] for c in model["cubes"]] == ["irbd_balance"]
    assert [d["name"] for d in model["dimensions"]] == ["item", "year"]
    assert read_model(str(hello_world_dir / "model.json")) == model
    assert read_model(f"file://{hello_world_dir / 'model.json'}") == model


def test_reads_a_bundle_directory_recursively(tmp_path: Path) -> None:
    bundle = tmp_path / "webshop.cubesmodel"
    dump(bundle / "model.json", {"name": "webshop", "dimensions": [{"name": "date"}],
                                 "cubes": []})
    dump(bundle / "dim_product.json", {"name": "product", "levels": ["category"]})
    dump(bundle / "dimension_customer.json", {"name": "customer"})
    dump(bundle / "cubes" / "cube_sales.json", {"name": "sales", "dimensions": ["date"]})
    dump(bundle / "cubes" / "deeper" / "cube_webvisits.json", {"name": "webvisits"})
    dump(bundle / "notes.json", {"name": "not a model object"})
    dump(bundle / "cube.json", {"name": "no underscore, not an object file"})
    dump(bundle / "sub" / "model.json", {"name": "ignored"})
    (bundle / "README.txt").write_text("dim_x.json is not json", encoding="utf-8")

    model = read_model(bundle)

    assert model["name"] == "webshop"
    # model.json's objects first, then the files in sorted path order.
    assert [d["name"] for d in model["dimensions"]] == ["date", "product", "customer"]
    assert [c["name"] for c in model["cubes"]] == ["sales", "webvisits"]


def test_bundle_without_lists_in_model_json(tmp_path: Path) -> None:
    dump(tmp_path / "b" / "model.json", {"name": "m"})
    assert read_model(tmp_path / "b") == {"name": "m", "dimensions": [], "cubes": []}


def test_bundle_needs_model_json(tmp_path: Path) -> None:
    dump(tmp_path / "b" / "cube_x.json", {"name": "x"})
    with pytest.raises(ModelFileError, match=r"needs a model\.json") as info:
        read_model(tmp_path / "b")
    assert info.value.path == tmp_path / "b"


def test_json_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{\n  "cubes": [\n    {"name": "sales",}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(ModelFileError) as info:
        read_model(path)
    error = info.value
    assert isinstance(error, ValueError)
    assert (error.path, error.line, error.column) == (path, 3, 22)
    assert str(error) == f"{path}:3:22: JSON syntax error: Expecting property name enclosed " \
                         "in double quotes"
    assert error.__cause__ is None and error.__suppress_context__


def test_syntax_error_in_a_bundle_file_names_that_file(tmp_path: Path) -> None:
    dump(tmp_path / "b" / "model.json", {})
    bad = tmp_path / "b" / "dim_bad.json"
    bad.write_text('{"name": "bad"\n', encoding="utf-8")
    with pytest.raises(ModelFileError) as info:
        read_model(tmp_path / "b")
    assert info.value.path == bad and info.value.line == 2


def test_duplicate_objects_in_a_bundle(tmp_path: Path) -> None:
    dump(tmp_path / "b" / "model.json", {"dimensions": [{"name": "date"}]})
    dump(tmp_path / "b" / "dim_date.json", {"name": "date"})
    with pytest.raises(ModelFileError, match=r"dimension 'date' is already defined in .*model"):
        read_model(tmp_path / "b")


@pytest.mark.parametrize("content", [{"levels": []}, ["date"], {"name": 3}])
def test_bundle_object_needs_a_name(tmp_path: Path, content: Any) -> None:
    dump(tmp_path / "b" / "model.json", {})
    dump(tmp_path / "b" / "dim_x.json", content)
    with pytest.raises(ModelFileError, match="expected a dimension object with a name"):
        read_model(tmp_path / "b")


def test_bundle_lists_must_be_lists(tmp_path: Path) -> None:
    dump(tmp_path / "b" / "model.json", {"cubes": {"name": "x"}})
    with pytest.raises(ModelFileError, match="'cubes' must be a list, got an object"):
        read_model(tmp_path / "b")


@pytest.mark.parametrize(("content", "kind"), [([], "a list"), ("x", "a string"),
                                               (None, "null"), (3, "a number")])
def test_model_must_be_an_object(tmp_path: Path, content: Any, kind: str) -> None:
    path = dump(tmp_path / "model.json", content)
    with pytest.raises(ModelFileError, match=f"expected a JSON object \\(the model\\), got {kind}"):
        read_model(path)


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such file"):
        read_model(tmp_path / "nope.json")
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"name": "Nové Mesto"}'.encode("latin-1"))
    with pytest.raises(ModelFileError, match="not UTF-8"):
        read_model(latin)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"name": "m"}')
    assert read_model(path) == {"name": "m"}


def test_urls_are_not_fetched() -> None:
    with pytest.raises(ModelFileError, match="model URLs are not supported"):
        read_model("https://example.com/model.json")
