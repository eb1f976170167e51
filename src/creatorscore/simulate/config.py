"""What the simulator is asked to produce; validated on construction so a bad flag fails early."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# share of creators per market; here, not in calendar.py, so the CLI's help loads no numpy
MARKET_SHARE = {"ID": 0.32, "TH": 0.18, "VN": 0.2, "PH": 0.14, "MY": 0.1, "SG": 0.06}
# share among abusers; the emerging tactic is drawn separately so it can start late
ARCHETYPES = {
    "brushing": 0.22,
    "misleading_claims": 0.2,
    "counterfeit": 0.16,
    "off_platform_diversion": 0.14,
    "incentive_abuse": 0.14,
    "coordinated_ring": 0.14,
}


class SimulationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    variant: str | None = Field(
        None, description="Named variant the other fields start from (simulate/variants.py), if any."
    )
    creators: int = Field(2_000, ge=10, description="Number of creator accounts.")
    days: int = Field(180, ge=28, le=3_650, description="Length of the simulated history in days.")
    seed: int = Field(7, ge=0, description="Seed for every random draw; equal seeds give equal tables.")
    start: date = Field(
        date(2025, 6, 20),
        description="First day of history; the default window spans the 2025 9.9 to 12.12 mega-sales "
        "and ends in the past, as validation refuses facts from the future.",
    )
    emerging_after: date | None = Field(
        None,
        description="Day a new abuse tactic (engagement botting) starts; default 70% into history.",
    )
    corrupt_rate: float = Field(
        0.0, ge=0.0, le=0.2, description="Share of rows per table replaced by malformed rows."
    )
    abuser_share: float = Field(0.08, ge=0.0, le=0.5, description="Share of creators who turn abusive.")
    mimic_share: float = Field(
        0.3, ge=0.0, le=1.0, description="Share of abusers who keep their metrics looking healthy."
    )
    emerging_share: float = Field(
        0.015, ge=0.0, le=0.2, description="Share of creators who adopt the emerging tactic."
    )
    label_delay: float = Field(
        1.0,
        ge=0.25,
        le=4.0,
        description="Multiplier on the delay from abuse onset to a case opening and from opening to "
        "its decision; above 1 labels arrive later.",
    )
    detection_scale: float = Field(
        1.0,
        ge=0.1,
        le=1.5,
        description="Multiplier on the chance an abuser's case is opened and confirmed (capped at 1): "
        "sets the share of abusers ever confirmed.",
    )
    price_scale: float = Field(1.0, gt=0.0, le=20.0, description="Multiplier on every order value.")
    review_rate: float = Field(
        0.04, ge=0.0, le=0.5, description="Share of streams a human reviewer scores for quality."
    )
    market_share: dict[str, float] | None = Field(
        None,
        description=f"Share of creators per market (default {MARKET_SHARE}); markets are a subset "
        "of those, shares are normalised.",
    )
    archetype_mix: dict[str, float] | None = Field(
        None,
        description=f"Share of each abuse archetype among abusers (default {ARCHETYPES}); names are "
        "a subset of those, shares are normalised.",
    )

    @field_validator("market_share", "archetype_mix")
    @classmethod
    def _known_positive_shares(cls, shares: dict[str, float] | None, info) -> dict[str, float] | None:
        known = MARKET_SHARE if info.field_name == "market_share" else ARCHETYPES
        if shares is None:
            return None
        unknown = sorted(set(shares) - set(known))
        if unknown:
            raise ValueError(f"unknown {unknown}; choose from {sorted(known)}")
        if not shares or any(v < 0 for v in shares.values()) or sum(shares.values()) <= 0:
            raise ValueError("shares must be non-negative with a positive sum")
        return shares

    @classmethod
    def from_variant(cls, name: str | None, **overrides) -> SimulationConfig:
        """Variant `name`'s settings with `overrides` on top; a ValueError names unknown variants."""
        from creatorscore.simulate.variants import variant_overrides

        base = variant_overrides(name) if name is not None else {}
        return cls(**{**base, **overrides, "variant": name})

    @property
    def markets(self) -> dict[str, float]:
        """Share of creators per market, summing to one."""
        return _normalised(self.market_share) if self.market_share else MARKET_SHARE

    @property
    def archetypes(self) -> dict[str, float]:
        """Share of each archetype among abusers, summing to one."""
        return _normalised(self.archetype_mix) if self.archetype_mix else ARCHETYPES

    @property
    def end(self) -> date:
        """First day after the history; nothing is known at or after it."""
        return self.start + timedelta(days=self.days)

    @property
    def emerging_day(self) -> int:
        """Day index (from `start`) at which the emerging tactic may begin."""
        when = self.emerging_after or self.start + timedelta(days=int(self.days * 0.7))
        return (when - self.start).days

    @model_validator(mode="after")
    def _emerging_inside_history(self) -> SimulationConfig:
        if self.emerging_after is not None and not self.start < self.emerging_after < self.end:
            raise ValueError(
                f"emerging_after {self.emerging_after} must fall inside the history "
                f"({self.start} to {self.end})"
            )
        return self


def _normalised(shares: dict[str, float]) -> dict[str, float]:
    total = sum(shares.values())
    return {name: share / total for name, share in shares.items()}
