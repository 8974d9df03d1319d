"""Metadata translations (slicer-api.md §3.12), fixed: 1.1 registers ``[locale sk]`` as
language ``""`` and then crashes applying it.

A translation mirrors the model with lists replaced by name-keyed objects; a plain string means
a label::

    {"cubes": {"sales": {"label": "Predaj", "measures": {"amount": "Suma"}}},
     "dimensions": {"item": {"label": "Položka",
                             "levels": {"category": {"label": "Kategória",
                                                     "attributes": {"category_label": "Názov"}}}}}}

:func:`translate_model` returns a translated copy of a raw model; the original is untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping
from typing import Any

_TEXT_KEYS = ("label", "description")
_CUBE_LISTS = ("measures", "aggregates", "details")
_DIMENSION_LISTS = ("levels", "hierarchies")


def _as_translation(value: Any) -> Mapping[str, Any]:
    return {"label": value} if isinstance(value, str) else (value or {})


def _apply_text(target: MutableMapping[str, Any], translation: Mapping[str, Any]) -> None:
    for key in _TEXT_KEYS:
        if isinstance(translation.get(key), str):
            target[key] = translation[key]


def _translate_list(items: list[Any], translations: Mapping[str, Any],
                    nested: tuple[str, ...] = ()) -> list[Any]:
    """Translate named objects of a list; bare names become objects when translated."""
    result = []
    for item in items:
        obj = {"name": item} if isinstance(item, str) else item
        name = obj.get("name") if isinstance(obj, Mapping) else None
        if not isinstance(name, str) or name not in translations:
            result.append(item)
            continue
        translation = _as_translation(translations[name])
        translated = dict(obj)
        _apply_text(translated, translation)
        for key in nested:
            if isinstance(translated.get(key), list) and key in translation:
                translated[key] = _translate_list(translated[key], translation[key])
        result.append(translated)
    return result


def _translate_dimension(dim: MutableMapping[str, Any], translation: Mapping[str, Any]) -> None:
    _apply_text(dim, translation)
    levels = translation.get("levels") or {}
    if isinstance(dim.get("levels"), list):
        dim["levels"] = _translate_list(dim["levels"], levels, nested=("attributes",))
    elif "attributes" in translation and isinstance(dim.get("attributes"), list):
        dim["attributes"] = _translate_list(dim["attributes"], translation["attributes"])
    if isinstance(dim.get("hierarchies"), list):
        dim["hierarchies"] = _translate_list(dim["hierarchies"],
                                             translation.get("hierarchies") or {})


def translate_model(raw: Mapping[str, Any], translation: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``raw`` with the labels and descriptions of ``translation`` applied."""
    model: dict[str, Any] = copy.deepcopy(dict(raw))
    _apply_text(model, translation)
    cube_translations = translation.get("cubes") or {}
    cubes = []
    for cube in model.get("cubes") or ():
        found = cube_translations.get(cube.get("name"))
        if found is None:
            cubes.append(cube)
            continue
        found = _as_translation(found)
        _apply_text(cube, found)
        for key in _CUBE_LISTS:
            if isinstance(cube.get(key), list) and key in found:
                cube[key] = _translate_list(cube[key], found[key])
        cubes.append(cube)
    if "cubes" in model:
        model["cubes"] = cubes
    dim_translations = translation.get("dimensions") or {}
    dimensions = []
    for dim in model.get("dimensions") or ():
        obj = {"name": dim} if isinstance(dim, str) else dim
        found = dim_translations.get(obj.get("name"))
        if found is not None:
            obj = dict(obj)
            _translate_dimension(obj, _as_translation(found))
        dimensions.append(obj)
    if "dimensions" in model:
        model["dimensions"] = dimensions
    return model
