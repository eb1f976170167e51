"""How many boosting rounds a model keeps: chosen on the folds' validation curves pooled."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from creatorscore.training.models import grow_booster, pooled_rounds, raw_score, truncated


def test_one_noisy_fold_does_not_choose_the_rounds():
    # fold 2 peaks at round 2 by chance; the others keep improving until round 5
    curves = [np.array([0.60, 0.62, 0.64, 0.66, 0.67]), np.array([0.70, 0.75, 0.71, 0.72, 0.73]),
              np.array([0.80, 0.81, 0.82, 0.83, 0.84])]  # fmt: skip
    assert pooled_rounds(curves[1:2]) == 2
    assert pooled_rounds(curves) == 5


@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(0, 1)))
def test_a_single_curve_keeps_its_own_best_round_the_earliest_on_a_tie(curve):
    chosen = pooled_rounds([curve])
    assert curve[chosen - 1] == curve.max() and (curve[: chosen - 1] < curve.max()).all()


@pytest.mark.parametrize(("name", "metric"), [("abuse_risk", "auc"), ("content_quality", "l2")])
def test_a_grown_curve_is_the_validation_metric_after_each_round_higher_better(
    training_frame, fast_config, definitions, name, metric
):
    from creatorscore.training.models import monotone_constraints, select_features

    config = fast_config(name)
    features = select_features(config, definitions)
    labelled = training_frame[training_frame[config.target].notna()]
    cut = labelled["as_of"].sort_values().iloc[int(len(labelled) * 0.7)]
    train, validation = labelled[labelled["as_of"] < cut], labelled[labelled["as_of"] >= cut]
    xy = [(part[features], part[config.target]) for part in (train, validation)]
    booster, curve = grow_booster(
        config, config.lightgbm, monotone_constraints(config, definitions, features), *xy
    )
    assert len(curve) == booster.current_iteration() == config.lightgbm.max_rounds
    rounds = pooled_rounds([curve])
    margin = raw_score(truncated(booster, rounds), xy[1][0])
    y = xy[1][1].to_numpy()
    if metric == "l2":  # the curve is the negated validation MSE
        assert -curve[rounds - 1] == pytest.approx(((y - margin) ** 2).mean(), rel=1e-6)
    else:
        from sklearn.metrics import roc_auc_score

        assert curve[rounds - 1] == pytest.approx(roc_auc_score(y, margin), abs=1e-6)
