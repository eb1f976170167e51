"""The creator-history data contract: the one definition of every table, column and rule.

The validator, the simulator's output, the generated `docs/data-contract.md` and every
later stage read their expectations from here, so the contract cannot drift between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Kind(StrEnum):
    """Logical column types; the loader coerces whatever the file holds to these."""

    ID = "id"
    STRING = "string"
    TIMESTAMP = "timestamp"
    FLOAT = "float"
    INT = "int"


MARKETS = ("ID", "TH", "VN", "MY", "PH", "SG")
ORDER_STATUSES = ("pending", "completed", "cancelled", "returned", "refunded")
POLICIES = (
    "not_as_described",
    "counterfeit",
    "prohibited_item",
    "misleading_claim",
    "off_platform_transaction",
    "fake_engagement",
    "abusive_conduct",
    "other",
)
# Each policy's name and the clause of the creator policies it stands for: what a reviewer and a
# creator read beside a reason that relies on it. Market legal frames (policies/markets/) cite the
# law; these clauses are the platform's own rules, the same in every market.
POLICY_CLAUSES: dict[str, tuple[str, str]] = {
    "not_as_described": (
        "Not as described",
        "Products sold must match their listing and what the livestream shows and says about them.",
    ),
    "counterfeit": ("Counterfeit goods", "Creators may not sell counterfeit or replica branded goods."),
    "prohibited_item": (
        "Prohibited items",
        "Creators may not sell items on the prohibited or restricted items list of their market.",
    ),
    "misleading_claim": (
        "Misleading claims",
        "Claims about a product's effect, origin, price or discount must be true and substantiated.",
    ),
    "off_platform_transaction": (
        "Off-platform transactions",
        "Creators may not steer buyers to pay or complete a purchase outside the platform.",
    ),
    "fake_engagement": (
        "Fake engagement and orders",
        "Creators may not inflate orders, reviews, viewers or engagement, alone or with linked accounts.",
    ),
    "abusive_conduct": (
        "Abusive conduct",
        "Creators may not harass, threaten or abuse buyers, viewers or other creators.",
    ),
    "other": (
        "Other creator-policy rules",
        "Creators must follow the remaining rules of the creator policies.",
    ),
}
SEVERITIES = ("minor", "moderate", "severe")
CASE_OUTCOMES = ("confirmed", "cleared", "open")
LINK_TYPES = ("device", "payment", "bank_account", "address", "phone")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    nullable: bool = False
    unique: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    references_creator: bool = False

    def rule_text(self) -> str:
        """The column's constraints as a reader of the contract wants them, in one cell."""
        rules = []
        if self.unique:
            rules.append("unique")
        rules.append("nullable" if self.nullable else "required")
        if self.allowed:
            rules.append("one of " + ", ".join(f"`{v}`" for v in self.allowed))
        if self.min_value is not None and self.max_value is not None:
            rules.append(f"{self.min_value:g} to {self.max_value:g}")
        elif self.min_value is not None:
            rules.append(f">= {self.min_value:g}")
        if self.references_creator:
            rules.append("must name an accepted creator")
        return "; ".join(rules)


@dataclass(frozen=True)
class TimeOrder:
    """`later` may not precede `earlier` in the same row (checked only when both are set)."""

    later: str
    earlier: str


@dataclass(frozen=True)
class NullWhen:
    """`column` must be null exactly when `when_column` equals `when_value`.

    This is how an unresolved order or an open case says "not yet known": a final status
    without its timestamp, or a pending one with it, is an inconsistent row.
    """

    column: str
    when_column: str
    when_value: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = True
    time_orders: tuple[TimeOrder, ...] = ()
    null_when: tuple[NullWhen, ...] = ()
    known_at: str = ""
    """Which timestamp makes each of the row's facts known; point-in-time features obey it."""

    @property
    def id_column(self) -> Column | None:
        return next((c for c in self.columns if c.unique), None)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _id(name: str, description: str, **kw) -> Column:
    return Column(name, Kind.ID, description, **kw)


def _creator_ref() -> Column:
    return _id("creator_id", "The creator the row belongs to.", references_creator=True)


