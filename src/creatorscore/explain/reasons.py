"""Reason codes: the few facts that moved a creator's score most, in policy language.

One fact measured over several windows (refund rate over 28 and 90 days, and its peer
percentile) shares credit in TreeSHAP: each window gets part of what the one fact "refunds are
high" is worth. Ranking single features would both underrate a fact spread over several windows
and spend two of the four slots on it. So contributions are summed per *fact group* (the
features of one label in the definitions; a peer percentile joins the group of the feature it
ranks, because it restates that fact), groups are ranked by their net sum, and each chosen group
is told through its single strongest feature in the same direction: the one a reviewer can check.
The net sum decides the side, so a fact is either a reason or a mitigating factor, never both.

Groups are labels rather than whole families: a family (order health) holds different facts
(cancellations, returns, refunds) whose pushes cancel out in a family sum, which hid a refund
rate far above its peers behind a low cancellation rate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from creatorscore.features.definitions import Definitions, Direction, Feature

# the value field of a reason template with what marks its unit: "$" before, " of 5" or "x" after
_VALUE_FIELD = re.compile(r"(\$?)\{value(:[^}]*)?\}( of 5|x(?= ))?")
_PEER_FIELD = re.compile(r"\{peer_(?:value|ratio)")
_DENOMINATOR = re.compile(r"nullif\(\s*([A-Za-z_]\w*)")


class Reason(BaseModel):
    """One fact behind a score, as a reviewer sees it and a creator can be told it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    feature: str = Field(description="The feature the text is rendered from (its column name).")
    label: str = Field(description="The feature as a reviewer reads it: its label and window.")
    family: str = Field(
        description="Fact group: the feature's label (a peer percentile's, that of what it ranks)."
    )
    value: float | None = Field(
        description="The creator's value; None when undefined (no facts in the window)."
    )
    value_text: str = Field(description="The value with its unit, formatted as the reason text has it.")
    peer_value: float | None = Field(
        description="Median of the creator's market and category at the as-of time."
    )
    peer_value_text: str = Field(description="The peer median with its unit; '-' without one.")
    peer_ratio: float | None = Field(
        description="value / peer_value; None when either is missing or the median is 0."
    )
    contribution: float = Field(description="This feature's contribution, in the explanation's space.")
    family_contribution: float = Field(
        description="Net contribution of the whole fact group: the ranking key."
    )
    score_effect: float = Field(
        description="How much the reported score owes to the fact group: the score minus the score "
        "with the group's contribution taken out of the margin (probability points for abuse risk)."
    )
    policy: str | None = Field(
        description="The contract policy this reason is a ground under (the feature's `policy`); "
        "None for a fact no single policy covers, and always None for a mitigating factor."
    )
    policy_text: str = Field(
        description="The policy and its clause as a reviewer reads it, or why there is none."
    )
    text: str


@dataclass(frozen=True)
class FactGroups:
    """Which fact group each model feature belongs to, and its reason template, prepared once."""

    features: tuple[Feature, ...]
    names: tuple[str, ...]  # group names, indexed by `index`
    index: np.ndarray  # (features,): group of each feature (index into `names`)
    templates: tuple[ReasonTemplate, ...]
    labels: tuple[str, ...]  # each feature's label with its window
    risky_up: np.ndarray  # (features,): risk_direction up
    risky_down: np.ndarray  # (features,): risk_direction down

    @classmethod
    def build(cls, definitions: Definitions, feature_names: tuple[str, ...]) -> FactGroups:
        features = tuple(definitions.by_name(name) for name in feature_names)
        groups = [fact_group(feature, definitions) for feature in features]
        names = tuple(dict.fromkeys(groups))
        index = np.array([names.index(group) for group in groups], dtype=np.intp)
        templates = tuple(ReasonTemplate.build(f, missing_text(f, definitions)) for f in features)
        return cls(
            features,
            names,
            index,
            templates,
            tuple(f.window_label for f in features),
            np.array([f.risk_direction == Direction.UP for f in features], dtype=bool),
            np.array([f.risk_direction == Direction.DOWN for f in features], dtype=bool),
        )

    def risky_values(self, values: np.ndarray, peer: np.ndarray) -> np.ndarray:
        """Where a value lies on the risky side of its peer median, by the feature's `risk_direction`."""
        with np.errstate(invalid="ignore"):
            return (self.risky_up & (values > peer)) | (self.risky_down & (values < peer))


