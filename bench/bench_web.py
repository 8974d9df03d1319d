"""The analysts' web page in headless Chromium: how long a 10,000-cell pivot takes to render.

Usage (from the repository root)::

    python bench/bench_web.py --facts 200000 --repeat 7 --out docs/bench-web.md
    python bench/bench_web.py --screenshots docs/screenshots

The script serves the demo data set (``kubus serve --demo``: the sales star of ``--facts`` facts
in ``bench/data/``, reused when present) with waitress in a thread and opens
``/ui/?…row=product:product&col=date:year`` in Debian's Chromium (Selenium, binary and driver
given explicitly). That view has about 2,000 products x (4 years + total) = 10,000 cells.
Each repetition is a fresh navigation; the page itself reports (``window.kubusTimings``):

* render: from the last API response arriving to the table being in the document and laid
  out (pivot assembly, sorting, HTML building, one ``innerHTML``, a forced layout);
* total: from the start of navigation to the same point;
* fetch: from the first API request to the last response (the raw data time).

Baseline, in the same page and the same run: the browser parsing and laying out the very same
table HTML with one plain ``innerHTML`` (what the table costs the browser alone). The ratio
render / baseline is the page's own overhead.

``--screenshots DIR`` writes PNGs of the main views (1280x800) instead of measuring.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import shlex
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubus.config.settings import with_overrides  # noqa: E402
from kubus.server.app import create_app  # noqa: E402
from kubus.server.demo import prepare_demo_star  # noqa: E402
from kubus.server.workspace import Workspace  # noqa: E402

CHROMIUM = Path(os.environ.get("KUBUS_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("KUBUS_CHROMEDRIVER", "/usr/bin/chromedriver"))
VIEW = "?cube=sales&agg=amount_sum&row=product%40default%3Aproduct&col=date%40default%3Ayear"
# The same table HTML parsed and laid out by the browser alone, in the same place.
BASELINE_JS = """
const wrap = document.getElementById('table-wrap');
const html = wrap.innerHTML;
const probe = document.createElement('div');
probe.className = 'table-wrap';
wrap.after(probe);
const t0 = performance.now();
probe.innerHTML = html;
void probe.offsetHeight;
const t1 = performance.now();
probe.remove();
return t1 - t0;
"""
EUROPE = "//div[@id='f-members']//label[contains(., 'Europe')]/input"
SCREENSHOTS: tuple[tuple[str, str, str], ...] = (
    ("pivot", "?cube=sales&agg=amount_sum&agg=margin_sum&row=product%40default%3Acategory"
              "&col=date%40default%3Ayear&chart=bar", ""),
    ("drill-down", "?cube=sales&agg=amount_sum&row=product%40default%3Asubcategory"
                   "&row=channel%40default%3Achannel&drill=product%40default%3AEL"
                   "&cut=customer%40default%3AEU%3BNA&sort=amount_sum&dir=desc", ""),
    ("time-line", "?cube=sales&agg=amount_sum&agg=fact_count&row=date%40default%3Amonth"
                  "&drill=date%40default%3A2024&col=channel%40default%3Achannel", ""),
    ("top-n", "?cube=sales&agg=amount_sum&agg=customer_count&row=customer%40default%3Acustomer"
              "&top=20&page=1&sort=amount_sum&dir=desc", ""),
    ("filters", "?cube=sales&agg=amount_sum&row=customer%40default%3Acountry"
                "&cut=!channel%40default%3Afax%3Bletter&cut=date%40default%3A2024%2C1%2C1-2024%2C6%2C30",
     "filters"),
    ("facts", "?cube=sales&agg=amount_sum&row=channel%40default%3Achannel&view=facts"
              "&fcut=channel%40default%3Aweb&fcut=date%40default%3A2025&fpage=1", ""),
    ("error", "?cube=sales&agg=nosuch&row=product%3Anolevel", ""),
)


class Served:
    """waitress serving the demo data set in a thread (stopped with the process)."""

    def __init__(self, data_dir: Path, facts: int) -> None:
        from waitress.server import create_server

        # waitress warns about its queue under load; the figures, not the warnings, matter here.
        logging.getLogger("waitress").setLevel(logging.ERROR)
        settings = prepare_demo_star(data_dir, facts=facts, progress=True)
        self.workspace = Workspace.from_settings(with_overrides(settings, timezone="UTC"))
        self.server: Any = create_server(create_app(self.workspace), host="127.0.0.1",
                                         port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        threading.Thread(target=self.server.run, daemon=True).start()


def chrome() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            raise SystemExit(f"{path} is missing (apt-get install chromium chromium-driver)")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,800", "--lang=en-US",
                     "--hide-scrollbars"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US"})
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


def settle(driver: Any, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = driver.execute_script("return document.body.dataset.status")
        if status in ("ready", "error"):
            return str(status)
        time.sleep(0.01)
    raise SystemExit("the page did not finish loading")


def measure(driver: Any, url: str, repeat: int) -> dict[str, Any]:
    runs: dict[str, list[float]] = {"render": [], "build": [], "dom": [], "total": [],
                                    "fetch": [], "baseline": []}
    cells = 0
    for r in range(repeat + 1):  # the first round warms the caches and is not counted
        driver.get("about:blank")
        driver.get(url)
        if settle(driver) != "ready":
            raise SystemExit(driver.find_element("id", "error-text").text)
        timings = driver.execute_script("return window.kubusTimings")
        baseline = float(driver.execute_script(BASELINE_JS))
        cells = int(timings["cells"])
        if r == 0:
            continue
        for key in ("render", "build", "dom", "total", "fetch"):
            runs[key].append(float(timings[key]))
        runs["baseline"].append(baseline)
        print(f"  round {r}: render {timings['render']:.0f} ms (build {timings['build']:.0f}, "
              f"DOM {timings['dom']:.0f}), total {timings['total']:.0f} ms,"
              f" fetch {timings['fetch']:.0f} ms, plain innerHTML {baseline:.0f} ms, "
              f"{cells} cells", flush=True)
    medians = {k: statistics.median(v) for k, v in runs.items()}
    return {**medians, "cells": cells}


def screenshots(driver: Any, base: str, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, query, focus in SCREENSHOTS:
        driver.get(f"{base}/ui/{query}")
        settle(driver)
        if focus == "filters":
            from selenium.webdriver.support.ui import Select, WebDriverWait

            Select(driver.find_element("id", "f-dim")).select_by_value("customer")
            WebDriverWait(driver, 30).until(lambda d: d.find_elements("xpath", EUROPE))
            driver.find_element("xpath", EUROPE).click()
            driver.execute_script("document.getElementById('filter-title').scrollIntoView();"
                                  "window.scrollTo(0, 0)")
        time.sleep(0.2)
        target = directory / f"{name}.png"
        driver.save_screenshot(str(target))
        print(f"  {target} ({target.stat().st_size // 1024} KiB)")


def report(command: str, result: dict[str, Any], args: argparse.Namespace,
           load: tuple[float, float], browser: str) -> str:
    ratio = result["render"] / result["baseline"] if result["baseline"] else float("nan")
    verdict = "meets" if result["render"] < 1000 else "MISSES"
    return f"""# Web page benchmark: a 10,000-cell pivot

