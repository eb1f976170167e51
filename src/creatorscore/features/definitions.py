"""Feature definitions: the typed form of the YAML files in `features/`, checked on load.

A definition says *what* is computed: from which fact source, over which windows, with which
aggregate. The engine (`engine.py`) is the only code that turns definitions into numbers, so
training sets, batch scoring and the online store cannot disagree.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import string
from enum import StrEnum
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from creatorscore.contract.schema import POLICIES
from creatorscore.errors import UserError
from creatorscore.locations import default_folder
from creatorscore.yaml_files import read_mapping

DEFAULT_DIR = default_folder("features")  # $CREATORSCORE_FEATURES and --definitions are the CLI's
ModelT = TypeVar("ModelT", bound=BaseModel)
# `s` is "s" unless the value is 1: "{value:.0f} livestream{s}" reads "1 livestream", "3 livestreams"
REASON_FIELDS = {"value", "window", "peer_value", "peer_ratio", "market", "category", "s"}


class DefinitionError(UserError):
    """A feature definition is malformed or names something that does not exist."""


class Direction(StrEnum):
    """How a feature may move abuse risk, as a monotone constraint for the model."""

    UP = "up"
    DOWN = "down"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """A stream of facts per creator: `sql` must return creator_id, event_at and known_at.

    `event_at` places a fact in a window; `known_at` is when the platform learnt it, and a
    fact is used at as-of t only when known_at < t. With `group_by`, facts are first rolled up
    per (creator, as-of, group) into `measures` inside each window, and features aggregate the
    rolled-up rows (how buyer concentration is measured without exposing a buyer id).
    """

    name: str
    description: str
    sql: str
    group_by: str | None = None
    measures: dict[str, str] = Field(default_factory=dict)


class FeatureSpec(_Strict):
    """One entry of a family file; `{window}` and `for_each` keys expand it into features."""

    name: str
    label: str = Field(
        description="What a reviewer reads in charts and tables, without the window (`Refund rate`): "
        "features of one label over different windows are one fact."
    )
    description: str
    source: str | None = None
    value: str | None = Field(None, description="SQL aggregate over the source's facts in the window.")
    expression: str | None = Field(None, description="SQL over other features (and as_of, onboarded_at).")
    peer_of: str | None = Field(None, description="Percentile of this feature within market x category.")
    windows: list[int | Literal["all"]] = Field(default_factory=lambda: ["all"])
    lag: int = Field(0, ge=0, description="Days between the window's end and the as-of time.")
    for_each: dict[str, list[str] | dict[str, str]] = Field(
        default_factory=dict,
        description="Values to expand over; a mapping gives each value the wording labels, "
        "descriptions and reasons show (`not_as_described: not as described`).",
    )
    neutral: float | None = Field(None, description="Value when a creator has no facts (counts: 0).")
    reason: str
    risk_direction: Direction | None = None
    policy: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> FeatureSpec:
        kinds = [k for k in ("value", "expression", "peer_of") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of value, expression or peer_of")
        if (self.value is None) != (self.source is None):
            raise ValueError("value and source go together")
        return self


class Family(_Strict):
    family: str
    description: str
    features: list[FeatureSpec]


class Feature(_Strict):
    """A fully expanded feature: one column of every training set and online vector."""

    name: str
    family: str
    label: str
    description: str
    reason: str
    source: str | None = None
    value: str | None = None
    expression: str | None = None
    peer_of: str | None = None
    window: int | None = None  # days; None for all history
    lag: int = 0
    neutral: float | None = None
    risk_direction: Direction | None = None
    policy: str | None = None

    @property
    def kind(self) -> str:
        return "aggregate" if self.value else "expression" if self.expression else "peer"

    @property
    def window_label(self) -> str:
        """The label with its window, as charts and tables show it: "Refund rate, last 28 days"."""
        if self.window is None:
            return self.label
        if self.lag:
            return f"{self.label}, {self.window} days before the last {self.lag}"
        return f"{self.label}, last {self.window} days"


class Definitions(_Strict):
    sources: dict[str, Source]
    features: list[Feature]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def by_name(self, name: str) -> Feature:
        return next(f for f in self.features if f.name == name)

    @property
    def version(self) -> str:
        """Hash of every definition: logged with models so serving knows what it was fed."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def load_definitions(folder: Path | str = DEFAULT_DIR) -> Definitions:
    """Read `sources.yaml` and every family file; raise DefinitionError naming the problem."""
    folder = Path(folder)
    if not (folder / "sources.yaml").is_file():
        raise DefinitionError(f"no sources.yaml in feature folder {folder}")
    raw_sources = read_mapping(folder / "sources.yaml", DefinitionError)
    sources = {}
    for name, body in (raw_sources.get("sources") or {}).items():
        sources[name] = _parse(Source, {"name": name, **body}, f"source {name}")
    features: list[Feature] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "sources.yaml":
            continue
        family = _parse(Family, read_mapping(path, DefinitionError), path.name)
        for spec in family.features:
            features.extend(_expand(family.family, spec))
    definitions = Definitions(sources=sources, features=features)
    _check(definitions)
    return definitions


