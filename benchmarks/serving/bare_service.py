"""The floor of the stack: a BentoML endpoint taking /score's request and returning a constant."""

from __future__ import annotations

import bentoml

ANSWER = {"model_versions": {"abuse_risk": "0", "content_quality": "0"}, "items": []}


@bentoml.service(name="bare", workers=1)
class Bare:
    @bentoml.api(route="/score")
    async def score(self, creator_ids: list[str]) -> dict:
        return ANSWER
