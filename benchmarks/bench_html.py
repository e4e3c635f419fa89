"""Measure the port map page in headless Chromium: size, load time, a sort click and a filter.

    python3 benchmarks/bench_html.py [--exposures 3000] [--repeat 3]

Builds a Compose tree with N published ports (a mix of scopes and risky
services), renders ``portlint inventory --format html``, opens it in headless
Chromium (Selenium and the system chromedriver, as tests/test_html_browser.py)
and prints the page size, the time to the load event, and the median time of
a sort click (Ports, then Severity) and of typing a search, measured inside the
page (performance.now() around a click, until the next animation frame).
Numbers vary with the machine; compare runs on the same one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RISKY = [22, 23, 3389, 5432, 6379, 27017, 9200, 11211, 80, 443, 8080, 8443, 5601, 2375]


def build(root: Path, exposures: int) -> None:
    per_file = 20
    for f in range(0, exposures, per_file):
        lines = ["services:"]
        for i in range(f, min(f + per_file, exposures)):
            port = RISKY[i % len(RISKY)]
            bind = ("", "127.0.0.1:", "10.0.0.5:")[i % 3]
            lines += [f"  s{i}:", "    image: nginx", "    ports:", f'      - "{bind}{20000 + i}:{port}"']
        folder = root / f"app{f // per_file:04d}"
        folder.mkdir(parents=True)
        (folder / "compose.yaml").write_text("\n".join(lines) + "\n")


CLICK = """
const done = arguments[arguments.length - 1];
const button = document.querySelector(arguments[0]);
const start = performance.now();
button.click();
const script = performance.now() - start;
requestAnimationFrame(() => setTimeout(() => done([performance.now() - start, script]), 0));
"""

TYPE = """
const done = arguments[arguments.length - 1];
const box = document.querySelector("input[name=q]");
const start = performance.now();
box.value = arguments[0];
box.dispatchEvent(new Event("input", {bubbles: true}));
requestAnimationFrame(() => setTimeout(() => done(performance.now() - start), 0));
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exposures", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        print("selenium is not installed (pip install -e '.[test]')")
        return 2
    chromium = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                     if p and os.path.exists(p)), None)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if chromium is None or not os.path.exists(driver_path):
        print("no Chromium and chromedriver here (Debian: apt-get install chromium chromium-driver)")
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="portlint-bench-html-"))
    try:
        build(scratch / "tree", args.exposures)
        page = scratch / "map.html"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "portlint", "inventory", "-f", "html", "-o", str(page), "tree"],
                       cwd=scratch, check=True)
        print(f"{args.exposures} exposures: page {page.stat().st_size / 1e6:.2f} MB, "
              f"rendered by portlint in {time.perf_counter() - start:.2f} s")
        os.environ.setdefault("SE_OFFLINE", "true")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        driver.set_window_size(1280, 900)
        driver.set_script_timeout(120)
        try:
            loads, sorts, searches, scripts = [], [], [], []
            for _ in range(args.repeat):
                driver.get(page.as_uri())
                loads.append(driver.execute_script(
                    "const t = performance.timing; return t.loadEventEnd - t.navigationStart;"))
                for col in (3, 5, 3):
                    total, script = driver.execute_async_script(CLICK, f"thead th[data-col='{col}'] button")
                    sorts.append(total)
                    scripts.append(script)
                for text in ("redis", "", "5432"):
                    searches.append(driver.execute_async_script(TYPE, text))
            print(f"  load (navigation start to load event): median {statistics.median(loads):.0f} ms")
            print(f"  sort click: median {statistics.median(sorts):.0f} ms, worst {max(sorts):.0f} ms "
                  f"(script alone: median {statistics.median(scripts):.0f} ms; the rest is layout and paint)")
            print(f"  search input: median {statistics.median(searches):.0f} ms, worst {max(searches):.0f} ms")
        finally:
            driver.quit()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
