"""Online scoring by creator id: batch scoring of the online store, served by lookup.

The store changes only when `features materialize` writes a new generation, and every score
depends on nothing but the stored vector and the champion models. So when a generation first
appears the whole store is scored once with `score_creators`, the very function batch scoring
uses: market percentiles then rank each creator against its whole market (never against the
other ids of one request), and online scores equal batch scores by construction. A request
is then a dictionary lookup; TreeSHAP runs only for the creators someone asks to explain.
A new generation is scored in a background thread while the last one is served; one that
cannot be served (materialised with other definitions than the service's or the models') is
reported with its fix, not retried, and a store that cannot be read (locked, missing, corrupt)
is reported and checked again. Given the contract's folder, each generation is also decided
by the market policies on the scores just computed (`decisions`), so decisions always belong
to the generation served.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import TypeAdapter

from creatorscore.explain import PeerIndex, explanations_from, peer_medians, tree_contributions
from creatorscore.explain.contributions import matrix_contributions, model_features
from creatorscore.explain.explanation import Explanation
from creatorscore.explain.tiers import MarketTiers, share_at_most, sorted_by_market
from creatorscore.features.definitions import Definitions
from creatorscore.features.store import OnlineStore, StoreMetadata, StoreUnavailable
from creatorscore.scoring.batch import risk_tier_values, score_creators
from creatorscore.serving.cold_start import CreatorsTable, Priors
from creatorscore.serving.compatibility import mismatch
from creatorscore.serving.decisions import Decided, PolicyInputs
from creatorscore.serving.schemas import ColdStartCreator, CreatorScore, ExplainedCreator, UnknownCreator
from creatorscore.training.registry import RegisteredModel

logger = logging.getLogger(__name__)

KEYS = ("creator_id", "as_of", "market", "category")
WATCH_EVERY = 0.5  # seconds between two checks of the store's generation
SCORE_FIELDS = (
    "creator_id",
    "market",
    "abuse_risk",
    "abuse_risk_market_pct",
    "risk_tier",
    "content_quality",
    "content_quality_market_pct",
)


class MismatchedStore(Exception):
    """A store generation that does not belong with the service's definitions or models."""

    def __init__(self, generation: str, problem: str):
        super().__init__(problem)
        self.generation = generation


@dataclass(frozen=True)
class ScoredStore:
    """One store generation scored by both champions."""

    meta: StoreMetadata
    row: dict[str, int]  # creator id -> position in `items`
    items: list[CreatorScore]  # per creator: the /score item, ready to serialise
    market_scores: dict[tuple[str, str], np.ndarray]  # (model, market) -> sorted scores
    peers: dict[str, PeerIndex]  # model name -> peer medians of this generation
    priors: Priors  # the cold-start scores of creators not in this generation
    # the vectors scored, which explanations read (never a newer generation's): keys, and the
    # features as one matrix in the store's order with each model's columns in it
    keys: pd.DataFrame  # creator_id, as_of, market, category
    matrix: np.ndarray
    columns: dict[str, np.ndarray]  # model name -> its features' positions in `matrix`
    decided: Decided | None  # the policies' decisions on these scores; None without `serve --data`


