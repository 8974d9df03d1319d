"""Checks of the model object (keys, mappings, join templates), then of every cube and dimension.

:func:`validate_model` runs them on one model description.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from kubus.model.validation.checker import _At, _Checker, _kind, _name_of
from kubus.model.validation.cubes import _check_cube
from kubus.model.validation.dimensions import _check_dimension, _dimension_summary
from kubus.model.validation.keys import MODEL_KEYS, MODEL_LOADER_KEYS, PROVIDERS
from kubus.model.validation.mappings import _check_join, _check_mappings, _join_label, _Refs
from kubus.model.validation.problems import Problem


def _check_model(c: _Checker, raw: Any) -> None:
    root = _At("model", None, "")
    if not isinstance(raw, Mapping):
        c.error(root, None, f"Expected the model to be a JSON object, got {_kind(raw)}")
        return
    c.keys(root, raw, MODEL_KEYS, MODEL_LOADER_KEYS)
    provider = raw.get("provider")
    if isinstance(provider, str) and provider not in PROVIDERS:
        c.warning(root, "provider", f"Model provider '{provider}' is not built into Kubus "
                                    f"(known: {', '.join(PROVIDERS)})")
    dims = c.list_of(root, raw, "dimensions")
    for i, dim in dims:
        summary = _dimension_summary(dim)
        if summary is not None:
            c.dimensions.setdefault(summary.name, summary)
        if isinstance(dim, str):
            # 1.1 reports this as a default and then crashes (FIX 22): a string is {"name": s}.
            c.add("default", root, "dimensions", f"Dimension '{dim}' is not described, "
                  "creating flat single-attribute dimension", path=f"dimensions[{i}]")
    cubes = c.list_of(root, raw, "cubes")
    if isinstance(raw.get("mappings"), Mapping):
        c.model_mappings = raw["mappings"]
    _check_mappings(c, root, raw.get("mappings"), _Refs(None, set(), set()))
    _check_model_joins(c, root, raw, cubes)
    for i, cube in cubes:
        _check_cube(c, cube, f"cubes[{i}]")
    c.duplicates("cube", "cube", ((f"cubes[{i}]", _name_of(cube)) for i, cube in cubes))
    for i, dim in dims:
        _check_dimension(c, dim, f"dimensions[{i}]")
    c.duplicates("dimension", "dimension",
                 ((f"dimensions[{i}]", _name_of(dim)) for i, dim in dims))


def _check_model_joins(c: _Checker, root: _At, raw: Mapping[str, Any],
                       cubes: list[tuple[int, Any]]) -> None:
    """Model joins are named templates for cube joins (slicer-api.md §3.8)."""
    joins = [(f"joins[{i}]", _check_join(c, join, f"joins[{i}]"))
             for i, join in c.list_of(root, raw, "joins")]
    c.has_model_joins = bool(joins)
    if not any(isinstance(cube, Mapping) and cube.get("joins") for _, cube in cubes):
        return
    for path, join in joins:
        if join is None:
            continue
        name = join.get("name")
        at = _At("join", _join_label(join), path)
        if not isinstance(name, str):
            c.error(at, "name", "Model joins need a unique name when cubes have joins "
                                "(they are templates for the cube joins)")
        elif name in c.join_templates:
            c.error(at, "name", f"Duplicate model join name '{name}'")
        else:
            c.join_templates[name] = join


def validate_model(raw: Mapping[str, Any], *,
                   known_dimensions: Collection[str] = ()) -> list[Problem]:
    """Every problem of the model description ``raw``, in document order.

    ``known_dimensions`` names dimensions defined by other models of the workspace, which
    cubes of this model may link to.
    """
    checker = _Checker(known_dimensions)
    _check_model(checker, raw)
    return checker.problems
