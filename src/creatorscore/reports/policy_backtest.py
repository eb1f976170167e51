"""The policy backtest's report: each replayed policy beside the others, overall, per market and
per tenure band, as a governance manager compares them."""

from __future__ import annotations

from creatorscore.reports.fairness import fairness_sections
from creatorscore.reports.html import Page, Section, Table, cell

# (summary key, column heading, format); a key absent without ground truth shows "-"
FIGURES = [
    ("creators", "creators", ",d"),
    ("turned_abusive", "turned abusive", ",d"),
    ("caught", "caught", ",d"),
    ("share_caught_within_14_days", "caught within 14 days", ".1%"),
    ("days_onset_to_action_median", "days to action, median", ".1f"),
    ("days_onset_to_action_p90", "days to action, p90", ".1f"),
    ("healthy_actioned", "healthy actioned", ",d"),
    ("healthy_actioned_share", "healthy actioned share", ".2%"),
    ("healthy_gmv_affected_usd", "healthy GMV affected (USD)", ",.0f"),
    ("reviews", "reviews", ",d"),
    ("review_capacity", "review capacity", ",d"),
    ("expected_appeals", "expected appeals", ",d"),
]


def backtest_report(summaries: dict[str, dict]) -> Page:
    """`summaries`: one `summary.summarise` result per replayed policy, by name."""
    first = next(iter(summaries.values()))
    replay = first["replay"]
    segments = list(first["segments"])
    sections = [
        Section(
            "Policies compared",
            paragraphs=[
                f"Replayed {replay['as_of_dates']} as-of dates from {replay['from']} to {replay['to']}; "
                f"review outcomes from {replay['outcomes_from']}. A creator is caught when a review "
                "confirms them on or after their abuse onset; healthy creators are those not abusing "
                "during the replay."
            ],
            tables=[_table(summaries, "overall")],
        ),
        Section("By market", tables=[_table(summaries, s) for s in segments if s.startswith("market=")]),
        Section(
            "By tenure band at the replay's start",
            tables=[_table(summaries, s) for s in segments if s.startswith("tenure_band=")],
        ),
        *fairness_sections({name: summary["fairness"] for name, summary in summaries.items()}),
    ]
    return Page(
        title="Policy backtest",
        subtitle=f"{', '.join(summaries)}; {replay['from']}..{replay['to']}",
        sections=sections,
    )


def _table(summaries: dict[str, dict], segment: str) -> Table:
    rows = []
    for name, summary in summaries.items():
        figures = summary["segments"].get(segment, {})
        rows.append([name, *(cell(figures.get(key), spec) for key, _, spec in FIGURES)])
    return Table(["policy", *(heading for _, heading, _ in FIGURES)], rows, caption=segment)
