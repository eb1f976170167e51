"""Per-market evidence in the model report: sample sizes, bootstrap intervals, too small to judge."""

from __future__ import annotations

import pytest

from creatorscore.reports.evidence import MIN_POSITIVE_CREATORS, interval_text, segment_evidence

# one worker builds the champions and the reports (see tests/reports/conftest.py)
pytestmark = pytest.mark.xdist_group("reports")


@pytest.fixture(scope="module")
def predictions(champion_store, scored):
    from creatorscore.training.registry import client, read_test_predictions

    return read_test_predictions(client(champion_store), scored.abuse.record)


@pytest.fixture(scope="module")
def evidence(predictions):
    return {e.segment: e for e in segment_evidence(predictions, "abuse_label", "lightgbm", "binary")}


def test_each_market_shows_its_rows_and_positives(evidence, predictions):
    markets = sorted(predictions["market"].unique())
    assert set(markets) | {"overall", "new creators"} == set(evidence)
    assert sum(evidence[m].rows for m in markets) == evidence["overall"].rows == len(predictions)
    for market in markets:
        mine = predictions[predictions["market"] == market]
        assert evidence[market].positives == int(mine["abuse_label"].sum())
        assert evidence[market].creators == mine.loc[mine["abuse_label"] == 1, "creator_id"].nunique()


def test_every_interval_is_a_range_of_the_metric(evidence):
    """Percentile intervals of a skewed metric need not hold the estimate; they are ranges in [0, 1]."""
    drawn = 0
    for segment in evidence.values():
        for interval in segment.intervals.values():
            if interval.low is not None:
                drawn += 1
                assert 0 <= interval.low <= interval.high <= 1
    assert drawn
    overall = evidence["overall"].intervals["roc_auc"]
    assert overall.low < overall.estimate < overall.high


def test_a_market_is_too_small_to_judge_below_the_threshold_of_positive_creators(evidence):
    for segment in evidence.values():
        assert segment.too_small == (segment.creators < MIN_POSITIVE_CREATORS)
    assert any(segment.too_small for segment in evidence.values())


def test_a_market_without_positives_has_no_ranking_metric_and_says_so(predictions):
    clean = predictions.assign(abuse_label=0.0, market="SG")
    [_, sg, _] = segment_evidence(clean, "abuse_label", "lightgbm", "binary")
    assert sg.too_small and sg.positives == 0
    assert interval_text(sg.intervals["roc_auc"]) == "-"


def test_interval_text_reads_estimate_and_bounds():
    from creatorscore.training.record import Interval

    assert interval_text(Interval(estimate=0.8123, low=0.7, high=0.9)) == "0.812 (0.700-0.900)"
    assert interval_text(Interval(estimate=0.5, low=None, high=None)) == "0.500 (no interval)"


def test_the_model_report_shows_sizes_intervals_and_the_too_small_mark(reports):
    html = reports["model"].read_text()
    assert "positive creators" in html and "enough to judge" in html
    assert "too few to judge" in html and "95% bootstrap interval" in html
    assert "highest probability" in html  # the calibration chart reaches the served range
