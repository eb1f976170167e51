"""Every report opens in a real browser (headless Chromium) with its charts, and shows no buyer data."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

# one worker builds the champions and the reports (see tests/reports/conftest.py)
pytestmark = pytest.mark.xdist_group("reports")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# what a headless run needs and nothing that phones home; the sandbox needs privileges CI lacks
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
MINIMUM_CHARTS = {"creator": 3, "model": 6, "cohort": 4}


@pytest.fixture(scope="module")
def browser():
    if not shutil.which("chromium"):
        pytest.fail("chromium is not installed; `make test` installs it (Debian package chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.mark.parametrize("report", sorted(MINIMUM_CHARTS))
def test_report_renders_without_errors_and_shows_every_chart(browser, reports, report, tmp_path):
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.goto(reports[report].resolve().as_uri(), wait_until="load")
    widths = page.evaluate("Array.from(document.images, image => image.complete ? image.naturalWidth : 0)")
    title, headings = page.title(), page.locator("h2").count()
    page.screenshot(path=tmp_path / f"{report}.png", full_page=True)
    page.close()
    assert not problems
    assert title.startswith(("Case file", "Model report", "Cohort report")) and headings >= 2
    assert len(widths) >= MINIMUM_CHARTS[report] and all(width > 0 for width in widths), widths


@pytest.mark.parametrize("report", sorted(MINIMUM_CHARTS))
def test_report_is_self_contained(reports, report):
    html = reports[report].read_text()
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert "<script" not in html


def test_no_buyer_id_appears_in_any_report(reports, training_market_dir):
    buyers: set[str] = set()
    for table in training_market_dir.glob("*.parquet"):
        columns = [c for c in pd.read_parquet(table).columns if "buyer" in c and c.endswith("_id")]
        if columns:
            buyers |= set(pd.read_parquet(table, columns=columns).stack().astype(str))
    assert buyers
    for path in reports.values():
        found = set(re.findall(r"[A-Za-z0-9_-]+", path.read_text())) & buyers
        assert not found, f"{path.name} shows buyer ids {sorted(found)[:3]}"
