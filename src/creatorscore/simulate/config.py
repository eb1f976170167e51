"""What the simulator is asked to produce; validated on construction so a bad flag fails early."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SimulationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

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