class OnlineScorer:
    """Scores and explanations for creator ids or explicit feature rows, from one store.

    Requests never touch the store: a watcher thread checks its generation every `watch_every`
    seconds and scores a new one in the background, and requests read the last scored
    generation from memory. A store that becomes locked, vanishes or is corrupted leaves that
    generation served and `problem` saying why; a scorer started before its store exists holds
    nothing (`current` raises `StoreUnavailable`) until the store appears.
    """

    def __init__(
        self,
        store: OnlineStore,
        abuse: RegisteredModel,
        quality: RegisteredModel,
        definitions: Definitions,
        tiers: MarketTiers,
        watch_every: float = WATCH_EVERY,
        store_uri: str = "URI",
        creators: CreatorsTable | None = None,
        policy: PolicyInputs | None = None,
    ):
        self.store = store
        self.store_uri = store_uri  # for the command that fixes a mismatched store
        self.creators = creators  # the contract's creators table: who gets a cold-start score
        self.policy = policy  # what each generation's decisions are made from, with `serve --data`
        self.models = {abuse.record.name: abuse, quality.record.name: quality}
        self.definitions = definitions
        self.tiers = tiers  # each market's tier thresholds, loaded once when the service starts
        self.model_versions = {name: model.record.version for name, model in self.models.items()}
        self.problem: str | None = None  # why the store's latest generation is not being served
        self._failure: tuple[str, str] | None = None  # a generation that cannot be served, and why
        self.scored: ScoredStore | None = None  # the generation served; None until one is scored
        try:
            self.scored = self._score_store()  # the first generation is scored before serving starts
        except StoreUnavailable as error:  # e.g. the store vanished before this worker started
            self._report(str(error))
        except MismatchedStore as error:  # `serve` refuses this; a worker started otherwise waits
            self._failure = (error.generation, str(error))
            self._report(str(error))
        # a scored store is a few hundred thousand long-lived objects; frozen, the collector's
        # full passes stop walking them on every request that triggers one (tail latency)
        gc.freeze()
        self._stopped = threading.Event()
        self._watcher = threading.Thread(
            target=self._watch, args=(watch_every,), name="watch-store", daemon=True
        )
        self._watcher.start()

    def current(self) -> ScoredStore:
        """The latest scored generation: a dictionary lookup away, never a store read."""
        scored = self.scored
        if scored is None:
            raise StoreUnavailable(self.problem or "no store generation scored yet")
        return scored

    def close(self) -> None:
        """Stop watching the store."""
        self._stopped.set()
        self._watcher.join()

    def _watch(self, every: float) -> None:
        while not self._stopped.wait(every):
            try:
                if self.creators is not None:
                    self.creators.refresh()
                self._report(self._check())
            except Exception as error:  # noqa: BLE001 - a dead watcher would serve one generation forever
                self._report(f"checking the online store failed: {error!r}")

    def _check(self) -> str | None:
        """Check the store once, scoring a new generation: why the latest is not served, or None."""
        try:
            generation = self.store.generation()
        except StoreUnavailable as error:  # locked, vanished, corrupt: waited on, then reported
            return str(error)
        if self._failure is not None and self._failure[0] == generation:
            return self._failure[1]  # reported, not retried
        if self.scored is not None and self.scored.meta.generation == generation:
            return None
        try:
            scored = self._score_store()
        except StoreUnavailable as error:  # replaced or locked again since the check: next time
            return str(error)
        except MismatchedStore as error:  # its own words: they name the fix
            self._failure = (error.generation, str(error))
            return self._failure[1]
        except Exception as error:  # noqa: BLE001 - keep serving the last generation, and say why
            self._failure = (generation, f"store generation {generation} not served: {error}")
            return self._failure[1]
        self.scored = scored
        gc.freeze()  # see __init__
        return None

    def _report(self, problem: str | None) -> None:
        if problem != self.problem:  # once per change: the watcher asks twice a second
            if problem is None:
                logger.info("serving store generation %s", self.scored.meta.generation)
            else:
                logger.error(problem)
        self.problem = problem

    def _score_store(self) -> ScoredStore:
        # metadata first: if a materialisation lands between the two reads, the vectors are the
        # newer ones and the generation recorded the older, so the next check rescores again
        meta = self.store.metadata()
        frame = self.store.read_all()
        problem = mismatch(meta, self.definitions, self.models.values(), self.store_uri)
        if problem is not None:
            raise MismatchedStore(meta.generation, problem)
        scored = score_creators(frame, self.models["abuse_risk"], self.models["content_quality"], self.tiers)
        # validated once per generation: a response then serialises ready models, which costs
        # a fifth of validating 500 dictionaries per request
        records = scored[list(SCORE_FIELDS)].to_dict("records")
        as_of = meta.as_of.to_pydatetime()  # a plain datetime serialises faster than a Timestamp
        items = _CREATOR_SCORES.validate_python([{**record, "as_of": as_of} for record in records])
        market_scores = {
            (name, market): scores
            for name in self.models
            for market, scores in sorted_by_market(scored[name], scored["market"]).items()
        }
        peers = {
            name: PeerIndex.build(peer_medians(frame, model.record.feature_names), model.record.feature_names)
            for name, model in self.models.items()
        }
        return ScoredStore(
            meta=meta,
            row={item.creator_id: i for i, item in enumerate(items)},
            items=items,
            market_scores=market_scores,
            peers=peers,
            priors=Priors.of(scored.assign(category=frame["category"])),
            keys=frame[list(KEYS)],
            matrix=frame[meta.features].to_numpy(dtype=np.float64),
            columns={
                name: np.array([meta.features.index(f) for f in model_features(model.booster)])
                for name, model in self.models.items()
            },
            decided=None
            if self.policy is None
            else self.policy.decide(frame, scored, self.models["abuse_risk"], self.definitions),
        )

    def score(
        self, creator_ids: Sequence[str], scored: ScoredStore | None = None
    ) -> list[CreatorScore | ColdStartCreator | UnknownCreator]:
        """One item per id in order: its scores, a cold start, or `unknown creator`; from
        `scored`, else the latest generation."""
        scored = scored or self.current()
        row, items = scored.row, scored.items
        return [
            items[row[creator]] if creator in row else self._not_stored(creator, scored)
            for creator in creator_ids
        ]

    def _not_stored(self, creator: str, scored: ScoredStore) -> ColdStartCreator | UnknownCreator:
        """A creator without a vector: the prior of their peers if the creators table knows them."""
        known = self.creators.known.get(creator) if self.creators is not None else None
        if known is None:
            return UnknownCreator(creator_id=creator)
        market, category = known
        prior = scored.priors.for_creator(market, category)
        scores = {"abuse_risk": prior.abuse_risk, "content_quality": prior.content_quality}
        placed = {
            f"{name}_market_pct": _placed_in_market(scored.market_scores, name, [market], [value])[0]
            for name, value in scores.items()
        }
        return ColdStartCreator(
            creator_id=creator,
            market=market,
            category=category,
            as_of=scored.meta.as_of.to_pydatetime(),
            **scores,
            **placed,
            risk_tier=risk_tier_values(np.array([prior.abuse_risk]), np.array([market]), self.tiers)[0],
            prior=prior.basis,
        )

    def explain(
        self, creator_ids: Sequence[str], k: int = 4, scored: ScoredStore | None = None
    ) -> list[ExplainedCreator | ColdStartCreator | UnknownCreator]:
        """Scores plus both models' reason codes and mitigating factors, one item per id."""
        scored = scored or self.current()
        known = list(dict.fromkeys(c for c in creator_ids if c in scored.row))
        rows = [scored.row[c] for c in known]
        explained = self._explanations(scored.keys.iloc[rows], scored, k, scored.matrix[rows])
        by_creator = {creator: [per_model[i] for per_model in explained] for i, creator in enumerate(known)}
        return [
            ExplainedCreator(**dict(scored.items[scored.row[creator]]), explanations=by_creator[creator])
            if creator in by_creator
            else self._not_stored(creator, scored)
            for creator in creator_ids
        ]

    def score_rows(
        self, rows: pd.DataFrame, explain: bool = False, k: int = 4, scored: ScoredStore | None = None
    ) -> list[dict]:
        """Scores of explicit feature rows (market, category and every feature), for what-if analysis.

        Percentiles place each row within its market as the store holds it now: the share of
        the market's creators scoring at most the row's score.
        """
        scored = scored or self.current()
        frame = rows.assign(creator_id=[f"row {i + 1}" for i in range(len(rows))], as_of=scored.meta.as_of)
        out = pd.DataFrame({"market": frame["market"].astype(str)})
        for name, model in self.models.items():
            values = model.predict(frame)
            out[name] = values
            out[f"{name}_market_pct"] = _placed_in_market(scored.market_scores, name, out["market"], values)
        out["risk_tier"] = risk_tier_values(
            out["abuse_risk"].to_numpy(), out["market"].to_numpy(), self.tiers
        )
        items = out.to_dict("records")
        if explain:
            for item, *explanations in zip(items, *self._explanations(frame, scored, k), strict=True):
                item["explanations"] = explanations
        return items

    def _explanations(
        self, frame: pd.DataFrame, scored: ScoredStore, k: int, matrix: np.ndarray | None = None
    ) -> list[list[Explanation]]:
        """Per model, one explanation per row of `frame`. Rows of the store come as `matrix`:
        slicing each model's columns from it skips a pandas reindex per model and call."""
        out = []
        for name, model in self.models.items():
            contributions = (
                tree_contributions(model.booster, frame)
                if matrix is None
                else matrix_contributions(model.booster, matrix[:, scored.columns[name]])
            )
            out.append(
                explanations_from(
                    contributions,
                    frame,
                    self.definitions,
                    scored.peers[name],
                    tiers=self.tiers,
                    model_name=name,
                    model_version=model.record.version,
                    calibrate=model.record.calibrator.apply if model.record.task == "binary" else None,
                    k=k,
                )
            )
        return out


def _placed_in_market(
    market_scores: dict[tuple[str, str], np.ndarray], name: str, markets: pd.Series, values: np.ndarray
) -> list[float | None]:
    """Each value's percentile within its market's stored scores, by the function batch scoring
    ranks with; None for a market the store does not hold."""
    return [
        float(share_at_most(market_scores[(name, market)], [value])[0])
        if (name, market) in market_scores
        else None
        for market, value in zip(markets, values, strict=True)
    ]


_CREATOR_SCORES = TypeAdapter(list[CreatorScore])
