"""How fresh an answer is: `ETag` and `Last-Modified` of every scoring response.

A score depends on nothing but the store generation scored and the models that scored it, so
the pair identifies an answer: a client holding the same ETag for the same request holds the
same answer, and one whose ETag changed knows to refresh what it cached. `Last-Modified` is the
store's as-of time, the moment the features describe, not when the file was written.
`If-None-Match` is not honoured: on a POST, RFC 9110 answers a matching tag with 412, not 304,
which tells a client nothing it cannot read from the ETag itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import format_datetime

from creatorscore.features.store import StoreMetadata


def etag(meta: StoreMetadata, model_versions: Mapping[str, str]) -> str:
    versions = "-".join(f"{name}.{model_versions[name]}" for name in sorted(model_versions))
    return f'"{meta.generation}-{versions}"'


def headers(meta: StoreMetadata, model_versions: Mapping[str, str]) -> dict[str, str]:
    return {
        "ETag": etag(meta, model_versions),
        "Last-Modified": format_datetime(meta.as_of.to_pydatetime(), usegmt=True),
    }
