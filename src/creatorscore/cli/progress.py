"""Progress of long commands on stderr: the running stage with a spinner and a clock, each finished
stage as a line with its time.

A data scientist running `train` for two minutes should see what it is doing and what took how
long; stdout stays for results (tables, JSON) that may be piped. A stage that fails leaves no
line: its error is the one line that follows the stages that finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from creatorscore.cli.console import err


def finished_line(description: str, seconds: float) -> str:
    """How a finished stage is reported: `done 0:00:05 computing features`."""
    return f"done {timedelta(seconds=int(seconds))} {description}"


@contextmanager
def stages(first: str | None = None) -> Iterator[Callable[[str], None]]:
    """Yield `on_stage(description)`: it reports the running stage as finished and starts the next.
    The pipeline functions take the same callable, so they name their own stages. Where stderr
    is not a terminal (a log, a pipe) there is no spinner: finished stages only."""
    with _live() as progress:
        running: list[tuple[int | None, str, float]] = []

        def finish() -> None:
            for task, description, started in running:
                if task is not None:
                    progress.remove_task(task)
                line = finished_line(description, time.perf_counter() - started)
                err.print(escape(line), highlight=False, soft_wrap=True)
            running.clear()

        def on_stage(description: str) -> None:
            finish()
            task = progress.add_task(escape(description)) if progress else None
            running.append((task, description, time.perf_counter()))

        if first:
            on_stage(first)
        yield on_stage
        finish()


@contextmanager
def _live() -> Iterator[Progress | None]:
    if not err.is_terminal:
        yield None
        return
    columns = (SpinnerColumn(), TimeElapsedColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=err, transient=True) as progress:
        yield progress


@contextmanager
def step(description: str) -> Iterator[None]:
    """One stage: a spinner and a clock while it runs, its time once done."""
    with stages(description):
        yield
