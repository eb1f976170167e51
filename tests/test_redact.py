"""Credentials are cut from every URI in a text, whatever surrounds it."""

from __future__ import annotations

from creatorscore.redact import redact, redact_uri


def test_every_uri_in_a_text_loses_its_user_info_and_nothing_else():
    text = (
        "cannot reach the model registry at http://user:s3cret-pw@127.0.0.1:5000: API request to "
        "http://user:s3cret-pw@127.0.0.1:5000/api/2.0/mlflow/runs failed ('https://token@h/x'); "
        "store sqlite:////tmp/mlflow.db, mail ops@example.com, path http://h/a@b"
    )
    assert redact(text) == (
        "cannot reach the model registry at http://127.0.0.1:5000: API request to "
        "http://127.0.0.1:5000/api/2.0/mlflow/runs failed ('https://h/x'); "
        "store sqlite:////tmp/mlflow.db, mail ops@example.com, path http://h/a@b"
    )


def test_a_single_uri_keeps_its_host_port_path_and_query():
    assert redact_uri("https://u:p@ss@host:8443/x?q=1#f") == "https://host:8443/x?q=1#f"
    assert redact_uri("http://[::1") == "http://[::1"  # malformed: shown as is, never an error
    assert redact_uri("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
