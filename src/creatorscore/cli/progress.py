"""Progress of long commands on stderr: each stage with a spinner and a clock, then its time once done.

A data scientist running `train` for two minutes should see what it is doing and what took
how long; stdout stays for results (tables, JSON) that may be piped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column

from creatorscore.cli.options import err


@contextmanager
def stages(first: str | None = None) -> Iterator[Callable[[str], None]]:
    """Yield `on_stage(description)`: it closes the running stage (keeping its line and time) and
    opens the next. The pipeline functions take the same callable, so they name their own stages."""
    with Progress(
        SpinnerColumn(finished_text="[green]done", table_column=Column(no_wrap=True, min_width=4)),
        TimeElapsedColumn(table_column=Column(no_wrap=True, min_width=7)),
        # a long stage wraps onto a second line rather than squeezing the clock out (pipes are 80 wide)
        TextColumn("{task.description}", table_column=Column(overflow="fold")),
        console=err,
    ) as progress:
        running: list = []

        def close() -> None:
            for task in running:
                progress.update(task, completed=1)
            running.clear()

        def on_stage(description: str) -> None:
            close()
            running.append(progress.add_task(description, total=1))

        if first:
            on_stage(first)
        yield on_stage
        close()


@contextmanager
def step(description: str) -> Iterator[None]:
    """One stage: a spinner and a clock while it runs, its time once done."""
    with stages(description):
        yield
