"""What the models must beat: the rules a policy team runs today and linear models on the same features.

Estimators follow the scikit-learn conventions (parameters in `__init__`, `fit` returns self,
learned state ends in `_`) so they drop into the same evaluation code as the models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

# feature names: the report rate comes from features/reports.yaml, so its zero-orders rule (no rate,
# hence no report threshold crossed) is the definitions' own, not a second one
RULE_INPUTS = ("active_violation_points_90d", "reports_per_1k_orders_90d", "refund_rate_28d")


class RuleBaseline(ClassifierMixin, BaseEstimator):
    """Today's policy rules: standing violation points, buyer report rate and refund rate over thresholds.

    The score counts thresholds crossed, with the points (scaled) breaking ties, the way a
    review queue would be ordered. Nothing is learnt; `fit` only checks the inputs exist.
    """

    def __init__(self, points_threshold: float = 4.0, reports_per_1k_threshold: float = 8.0,
                 refund_rate_threshold: float = 0.15):  # fmt: skip
        self.points_threshold = points_threshold
        self.reports_per_1k_threshold = reports_per_1k_threshold
        self.refund_rate_threshold = refund_rate_threshold

    def fit(self, X: pd.DataFrame, y=None) -> RuleBaseline:
        missing = [name for name in RULE_INPUTS if name not in X.columns]
        if missing:
            raise ValueError(f"the rule baseline needs features {missing}")
        self.classes_ = np.array([0, 1])
        return self

    def risk_score(self, X: pd.DataFrame) -> np.ndarray:
        """A score in [0, 1] ordering creators the way the rules would queue them."""
        points = X["active_violation_points_90d"].fillna(0).to_numpy()
        reports_per_1k = X["reports_per_1k_orders_90d"].fillna(0).to_numpy()
        refund = X["refund_rate_28d"].fillna(0).to_numpy()
        crossed = (
            (points >= self.points_threshold).astype(float)
            + (reports_per_1k >= self.reports_per_1k_threshold)
            + (refund >= self.refund_rate_threshold)
        )
        return (crossed + np.minimum(points / (10 * self.points_threshold), 0.99)) / 4

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        s = self.risk_score(X)
        return np.column_stack([1 - s, s])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.risk_score(X) >= 0.25).astype(int)


class PastReviewBaseline(RegressorMixin, BaseEstimator):
    """Today's quality proxy: the creator's recent mean review score, else all-time, else the average."""

    def fit(self, X: pd.DataFrame, y: pd.Series) -> PastReviewBaseline:
        self.fallback_ = float(np.mean(y))
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        recent, ever = X.get("review_mean_90d"), X.get("review_mean_all")
        past = pd.Series(np.nan, index=X.index)
        for column in (recent, ever):
            if column is not None:
                past = past.fillna(column)
        return past.fillna(self.fallback_).to_numpy()


def logistic_baseline(random_state: int) -> Pipeline:
    """Logistic regression on the model's features: median-imputed (with missing flags), standardised."""
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=0.1, class_weight="balanced", max_iter=2000, random_state=random_state),
    )


def linear_baseline() -> Pipeline:
    """Ridge regression on the model's features, imputed and standardised like the logistic baseline."""
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        Ridge(alpha=10.0),
    )
