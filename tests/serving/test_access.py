"""API keys and roles, without a server: parsing, hashing at rest, and the refusal matrix."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorscore.errors import UserError
from creatorscore.serving.access import HASHED, ApiKeys, Role, digest

REC, GOV = "recommendation-key-123", "governance-key-4567"


def keys() -> ApiKeys:
    return ApiKeys.parse(f"{REC}=recommendation, {HASHED}{digest(GOV)}=governance", "test")


@pytest.mark.parametrize(
    ("path", "header", "expected"),
    [
        ("/v1/score", None, 401),
        ("/v1/score", "Bearer ", 401),
        ("/v1/score", f"Token {REC}", 401),
        ("/v1/score", "Bearer wrong-key-wrong-key", 401),
        ("/v1/score", f"Bearer {REC}", None),
        ("/v1/score", f"bearer {GOV}", None),
        ("/v1/explain", f"Bearer {REC}", 403),
        ("/v1/score_features", f"Bearer {REC}", 403),
        ("/v1/explain", f"Bearer {GOV}", None),
        ("/v1/score_features/", f"Bearer {GOV}", None),
        ("/v1/policy", None, 401),
        ("/v1/policy", f"Bearer {REC}", 403),
        ("/v1/queue", f"Bearer {REC}", 403),
        ("/v1/policy", f"Bearer {GOV}", None),
        ("/v1/queue", f"Bearer {GOV}", None),
        ("/healthz", None, None),
        ("/docs.json", None, None),
    ],
)
def test_refusals_follow_the_role_matrix(path, header, expected):
    refused = keys().refusal(path, header)
    assert (refused[0] if refused else None) == expected


def test_a_hashed_key_in_a_file_grants_its_role(tmp_path):
    path = tmp_path / "keys"
    path.write_text(f"# comment\n{HASHED}{digest(GOV)}=governance\n\n{REC}=recommendation  # inline\n")
    loaded = ApiKeys.from_environment({"CREATORSCORE_API_KEYS_FILE": str(path)})
    assert loaded.roles == {digest(GOV): Role.GOVERNANCE, digest(REC): Role.RECOMMENDATION}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{REC}=admin", "entry 1 of test has unknown role 'admin'"),
        (f"{REC}=governance,short=governance", "entry 2 of test: keys must be at least 16 characters"),
        ("sha256:abc=governance", "entry 1 of test: a hashed key is sha256: and 64 hex digits"),
        (REC, "entry 1 of test is not key=role"),
        (" , ", "test holds no key=role entries"),
    ],
)
def test_bad_key_lists_fail_naming_the_entry_never_the_key(text, message):
    with pytest.raises(UserError) as raised:
        ApiKeys.parse(text, "test")
    assert str(raised.value).startswith(message)
    assert REC not in str(raised.value)


def test_no_keys_configured_says_how_to_configure_them(tmp_path):
    with pytest.raises(UserError, match="no API keys: set CREATORSCORE_API_KEYS"):
        ApiKeys.from_environment({})
    with pytest.raises(UserError, match="which is not a file"):
        ApiKeys.from_environment({"CREATORSCORE_API_KEYS_FILE": str(tmp_path / "absent")})


@given(st.text(min_size=1, max_size=80))
def test_no_header_but_a_configured_key_is_let_through(header):
    refused = keys().refusal("/v1/score", header)
    allowed = header.partition(" ")[0].lower() == "bearer" and header.partition(" ")[2].strip() in (REC, GOV)
    assert (refused is None) == allowed