@dataclass(frozen=True)
class RankedFacts:
    """For each row, up to k fact groups on one side of the score, strongest first (-1: none)."""

    feature: np.ndarray  # (rows, k) representative feature index, -1 where fewer than k groups qualify
    group_contribution: np.ndarray  # (rows, k) net group contribution, in the explanation's space


def fact_group(feature: Feature, definitions: Definitions) -> str:
    if feature.peer_of is not None:
        return definitions.by_name(feature.peer_of).label
    return feature.label


# a mitigating fact pushing the margin (log-odds, or review points) by less than this weighs
# nothing a reviewer could use: told, it would read "+0.0 pts" and crowd out those that matter.
# Reasons have no floor: whatever raised the score is a ground the statement must state.
MIN_PUSH = 0.01


def rank_facts(
    values: np.ndarray, index: np.ndarray, adverse_sign: int, k: int, unfavourable: np.ndarray | None = None
) -> tuple[RankedFacts, RankedFacts]:
    """Reasons (groups pushing the score the adverse way) and mitigating factors, vectorised over rows.

    `adverse_sign` is +1 when a higher margin is worse (abuse risk), -1 when lower is worse
    (content quality), so "adverse" always means towards the outcome a policy cares about.
    `unfavourable` (rows x features) marks values on the risky side of their peers
    (`FactGroups.risky_values`):
    such a value is never told as a mitigating factor, even where the model leant on it the
    favourable way, since "refund rate 23% against a median of 0%" cannot speak for a creator.
    A group whose favourable push comes only from such values is no mitigating factor.
    """
    rows, n_features = values.shape
    n_groups = int(index.max()) + 1 if n_features else 0
    adverse = values * adverse_sign
    favourable = adverse if unfavourable is None else np.where(unfavourable, np.inf, adverse)
    # summed group by group rather than by a matrix product, whose rounding depends on the batch:
    # a creator's explanation is then bit-identical alone or in a batch of thousands
    by_group = np.argsort(index, kind="stable")
    starts = np.searchsorted(index[by_group], np.arange(n_groups))
    group_sum = np.add.reduceat(adverse[:, by_group], starts, axis=1)
    strongest_up = _first_extreme(adverse, by_group, starts, np.maximum)
    strongest_down = _first_extreme(favourable, by_group, starts, np.minimum)
    told_down = np.take_along_axis(favourable, strongest_down, axis=1)
    k = min(k, n_groups)

    def side(order: np.ndarray, strongest: np.ndarray, qualifies) -> RankedFacts:
        chosen = np.take_along_axis(group_sum, order, axis=1)
        feature = np.take_along_axis(strongest, order, axis=1)
        feature = np.where(qualifies(chosen), feature, -1)
        return RankedFacts(feature, chosen * adverse_sign)

    up = side(np.argsort(-group_sum, axis=1, kind="stable")[:, :k], strongest_up, lambda s: s > 0)
    # a group is mitigating only if its net push is favourable and it has a favourable value to tell
    down_key = np.where(told_down < 0, group_sum, np.inf)
    down = side(np.argsort(down_key, axis=1, kind="stable")[:, :k], strongest_down, lambda s: s <= -MIN_PUSH)
    return up, down


def _first_extreme(values: np.ndarray, by_group: np.ndarray, starts: np.ndarray, extreme) -> np.ndarray:
    """Per row and group, the column holding the group's largest (`np.maximum`) or smallest value.

    Ties go to the first column, as argmax does. Whole-matrix operations rather than a loop over
    groups: there are some fifty fact groups, and a loop would cost more than the rest of a
    one-creator explanation.
    """
    ordered = values[:, by_group]
    group_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(by_group))))
    best = extreme.reduceat(ordered, starts, axis=1)
    positions = np.where(ordered == best[:, group_of], np.arange(len(by_group)), len(by_group))
    return by_group[np.minimum.reduceat(positions, starts, axis=1)]


