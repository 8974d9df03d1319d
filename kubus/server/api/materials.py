"""Materials (MARA) with plant data (MARC/MBEW) and sales prices, and stock (MARD): levels per
plant and storage location, what is available to promise, initial entries and transfers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa

from kubus.oltp import masterdata as md
from kubus.oltp.schema import material, material_plant, sales_price, stock
from kubus.oltp.services.inventory import (
    InitialStockInput,
    TransferInput,
    post_initial_stock,
    transfer_stock,
)
from kubus.server.api.deliveries import PostingDate
from kubus.server.api.documents import MaterialDocument, read_material_document
from kubus.server.api.operations import Body, Call, Created, Lookup, Operation, Page, Param, url
from kubus.server.api.paging import PAGING, page
from kubus.server.api.rows import from_row, money_of, qty

__all__ = ["OPERATIONS", "read_material"]

TAG = "Master data"
STOCK_TAG = "Stock"


@dataclass(frozen=True)
class MaterialPlantBody:
    """The material's data in one plant (MARC/MBEW): standard price, checking group, lead
    times."""

    COLUMNS_FROM: ClassVar[tuple[sa.Table, ...]] = (material_plant,)

    plant: str
    standard_price: Decimal
    checking_group: str = "02"
    procurement_type: str = "F"
    planned_delivery_days: int = 0
    gr_processing_days: int = 0
    inhouse_production_days: int = 0
    replenishment_days: int = 0
    loading_group: str = "0001"
    price_control: str = "S"


@dataclass(frozen=True)
class SalesPriceBody:
    """A list price (condition PR00) per sales organisation, channel and currency."""

    COLUMNS_FROM: ClassVar[tuple[sa.Table, ...]] = (sales_price,)

    sales_org: str
    distribution_channel: str
    currency: str
    valid_from: date
    price: Decimal


@dataclass(frozen=True)
class MaterialData:
    plants: tuple[MaterialPlantBody, ...] = ()
    prices: tuple[SalesPriceBody, ...] = ()


@dataclass(frozen=True)
class MaterialPlant:
    plant: str
    standard_price: Decimal
    checking_group: str
    procurement_type: str
    planned_delivery_days: int
    gr_processing_days: int
    inhouse_production_days: int
    replenishment_days: int
    loading_group: str
    price_control: str
    open_confirmed_qty: Decimal


@dataclass(frozen=True)
class SalesPrice:
    sales_org: str
    distribution_channel: str
    currency: str
    valid_from: date
    price: Decimal


@dataclass(frozen=True)
class MaterialSummary:
    material_id: str
    description: str
    base_unit: str
    material_type: str
    category: str
    subcategory: str
    transportation_group: str
    tax_class: str
    gross_weight: Decimal | None
    weight_unit: str | None


@dataclass(frozen=True)
class Material(MaterialSummary):
    """A material with its plant data and sales prices."""

    plants: tuple[MaterialPlant, ...]
    prices: tuple[SalesPrice, ...]


@dataclass(frozen=True)
class StockLevel:
    """Stock of a material in one storage location (never negative)."""

    material_id: str
    plant: str
    storage_location: str
    unrestricted: Decimal
    quality: Decimal
    blocked: Decimal


@dataclass(frozen=True)
class PlantStock:
    """Stock in one plant; ``available`` = unrestricted - open confirmed quantity of sales
    orders (what the default availability check confirms from)."""

    plant: str
    unrestricted: Decimal
    quality: Decimal
    blocked: Decimal
    open_confirmed_qty: Decimal
    available: Decimal
    storage_locations: tuple[StockLevel, ...]


@dataclass(frozen=True)
class MaterialStock:
    material_id: str
    plants: tuple[PlantStock, ...]


def _level(row: Any) -> StockLevel:
    return from_row(StockLevel, row, unrestricted=qty(row.unrestricted),
                    quality=qty(row.quality), blocked=qty(row.blocked))


def read_material(conn: sa.Connection, material_id: str) -> Material:
    head = conn.execute(sa.select(material).where(material.c.material_id == material_id)).one()
    plants = tuple(from_row(MaterialPlant, r, standard_price=money_of(r.standard_price),
                            open_confirmed_qty=qty(r.open_confirmed_qty))
                   for r in conn.execute(sa.select(material_plant).where(
                       material_plant.c.material_id == material_id)
                       .order_by(material_plant.c.plant)))
    sp = sales_price
    prices = tuple(from_row(SalesPrice, r, price=money_of(r.price))
                   for r in conn.execute(sa.select(sp).where(sp.c.material_id == material_id)
                                         .order_by(sp.c.sales_org, sp.c.distribution_channel,
                                                   sp.c.currency, sp.c.valid_from)))
    weight = None if head.gross_weight is None else qty(head.gross_weight)
    return from_row(Material, head, gross_weight=weight, plants=plants, prices=prices)


def read_material_stock(conn: sa.Connection, material_id: str) -> MaterialStock:
    levels = [_level(r) for r in conn.execute(
        sa.select(stock).where(stock.c.material_id == material_id)
        .order_by(stock.c.plant, stock.c.storage_location))]
    plants = []
    for r in conn.execute(sa.select(material_plant).where(
            material_plant.c.material_id == material_id).order_by(material_plant.c.plant)):
        here = tuple(level for level in levels if level.plant == r.plant)
        totals = {k: qty(sum((getattr(level, k) for level in here), Decimal(0)))
                  for k in ("unrestricted", "quality", "blocked")}
        committed = qty(r.open_confirmed_qty)
        plants.append(PlantStock(r.plant, **totals, open_confirmed_qty=committed,
                                 available=max(totals["unrestricted"] - committed,
                                               Decimal("0.000")),
                                 storage_locations=here))
    return MaterialStock(material_id, tuple(plants))


def _create_material(call: Call) -> Created[Material]:
    new: md.Material = call.body
    extra: MaterialData = call.extras
    records: list[Any] = [new]
    for plant in extra.plants:
        records.append(md.MaterialPlant(material_id=new.material_id, **{
            f.name: getattr(plant, f.name) for f in dataclasses.fields(plant)}))
    for price in extra.prices:
        records.append(md.SalesPrice(material_id=new.material_id, **{
            f.name: getattr(price, f.name) for f in dataclasses.fields(price)}))
    md.create(call.conn, records)
    return Created(read_material(call.conn, new.material_id), url("materials", new.material_id))


def _list_materials(call: Call) -> Page[MaterialSummary]:
    args = call.query
    query = sa.select(material)
    for name in ("category", "material_type"):
        if args.get(name):
            query = query.where(material.c[name] == args[name])
    if args.get("plant"):
        mp = material_plant
        query = query.where(sa.exists().where(mp.c.material_id == material.c.material_id,
                                              mp.c.plant == args["plant"]))
    return page(call.conn, query, [material.c.material_id], args, lambda r: from_row(
        MaterialSummary, r, gross_weight=None if r.gross_weight is None else qty(r.gross_weight)))


def _list_stock(call: Call) -> Page[StockLevel]:
    args = call.query
    query = sa.select(stock)
    for name, column in (("material", stock.c.material_id), ("plant", stock.c.plant),
                         ("storage_location", stock.c.storage_location)):
        if args.get(name):
            query = query.where(column == args[name])
    return page(call.conn, query, [stock.c.material_id, stock.c.plant,
                                   stock.c.storage_location], args, _level)


def _post_initial_stock(call: Call) -> Created[MaterialDocument]:
    result = post_initial_stock(call.conn, call.body,
                                posting_date=call.date_or_today("posting_date"))
    return Created(read_material_document(call.conn, result.mat_doc_id),
                   url("material-documents", result.mat_doc_id))


def _transfer(call: Call) -> Created[MaterialDocument]:
    result = transfer_stock(call.conn, call.body, posting_date=call.date_or_today("posting_date"))
    return Created(read_material_document(call.conn, result.mat_doc_id),
                   url("material-documents", result.mat_doc_id))


MATERIAL_ID = Param("material_id", str, "Material number", where="path")
MATERIAL = Lookup(material, ("material_id",), "unknown_material", "material")

OPERATIONS = (
    Operation("GET", "/materials", "listMaterials", "List materials", TAG, _list_materials,
              MaterialSummary, paged=True, params=(
                  Param("category", str, "Only materials of this category."),
                  Param("material_type", str, "Only materials of this type (FERT, ...)."),
                  Param("plant", str, "Only materials maintained in this plant."), *PAGING)),
    Operation("POST", "/materials", "createMaterial",
              "Create a material with plant data and sales prices", TAG, _create_material,
              Material, status=201, body=Body(md.Material, MaterialData)),
    Operation("GET", "/materials/{material_id}", "getMaterial",
              "A material with plant data and prices", TAG,
              lambda call: read_material(call.conn, call.path["material_id"]), Material,
              params=(MATERIAL_ID,), lookups=(MATERIAL,)),
    Operation("GET", "/materials/{material_id}/stock", "getMaterialStock",
              "Stock of a material per plant and storage location", STOCK_TAG,
              lambda call: read_material_stock(call.conn, call.path["material_id"]),
              MaterialStock, params=(MATERIAL_ID,), lookups=(MATERIAL,)),
    Operation("GET", "/stock", "listStock", "Stock levels per storage location", STOCK_TAG,
              _list_stock, StockLevel, paged=True, params=(
                  Param("material", str, "Only this material."),
                  Param("plant", str, "Only this plant."),
                  Param("storage_location", str, "Only this storage location."), *PAGING)),
    Operation("POST", "/stock/initial-entries", "postInitialStock",
              "Enter initial stock balances (561)", STOCK_TAG, _post_initial_stock,
              MaterialDocument, status=201, body=Body(InitialStockInput, PostingDate),
              description="Valued at standard price against an offset account."),
    Operation("POST", "/stock/transfers", "transferStock",
              "Transfer stock between stock types (321/322/343/344)", STOCK_TAG, _transfer,
              MaterialDocument, status=201, body=Body(TransferInput, PostingDate),
              description="From/to types: U unrestricted, Q quality inspection, B blocked "
                          "(Q->U 321, U->Q 322, B->U 343, U->B 344)."),
)
