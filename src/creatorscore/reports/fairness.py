"""The fairness audit as a governance manager reads it: for each replayed policy, whether the goal
holds, the groups flagged, and every group's rate beside the others' of the same behaviour.
The policy backtest's report carries these sections; `creatorscore report fairness` writes them
alone from a backtest's folder."""

from __future__ import annotations

from creatorscore.reports.html import Page, Section, Table, cell

COLUMNS = [
    ("outcome", "outcome", "s"),
    ("attribute", "attribute", "s"),
    ("behaviour", "behaviour", "s"),
    ("group", "group", "s"),
    ("creators", "creators", ",d"),
    ("rate", "rate", ".2%"),
    ("others_rate", "others' rate", ".2%"),
    ("ratio", "ratio", ".2f"),
    ("p_value", "p-value", ".3f"),
    ("q_value", "q-value", ".3f"),
]


def fairness_sections(audits: dict[str, dict | None]) -> list[Section]:
    """`audits`: one `fairness.backtest_fairness` result (None without ground truth) per policy."""
    sections = []
    for name, audit in audits.items():
        if audit is None:
            sections.append(Section(f"Fairness: {name}", paragraphs=[
                "Not audited: the data has no ground truth, so creators of the same behaviour "
                "cannot be told apart."
            ]))  # fmt: skip
            continue
        verdict = "holds" if audit["goal_met"] else f"is missed by {len(audit['flagged'])} group(s)"
        sections.append(Section(
            f"Fairness: {name}",
            paragraphs=[
                f"Goal: no market and no tenure band queued or actioned at more than "
                f"{audit['goal_ratio']}x the rate of the others for the same behaviour, beyond chance "
                "(one-sided Fisher exact test, q < 0.05 after Benjamini-Hochberg across the audit's "
                f"comparisons, at least 30 creators). The goal {verdict}."
            ],
            tables=[
                _table(audit["flagged"], "flagged groups"),
                _table(
                    [g for g in audit["groups"] if g["behaviour"] == "healthy"],
                    "healthy creators, every group",
                ),
            ],
        ))  # fmt: skip
    return sections


def fairness_report(audits: dict[str, dict | None], replay: dict) -> Page:
    return Page(
        title="Fairness of governance decisions",
        subtitle=f"{', '.join(audits)}; {replay['from']}..{replay['to']}",
        sections=fairness_sections(audits),
    )


def _table(groups: list[dict], caption: str) -> Table:
    rows = [[cell(group[key], spec) for key, _, spec in COLUMNS] for group in groups]
    return Table([heading for _, heading, _ in COLUMNS], rows, caption=caption)
