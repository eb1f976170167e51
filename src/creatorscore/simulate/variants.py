"""Named marketplace variants: worlds that change what a tuned model could lean on.

A config chosen on one simulated world may only fit that world, so model settings are compared
across these variants and seeds (benchmarks/bench_variants.py). Each variant is a set of overrides
on `SimulationConfig`; flags given beside `--variant` override it in turn.

`new_market` is HELD OUT: configs are chosen on the others, and it is run once at the end as the
final check (as seed 10 once was). It differs on several axes at once: a short history, few
creators, a single market, more abuse and slower, sparser labels.
"""

from __future__ import annotations

from typing import Any

VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "rare_abuse": {"abuser_share": 0.005},
    "rife_abuse": {"abuser_share": 0.10},
    "slow_labels": {"label_delay": 2.5, "detection_scale": 0.4},
    "one_market": {"market_share": {"ID": 1.0}},
    "skewed_markets": {
        "market_share": {"ID": 0.05, "TH": 0.05, "VN": 0.05, "PH": 0.15, "MY": 0.3, "SG": 0.4}
    },
    "premium": {"price_scale": 3.0},
    "few_reviews": {"review_rate": 0.005},
    "ring_heavy": {
        "archetype_mix": {
            "coordinated_ring": 0.5,
            "brushing": 0.2,
            "incentive_abuse": 0.2,
            "counterfeit": 0.1,
        }
    },
    "short_history": {"days": 90},
    "long_history": {"days": 365, "start": "2025-01-10"},
    "new_market": {
        "days": 120,
        "creators": 1_500,
        "start": "2025-08-15",
        "market_share": {"PH": 1.0},
        "abuser_share": 0.04,
        "label_delay": 1.5,
        "detection_scale": 0.7,
    },
}
HELD_OUT = "new_market"


def variant_overrides(name: str) -> dict[str, Any]:
    """The overrides of variant `name`; a ValueError naming the variants when it is unknown."""
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")
    return dict(VARIANTS[name])