def _parse(model: type[ModelT], data: dict, where: str) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = list(first["loc"])
        if location[:1] == ["features"] and len(location) > 1:  # name the feature, not its index
            spec = data["features"][location[1]]
            location[:2] = [
                f"feature {spec.get('name', location[1]) if isinstance(spec, dict) else location[1]}"
            ]
        path = ".".join(str(p) for p in location)
        message = first["msg"].removeprefix("Value error, ")
        raise DefinitionError(f"{where}: {path + ': ' if path else ''}{message}") from None


def _expand(family: str, spec: FeatureSpec) -> list[Feature]:
    keys = list(spec.for_each)
    wording = {
        key: v if isinstance(v, dict) else {value: value for value in v} for key, v in spec.for_each.items()
    }
    combos = list(itertools.product(*wording.values())) or [()]
    features = []
    for window in spec.windows:
        for combo in combos:
            window_name = {"window": "all" if window == "all" else str(window)}
            names = {**window_name, **dict(zip(keys, combo, strict=True))}
            # labels, descriptions and reasons are read by people: they get each value's wording
            words = {
                **window_name,
                **{key: wording[key][value] for key, value in zip(keys, combo, strict=True)},
            }

            def fill(text: str | None, names: dict = names) -> str | None:
                return None if text is None else _fill_known(text, names)

            def say(text: str, words: dict = words) -> str:
                return _fill_known(text, words)

            features.append(
                Feature(
                    name=fill(spec.name),
                    family=family,
                    label=_capitalised(say(spec.label)),
                    description=say(spec.description),
                    reason=say(spec.reason),
                    source=spec.source,
                    value=fill(spec.value),
                    expression=fill(spec.expression),
                    peer_of=fill(spec.peer_of),
                    window=None if window == "all" else window,
                    lag=spec.lag,
                    neutral=spec.neutral,
                    risk_direction=spec.risk_direction,
                    policy=fill(spec.policy) if spec.policy else None,
                )
            )
    return features


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fill_known(text: str, names: dict[str, str]) -> str:
    """Substitute expansion keys and leave every other `{...}` (reason placeholders) alone."""
    for key, value in names.items():
        text = text.replace("{" + key + "}", value)
    return text


def _check(definitions: Definitions) -> None:
    names = {f.name for f in definitions.features if f.kind != "peer"}
    seen: set[str] = set()
    for feature in definitions.features:
        where = f"feature {feature.name}"
        if feature.name in seen:
            raise DefinitionError(f"{where}: defined twice")
        if not feature.name.isidentifier():
            raise DefinitionError(f"{where}: a name must be letters, digits and underscores")
        if feature.source is not None and feature.source not in definitions.sources:
            raise DefinitionError(f"{where}: unknown source {feature.source!r}")
        if feature.policy is not None and feature.policy not in POLICIES:
            raise DefinitionError(f"{where}: policy {feature.policy!r} is not one of {', '.join(POLICIES)}")
        if feature.peer_of is not None and feature.peer_of not in names:
            raise DefinitionError(f"{where}: peer_of names {feature.peer_of!r}, which is not a feature")
        fields = {name for _, name, _, _ in string.Formatter().parse(feature.reason) if name}
        unknown = fields - REASON_FIELDS
        if unknown:
            raise DefinitionError(
                f"{where}: reason template uses {sorted(unknown)}; allowed: {sorted(REASON_FIELDS)}"
            )
        if "_" in feature.label:
            raise DefinitionError(
                f"{where}: label {feature.label!r} reads like a column name; say it in words"
            )
        seen.add(feature.name)
