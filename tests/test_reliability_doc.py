"""docs/reliability.md names the test behind each fault: every name it gives must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_the_reliability_page_names_exists():
    page = (ROOT / "docs" / "reliability.md").read_text()
    named = set(re.findall(r"\b(test_\w+)", page)) - {
        Path(p).stem for p in re.findall(r"tests/\S+?\.py", page)
    }
    defined = {
        name
        for path in (ROOT / "tests").rglob("test_*.py")
        for name in re.findall(r"def (test_\w+)", path.read_text())
    }
    assert named, "the page names its tests"
    assert sorted(named - defined) == []
    for path in re.findall(r"`(tests/[\w/]+\.py)", page):
        assert (ROOT / path).is_file(), path
