"""Model configs: the checked-in ones load, and a mistake fails on one line naming the field."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from creatorscore.errors import UserError
from creatorscore.training.config import GATE_METRICS, MODEL_NAMES, default_config, load_config
from creatorscore.training.metrics import abuse_metrics, quality_metrics


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_checked_in_configs_load(name):
    assert default_config(name).name == name


def test_config_typo_fails_naming_the_field(tmp_path):
    text = (default_config("abuse_risk").model_dump_json()).replace('"num_leaves"', '"num_leafs"')
    path = tmp_path / "typo.yaml"
    path.write_text(text)  # JSON is YAML
    with pytest.raises(UserError, match=r"typo.yaml: lightgbm.num_leafs: Extra inputs are not permitted"):
        load_config(path)


def test_a_target_that_does_not_match_the_model_fails(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(
        default_config("abuse_risk").model_dump_json().replace('"abuse_label"', '"quality_label"')
    )
    with pytest.raises(UserError, match="abuse_risk needs target abuse_label"):
        load_config(path)


def test_malformed_yaml_is_one_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [abuse_risk\n")
    with pytest.raises(UserError) as caught:
        load_config(path)
    assert "\n" not in str(caught.value) and "not valid YAML" in str(caught.value)


def test_unknown_model_name_is_a_user_error():
    with pytest.raises(UserError, match="unknown model 'fraud'"):
        default_config("fraud")


def _written(tmp_path, name: str, section: str, key: str, value: str):
    """The checked-in config of `name` with one field changed, as a file."""
    raw = default_config(name).model_dump()
    raw[section][key] = value
    path = tmp_path / "edited.yaml"
    path.write_text(json.dumps(raw))  # JSON is YAML
    return path


@pytest.mark.parametrize(
    ("section", "key", "typo", "allowed"),
    [
        ("promotion", "market_metric", "recal_at_1pct", "recall_at_1pct"),
        ("promotion", "metric", "prauc", "pr_auc"),
        ("lightgbm", "validation_metric", "AUC", "auc"),
    ],
)
def test_a_metric_name_typo_fails_on_load_naming_the_field_and_the_allowed_values(
    tmp_path, section, key, typo, allowed
):
    with pytest.raises(
        UserError, match=rf"edited.yaml: {section}.{key}: Input should be .*'{allowed}'"
    ) as caught:
        load_config(_written(tmp_path, "abuse_risk", section, key, typo))
    assert "\n" not in str(caught.value)


def test_a_gate_metric_of_the_other_task_fails_naming_the_metrics_of_this_one(tmp_path):
    path = _written(tmp_path, "content_quality", "promotion", "market_metric", "pr_auc")
    with pytest.raises(
        UserError, match="promotion.market_metric pr_auc is not a regression metric; choose one of spearman"
    ):
        load_config(path)


def test_gate_metrics_are_the_evaluation_metrics_where_higher_is_better():
    y = pd.Series([0, 1, 0, 1, 0, 0])
    score = pd.Series([0.1, 0.8, 0.3, 0.6, 0.2, 0.4])
    as_of = pd.Series(pd.Timestamp("2026-01-01"), index=y.index)
    counts_and_losses = {"rows", "positives", "brier", "ece", "rmse"}
    assert set(abuse_metrics(y, score, as_of)) - counts_and_losses == set(GATE_METRICS["binary"])
    quality = quality_metrics(pd.Series(np.arange(6.0)), score, as_of)
    assert set(quality) - counts_and_losses == set(GATE_METRICS["regression"])
