"""The port map opened in a real headless browser (Chromium through Selenium and the system chromedriver).

Skipped, with the reason, where Chromium, chromedriver or Selenium is missing;
``.ci/run`` installs them. A screenshot of the examples' map is kept in
``$PORTLINT_ARTIFACTS`` (default ``tests/artifacts/``) for the CI run's artifacts.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, dedent

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and os.path.exists(p)), None)

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
if CHROMIUM is None or not os.path.exists(CHROMEDRIVER):
    pytest.skip("no Chromium and chromedriver here (Debian: apt-get install chromium chromium-driver; "
                ".ci/run installs them)", allow_module_level=True)

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


def artifacts() -> Path:
    folder = Path(os.environ.get("PORTLINT_ARTIFACTS") or REPO / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(1280, 900)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def examples_page(tmp_path_factory):
    from click.testing import CliRunner

    from portlint.cli import cli

    out = tmp_path_factory.mktemp("map")
    runner = CliRunner()
    runner.invoke(cli, ["inventory", "-f", "json", str(REPO / "examples"), "-o", str(out / "inventory.json")],
                  catch_exceptions=False)
    runner.invoke(cli, ["render", str(out / "inventory.json"), "-o", str(out / "portmap.html")],
                  catch_exceptions=False)
    return out / "portmap.html", json.loads((out / "inventory.json").read_text())


def shown_rows(driver) -> list:
    return [row for row in driver.find_elements(By.CSS_SELECTOR, "tr.exposure") if row.is_displayed()]


def open_page(driver, page: Path, fragment: str = "") -> None:
    driver.get(page.as_uri() + fragment)
    driver.get_log("performance")  # drop the entries of earlier pages
    driver.refresh()


def requests(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_every_exposure_is_on_the_page_and_nothing_is_fetched(browser, examples_page):
    page, inventory = examples_page
    open_page(browser, page)
    rows = shown_rows(browser)
    assert len(rows) == len(inventory["exposures"]) > 50
    text = browser.find_element(By.TAG_NAME, "main").text
    for exposure in inventory["exposures"]:
        assert f"{exposure['file']}:{exposure['line']}" in text
    assert [u for u in requests(browser) if not u.startswith("file:")] == []
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert browser.find_element(By.ID, "shown").text == f"Showing {len(rows)} of {len(rows)} exposures"


def test_internet_risk_is_in_the_first_screen(browser, examples_page):
    page, _ = examples_page
    open_page(browser, page)
    risks = browser.find_element(By.CSS_SELECTOR, "section.risks")
    assert risks.is_displayed() and risks.location["y"] < 900
    assert "critical" in risks.text
    browser.save_screenshot(str(artifacts() / "portmap.png"))


def test_filters_change_the_visible_rows_and_live_in_the_fragment(browser, examples_page):
    page, inventory = examples_page
    exposures = inventory["exposures"]
    open_page(browser, page, "#scope=internet&severity=critical")
    expected = [e for e in exposures if e["scope"] == "internet" and e["severity"] == "critical"]
    assert 0 < len(shown_rows(browser)) == len(expected) < len(exposures)
    assert not browser.find_element(By.ID, "scope-private").is_displayed()
    browser.save_screenshot(str(artifacts() / "portmap-internet-critical.png"))

    open_page(browser, page)
    browser.find_element(By.CSS_SELECTOR, "input[name=scope][value=internet]").click()
    assert len(shown_rows(browser)) == sum(1 for e in exposures if e["scope"] != "internet")
    assert "scope=restricted-public,private,local,unknown" in browser.current_url

    open_page(browser, page)
    browser.find_element(By.CSS_SELECTOR, "input[name=format][value=compose]").click()
    assert len(shown_rows(browser)) == sum(1 for e in exposures if e["kind"] != "compose")

    open_page(browser, page)
    browser.find_element(By.CSS_SELECTOR, "input[name=q]").send_keys("redis")
    rows = shown_rows(browser)
    assert rows and all("redis" in r.get_attribute("data-search") for r in rows)
    assert "q=redis" in browser.current_url
    browser.find_element(By.CSS_SELECTOR, "button[type=reset]").click()
    assert len(shown_rows(browser)) == len(exposures)


def test_columns_sort(browser, examples_page):
    page, _ = examples_page
    open_page(browser, page)
    header = browser.find_element(By.CSS_SELECTOR, "#scope-internet thead th[data-col='3'] button")
    header.click()
    bodies = browser.find_elements(By.CSS_SELECTOR, "#scope-internet tbody")
    firsts = [int(b.find_element(By.CSS_SELECTOR, "tr.exposure td:nth-child(4)").get_attribute("data-v"))
              for b in bodies]
    assert firsts == sorted(firsts)
    assert "sort=3:asc" in browser.current_url
    header.click()
    assert "sort=3:desc" in browser.current_url
    assert header.find_element(By.XPATH, "..").get_attribute("aria-sort") == "descending"


def test_fits_a_phone(browser, examples_page):
    page, _ = examples_page
    try:
        browser.set_window_size(400, 900)
        open_page(browser, page)
        width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1] + 1
        browser.save_screenshot(str(artifacts() / "portmap-phone.png"))
    finally:
        browser.set_window_size(1280, 900)


def test_hostile_names_run_nothing(browser, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from portlint.cli import cli

    name = "<script>window.pwned=1;alert(1)</script><img src=x onerror=window.pwned=2>"
    (tmp_path / "compose.yaml").write_text(dedent(f"""\
        services:
          '{name}':
            image: "<iframe src=https://example.com>"
            ports: ["6379:6379"]
        """))
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(cli, ["inventory", "-f", "html", ".", "-o", "map.html"], catch_exceptions=False)
    open_page(browser, tmp_path / "map.html")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.execute_script("return window.pwned") is None
    assert name in browser.find_element(By.TAG_NAME, "main").text
    assert [u for u in requests(browser) if not u.startswith("file:")] == []
