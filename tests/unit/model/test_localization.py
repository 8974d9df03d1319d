"""Metadata translations applied to the hello-world model."""

from __future__ import annotations

import json

from conftest import HELLO_WORLD_DIR

from kubus.model.catalog import Catalog, ModelSpec
from kubus.model.localization import translate_model
from kubus.model.serialize import cube_to_dict

SK = {
    "cubes": {"irbd_balance": {"label": "Súvaha", "description": "Súvaha IBRD",
                               "measures": {"amount": "Suma"},
                               "aggregates": {"amount_sum": {"label": "Súčet sumy"}}}},
    "dimensions": {
        "item": {"label": "Položka",
                 "levels": {"category": {"label": "Kategória",
                                         "attributes": {"category_label": "Názov kategórie"}}}},
        "year": "Rok",
    },
}


def raw_model() -> dict:
    return json.loads((HELLO_WORLD_DIR / "model.json").read_text())


def test_labels_are_translated_and_the_original_is_untouched() -> None:
    original = raw_model()
    translated = translate_model(original, SK)
    assert original == raw_model()
    cube = Catalog.from_models([ModelSpec(translated)]).cube("irbd_balance")
    body = cube_to_dict(cube)
    assert body["label"] == "Súvaha" and body["description"] == "Súvaha IBRD"
    assert body["measures"][0]["label"] == "Suma"
    assert body["aggregates"][0]["label"] == "Súčet sumy"
    item = next(d for d in body["dimensions"] if d["name"] == "item")
    assert item["label"] == "Položka"
    category = item["levels"][0]
    assert category["label"] == "Kategória"
    assert category["attributes"][1]["label"] == "Názov kategórie"
    # refs, names and structure never change: clients keep working in any language
    assert [a["ref"] for a in category["attributes"]] == ["item.category", "item.category_label"]
    year = next(d for d in body["dimensions"] if d["name"] == "year")
    assert year["label"] == "Rok"


def test_unknown_names_in_a_translation_are_ignored() -> None:
    translated = translate_model(raw_model(), {"cubes": {"nosuch": "x"},
                                               "dimensions": {"nosuch": "y"}})
    assert translated == raw_model()
