"""Reading Cubes model files: one JSON file or a ``.cubesmodel`` bundle directory.

A bundle holds ``model.json`` plus, anywhere below it, ``dim_*.json`` / ``dimension_*.json``
(one dimension object each, appended to ``"dimensions"``) and ``cube_*.json`` (one cube object
each, appended to ``"cubes"``), as ``slicer model convert --format bundle`` writes them
(slicer-api.md §3.1). Files are visited in sorted order so the result does not depend on the
file system.

Errors are :class:`ModelFileError` with the file, and for JSON syntax errors the line and column.
Cubes 1.1 dropped into ``pdb`` here (upstream #356/#374); we never show a traceback.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

__all__ = ["ModelFileError", "read_model"]

_BUNDLE_PREFIXES = {"dim": "dimensions", "dimension": "dimensions", "cube": "cubes"}
_URL = re.compile(r"^[a-z][a-z0-9+.-]+://", re.IGNORECASE)


class ModelFileError(ValueError):
    """A model file that cannot be read. ``str()`` is ``path[:line:column]: message``."""

    def __init__(self, message: str, *, path: Path, line: int | None = None,
                 column: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        where = str(path) if line is None else f"{path}:{line}:{column}"
        super().__init__(f"{where}: {message}")


def read_model(path: str | Path) -> dict[str, Any]:
    """The model description in ``path``: a JSON file or a bundle directory.

    ``file://`` URLs are accepted; other URLs are not fetched. Example::

        model = read_model("examples/webshop.cubesmodel")
        [cube["name"] for cube in model["cubes"]]  # ['sales', 'webvisits']
    """
    text = str(path)
    if text.startswith("file://"):
        text = text[len("file://"):]
    elif _URL.match(text):
        raise ModelFileError("model URLs are not supported; download the model and give its "
                             "path", path=Path(text))
    source = Path(text).expanduser()
    if source.is_dir():
        return _read_bundle(source)
    model = _read_json(source)
    if not isinstance(model, dict):
        raise ModelFileError(f"expected a JSON object (the model), got {_kind(model)}",
                             path=source)
    return model


def _read_bundle(directory: Path) -> dict[str, Any]:
    main = directory / "model.json"
    if not main.is_file():
        raise ModelFileError("a model bundle directory needs a model.json", path=directory)
    model = _read_json(main)
    if not isinstance(model, dict):
        raise ModelFileError(f"expected a JSON object (the model), got {_kind(model)}",
                             path=main)
    origins: dict[tuple[str, str], Path] = {}
    for key in ("dimensions", "cubes"):
        model.setdefault(key, [])
        if not isinstance(model[key], list):
            raise ModelFileError(f"'{key}' must be a list, got {_kind(model[key])}", path=main)
        for item in model[key]:
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str):
                origins.setdefault((key, name), main)
    for file in _bundle_files(directory):
        key = _BUNDLE_PREFIXES[file.name.split("_", 1)[0]]
        obj = _read_json(file)
        kind = "dimension" if key == "dimensions" else "cube"
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            raise ModelFileError(f"expected a {kind} object with a name", path=file)
        first = origins.setdefault((key, obj["name"]), file)
        if first != file:
            raise ModelFileError(f"{kind} '{obj['name']}' is already defined in {first}",
                                 path=file)
        model[key].append(obj)
    return model


def _bundle_files(directory: Path) -> list[Path]:
    """Object files below ``directory`` (recursively), sorted; ``model.json`` itself excluded."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        for name in sorted(filenames):
            prefix = name.split("_", 1)[0]
            if name.endswith(".json") and "_" in name and prefix in _BUNDLE_PREFIXES:
                found.append(Path(dirpath) / name)
    return found


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ModelFileError("no such file", path=path) from None
    except IsADirectoryError:
        raise ModelFileError("is a directory without model.json", path=path) from None
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                             path=path) from None
    except OSError as exc:
        raise ModelFileError(f"cannot read the file: {exc.strerror}", path=path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"JSON syntax error: {exc.msg}", path=path, line=exc.lineno,
                             column=exc.colno) from None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")
