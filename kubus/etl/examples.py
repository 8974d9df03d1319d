"""Load the Cubes hello-world example table into a warehouse (demo and conformance data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

HELLO_WORLD_COLUMNS = ("category", "category_label", "subcategory", "subcategory_label",
                       "line_item", "year", "amount")


def read_hello_world(csv_path: Path) -> pd.DataFrame:
    """The example CSV as the table ``irbd_balance``: ``id`` 1..62 in file order first."""
    frame = pd.read_csv(csv_path, header=0, names=list(HELLO_WORLD_COLUMNS),
                        dtype={"year": "int64", "amount": "int64"})
    frame.insert(0, "id", range(1, len(frame) + 1))
    return frame


def load_hello_world(engine: sa.Engine, csv_path: Path, *, replace: bool = False) -> bool:
    """Create and fill ``irbd_balance`` unless it exists; True when it was loaded."""
    if not replace and sa.inspect(engine).has_table("irbd_balance"):
        return False
    frame = read_hello_world(csv_path)
    metadata = sa.MetaData()
    table = sa.Table(
        "irbd_balance", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        *(sa.Column(name, sa.Integer if name in ("year", "amount") else sa.String)
          for name in HELLO_WORLD_COLUMNS))
    with engine.begin() as conn:
        table.drop(conn, checkfirst=True)
        table.create(conn)
        records: list[dict[str, object]] = [
            {str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
        conn.execute(table.insert(), records)
    return True