- Command: `{command}`
- Date: {dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
- Machine: {platform.processor() or platform.machine()}, nproc {os.cpu_count()}, \
{platform.platform()}
- 1-minute load average {load[0]:.2f} at the start and {load[1]:.2f} at the end (other work on
  the machine slows every figure alike)
- Browser: {browser}, headless, 1280x800, driven by Selenium
- Data: the demo sales star with {args.facts:,} facts, served with the default settings
  (`json_record_limit` 1000)
- View: `/ui/{VIEW}` (every product on the rows, the years on the columns, Net Sales):
  **{result['cells']:,} cells**
- {args.repeat} measured navigations after one warm-up; medians of each measure.

| measure | median |
|---|---:|
| render: last API response → table in the document and laid out | {result['render']:.0f} ms |
| … of which building: merging the answers, sorting, the HTML string | {result['build']:.0f} ms |
| … of which DOM: one `innerHTML` and the forced layout | {result['dom']:.0f} ms |
| baseline: the same table HTML, one plain `innerHTML` + layout | {result['baseline']:.0f} ms |
| render / baseline | {ratio:.2f} |
| fetch: first API request → last response | {result['fetch']:.0f} ms |
| total: navigation start → table in the document | {result['total']:.0f} ms |

The goal is under 1 s from the data arriving to the table being shown: the page **{verdict}**
it. How: the pivot is merged in maps keyed by member paths, the whole table is built as one
string (an array joined once) and inserted with one `innerHTML`, so the browser parses and lays
it out once; the baseline shows what that single parse and layout costs by itself. The fetch
time is the server's: the page asks for the leaf cells, the row totals and the column totals
(the Slicer API caps one response at `json_record_limit` cells, so larger drilldowns are read
page by page, in parallel).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=200_000, help="facts in the demo star")
    parser.add_argument("--repeat", type=int, default=7, help="measured navigations")
    parser.add_argument("--out", type=Path, help="write the results as Markdown here")
    parser.add_argument("--screenshots", type=Path, metavar="DIR",
                        help="write PNGs of the main views to DIR instead of measuring")
    args = parser.parse_args(argv)
    served = Served(ROOT / "bench" / "data" / f"web-demo-{args.facts}", args.facts)
    driver = chrome()
    try:
        if args.screenshots:
            screenshots(driver, served.url, args.screenshots)
            return 0
        browser = f"{driver.capabilities.get('browserName')} " \
                  f"{driver.capabilities.get('browserVersion')}"
        load_start = os.getloadavg()[0]
        result = measure(driver, f"{served.url}/ui/{VIEW}", args.repeat)
        load_end = os.getloadavg()[0]
        print(f"render {result['render']:.0f} ms (plain innerHTML {result['baseline']:.0f} ms),"
              f" fetch {result['fetch']:.0f} ms, total {result['total']:.0f} ms, "
              f"{result['cells']} cells")
        if args.out:
            command = "python bench/bench_web.py " + shlex.join(
                sys.argv[1:] if argv is None else argv)
            args.out.write_text(report(command, result, args, (load_start, load_end), browser),
                                encoding="utf-8")
    finally:
        driver.quit()
        served.workspace.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
