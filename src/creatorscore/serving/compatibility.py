"""Whether the online store, the feature definitions and the champion models belong together.

A store materialised with other definitions than the service's, or a model trained on other
definitions, would be scored on columns that mean something else. Each mismatch has exactly
one fix (materialise again, or retrain and promote), so the check says which, in one line:
`creatorscore serve` refuses to start with it and a running worker reports it in /readyz.
"""

from __future__ import annotations

from collections.abc import Iterable

from creatorscore.features.definitions import Definitions
from creatorscore.features.store import StoreMetadata
from creatorscore.training.registry import RegisteredModel


def mismatch(
    meta: StoreMetadata,
    definitions: Definitions,
    models: Iterable[RegisteredModel],
    store_uri: str,
    data: str | None = None,
) -> str | None:
    """One line naming each mismatch and its fix; None when store, definitions and models agree.

    `data` is the contract's folder when the caller knows it, for a command to copy as it is.
    """
    problems = []
    if meta.definitions_version != definitions.version or meta.features != definitions.names:
        problems.append(
            f"the online store was materialised with feature definitions {meta.definitions_version} "
            f"but the service uses {definitions.version}: run "
            f"`creatorscore features materialize --data {data or 'DIR'} --store {store_uri}`"
        )
    for model in models:
        trained_on = model.record.definitions_version
        if trained_on != definitions.version:
            name = model.record.name
            problems.append(
                f"{name} v{model.record.version} was trained on feature definitions {trained_on} "
                f"but the service uses {definitions.version}: run `creatorscore train --model {name}` "
                f"and `creatorscore promote --model {name}`"
            )
    return "; ".join(problems) or None
