"""A real Kubus server over generated demo data and one headless Chromium, for the web tests.

``test_web_*`` modules load this module with ``pytest_plugins``. The server is waitress in a
background thread on a free port, serving ``create_app`` over a DuckDB demo star of
``E2E_FACTS`` facts plus the hello-world cube, as ``kubus serve --demo`` serves them.
The browser is Debian's Chromium driven by Selenium; binary and driver are passed explicitly
so that Selenium Manager never downloads anything. Without them the tests are skipped with a
loud reason, or fail when ``CI`` is set.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from kubus.config.settings import with_overrides
from kubus.server.app import create_app
from kubus.server.demo import prepare_demo_star
from kubus.server.workspace import Workspace

CHROMIUM = Path(os.environ.get("KUBUS_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("KUBUS_CHROMEDRIVER", "/usr/bin/chromedriver"))
E2E_FACTS = 20_000
WAIT_SECONDS = 30.0


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_browser() -> None:
    """Skip (fail under CI) unless Chromium and chromedriver are installed."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        message = (f"BROWSER TESTS NOT RUN: {', '.join(missing)} missing "
                   "(apt-get install chromium chromium-driver)")
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)


class Served:
    """waitress serving ``create_app(workspace)`` on a free port until :meth:`stop`."""

    def __init__(self, workspace: Workspace) -> None:
        from waitress.server import create_server

        self.workspace = workspace
        self.server: Any = create_server(create_app(self.workspace), host="127.0.0.1", port=0,
                                         threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.session = requests.Session()

    def get(self, path: str, params: Any = None) -> requests.Response:
        return self.session.get(self.url + path, params=params, timeout=60)

    def json(self, path: str, params: Any = None) -> Any:
        response = self.get(path, params)
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self) -> None:
        from waitress import wasyncore

        socket_map = self.server._map
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
        self.thread.join(10)
        self.server.task_dispatcher.shutdown()
        self.session.close()
        self.workspace.close()


class DemoServer(Served):
    """The demo data set of ``kubus serve --demo``: the sales star and the hello-world cube."""

    def __init__(self, data_dir: Path, facts: int = E2E_FACTS) -> None:
        settings = prepare_demo_star(data_dir, facts=facts, progress=False)
        super().__init__(Workspace.from_settings(with_overrides(settings, timezone="UTC")))


def chrome(download_dir: Path, width: int = 1280, height: int = 800) -> Any:
    """Headless Chromium from the OS packages, downloads going to ``download_dir``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", f"--window-size={width},{height}",
                     "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(download_dir),
        "download.prompt_for_download": False,
        "intl.accept_languages": "en-US"})
    driver = webdriver.Chrome(options=options,
                              service=Service(executable_path=str(CHROMEDRIVER)))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


@dataclass
class Page:
    """The web page in one browser session, with the waits the tests need."""

    driver: Any
    server: DemoServer
    downloads: Path

    def open(self, query: str = "") -> None:
        self.driver.get(f"{self.server.url}/ui/{query}")
        self.wait_settled()

    def wait_settled(self) -> str:
        """Wait until the page has finished loading (or failed); return the status."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            status = self.driver.execute_script("return document.body.dataset.status")
            if status in ("ready", "error"):
                return str(status)
            time.sleep(0.03)
        status = self.driver.execute_script(
            "return [document.body.dataset.status, document.getElementById('status')"
            ".textContent, window.location.href]")
        logs = [e.get("message") for e in self.driver.get_log("browser")][-5:]
        raise AssertionError(f"the page did not settle in {WAIT_SECONDS} s: {status}; "
                             f"browser log: {logs}")

    def act(self, action: Callable[[], Any]) -> str:
        """Run a UI action that changes the view, then wait for the new view."""
        action()
        return self.wait_settled()

    def css(self, selector: str) -> Any:
        return self.driver.find_element("css selector", selector)

    def xpath(self, path: str) -> Any:
        return self.driver.find_element("xpath", path)

    def wait_for(self, path: str) -> Any:
        """The element at XPath ``path`` once it exists (e.g. members loading in the picker)."""
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT_SECONDS).until(
            lambda driver: driver.find_element("xpath", path))

    def button(self, text: str, within: str = "") -> Any:
        return self.xpath(f"{within}//button[normalize-space(.)={_xpath_literal(text)}]")

    def table(self, selector: str = "#pivot-table") -> list[list[str]]:
        """The rows of a table body as lists of cell texts."""
        return list(self.driver.execute_script(
            "return [...document.querySelectorAll(arguments[0] + ' tbody tr')]"
            ".map(tr => [...tr.cells].map(c => c.textContent.trim()))", selector))

    def state(self) -> str:
        return str(self.driver.execute_script("return window.location.search"))

    def error(self) -> str:
        return str(self.driver.execute_script(
            "const e = document.getElementById('error');"
            "return e.hidden ? '' : document.getElementById('error-text').textContent"))

    def download(self, name: str, action: Callable[[], Any]) -> str:
        target = self.downloads / name
        target.unlink(missing_ok=True)
        action()
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if target.exists() and target.stat().st_size > 0:
                return target.read_text(encoding="utf-8")
            time.sleep(0.05)
        raise AssertionError(f"{name} was not downloaded")


def _xpath_literal(text: str) -> str:
    return f"'{text}'" if "'" not in text else f'"{text}"'


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    require_browser()
    server = DemoServer(tmp_path_factory.mktemp("web-demo"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page(demo_server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    require_browser()
    downloads = tmp_path_factory.mktemp("downloads")
    driver = chrome(downloads)
    try:
        yield Page(driver, demo_server, downloads)
    finally:
        driver.quit()
        shutil.rmtree(downloads, ignore_errors=True)
