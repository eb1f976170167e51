"""Render the feature catalogue and the label rules as Markdown, from the definitions."""

from __future__ import annotations

from itertools import groupby

from creatorscore.features.definitions import Definitions

HEADER = """\
# Features and labels

<!-- Generated from features/*.yaml by `make docs`; a test fails if it drifts. -->

Every feature is defined once, in `features/`, and computed by one engine
(`src/creatorscore/features/engine.py`) for training sets, batch scoring and the online store.

## Point in time

A feature at as-of time *t* uses only facts known **strictly before** *t*: each source in
`features/sources.yaml` says when its facts become known (`known_at`: an order's outcome at
`resolved_at`, a violation at `decided_at` and its overturn at `overturned_at`, a case at
`closed_at`, a review at `reviewed_at`, a livestream's counts when it ends). Windows are
`[t - lag - w, t - lag)` on the fact's event time. Creators onboarded at or after *t* have no
row at *t*. Property tests change, add and delete facts known at or after *t* and require every
feature at *t* to stay the same.

A creator with no facts in a window gets the neutral value: 0 for counts and sums, missing
(NaN) for rates, means and shares, which are undefined without facts.

## Labels

Labels look at the horizon (*t*, *t* + H], H = 30 days by default (`--horizon`), which never
overlaps the features' past.

- `abuse_label`: 1 if an abuse case with outcome `confirmed` closes in (*t*, *t* + H], else 0.
  Missing for creators already confirmed at *t* (no longer a prediction problem) and for
  snapshots whose horizon runs past the last fact in the data (not fully observed).
- `quality_label`: the mean human review score (1-5) in (*t*, *t* + H]; missing when no review
  falls there or the horizon is not fully observed.

Snapshots (`features build --every 7d`) start 28 days after the history begins and step to
the midnight after the last fact; `features materialize` takes that last as-of time.
"""


def render(definitions: Definitions) -> str:
    parts = [
        HEADER,
        f"## Catalogue ({len(definitions.features)} features, version `{definitions.version}`)\n",
    ]
    parts.append("Risk direction `up` is a monotone constraint: the feature may only raise abuse risk.\n")
    for family, members in groupby(definitions.features, key=lambda f: f.family):
        parts.append(f"### {family}\n")
        parts.append("| feature | window | description | risk direction | policy |")
        parts.append("| --- | --- | --- | --- | --- |")
        for f in members:
            window = (
                "all history"
                if f.window is None
                else f"{f.window} d" + (f", ending {f.lag} d ago" if f.lag else "")
            )
            if f.kind != "aggregate":
                window = "-"
            direction = f.risk_direction or ""
            parts.append(f"| `{f.name}` | {window} | {f.description} | {direction} | {f.policy or ''} |")
        parts.append("")
    return "\n".join(parts)
