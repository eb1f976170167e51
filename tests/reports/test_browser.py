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
MINIMUM_CHARTS = {"creator": 3, "confirmed": 3, "model": 6, "cohort": 4}
CASE_FILES = ("creator", "confirmed")


@pytest.fixture(scope="module")
def case_files(browser, reports) -> dict[str, dict]:
    """What a reviewer sees in each case file: its visible text, and its tables cell by cell."""
    seen = {}
    for name in CASE_FILES:
        page = browser.new_page()
        page.goto(reports[name].resolve().as_uri(), wait_until="load")
        seen[name] = {
            "text": page.inner_text("body"),
            "blocks": page.evaluate(
                "Array.from(document.querySelectorAll('p, li, td, th, caption, figcaption, h1, h2'),"
                " e => e.innerText)"
            ),
            "tables": page.evaluate(
                """Array.from(document.querySelectorAll('table'), t => ({
                    caption: t.caption ? t.caption.innerText : '',
                    section: t.closest('section').querySelector('h2').innerText,
                    columns: Array.from(t.querySelectorAll('th'), th => th.innerText),
                    rows: Array.from(t.querySelectorAll('tbody tr'),
                                     r => Array.from(r.querySelectorAll('td'), td => td.innerText)),
                }))"""
            ),
            "alts": page.evaluate("Array.from(document.images, image => image.alt)"),
        }
        page.close()
    return seen


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


@pytest.mark.parametrize("case", CASE_FILES)
def test_a_reviewer_never_reads_log_odds_without_a_probability_beside_them(case_files, case):
    blocks = [b for b in case_files[case]["blocks"] + case_files[case]["alts"] if "log-odds" in b]
    assert blocks, "the case file says nowhere what the model adds up in"
    for block in blocks:
        assert "probability" in block or re.search(r"pts|%", block), block
    assert not re.search(r"base value -?\d", case_files[case]["text"])


@pytest.mark.parametrize("case", CASE_FILES)
def test_a_reviewer_never_reads_a_column_name_or_a_raw_code(case_files, case, definitions):
    from creatorscore.contract.schema import POLICIES

    words = set(re.findall(r"[A-Za-z0-9_]+", case_files[case]["text"] + " ".join(case_files[case]["alts"])))
    codes = set(definitions.names) | {p for p in POLICIES if "_" in p}  # "other" is also a word
    assert not words & codes, sorted(words & codes)[:5]
    raw = re.findall(r"\b[A-Z]+(?:_[A-Z]+)+\b", case_files[case]["text"])
    assert not raw, raw[:5]


@pytest.mark.parametrize("case", CASE_FILES)
def test_no_policy_cell_is_empty(case_files, case):
    reasons = [t for t in case_files[case]["tables"] if t["caption"] == "Reasons"]
    assert len(reasons) == 2  # abuse risk and content quality
    told = 0
    for table in reasons:
        column = table["columns"].index("policy and clause")
        for row in table["rows"]:
            if row[0] != "none":
                told += 1
                assert row[column].strip(), row
    assert told


def test_the_prior_confirmed_case_is_in_the_case_file_and_the_statement(case_files, scored):
    from tests.reports.conftest import confirmed_before

    _, case_id = confirmed_before(scored)
    seen = case_files["confirmed"]
    [cases] = [t for t in seen["tables"] if t["caption"].startswith("Abuse cases")]
    [row] = [row for row in cases["rows"] if row[0] == case_id]
    assert row[3] == "confirmed"
    assert seen["tables"][0]["section"] == "The record"  # the record comes first
    [statement] = [t for t in seen["tables"] if t["columns"] == ["", "statement"]]
    said = dict(statement["rows"])
    assert "confirmed abuse case" in said["Your record"]
    assert "confirmed abuse case" in said["Proposed action"]
    assert "Queued for a human reviewer" in said["Proposed action"] or "Proposed:" in said["Proposed action"]


@pytest.mark.parametrize("case", CASE_FILES)
def test_the_statement_cites_its_markets_law_and_no_eu_article(case_files, case):
    text = case_files[case]["text"]
    assert not re.search(r"\bDSA\b|Digital Services Act|\bArt(icle)?\.? ?\d+", text)
    assert "What you can do" in text and "Law" in text