@dataclass(frozen=True)
class ReasonTemplate:
    """A feature's reason template in the three forms a creator's data can call for, split once."""

    full: str
    without_peers: str  # the clause comparing with peers dropped: no peer median
    with_median: str  # the ratio clause replaced by the median itself: a median of 0
    missing: str  # what an undefined value reads as
    window: int | str
    unit: tuple[str, str, str]  # the value's "$" prefix, format spec and suffix (" of 5", "x")

    @classmethod
    def build(cls, feature: Feature, missing: str) -> ReasonTemplate:
        template = feature.reason
        without, with_median = template, template
        peer_at = _PEER_FIELD.search(template)
        if peer_at is not None:
            head = template[: _clause_start(template, peer_at.start())]
            dollar, spec, _ = _value_format(template)
            without = head
            if "{peer_ratio" in template:
                with_median = (
                    head
                    + ", against the {market} {category} median of "
                    + dollar
                    + "{peer_value:"
                    + spec
                    + "}"
                )
        window = "all" if feature.window is None else feature.window
        return cls(template, without, with_median, missing, window, _value_format(template))

    def value_text(self, value: float | None) -> str:
        """A value formatted as the reason text shows it, with its unit: "23%", "$1,240", "4.2 of 5"."""
        if value is None or not math.isfinite(value):
            return "-"
        dollar, spec, suffix = self.unit
        return f"{dollar}{format(value, spec)}{suffix}"


def render(template: ReasonTemplate, value: float, peer_value: float, market: str, category: str) -> str:
    """The feature's reason template filled in; never shows "nan" or "inf".

    An undefined value (no facts in the window) reads as the absence of those facts, e.g.
    "No orders with a known outcome in the last 28 days". Without a peer median the clause
    comparing with peers is dropped; with a median of 0 a ratio means nothing, so the clause
    states the median instead ("against the ID beauty median of 0%").
    """
    if not math.isfinite(value):
        return template.missing
    if not math.isfinite(peer_value):
        text, ratio = template.without_peers, math.nan
    elif peer_value == 0:
        text, ratio = template.with_median, math.nan
    else:
        text, ratio = template.full, value / peer_value
    return text.format(
        value=value,
        peer_value=peer_value,
        peer_ratio=ratio,
        market=market,
        category=category,
        window=template.window,
        s="" if value == 1 else "s",
    )


def missing_text(feature: Feature, definitions: Definitions) -> str:
    """How a missing value reads: the fact's label and the absence of what it is measured on.

    The label comes first ("Refund rate: no orders with a known outcome in the last 28 days")
    because several rates over one source go missing together and must not read alike.
    """
    measured = definitions.by_name(feature.peer_of) if feature.peer_of is not None else feature
    absence = _absence(feature, definitions)
    if absence[1:2].islower():  # "No orders" -> "no orders", but "GMV" stays
        absence = absence[:1].lower() + absence[1:]
    return f"{measured.label}: {absence}"


def _absence(feature: Feature, definitions: Definitions) -> str:
    """The absence of the facts the feature would be measured on.

    Derived from the definitions rather than written per feature: a rate or mean over a source
    is missing when the source's count over the same window is 0, so that count's own reason
    is rendered at 0 ("0 orders in the last 90 days" -> "No orders in the last 90 days"); a
    ratio is missing when its `nullif` denominator is 0; a peer percentile when what it ranks is.
    """
    if feature.peer_of is not None:
        return _absence(definitions.by_name(feature.peer_of), definitions)
    if feature.expression is not None:
        denominator = _DENOMINATOR.search(feature.expression)
        if denominator is not None and denominator.group(1) in definitions.names:
            return _none_of(definitions.by_name(denominator.group(1)))
    if feature.source is not None:
        count = next(
            (
                f
                for f in definitions.features
                if f.source == feature.source
                and f.window == feature.window
                and f.lag == feature.lag
                and (f.value or "").replace(" ", "").lower() == "count(*)"
            ),
            None,
        )
        if count is not None:
            return _none_of(count)
        source = feature.source.replace("_", " ")
        return f"No {source} {_window_phrase(feature)}"
    return f"Not measurable: {feature.description[:1].lower()}{feature.description[1:].rstrip('.')}"


def _none_of(count: Feature) -> str:
    text = render(ReasonTemplate.build(count, missing=""), 0.0, math.nan, "", "")
    return "No " + text[2:] if text.startswith("0 ") else text


def _window_phrase(feature: Feature) -> str:
    if feature.window is None:
        return "in the creator's history"
    if feature.lag:
        return f"in the {feature.window} days before the last {feature.lag}"
    return f"in the last {feature.window} days"


def _clause_start(template: str, peer_start: int) -> int:
    comma = template.rfind(", ", 0, peer_start)
    return comma if comma >= 0 else peer_start


def _value_format(template: str) -> tuple[str, str, str]:
    found = _VALUE_FIELD.search(template)
    return (
        (found.group(1), found.group(2)[1:] if found.group(2) else "", found.group(3) or "")
        if found
        else ("", "", "")
    )
