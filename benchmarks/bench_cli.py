"""Start-up time of the command line: `creatorscore --help` in fresh processes.

Each run is a new process, as a user's is, so nothing is imported already. The floor is a
bare interpreter (`python -c pass`) timed in the same run, interleaved with the command so
that the machine's load falls on all alike; beside it, a two-command Typer app's `--help`, what
the framework alone costs. Goal (issue 12): under 0.5 s median.

    .venv/bin/python benchmarks/bench_cli.py [--runs 21]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_SECONDS = 0.5
TWO_COMMAND_APP = """
import typer
app = typer.Typer(help="Two commands.", add_completion=False)
for name in ("first", "second"):
    app.command(name)(lambda option: None)
app()
"""
COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "two-command Typer app --help": [sys.executable, "-c", TWO_COMMAND_APP, "--help"],
    "creatorscore --help": [str(Path(sys.executable).with_name("creatorscore")), "--help"],
}


def wall_time(command: list[str]) -> float:
    """Seconds from start to exit of one fresh process; a failing command stops the benchmark."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(runs: int) -> dict[str, list[float]]:
    """`runs` wall times per command, the commands taking turns."""
    for command in COMMANDS.values():  # warm the file cache, as a second invocation would find it
        wall_time(command)
    times: dict[str, list[float]] = {label: [] for label in COMMANDS}
    for _ in range(runs):
        for label, command in COMMANDS.items():
            times[label].append(wall_time(command))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="Fresh processes per command.")
    args = parser.parse_args()
    times = measure(args.runs)
    print(f"| command | median | min | max |  ({args.runs} runs each)")
    print("| --- | --- | --- | --- |")
    for label, seconds in times.items():
        figures = (statistics.median(seconds), min(seconds), max(seconds))
        print(f"| {label} | " + " | ".join(f"{value:.3f} s" for value in figures) + " |")
    help_median = statistics.median(times["creatorscore --help"])
    verdict = "met" if help_median < GOAL_SECONDS else "NOT met"
    print(f"goal: `creatorscore --help` under {GOAL_SECONDS} s median: {verdict} ({help_median:.3f} s)")


if __name__ == "__main__":
    main()
