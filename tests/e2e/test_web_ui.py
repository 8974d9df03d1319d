"""The analysts' web page in a real headless Chromium against a real Kubus server.

Every expected number comes from the test's own Slicer API calls (``/aggregate``, ``/facts``)
made with ``requests``, never from the page. One browser session serves the whole module.
"""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from web_support import DemoServer, Page, Served

pytest_plugins = ["web_support"]
pytestmark = pytest.mark.e2e

AGG = "fact_count"
AGG_LABEL = "Sales Lines"
DASH = "\N{EN DASH}"  # the page writes ranges as "1<en dash>50"


def aggregate(server: DemoServer, drilldown: str | None = None, cuts: tuple[str, ...] = (),
              **extra: Any) -> Any:
    params: dict[str, Any] = {"aggregates": AGG, "cut": "|".join(cuts) or None, **extra}
    if drilldown:
        params["drilldown"] = drilldown
    return server.json("/cube/sales/aggregate", {k: v for k, v in params.items() if v is not None})


def fmt(value: int) -> str:
    return f"{value:,}"


def pivot_rows(page: Page) -> list[tuple[str, str]]:
    """(member label, total) of the leaf rows of a one-dimension pivot, total row excluded."""
    return [(r[0], r[-1]) for r in page.table() if r[0] != "Total"]


