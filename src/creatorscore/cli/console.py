"""The one console on stderr that every command's progress, notes and errors go to.

One console, so progress displays and messages printed while they run share the terminal
instead of overwriting each other; stdout stays for results that may be piped."""

from __future__ import annotations

from rich.console import Console

err = Console(stderr=True)
