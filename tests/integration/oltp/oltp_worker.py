"""Order-entry workers for the concurrency and crash tests: a function for
``multiprocessing`` (spawn) and a command line for a subprocess that gets killed.

    python oltp_worker.py URL SEED     # places orders forever, prints "ok <order id>" per commit
"""

from __future__ import annotations

import random
import sys
from datetime import date
from decimal import Decimal

from kubus.oltp.errors import OltpError
from kubus.oltp.services.sales import OrderItemInput, SalesOrderInput, create_sales_order
from kubus.oltp.store import open_store

TODAY = date(2024, 3, 4)
RDD = date(2024, 3, 12)


def random_order(rng: random.Random) -> SalesOrderInput:
    """An order of M3 (the scarce material) and one or two others, for C1 or C2."""
    items = [OrderItemInput("M3", Decimal(rng.randint(1, 9)))]
    items += [OrderItemInput(m, Decimal(rng.randint(1, 5)))
              for m in rng.sample(["M1", "M2"], rng.randint(0, 2))]
    rng.shuffle(items)
    return SalesOrderInput(rng.choice(["C1", "C2"]), RDD, tuple(items))


def place_orders(url: str, seed: int, count: int) -> list[int]:
    """Place ``count`` orders with an engine of its own; the order numbers."""
    engine = open_store(url)
    rng = random.Random(seed)
    placed = []
    try:
        for _ in range(count):
            placed.append(create_sales_order(engine, random_order(rng), today=TODAY).order_id)
    finally:
        engine.dispose()
    return placed


def main(url: str, seed: int) -> None:
    engine = open_store(url)
    rng = random.Random(seed)
    while True:
        try:
            result = create_sales_order(engine, random_order(rng), today=TODAY)
        except OltpError as exc:  # pragma: no cover - not expected with the test data
            print(f"error {exc.code}", flush=True)
            continue
        print(f"ok {result.order_id}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
