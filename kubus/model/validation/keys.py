"""What each object of a Cubes model accepts: its keys, their kinds, and the choices."""

from __future__ import annotations

from kubus.model.metadata import AGGREGATE_FUNCTIONS, POST_AGGREGATE_FUNCTIONS

# --- what each object accepts (slicer-api.md §3.1-§3.6, §3.9) -----------------------------------
# A key's kind says how its value is checked; "*" values are checked by the object's own code.

_DESCRIPTIVE = {"label": "str", "description": "str", "info": "object"}
MODEL_KEYS = {
    "name": "str", **_DESCRIPTIVE, "provider": "str", "browser_options": "object",
    "cubes": "*", "dimensions": "*", "schema": "str", "store": "str", "mappings": "*",
    "joins": "*",
}
#: Accepted by the 1.1 loader but not by its schema.
MODEL_LOADER_KEYS = {"locale": "str", "options": "object", "public_dimensions": "list"}
CUBE_KEYS = {
    "name": "*", **_DESCRIPTIVE, "category": "str", "fact": "str", "key": "str", "store": "str",
    "browser_options": "object", "measures": "*", "aggregates": "*", "details": "*",
    "implicit_aggregates": "bool", "dimensions": "*", "hierarchies": "*", "mappings": "*",
    "joins": "*", "locale": "str", "browser": "str", "nonadditive": "nonadditive",
}
LINK_KEYS = {
    "name": "*", "hierarchies": "str-list", "exclude_hierarchies": "str-list",
    "default_hierarchy_name": "str", "cardinality": "cardinality",
    "nonadditive": "nonadditive", "alias": "*", "template": "str",
}
DIMENSION_KEYS = {
    "name": "*", **_DESCRIPTIVE, "category": "str", "role": "str", "cardinality": "cardinality",
    "nonadditive": "nonadditive", "levels": "*", "attributes": "*", "hierarchies": "*",
    "hierarchy": "str-list", "default_hierarchy_name": "str", "template": "str", "key": "str",
    "label_attribute": "str", "order_attribute": "str", "order": "order",
}
LEVEL_KEYS = {
    "name": "*", **_DESCRIPTIVE, "attributes": "*", "key": "str", "label_attribute": "str",
    "order_attribute": "str", "order": "order", "cardinality": "cardinality", "role": "str",
    "nonadditive": "nonadditive",
}
HIERARCHY_KEYS = {"name": "*", **_DESCRIPTIVE, "levels": "str-list"}
ATTRIBUTE_KEYS = {
    "name": "*", **_DESCRIPTIVE, "format": "str", "order": "order", "missing_value": "scalar",
    "locales": "str-list", "expression": "expression",
}
MEASURE_KEYS = {
    "name": "*", **_DESCRIPTIVE, "format": "str", "order": "order", "missing_value": "scalar",
    "expression": "expression", "aggregates": "str-list", "formula": "str",
    "nonadditive": "nonadditive", "window_size": "positive-int",
}
AGGREGATE_KEYS = {
    "name": "*", **_DESCRIPTIVE, "format": "str", "order": "order", "missing_value": "scalar",
    "measure": "str", "function": "str", "expression": "expression", "formula": "str",
    "nonadditive": "nonadditive", "window_size": "positive-int",
}
JOIN_KEYS = {"master": "*", "detail": "*", "alias": "str", "method": "join-method",
             "name": "str"}
JOIN_END_KEYS = {"schema": "str", "table": "str", "column": "*"}
MAPPING_KEYS = {"schema": "str", "table": "str", "column": "str", "extract": "str",
                "function": "str"}

CARDINALITIES = ("tiny", "low", "medium", "high")
NONADDITIVE = ("none", "all", "any", "time")
JOIN_METHODS = ("match", "master", "detail")
FUNCTIONS = (*AGGREGATE_FUNCTIONS, *POST_AGGREGATE_FUNCTIONS)
#: ``identity`` in a measure's ``aggregates`` yields an aggregate named like the measure.
MEASURE_AGGREGATES = (*FUNCTIONS, "identity")
PROVIDERS = ("default", "static", "slicer")