def test_slice_and_dice_journey(page: Page, demo_server: DemoServer) -> None:
    page.open()
    cube_choice = Select(page.css("#cube"))
    assert {o.get_attribute("value") for o in cube_choice.options} == {"sales", "irbd_balance"}
    # The hello-world cube first: its numbers are the ones Cubes publishes (slicer-api.md §7.2).
    if cube_choice.first_selected_option.get_attribute("value") != "irbd_balance":
        page.act(lambda: Select(page.css("#cube")).select_by_value("irbd_balance"))
    assert page.table() == [["Assets", "558,430"], ["Equity", "77,592"],
                            ["Liabilities", "480,838"], ["Total", "1,116,860"]]
    page.act(lambda: Select(page.css("#cube")).select_by_value("sales"))
    assert "cube=sales" in page.state()

    # Choose the aggregate: Sales Lines only.
    page.act(lambda: page.xpath(f"//label[normalize-space(.)='{AGG_LABEL}']/input").click())
    page.act(lambda: page.xpath("//label[normalize-space(.)='Net Sales']/input").click())
    assert "agg=fact_count" in page.state() and "amount_sum" not in page.state()

    categories = aggregate(demo_server, "product:category")
    assert pivot_rows(page) == [(c["product.category_name"], fmt(c[AGG]))
                                for c in categories["cells"]]
    assert page.table()[-1] == ["Total", fmt(categories["summary"][AGG])]

    # Drill down twice: Electronics, then its first subcategory (products: paged by the page).
    page.act(lambda: page.button("Electronics", "//table").click())
    electronics = aggregate(demo_server, "product:subcategory", ("product:EL",))
    assert pivot_rows(page) == [(c["product.subcategory_name"], fmt(c[AGG]))
                                for c in electronics["cells"]]
    subcategory_table = page.table()
    first = electronics["cells"][0]
    page.act(lambda: page.button(first["product.subcategory_name"], "//table").click())
    products = aggregate(demo_server, "product:product",
                         (f"product:EL,{first['product.subcategory']}",), page=0, pagesize=1000)
    assert pivot_rows(page) == [(c["product.product_name"], fmt(c[AGG]))
                                for c in products["cells"]]
    assert page.table()[-1][-1] == fmt(first[AGG])
    trail = page.css("#breadcrumbs").text
    assert "All Product" in trail and "Electronics" in trail

    # Roll up with the breadcrumb.
    page.act(lambda: page.button("Electronics", "//nav[@id='breadcrumbs']").click())
    assert page.table() == subcategory_table
    assert "row=product%40default%3Asubcategory" in page.state()

    # Add a filter from the member picker, exclude instead, then remove it.
    Select(page.css("#f-dim")).select_by_value("channel")
    page.wait_for("//div[@id='f-members']//label[normalize-space(.)='Web']/input").click()
    page.act(lambda: page.css("#f-apply").click())
    chips = page.driver.find_elements("css selector", "#chips .chip")
    assert [c.text.split("\n")[0] for c in chips] == ["Channel is Web"]
    web = aggregate(demo_server, None, ("product:EL", "channel:web"))
    assert page.table()[-1][-1] == fmt(web["summary"][AGG])
    page.act(lambda: page.css("#chips button[data-act='invert']").click())
    page.wait_for("//ul[@id='chips']/li[span='Channel is not Web']")
    not_web = aggregate(demo_server, None, ("product:EL", "!channel:web"))
    assert page.table()[-1][-1] == fmt(not_web["summary"][AGG])
    page.act(lambda: page.css("#chips button[data-act='remove']").click())
    assert page.driver.find_elements("css selector", "#chips .chip") == []
    assert page.table() == subcategory_table

    # Pivot: add Date to the rows, then move it to the columns.
    Select(page.css("#add-dimension")).select_by_value("date")
    page.act(lambda: page.css("#add-row").click())
    page.act(lambda: page.css("button[aria-label='Move Date to columns']").click())
    assert "col=date" in page.state()
    years = aggregate(demo_server, "date:year", ("product:EL",))
    year_labels = [str(c["date.year"]) for c in years["cells"]]
    header = page.driver.execute_script(
        "return [...document.querySelectorAll('#pivot-table thead tr:first-child th')]"
        ".map(th => th.textContent.trim())")
    assert header == ["Year", *year_labels, "Total"]

    # Sort by the 2023 column, largest first.
    page.act(lambda: page.css(f"button[aria-label='Sort by 2023, {AGG_LABEL}']").click())
    grid = aggregate(demo_server, "product:subcategory|date:year", ("product:EL",))
    in_2023 = {c["product.subcategory_name"]: c[AGG] for c in grid["cells"]
               if c["date.year"] == 2023}
    labels = [r[0] for r in page.table() if r[0] != "Total"]
    assert labels == sorted(in_2023, key=lambda name: -in_2023[name])
    page.act(lambda: page.css(f"button[aria-label='Sort by 2023, {AGG_LABEL}']").click())
    assert [r[0] for r in page.table() if r[0] != "Total"] == sorted(
        in_2023, key=lambda name: in_2023[name])
    page.act(lambda: page.css(f"button[aria-label='Sort by 2023, {AGG_LABEL}']").click())

    # Export the view as CSV and compare it with the API.
    text = page.download("sales-view.csv", lambda: page.css("#export-csv").click())
    exported = list(csv.reader(io.StringIO(text)))
    assert exported[0] == ["Subcategory", *(f"{y} / {AGG_LABEL}" for y in year_labels),
                           f"Total / {AGG_LABEL}"]
    by_cell = {(c["product.subcategory_name"], str(c["date.year"])): c[AGG]
               for c in grid["cells"]}
    totals = {c["product.subcategory_name"]: c[AGG] for c in electronics["cells"]}
    expected = [[name, *(str(by_cell.get((name, y), "")) for y in year_labels),
                 str(totals[name])] for name in labels]
    expected.append(["Total", *(str(c[AGG]) for c in years["cells"]),
                     str(years["summary"][AGG])])
    assert exported[1:] == expected

    # Reload: the URL alone restores the same view.
    before, state = page.table(), page.state()
    page.driver.refresh()
    page.wait_settled()
    assert page.state() == state
    assert page.table() == before
    assert page.css("th[aria-sort='descending']").text.startswith(AGG_LABEL)


