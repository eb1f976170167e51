"""The simulator's variant knobs change what they name, and the defaults change nothing."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from creatorscore.cli.main import app
from creatorscore.simulate import SimulationConfig, simulate
from creatorscore.simulate.variants import HELD_OUT, VARIANTS

SMALL = {"creators": 800, "days": 90, "seed": 3}


def _market(**overrides):
    return simulate(SimulationConfig(**{**SMALL, **overrides}))


def _digest(market) -> str:
    digest = hashlib.sha256()
    for name, frame in sorted(market.tables.items()):
        digest.update(name.encode() + pd.util.hash_pandas_object(frame).to_numpy().tobytes())
    return digest.hexdigest()


def test_neutral_knobs_give_the_same_tables_as_the_defaults():
    neutral = {"label_delay": 1.0, "detection_scale": 1.0, "price_scale": 1.0, "review_rate": 0.04}
    assert _digest(_market(**neutral)) == _digest(_market())


def test_abuser_share_sets_the_prevalence_of_abusers():
    rare = _market(abuser_share=0.005, emerging_share=0.0).ground_truth["creators"]["is_abuser"].mean()
    rife = _market(abuser_share=0.10, emerging_share=0.0).ground_truth["creators"]["is_abuser"].mean()
    assert rare < 0.02 and 0.07 < rife < 0.13, (rare, rife)


def test_detection_scale_lowers_the_share_of_abusers_confirmed():
    def confirmed(scale):
        market = _market(detection_scale=scale, abuser_share=0.1, days=150)
        cases = market.tables["abuse_cases"]
        abusers = market.ground_truth["creators"].query("is_abuser")["creator_id"]
        return cases[cases["outcome"] == "confirmed"]["creator_id"].isin(abusers).sum() / len(abusers)

    assert confirmed(0.3) < 0.5 * confirmed(1.0)


def test_label_delay_pushes_cases_later_after_onset():
    def median_delay(delay):
        market = _market(label_delay=delay, abuser_share=0.1, days=200)
        onset = market.ground_truth["creators"].set_index("creator_id")["abuse_onset"]
        cases = market.tables["abuse_cases"].dropna(subset=["opened_at"])
        lag = cases["opened_at"] - cases["creator_id"].map(onset)
        return lag.dropna().dt.days.median()

    assert median_delay(2.5) > 1.8 * median_delay(1.0)


def test_price_scale_multiplies_order_values():
    base = _market().tables["orders"]["amount_usd"].median()
    premium = _market(price_scale=3.0).tables["orders"]["amount_usd"].median()
    assert premium == pytest.approx(3 * base, rel=0.02)


def test_review_rate_sets_how_many_streams_are_reviewed():
    few = len(_market(review_rate=0.005).tables["quality_reviews"])
    many = len(_market().tables["quality_reviews"])
    assert few < 0.25 * many


def test_market_share_override_limits_the_markets():
    assert set(_market(market_share={"PH": 1.0}).tables["creators"]["market"]) == {"PH"}


def test_archetype_mix_override_sets_the_archetypes_drawn():
    truth = _market(archetype_mix={"coordinated_ring": 1.0}, emerging_share=0.0).ground_truth["creators"]
    assert set(truth.query("is_abuser")["archetype"]) == {"coordinated_ring"}


def test_unknown_market_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="unknown \\['XX'\\]"):
        SimulationConfig(market_share={"XX": 1.0})


def test_every_variant_is_a_valid_config_and_one_is_held_out():
    assert HELD_OUT in VARIANTS
    for name in VARIANTS:
        assert SimulationConfig.from_variant(name).variant == name


def test_simulate_variant_flag_records_the_variant_and_flags_override_it(tmp_path):
    result = CliRunner().invoke(
        app, ["simulate", "--out", str(tmp_path), "--variant", "new_market", "--creators", "200"]
    )
    assert result.exit_code == 0, result.output
    recorded = json.loads((tmp_path / "ground_truth" / "simulation.json").read_text())
    assert (recorded["variant"], recorded["days"], recorded["creators"]) == ("new_market", 120, 200)


def test_unknown_variant_exits_2_listing_the_names(tmp_path):
    cli = Path(sys.executable).with_name("creatorscore")
    run = subprocess.run(
        [cli, "simulate", "--out", tmp_path, "--variant", "nope"], capture_output=True, text=True
    )
    assert run.returncode == 2 and "baseline, rare_abuse" in run.stderr and "Traceback" not in run.stderr
