"""Delta extraction: from change-log rows to the documents each fact must reload.

The change log names a table and a row key (primary key joined with ``/``). A load does not
replay those changes; it maps them, set-based, to the *semantic keys* of the facts (the
document ids) and later reads the current state of exactly those documents (DSO overwrite,
domain.md §4.5): an item, schedule-line or rejection change reloads the order; a goods issue
(material document with a delivery) reloads the delivery and its orders' items; a goods
receipt reloads the purchase order; a billing document or item reloads the billing document; a
cleared open item or a payment reloads those. Master-data changes become dimension upserts.

Example::

    changes = reader.frame("SELECT entity, key FROM change_log WHERE seq > 10")
    keys = affected_keys(changes, reader)
    keys.ids["order"]       # array of order ids whose fact_order_item rows are reloaded
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kubus.etl import queries as q
from kubus.etl.sources import Reader

__all__ = ["DOCUMENTS", "MASTERS", "ChangeSet", "affected_keys", "read_changes"]

# Document kind -> the change-log entities (tables) whose first key part is its id.
DOCUMENTS: dict[str, tuple[str, ...]] = {
    "order": ("sales_order", "sales_order_item", "sales_order_schedule_line"),
    "delivery": ("delivery", "delivery_item"),
    "billing": ("billing_document", "billing_item"),
    "open_item": ("open_item",),
    "payment": ("payment", "payment_item"),
    "movement": ("material_document", "material_document_item"),
    "po": ("purchase_order", "purchase_order_item", "purchase_order_schedule_line"),
    "atp": ("atp_check",),
    "interaction": ("interaction",),
}
# Master-data kind -> its table (a one-column string key).
MASTERS: dict[str, str] = {"customer": "customer", "material": "material", "plant": "plant",
                           "route": "route", "vendor": "vendor"}


@dataclass(frozen=True)
class ChangeSet:
    """What one load reloads: ids per document kind and master kind; ``None`` = everything."""

    ids: dict[str, np.ndarray | None] = field(default_factory=dict)
    masters: dict[str, np.ndarray | None] = field(default_factory=dict)
    changes: int = 0

    @staticmethod
    def everything(changes: int = 0) -> ChangeSet:
        return ChangeSet(dict.fromkeys(DOCUMENTS),
                         dict.fromkeys(MASTERS), changes)

    @property
    def empty(self) -> bool:
        return all(v is not None and len(v) == 0
                   for v in (*self.ids.values(), *self.masters.values()))


def read_changes(reader: Reader, from_seq: int, to_seq: int) -> pd.DataFrame:
    """Entity and key of every change in ``(from_seq, to_seq]`` (one row per distinct pair)."""
    return reader.frame(
        f'SELECT DISTINCT entity, "key" FROM change_log WHERE seq > {int(from_seq)} '
        f"AND seq <= {int(to_seq)}")


def _first_part(keys: pd.Series) -> np.ndarray:
    return pd.to_numeric(keys.str.split("/", n=1).str[0], errors="coerce").dropna() \
        .astype("int64").unique()


def _ids(column: pd.Series) -> np.ndarray:
    return column.dropna().astype("int64").unique()


def affected_keys(changes: pd.DataFrame, reader: Reader) -> ChangeSet:
    """The documents and master records touched by ``changes`` (columns entity, key)."""
    by_entity = changes.groupby("entity")["key"]
    groups = dict(iter(by_entity))
    ids: dict[str, np.ndarray] = {}
    for kind, entities in DOCUMENTS.items():
        found = [_first_part(groups[e]) for e in entities if e in groups]
        ids[kind] = np.unique(np.concatenate(found)) if found else np.empty(0, "int64")
    # A goods movement changes the delivery (goods issue), the order items (issued quantity)
    # and the purchase order (received quantity) it refers to.
    if len(ids["movement"]):
        links = q.read_docs(reader, q.MOVEMENT_LINKS, "m.mat_doc_id", ids["movement"])
        ids["delivery"] = np.union1d(ids["delivery"], _ids(links["delivery_id"]))
        ids["order"] = np.union1d(ids["order"], _ids(links["order_id"]))
        ids["po"] = np.union1d(ids["po"], _ids(links["po_id"]))
    if len(ids["delivery"]):
        orders = q.read_docs(reader, q.DELIVERY_ORDERS, "d.delivery_id", ids["delivery"])
        ids["order"] = np.union1d(ids["order"], _ids(orders["order_id"]))
    if len(ids["interaction"]) or len(ids["order"]):
        # Imported here: interactions builds on the fact transformations.
        from kubus.etl.interactions import expand_ids

        ids["interaction"] = expand_ids(reader, ids["interaction"], ids["order"])
    masters = {kind: (groups[table].unique() if table in groups else np.empty(0, object))
               for kind, table in MASTERS.items()}
    return ChangeSet(dict(ids), dict(masters), len(changes))