def test_facts_drill_through_with_paging(page: Page, demo_server: DemoServer) -> None:
    page.open("?cube=sales&agg=fact_count&row=channel")
    web_row = page.xpath("//table[@id='pivot-table']//tr[th[normalize-space(.)='Web']]")
    page.act(lambda: web_row.find_element("css selector", "td").click())
    count = aggregate(demo_server, None, ("channel@default:web",))["summary"][AGG]
    assert page.css("#facts-count").text.startswith(f"{count} facts; showing 1{DASH}50")
    pages = math.ceil(count / 50)
    assert page.css("#facts-page").text == f"Page 1 of {pages}"
    page.act(lambda: page.css("#facts-next").click())
    assert page.css("#facts-page").text == f"Page 2 of {pages}"
    expected = demo_server.json("/cube/sales/facts", {"cut": "channel@default:web", "page": 1,
                                                      "pagesize": 50})
    shown = [r[0] for r in page.table("#facts-table")]
    assert shown == [str(f["__fact_key__"]) for f in expected]
    # The CSV link is the API's own facts export of the same cell.
    href = page.css("#facts-csv").get_attribute("href")
    query = parse_qs(urlsplit(href).query)
    assert query == {"format": ["csv"], "cut": ["channel@default:web"]}
    rows = list(csv.reader(io.StringIO(demo_server.get(urlsplit(href).path,
                                                       query).text)))
    assert len(rows) == count + 1
    page.act(lambda: page.css("#facts-back").click())
    assert page.css("#pivot-table")


def test_readable_errors_for_a_bad_url_state(page: Page) -> None:
    page.open("?cube=sales&agg=nosuch&row=product:nolevel&top=x")
    message = page.error()
    assert message.startswith("This address does not describe a valid view")
    for part in ("no aggregate 'nosuch'", "level 'nolevel'", "top=x"):
        assert part in message
    page.open("?cube=nosuch")
    assert "Unknown cube 'nosuch'" in page.error()
    page.open("?cube=sales&agg=fact_count&row=channel&cut=nosuch:1")
    assert "no dimension 'nosuch'" in page.error()
    assert page.driver.execute_script("return document.body.dataset.status") == "error"


def test_top_n_paging(page: Page, demo_server: DemoServer) -> None:
    page.open("?cube=sales&agg=fact_count&row=customer:country&top=5&page=1")
    expected = aggregate(demo_server, "customer:country", order=f"{AGG}:desc", page=1,
                         pagesize=5)
    total = expected["total_cell_count"]
    assert page.css("#rows-range").text == f"Rows 6{DASH}10 of {total}"
    assert pivot_rows(page) == [(c["customer.country_name"], fmt(c[AGG]))
                                for c in expected["cells"]]
    page.act(lambda: page.css("#rows-next").click())
    assert "page=2" in page.state()
    assert page.css("#rows-range").text == f"Rows 11{DASH}15 of {total}"
    # Sorting by the row labels ranks the pages alphabetically (and starts at page 1 again).
    page.act(lambda: page.css("button[aria-label='Sort by Country']").click())
    by_name = aggregate(demo_server, "customer:country", order="customer.country_name:asc",
                        page=0, pagesize=5)
    assert [r[0] for r in pivot_rows(page)] == [c["customer.country_name"]
                                                for c in by_name["cells"]]
    assert page.css("#rows-range").text == f"Rows 1{DASH}5 of {total}"


def test_time_hierarchy_line_chart_and_date_filters(page: Page,
                                                    demo_server: DemoServer) -> None:
    page.open("?cube=sales&agg=fact_count&row=date")
    assert page.css("#chart-box svg").get_attribute("class").split() == ["chart-svg", "line"]
    page.act(lambda: Select(page.css("#rows-0-hier")).select_by_value("weekly"))
    weeks = aggregate(demo_server, "date@weekly:iso_year")
    assert pivot_rows(page) == [(str(c["date.iso_year"]), fmt(c[AGG])) for c in weeks["cells"]]
    Select(page.css("#f-dim")).select_by_value("date")
    page.driver.execute_script("document.getElementById('f-from').value = '2023-01-01';"
                               "document.getElementById('f-to').value = '2023-03-31';")
    page.act(lambda: page.css("#f-range").click())
    quarter = aggregate(demo_server, None, ("date@default:2023,1,1-2023,3,31",))
    assert page.table()[-1][-1] == fmt(quarter["summary"][AGG])
    Select(page.css("#f-relative")).select_by_value("5yearsago-today")
    page.act(lambda: page.css("#f-rel-add").click())
    both = aggregate(demo_server, None, ("date@default:2023,1,1-2023,3,31",
                                         "date@default:5yearsago-today"))
    assert page.table()[-1][-1] == fmt(both["summary"][AGG])
    chips = [c.text.split("\n")[0] for c in
             page.driver.find_elements("css selector", "#chips .chip")]
    assert chips == ["Date from 2023-01-01 to 2023-03-31", "Date last 5 years"]
    # After a reload only the address is left: the chips name the members through /cell.
    page.driver.refresh()
    page.wait_settled()
    page.wait_for("//ul[@id='chips']/li[span='Date from 2023-01-01 to 2023-03-31']")
    assert [c.text.split("\n")[0] for c in
            page.driver.find_elements("css selector", "#chips .chip")] == chips


