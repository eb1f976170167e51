"""Everything the HTTP service does, without HTTP: start-up, access, scoring, decisions and readiness.

`serving/service.py` only binds these methods to BentoML endpoints, so the service can be
started and exercised in-process (notebooks, benchmarks) exactly as it runs behind HTTP.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from creatorscore.features.definitions import Definitions
from creatorscore.features.store import open_store
from creatorscore.locations import VARIABLES
from creatorscore.policy import load_market_policies
from creatorscore.policy.legal import tiers_of
from creatorscore.redact import redact_uri
from creatorscore.serving import freshness
from creatorscore.serving.access import ApiKeys
from creatorscore.serving.cold_start import DATA_VARIABLE, CreatorsTable
from creatorscore.serving.decisions import PolicyInputs
from creatorscore.serving.model_source import LoadedModels, load_models
from creatorscore.serving.online import OnlineScorer
from creatorscore.serving.schemas import UnknownCreator
from creatorscore.serving.store_uri import DEFAULT_STORE, STORE_VARIABLE


class ScoringService:
    def __init__(self, keys: ApiKeys, loaded: LoadedModels, scorer: OnlineScorer, store_uri: str):
        self.keys = keys
        self.loaded = loaded
        self.scorer = scorer
        self.store_uri = store_uri

    @classmethod
    def start(cls, definitions: Definitions, environ: Mapping[str, str] = os.environ) -> ScoringService:
        """Keys, champions, the market policies and the scored store (with its decisions when the
        contract's folder is given), from the environment; UserError saying what is missing or
        malformed.

        A store that cannot be read yet is no reason to refuse: `creatorscore serve` checked it,
        and a worker that finds none answers 503 until it appears rather than crash-looping.
        """
        keys = ApiKeys.from_environment(environ)
        policies = load_market_policies(environ.get(VARIABLES["policies"]))  # once: requests read no file
        store_uri = environ.get(STORE_VARIABLE) or DEFAULT_STORE
        store = open_store(store_uri)
        data = environ.get(DATA_VARIABLE)
        creators = CreatorsTable(Path(data)) if data else None
        policy = PolicyInputs(Path(data), policies) if data else None
        loaded = load_models(environ.get("MLFLOW_TRACKING_URI"))
        scorer = OnlineScorer(
            store,
            loaded.models["abuse_risk"],
            loaded.models["content_quality"],
            definitions,
            tiers_of(policies),
            store_uri=redact_uri(store_uri),
            creators=creators,
            policy=policy,
        )
        return cls(keys, loaded, scorer, store_uri)

    @property
    def serving(self) -> bool:
        """Whether a store generation is held: until then every scoring call answers 503."""
        return self.scorer.scored is not None

    @property
    def deciding(self) -> bool:
        """Whether policy decisions are made (`serve --data`): without the contract's tables there
        is no enforcement record to decide from, and /policy and /queue are refused."""
        return self.scorer.policy is not None

    @property
    def model_versions(self) -> dict[str, str]:
        return self.scorer.model_versions

    def score(self, creator_ids: Sequence[str]) -> tuple[dict, dict[str, str]]:
        """The /score body and its freshness headers, both of one store generation."""
        scored = self.scorer.current()
        body = {"model_versions": self.model_versions, "items": self.scorer.score(creator_ids, scored)}
        return body, freshness.headers(scored.meta, self.model_versions)

    def explain(self, creator_ids: Sequence[str], k: int) -> tuple[dict, dict[str, str]]:
        scored = self.scorer.current()
        body = {"model_versions": self.model_versions, "items": self.scorer.explain(creator_ids, k, scored)}
        return body, freshness.headers(scored.meta, self.model_versions)

    def policy(self, creator_ids: Sequence[str]) -> tuple[dict, dict[str, str]]:
        """The /policy body: each creator's decision on the generation served, or `unknown creator`."""
        scored = self.scorer.current()
        decisions = scored.decided.decisions
        items = [decisions.get(creator) or UnknownCreator(creator_id=creator) for creator in creator_ids]
        body = {"model_versions": self.model_versions, "items": items}
        return body, freshness.headers(scored.meta, self.model_versions)

    def queue(self, market: str) -> tuple[dict, dict[str, str]]:
        """The /queue body: the market's review queue of the generation served, by rank."""
        scored = self.scorer.current()
        body = {
            "model_versions": self.model_versions,
            "market": market,
            "as_of": scored.meta.as_of.to_pydatetime(),
            "items": scored.decided.queues.get(market, []),
        }
        return body, freshness.headers(scored.meta, self.model_versions)

    def score_features(self, rows: Sequence[dict], explain: bool, k: int = 4) -> tuple[dict, dict[str, str]]:
        # one frame from one float matrix: a frame of dicts holds a column of nulls as objects,
        # and converting those column by column fragmented it (a PerformanceWarning a call)
        features = self.scorer.definitions.names
        values = np.array(
            [[np.nan if (v := r["features"][f]) is None else v for f in features] for r in rows],
            dtype=np.float64,
        ).reshape(len(rows), len(features))
        frame = pd.concat(
            [
                pd.DataFrame(
                    {"market": [r["market"] for r in rows], "category": [r["category"] for r in rows]}
                ),
                pd.DataFrame(values, columns=features),
            ],
            axis=1,
        )
        scored = self.scorer.current()
        body = {
            "model_versions": self.model_versions,
            "as_of": scored.meta.as_of.to_pydatetime(),
            "items": self.scorer.score_rows(frame, explain, k, scored),
        }
        return body, freshness.headers(scored.meta, self.model_versions)

    def readiness(self, full: bool = True) -> tuple[int, dict]:
        """GET /readyz: ready to serve, and from what; degraded when serving kept copies or a
        store generation other than the latest, 503 while no generation is held.

        `full` is for the governance role; anyone else sees file names but no folders.
        """
        scored, loaded = self.scorer.scored, self.loaded
        store_problem = self.scorer.problem
        store = {"uri": redact_uri(self.store_uri)}
        if scored is not None:
            store.update(
                as_of=scored.meta.as_of.isoformat(),
                creators=scored.meta.creators,
                definitions_version=scored.meta.definitions_version,
            )
        body = {
            "ready": scored is not None,
            "degraded": bool(store_problem or loaded.problem),
            "model_source": loaded.source,
            "registry": redact_uri(loaded.registry),
            "registry_problem": loaded.problem,
            "models": {
                name: {"version": model.record.version, "run_id": model.record.run_id}
                for name, model in loaded.models.items()
            },
            "store_problem": store_problem,
            "store": store,
        }
        known = [self.store_uri, self.store_uri.removeprefix("sqlite:///"), loaded.registry]
        return 200 if scored is not None else 503, body if full else _without_paths(body, known)


# a URI or an absolute path, in free text: what `_public_location` shortens
_LOCATION = re.compile(r"(?<![\w.])(?:[A-Za-z][\w+.-]*:)?/[^\s'\",;()]*")


def _without_paths(body, known: Sequence[str]):
    """`body` with every URL cut to its scheme and host and every path to its file name: where
    the service's files live is for operators (the governance role), not for any caller.

    The `known` locations (which may hold spaces) are replaced whole, any other by pattern.
    """
    if isinstance(body, dict):
        return {key: _without_paths(value, known) for key, value in body.items()}
    if not isinstance(body, str):
        return body
    for location in sorted(known, key=len, reverse=True):
        body = body.replace(location, _public_location(location))
    return _LOCATION.sub(lambda match: _public_location(match.group()), body)


def _public_location(location: str) -> str:
    parts = urlsplit(location)
    if parts.netloc:
        return f"{parts.scheme}://{parts.hostname}"
    return PurePosixPath(parts.path).name or location