TABLES: tuple[Table, ...] = (
    Table(
        "creators",
        "One row per creator account.",
        (
            _id("creator_id", "Platform creator id.", unique=True),
            Column("market", Kind.STRING, "Country market.", allowed=MARKETS),
            Column("category", Kind.STRING, "Primary selling category (free text)."),
            Column("onboarded_at", Kind.TIMESTAMP, "When the account joined the creator program."),
        ),
        known_at="`onboarded_at`",
    ),
    Table(
        "live_sessions",
        "One row per livestream.",
        (
            _id("session_id", "Livestream id.", unique=True),
            _creator_ref(),
            Column("started_at", Kind.TIMESTAMP, "Stream start."),
            Column("duration_s", Kind.INT, "Stream length in seconds.", min_value=0),
            Column("peak_viewers", Kind.INT, "Highest concurrent viewer count.", min_value=0),
            Column("comments", Kind.INT, "Comments posted during the stream.", min_value=0),
        ),
        known_at="`started_at`",
    ),
    Table(
        "orders",
        "One row per order attributed to a creator.",
        (
            _id("order_id", "Order id.", unique=True),
            _creator_ref(),
            _id(
                "session_id",
                "Livestream the order came from; null for video or showcase orders.",
                nullable=True,
            ),
            _id("buyer_id", "Buyer account id. Never shown in reports or API responses."),
            Column("created_at", Kind.TIMESTAMP, "When the order was placed."),
            Column("amount_usd", Kind.FLOAT, "Order value in USD.", min_value=0),
            Column("status", Kind.STRING, "Final (or current) status.", allowed=ORDER_STATUSES),
            Column(
                "resolved_at",
                Kind.TIMESTAMP,
                "When the order reached its final status; null while pending.",
                nullable=True,
            ),
        ),
        time_orders=(TimeOrder("resolved_at", "created_at"),),
        null_when=(NullWhen("resolved_at", "status", "pending"),),
        known_at="`created_at` for the order, `resolved_at` for its final status",
    ),
    Table(
        "buyer_reports",
        "One row per report a buyer or viewer filed against a creator.",
        (
            _id("report_id", "Report id.", unique=True),
            _creator_ref(),
            _id("session_id", "Livestream reported, if any.", nullable=True),
            _id("order_id", "Order reported, if any.", nullable=True),
            Column("created_at", Kind.TIMESTAMP, "When the report was filed."),
            Column("reason", Kind.STRING, "Reported problem.", allowed=POLICIES),
        ),
        known_at="`created_at`",
    ),
    Table(
        "violations",
        "One row per policy violation decided against a creator.",
        (
            _id("violation_id", "Violation id.", unique=True),
            _creator_ref(),
            Column("decided_at", Kind.TIMESTAMP, "When enforcement decided the violation."),
            Column("policy", Kind.STRING, "Policy violated.", allowed=POLICIES),
            Column("severity", Kind.STRING, "Severity tier.", allowed=SEVERITIES),
            Column("points", Kind.FLOAT, "Enforcement points assigned.", min_value=0),
            Column(
                "overturned_at",
                Kind.TIMESTAMP,
                "When the creator won an appeal against it; null if standing.",
                nullable=True,
            ),
        ),
        time_orders=(TimeOrder("overturned_at", "decided_at"),),
        known_at="`decided_at`; `overturned_at` for a won appeal",
    ),
    Table(
        "quality_reviews",
        "One row per human content-quality review of a sampled livestream.",
        (
            _id("review_id", "Review id.", unique=True),
            _creator_ref(),
            _id("session_id", "Livestream reviewed."),
            Column("reviewed_at", Kind.TIMESTAMP, "When the review was completed."),
            Column("score", Kind.INT, "Reviewer's score.", min_value=1, max_value=5),
        ),
        known_at="`reviewed_at`",
    ),
    Table(
        "abuse_cases",
        "One row per abuse investigation opened against a creator.",
        (
            _id("case_id", "Case id.", unique=True),
            _creator_ref(),
            Column("opened_at", Kind.TIMESTAMP, "When the investigation opened."),
            Column("closed_at", Kind.TIMESTAMP, "When it closed; null while open.", nullable=True),
            Column("outcome", Kind.STRING, "Result of the case.", allowed=CASE_OUTCOMES),
            Column("abuse_type", Kind.STRING, "Abuse found, if any (free text).", nullable=True),
        ),
        time_orders=(TimeOrder("closed_at", "opened_at"),),
        null_when=(NullWhen("closed_at", "outcome", "open"),),
        known_at="`opened_at` for the investigation, `closed_at` for its outcome",
    ),
    Table(
        "account_links",
        "Identifiers a creator account shares with the world; shared values link accounts.",
        (
            _creator_ref(),
            Column("link_type", Kind.STRING, "What is shared.", allowed=LINK_TYPES),
            _id("link_value", "Hashed identifier value; equal hashes mean a shared identifier."),
            Column("first_seen_at", Kind.TIMESTAMP, "When the platform first saw the link."),
        ),
        required=False,
        known_at="`first_seen_at`",
    ),
    Table(
        "campaign_participation",
        "One row per creator joining a platform incentive campaign.",
        (
            _creator_ref(),
            _id("campaign_id", "Campaign id."),
            Column("joined_at", Kind.TIMESTAMP, "When the creator joined the campaign."),
            Column("incentive_usd", Kind.FLOAT, "Incentive paid or promised in USD.", min_value=0),
        ),
        required=False,
        known_at="`joined_at`",
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


class Reason(StrEnum):
    """Why a row was quarantined. Every check the validator runs maps to exactly one."""

    MISSING_VALUE = "missing_value"
    BAD_TYPE = "bad_type"
    NOT_ALLOWED = "not_allowed"
    OUT_OF_RANGE = "out_of_range"
    IMPLAUSIBLE_TIME = "implausible_time"
    DUPLICATE_ROW = "duplicate_row"
    DUPLICATE_ID = "duplicate_id"
    TIME_ORDER = "time_order"
    INCONSISTENT_STATUS = "inconsistent_status"
    UNKNOWN_CREATOR = "unknown_creator"
    CREATOR_QUARANTINED = "creator_quarantined"


REASON_DESCRIPTIONS: dict[Reason, str] = {
    Reason.MISSING_VALUE: "a required column is null or empty",
    Reason.BAD_TYPE: "a value cannot be read as the column's type (number, integer, timestamp)",
    Reason.NOT_ALLOWED: "a value outside the column's vocabulary",
    Reason.OUT_OF_RANGE: "a number outside the column's range",
    Reason.IMPLAUSIBLE_TIME: "a timestamp before the platform's start or after the time of validation "
    "plus the allowed clock skew (see Time bounds)",
    Reason.DUPLICATE_ROW: "an exact copy of an earlier row; the first copy is accepted",
    Reason.DUPLICATE_ID: "an id shared by rows that disagree; all of them are quarantined",
    Reason.TIME_ORDER: "a timestamp earlier than the one it must follow",
    Reason.INCONSISTENT_STATUS: "a status that contradicts its timestamp",
    Reason.UNKNOWN_CREATOR: "a creator_id absent from the creators table",
    Reason.CREATOR_QUARANTINED: "a creator_id whose creators row was itself quarantined",
}


class TimeBounds(BaseModel):
    """The window in which a platform's facts can lie; a timestamp outside it is a typo or a
    placeholder, and one such row would otherwise move every creator's as-of time with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    earliest: datetime = Field(
        datetime(2016, 1, 1, tzinfo=UTC),
        description="No fact precedes it. Live commerce began in 2016 (Taobao Live), so an earlier "
        "time is a placeholder such as 1970-01-01 or 1900-01-01, not history.",
    )
    max_future_skew: timedelta = Field(
        timedelta(days=1),
        ge=timedelta(0),
        le=timedelta(days=30),
        description="How far past the time of validation a fact may lie: a day covers an exporting "
        "clock running ahead and local time mislabelled as UTC (at most 14 hours), while a "
        "mistyped year is still caught.",
    )
    now: datetime | None = Field(
        None, description="The time of validation; the wall clock when unset (tests pin it)."
    )

    @field_validator("earliest", "now")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """Naive times are UTC, as in the contract's tables."""
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)

    @model_validator(mode="after")
    def _earliest_before_now(self) -> TimeBounds:
        if self.now is not None and self.earliest >= self.now:
            raise ValueError(f"earliest {self.earliest} must precede now {self.now}")
        return self

    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(earliest, latest) accepted, both inclusive, with `now` read once per validation."""
        now = pd.Timestamp(self.now) if self.now is not None else pd.Timestamp.now(tz="UTC")
        return pd.Timestamp(self.earliest), now + pd.Timedelta(self.max_future_skew)
