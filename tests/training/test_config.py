"""Model configs: the checked-in ones load, and a mistake fails on one line naming the field."""

from __future__ import annotations

import pytest

from creatorscore.errors import UserError
from creatorscore.training.config import MODEL_NAMES, default_config, load_config


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_checked_in_configs_load(name):
    assert default_config(name).name == name


def test_config_typo_fails_naming_the_field(tmp_path):
    text = (default_config("abuse_risk").model_dump_json()).replace('"num_leaves"', '"num_leafs"')
    path = tmp_path / "typo.yaml"
    path.write_text(text)  # JSON is YAML
    with pytest.raises(UserError, match=r"typo.yaml: lightgbm.num_leafs: Extra inputs are not permitted"):
        load_config(path)


def test_a_target_that_does_not_match_the_model_fails(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(
        default_config("abuse_risk").model_dump_json().replace('"abuse_label"', '"quality_label"')
    )
    with pytest.raises(UserError, match="abuse_risk needs target abuse_label"):
        load_config(path)


def test_malformed_yaml_is_one_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [abuse_risk\n")
    with pytest.raises(UserError) as caught:
        load_config(path)
    assert "\n" not in str(caught.value) and "not valid YAML" in str(caught.value)


def test_unknown_model_name_is_a_user_error():
    with pytest.raises(UserError, match="unknown model 'fraud'"):
        default_config("fraud")