def test_keyboard_navigation(page: Page) -> None:
    page.open("?cube=sales&agg=fact_count&row=product")
    first = page.css("#pivot-table tbody th")
    assert first.get_attribute("tabindex") == "0"
    page.driver.execute_script("arguments[0].focus()", first)
    active = page.driver.switch_to.active_element
    active.send_keys(Keys.ARROW_DOWN)
    second = page.driver.switch_to.active_element
    assert second.text == "Electronics"
    page.act(lambda: second.send_keys(Keys.ENTER))
    assert "drill=product%40default%3AEL" in page.state()
    labelled = page.driver.execute_script(
        "return [...document.querySelectorAll('select, input')].filter(e => !e.labels"
        " || !e.labels.length).map(e => e.id || e.name)")
    assert labelled == []


def test_level_choice_and_reordering_the_rows(page: Page, demo_server: DemoServer) -> None:
    page.open("?cube=sales&agg=fact_count&row=product&row=channel")
    subtotals = [r for r in page.table() if r[0].endswith(" total")]
    categories = aggregate(demo_server, "product:category")["cells"]
    assert subtotals == [[f"{c['product.category_name']} total", fmt(c[AGG])] for c in categories]
    page.act(lambda: Select(page.css("#rows-0-level")).select_by_value("subcategory"))
    assert "row=product%40default%3Asubcategory" in page.state()
    page.act(lambda: page.css("button[aria-label='Move Channel up']").click())
    assert page.state().index("row=channel") < page.state().index("row=product")
    heads = page.driver.execute_script(
        "return [...document.querySelectorAll('#pivot-table thead th.rowhead')]"
        ".map(th => th.textContent.trim())")
    assert heads == ["Channel", "Subcategory"]
    channels = aggregate(demo_server, "channel")["cells"]
    subtotals = [r for r in page.table() if r[0].endswith(" total")]
    assert subtotals == [[f"{c['channel.channel_name']} total", fmt(c[AGG])] for c in channels]


@pytest.fixture(scope="module")
def other_server(tmp_path_factory: pytest.TempPathFactory, hello_world_dir: Path
                 ) -> Iterator[Served]:
    """Another Slicer server (hello world on SQLite) that allows the page's origin (CORS)."""
    import sqlalchemy as sa
    from conftest import load_hello_world
    from web_support import Served

    from kubus.config.settings import load_settings, with_overrides
    from kubus.server.workspace import Workspace

    url = f"sqlite:///{tmp_path_factory.mktemp('other') / 'hello.sqlite'}"
    engine = sa.create_engine(url)
    load_hello_world(engine, hello_world_dir)
    engine.dispose()
    settings = with_overrides(load_settings(None, environ={}), store_url=url,
                              models=[str(hello_world_dir / "model.json")],
                              allow_cors_origin="*")
    server = Served(Workspace.from_settings(settings))
    yield server
    server.stop()


def test_the_page_drives_another_slicer_server(page: Page, other_server: Served) -> None:
    """``api=`` points the page at another server; the numbers are Cubes' published ones
    for the hello-world cube (slicer-api.md §7.3)."""
    page.open(f"?api={other_server.url}/&cube=irbd_balance&agg=amount_sum&row=item&col=year")
    assert page.table() == [
        ["Assets", "275,420", "283,010", "558,430"],
        ["Equity", "40,037", "37,555", "77,592"],
        ["Liabilities", "235,383", "245,455", "480,838"],
        ["Total", "550,840", "566,020", "1,116,860"]]
    assert [o.get_attribute("value") for o in Select(page.css("#cube")).options] == [
        "irbd_balance"]
