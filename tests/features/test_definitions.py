"""Feature definitions: what ships is complete, and a broken definition fails at load, by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from creatorscore.features import DEFAULT_DIR, DefinitionError, load

FAMILIES = {
    "activity",
    "audience",
    "conversion",
    "order_health",
    "reports",
    "enforcement",
    "reviews",
    "buyers",
    "campaigns",
    "trends",
    "lifecycle",
    "peers",
    "network",
}


def test_shipped_definitions_cover_every_family_with_at_least_60_features(definitions):
    assert len(definitions.features) >= 60
    assert {f.family for f in definitions.features} == FAMILIES


def test_every_feature_says_what_it_is_and_how_to_explain_it(definitions):
    for feature in definitions.features:
        assert feature.description and "{" not in feature.description, feature.name
        assert "{value" in feature.reason, feature.name
        assert feature.label and "{" not in feature.label and "_" not in feature.label, feature.name


def test_for_each_wording_reaches_labels_and_reasons_but_not_names(definitions):
    feature = definitions.by_name("reports_not_as_described_90d")
    assert feature.policy == "not_as_described"
    assert feature.window_label == "Buyer reports for not-as-described, last 90 days"
    assert "not-as-described" in feature.reason and "not_as_described" not in feature.reason
    peer = definitions.by_name("refund_rate_90d_peer_pct")
    assert peer.peer_of == "refund_rate_90d" and peer.label.startswith("Refund rate over the last 90 days")


def test_directions_are_monotone_constraints_on_risk(definitions):
    directed = {f.name: f.risk_direction for f in definitions.features if f.risk_direction}
    assert directed["active_violation_points_90d"] == "up"
    assert directed["refund_rate_28d"] == "up"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "features"
    shutil.copytree(DEFAULT_DIR, folder)
    return folder


def _edit(folder: Path, file: str, change) -> None:
    path = folder / file
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _set_first(key: str, value):
    def change(data):
        data["features"][0][key] = value

    return change


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("activity.yaml", _set_first("value", "sum(no_such_column)"), "sessions_7d.*no_such_column"),
        ("activity.yaml", _set_first("source", "nowhere"), "sessions_7d.*unknown source 'nowhere'"),
        ("activity.yaml", _set_first("reason", "{value} by {buyer_id}"), "sessions_7d.*buyer_id"),
        ("activity.yaml", _set_first("reason", None), "feature sessions_\\{window\\}d.*reason"),
        ("activity.yaml", _set_first("windows", ["week"]), "windows"),
        ("activity.yaml", _set_first("colour", "red"), "colour"),
        ("activity.yaml", _set_first("label", "sessions_7d"), "sessions_7d.*reads like a column name"),
        ("activity.yaml", _set_first("label", None), "feature sessions_\\{window\\}d.*label"),
        ("audience.yaml", _set_first("name", "sessions_{window}d"), "defined twice"),
        ("peers.yaml", _set_first("for_each", {"of": ["no_feature"]}), "no_feature.*not a feature"),
        ("reports.yaml", _set_first("policy", "speeding"), "speeding"),
        ("lifecycle.yaml", _set_first("expression", "missing_feature * 2"), "tenure_days.*missing_feature"),
    ],
)
def test_a_broken_definition_fails_at_load_naming_it(tmp_path, file, change, message):
    folder = _copy(tmp_path)
    _edit(folder, file, change)
    with pytest.raises(DefinitionError, match=message):
        load(folder)


def test_a_source_naming_an_unknown_table_fails_naming_the_source(tmp_path):
    folder = _copy(tmp_path)

    def change(data):
        data["sources"]["reviews"]["sql"] = (
            "select creator_id, ts as event_at, ts as known_at from review_log"
        )

    _edit(folder, "sources.yaml", change)
    with pytest.raises(DefinitionError, match="source reviews.*review_log"):
        load(folder)


def test_unparseable_yaml_fails_naming_the_file(tmp_path):
    folder = _copy(tmp_path)
    (folder / "activity.yaml").write_text("family: [unclosed\n")
    with pytest.raises(DefinitionError, match="activity.yaml"):
        load(folder)


def test_the_version_hash_follows_any_change_to_a_definition(tmp_path, definitions):
    folder = _copy(tmp_path)
    assert load(folder).version == definitions.version
    _edit(folder, "activity.yaml", _set_first("windows", [7, 14]))
    assert load(folder).version != definitions.version
