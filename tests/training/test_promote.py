"""The promotion gate, as a pure decision on metrics from the same test rows."""

from __future__ import annotations

from creatorscore.training.config import Promotion
from creatorscore.training.promote import decide

RULE = Promotion(metric="pr_auc", margin=0.01, market_metric="recall_at_1pct", market_tolerance=0.05)
CHAMPION = {"overall/pr_auc": 0.20, "market_ID/recall_at_1pct": 0.40, "market_VN/recall_at_1pct": 0.30}


def test_promotion_accepts_a_clearly_better_candidate():
    candidate = {"overall/pr_auc": 0.25, "market_ID/recall_at_1pct": 0.42, "market_VN/recall_at_1pct": 0.28}
    assert decide(candidate, CHAMPION, "champion v1", RULE).promote


def test_promotion_refuses_below_the_margin_with_the_numbers():
    candidate = {**CHAMPION, "overall/pr_auc": 0.205}
    decision = decide(candidate, CHAMPION, "champion v1", RULE)
    assert not decision.promote
    assert "0.2050" in decision.reason and "0.2000" in decision.reason and "0.01" in decision.reason


def test_promotion_refuses_when_a_market_recall_drops():
    candidate = {"overall/pr_auc": 0.30, "market_ID/recall_at_1pct": 0.41, "market_VN/recall_at_1pct": 0.20}
    decision = decide(candidate, CHAMPION, "champion v1", RULE)
    assert not decision.promote
    assert "VN 0.300 -> 0.200" in decision.reason and "ID" not in decision.reason


def test_markets_with_few_positives_do_not_gate():
    champion = {**CHAMPION, "market_VN/positives": 3.0}
    candidate = {"overall/pr_auc": 0.30, "market_ID/recall_at_1pct": 0.41, "market_VN/recall_at_1pct": 0.0}
    assert decide(candidate, champion, "champion v1", RULE).promote
