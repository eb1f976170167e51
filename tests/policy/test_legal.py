"""Each market's legal frame loads typed from policies/markets/, and a bad file fails in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from creatorscore.contract.schema import MARKETS
from creatorscore.locations import VARIABLES
from creatorscore.policy import PolicyError, load_market_policies, load_market_policy

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def policies(tmp_path) -> Path:
    """An editable copy of the checked-in policies folder."""
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    return tmp_path / "policies"


def _edit(folder: Path, market: str, change) -> None:
    path = folder / "markets" / f"{market}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_every_market_of_the_contract_has_a_legal_frame():
    frames = load_market_policies()
    assert set(frames) == set(MARKETS)
    countries = {frames[m].legal.country for m in MARKETS}
    assert len(countries) == len(MARKETS)


def test_no_market_outside_the_eu_cites_eu_law():
    for policy in load_market_policies().values():
        text = policy.legal.model_dump_json()
        assert "DSA" not in text and "Digital Services Act" not in text and "Art." not in text


def test_an_unknown_field_fails_in_one_line_naming_file_and_field(policies):
    _edit(policies, "ID", lambda data: data["legal"].update(redres=["typo"]))
    with pytest.raises(PolicyError) as raised:
        load_market_policy("ID", policies)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("policies/markets/ID.yaml: legal.redres:"), message


def test_a_missing_field_fails_naming_it(policies):
    _edit(policies, "TH", lambda data: data["legal"].pop("laws"))
    with pytest.raises(PolicyError, match=r"^policies/markets/TH\.yaml: legal\.laws: Field required$"):
        load_market_policy("TH", policies)


def test_an_empty_redress_list_is_refused(policies):
    _edit(policies, "VN", lambda data: data["legal"].update(redress=[]))
    with pytest.raises(PolicyError, match=r"VN\.yaml: legal\.redress: List should have at least 1 item"):
        load_market_policy("VN", policies)


def test_a_file_of_another_market_is_refused(policies):
    _edit(policies, "MY", lambda data: data.update(market="SG"))
    with pytest.raises(PolicyError, match=r"MY\.yaml: market: says 'SG', but the file is that of MY"):
        load_market_policy("MY", policies)


def test_a_missing_market_file_is_named(policies):
    (policies / "markets" / "PH.yaml").unlink()
    with pytest.raises(PolicyError, match="no policy file for market PH"):
        load_market_policies(policies)


def test_the_policies_variable_chooses_the_folder(policies, monkeypatch):
    _edit(policies, "SG", lambda data: data["legal"].update(country="Singapura"))
    monkeypatch.setenv(VARIABLES["policies"], str(policies))
    assert load_market_policy("SG").legal.country == "Singapura"
