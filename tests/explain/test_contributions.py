import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creatorscore.explain import tree_contributions


@pytest.mark.parametrize("model", ["abuse", "quality"])
def test_contributions_add_up_to_the_raw_margin(explained, model):
    booster = getattr(explained, model)
    contributions = tree_contributions(booster, explained.frame)
    raw = booster.predict(explained.frame[booster.feature_name()], raw_score=True)
    assert np.abs(contributions.margin - raw).max() < 1e-6


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 50),
    missing_share=st.sampled_from([0.0, 0.3, 0.9, 1.0]),
    noise_share=st.sampled_from([0.0, 0.2, 1.0]),
)
def test_contributions_add_up_for_any_feature_values_including_missing(
    explained, seed, rows, missing_share, noise_share
):
    """Real rows with values blanked or replaced at random: near the split thresholds, and far off."""
    rng = np.random.default_rng(seed)
    names = explained.abuse.feature_name()
    matrix = explained.frame[names].to_numpy()[rng.integers(0, len(explained.frame), rows)]
    noise = rng.random(matrix.shape) < noise_share
    matrix[noise] = rng.normal(0, 1, noise.sum()) * 10.0 ** rng.integers(-3, 5, noise.sum())
    matrix[rng.random(matrix.shape) < missing_share] = np.nan
    contributions = tree_contributions(explained.abuse, pd.DataFrame(matrix, columns=names))
    raw = explained.abuse.predict(matrix, raw_score=True)
    assert np.abs(contributions.base + contributions.values.sum(axis=1) - raw).max() < 1e-6


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::PendingDeprecationWarning")
def test_shap_tree_explainer_gives_the_same_contributions(explained):
    import shap  # imported here: its plotting module warns on import

    rows = explained.latest[explained.abuse.feature_name()].head(60)
    ours = tree_contributions(explained.abuse, rows)
    theirs = shap.TreeExplainer(explained.abuse).shap_values(rows)
    theirs = theirs[1] if isinstance(theirs, list) else theirs
    assert np.abs(ours.values - theirs).max() < 1e-9


def test_one_row_is_explained_as_in_a_batch(explained):
    batch = tree_contributions(explained.abuse, explained.latest)
    one = tree_contributions(explained.abuse, explained.latest.iloc[[5]])
    np.testing.assert_allclose(one.values[0], batch.values[5], atol=1e-12)
    np.testing.assert_array_equal(one.features[0], batch.features[5])


def test_a_missing_model_feature_is_an_error_not_a_missing_value(explained):
    with pytest.raises(ValueError, match="lacks 1 model features"):
        tree_contributions(explained.abuse, explained.latest.drop(columns="refund_rate_28d"))


def test_a_scikit_learn_estimator_is_explained_through_its_booster(explained):
    labelled = explained.frame[explained.frame["abuse_label"].notna()]
    names = explained.abuse.feature_name()
    model = lgb.LGBMClassifier(n_estimators=10, num_leaves=7, random_state=7, verbose=-1, n_jobs=1)
    model.fit(labelled[names], labelled["abuse_label"])
    contributions = tree_contributions(model, explained.latest)
    raw = model.predict(explained.latest[names], raw_score=True)
    assert np.abs(contributions.margin - raw).max() < 1e-6
