"""``fact_interaction``: interaction-center contacts (domain.md §6.6) from the OLTP
``interaction`` table (migration 0004; sources without it load no interactions).

Flags the IC cube sums: ``offered_flag`` inbound phone and chat contacts; ``answered_flag``
answered and not abandoned; ``short_abandon_flag`` abandoned within
:data:`SHORT_ABANDON_SECONDS`; ``answered_in_sla_flag`` answered within :data:`SLA_SECONDS`
(service level = Σ answered in SLA / (Σ offered - Σ short abandons), IC-1);
``resolved_first_contact_flag`` an identified inbound contact with no further contact of the
same customer on the same topic within :data:`FCR_DAYS` days; ``order_flag`` a linked sales
order (its value translated on the order date in ``order_value_gc``). ``response_seconds`` is
e-mail receipt → first answer. Because FCR looks at a customer's other contacts, a delta
reloads every interaction of the customers it touches (:func:`expand_ids`).

Example::

    rows = interaction_rows(ctx, read_interactions(reader, ids))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kubus.etl import dimensions as dims
from kubus.etl import queries as q
from kubus.etl.facts import Context
from kubus.etl.sources import Reader
from kubus.etl.transform import date_key, text

__all__ = ["FCR_DAYS", "SHORT_ABANDON_SECONDS", "SLA_SECONDS", "expand_ids", "has_interactions",
           "interaction_rows", "read_interactions"]

_t = q.nullable_text
SLA_SECONDS = 20
SHORT_ABANDON_SECONDS = 5
FCR_DAYS = 7

# When the first reply to an inbound message was sent (e-mail initial response time).
_FIRST_REPLY = ("(SELECT MIN(r.started_at) FROM interaction r WHERE r.parent_id = "
                "i.interaction_id AND r.direction = 'out')")
INTERACTIONS = f"""
SELECT i.interaction_id, i.channel, i.direction, {_t('i.customer_id')}, i.topic, i.outcome,
       {_t('i.started_at', width=32)}, {_t('i.answered_at', width=32)},
       {_t('i.received_at', width=32)},
       {_t(_FIRST_REPLY, 'first_reply_at', width=32)},
       CAST(COALESCE(i.wait_seconds, 0) AS BIGINT) AS wait_seconds,
       CAST(COALESCE(i.handling_seconds, 0) AS BIGINT) AS handling_seconds,
       CASE WHEN i.abandoned THEN 1 ELSE 0 END AS abandoned,
       CAST(COALESCE(i.order_id, 0) AS BIGINT) AS order_id,
       CAST(COALESCE(o.net_value, 0) AS DOUBLE PRECISION) AS order_value,
       {_t('o.currency')}, {_t('o.order_date')}
FROM interaction i LEFT JOIN sales_order o ON o.order_id = i.order_id WHERE {{where}}"""
_BY_CUSTOMER = "SELECT interaction_id FROM interaction i WHERE {where}"
_BY_ORDER = "SELECT interaction_id FROM interaction i WHERE {where}"


def has_interactions(reader: Reader) -> bool:
    """Whether the source has the ``interaction`` table (without failing its transaction)."""
    if reader.dialect == "sqlite":
        sql = "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = " \
              "'interaction'"
    else:
        sql = ("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = "
               "'interaction' AND table_schema = current_schema()")
    return bool(int(reader.frame(sql)["n"].iloc[0]))


def expand_ids(reader: Reader, ids: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """``ids`` plus every interaction of their customers and of the changed ``orders``."""
    if not has_interactions(reader):
        return np.empty(0, "int64")
    found = [ids]
    if len(orders):
        found.append(q.read_docs(reader, _BY_ORDER, "i.order_id", orders)["interaction_id"]
                     .to_numpy(dtype="int64"))
    touched = np.unique(np.concatenate(found))
    if len(touched):
        named = q.read_docs(reader, INTERACTIONS, "i.interaction_id", touched)["customer_id"]
        customers = list(named[named != ""].unique())
        if customers:
            found.append(q.read_docs(reader, _BY_CUSTOMER, "i.customer_id", customers)
                         ["interaction_id"].to_numpy(dtype="int64"))
    return np.unique(np.concatenate(found)).astype("int64")


def read_interactions(reader: Reader, ids: np.ndarray | None) -> pd.DataFrame:
    if not has_interactions(reader):
        return pd.DataFrame(columns=["interaction_id"])
    return q.read_docs(reader, INTERACTIONS, "i.interaction_id", ids)


def _stamp(values: pd.Series) -> pd.Series:
    return pd.to_datetime(text(values).where(text(values) != "", None), format="ISO8601")


def _first_contact_resolved(items: pd.DataFrame, started: pd.Series) -> pd.Series:
    """No later contact of the same customer on the same topic within FCR_DAYS days."""
    frame = pd.DataFrame({"c": items["customer_id"], "t": items["topic"], "s": started},
                         index=items.index).sort_values(["c", "t", "s"])
    following = frame.groupby(["c", "t"])["s"].shift(-1)
    repeat = (following - frame["s"]) <= pd.Timedelta(days=FCR_DAYS)
    resolved = ~repeat.fillna(False).astype(bool)
    identified = (frame["c"] != "") & (items.loc[frame.index, "direction"] == "in")
    return pd.Series((resolved & identified).reindex(items.index), dtype=bool)


def interaction_rows(ctx: Context, items: pd.DataFrame) -> pd.DataFrame:
    if items.empty:
        return pd.DataFrame(columns=["source_key", "interaction_id", "load_id"])
    started, answered = _stamp(items["started_at"]), _stamp(items["answered_at"])
    received = _stamp(items["received_at"])
    abandoned = items["abandoned"].astype(bool)
    wait = items["wait_seconds"].astype("int64")
    is_answered = answered.notna() & ~abandoned
    email = items["channel"] == "email"
    # E-mail initial response time (domain.md §6.6): receipt to the first reply sent, or to
    # an agent's processing when that is recorded.
    first_reply = _stamp(items["first_reply_at"])
    responded = first_reply.where(first_reply.notna(), answered)
    inbound = items["direction"] == "in"
    response = ((responded - received).dt.total_seconds()).where(
        email & inbound & responded.notna())
    # The outbound confirmation carries the order id too: count each order once, inbound.
    has_order = (items["order_id"] > 0) & inbound
    value = ctx.gc(items["order_value"].where(has_order, 0.0), items["currency"],
                   items["order_date"])
    return ctx.head(
        items, interaction_id=items["interaction_id"], date_key=date_key(items["started_at"]),
        channel_key=ctx.key(dims.CHANNEL, items["channel"]),
        customer_key=ctx.customer(items["customer_id"]), direction=items["direction"],
        topic=items["topic"].astype(str).str.slice(0, 40),
        outcome=items["outcome"].astype(str).str.slice(0, 20), contact_count=1,
        offered_flag=_flag((items["direction"] == "in") & items["channel"].isin(["phone",
                                                                                 "chat"])),
        answered_flag=_flag(is_answered), abandoned_flag=_flag(abandoned),
        short_abandon_flag=_flag(abandoned & (wait < SHORT_ABANDON_SECONDS)),
        answered_in_sla_flag=_flag(is_answered & (wait <= SLA_SECONDS)),
        resolved_first_contact_flag=_flag(_first_contact_resolved(items, started)),
        order_flag=_flag(has_order), handling_seconds=items["handling_seconds"],
        wait_seconds=wait, response_seconds=response.round().astype("Int64"),
        order_value_gc=value)


def _flag(mask: pd.Series) -> np.ndarray:
    return np.asarray(mask.fillna(False), dtype=bool).astype("int16")
