"""The legal frame of each market: what a statement of reasons cites and the redress it offers.

A statement's wording is data a policy or legal team edits, not code: each market has one file,
`policies/markets/<MARKET>.yaml`, whose `legal:` section is typed here. Its other sections
override the governance rules of `policies/base.yaml` (`governance.py`), so the market's whole
policy is one file's diff from the base. A typo fails on load, in one line naming the file
(the market's or the base) and the field.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from creatorscore.contract.schema import MARKETS
from creatorscore.errors import UserError
from creatorscore.explain.tiers import MarketTiers
from creatorscore.locations import folder
from creatorscore.policy.governance import Governance, with_overrides
from creatorscore.yaml_files import read_mapping

BASE_FILE = "base.yaml"


class PolicyError(UserError):
    """A market policy file is missing, malformed or names something that does not exist."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LegalFrame(_Strict):
    """How a statement of reasons reads in one market: its grounds, the law it names, its redress."""

    country: str = Field(description="The market's country, as the creator reads it (`Indonesia`).")
    wording_status: str = Field(
        description="Who approved this wording, or that it is a draft awaiting legal review "
        "(shown to reviewers)."
    )
    terms: str = Field(description="The platform's own rules the decision rests on, as named to creators.")
    decision_ground: str = Field(
        description="The ground of every decision, in words: a breach of `terms`, not a finding "
        "of illegality."
    )
    no_illegality_finding: str = Field(
        description="That no finding of illegality under the market's law is made."
    )
    laws: list[str] = Field(
        min_length=1,
        description="The law the statement names: consumer protection, e-commerce and data protection "
        "of the market, generically where the exact instrument awaits legal review.",
    )
    automation_notice: str = Field(
        description="How the decision was reached: a model proposes, a human decides."
    )
    automated_decision_notice: str = Field(
        description="How a restriction the policy automates was reached: on the model's word alone."
    )
    record_decision_notice: str = Field(
        description="How an action the enforcement record triggers was reached (health or escalation)."
    )
    redress: list[str] = Field(min_length=1, description="Routes the creator can take, in the order offered.")


class MarketPolicy(_Strict):
    """One market's policy: its file's legal frame, and the base governance rules with the file's
    overrides on top."""

    market: str = Field(description="The market code of the contract (`ID`); the file's name must match.")
    legal: LegalFrame
    governance: Governance

    @model_validator(mode="after")
    def _known_market(self) -> MarketPolicy:
        if self.market not in MARKETS:
            raise ValueError(f"market {self.market!r} is not one of {', '.join(MARKETS)}")
        return self


def markets_folder(policies: Path | str | None = None) -> Path:
    """`policies/markets/` of the folder given, else of $CREATORSCORE_POLICIES, else the default."""
    return folder("policies", policies) / "markets"


def load_market_policy(market: str, policies: Path | str | None = None) -> MarketPolicy:
    """The policy of one market; a missing file or a bad field raises PolicyError in one line."""
    path = markets_folder(policies) / f"{market}.yaml"
    if not path.is_file():
        raise PolicyError(f"no policy file for market {market}: {path} is missing")
    where = f"policies/markets/{path.name}"
    raw = read_mapping(path, PolicyError)
    own = {key: raw[key] for key in ("market", "legal") if key in raw}
    overrides = {key: value for key, value in raw.items() if key not in own}
    base = read_mapping(path.parent.parent / BASE_FILE, PolicyError)
    try:
        loaded = MarketPolicy.model_validate({**own, "governance": with_overrides(base, overrides)})
    except ValidationError as error:
        first = error.errors()[0]
        loc = [str(part) for part in first["loc"]]
        if loc[:1] == ["governance"]:  # name the file the bad value came from
            loc = loc[1:]
            where = where if loc and loc[0] in overrides else f"policies/{BASE_FILE}"
        field = ".".join(loc)
        message = first["msg"].removeprefix("Value error, ")
        raise PolicyError(f"{where}: {field + ': ' if field else ''}{message}") from None
    if loaded.market != market:
        raise PolicyError(f"{where}: market: says {loaded.market!r}, but the file is that of {market}")
    return loaded


def load_market_policies(policies: Path | str | None = None) -> dict[str, MarketPolicy]:
    """Every market's policy: each market of the contract must have its file."""
    return {market: load_market_policy(market, policies) for market in MARKETS}


def market_tiers(policies: Path | str | None = None) -> MarketTiers:
    """Every market's risk tier thresholds, read once where a command or the service starts."""
    return tiers_of(load_market_policies(policies))


def tiers_of(policies: dict[str, MarketPolicy]) -> MarketTiers:
    """The risk tier thresholds of policies already loaded."""
    return MarketTiers({market: policy.governance.tiers for market, policy in policies.items()})
