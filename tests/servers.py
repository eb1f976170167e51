"""Real servers for tests and benchmarks: start a process on a free loopback port, wait until it
answers, stop it with its whole process group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(
    command: list[str], health_url: str, log_path: Path, env: dict | None = None, timeout: float = 120
) -> Iterator[subprocess.Popen]:
    """The process, once `health_url` answers 200; stopped with its whole process group after."""
    log = log_path.open("w")  # a file, not a pipe: an unread pipe fills and stalls the server
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )  # its own process group: workers and job consumers stop with it
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with urllib.request.urlopen(health_url, timeout=2) as response:
                    if response.status == 200:
                        break
            except (OSError, urllib.error.HTTPError):
                if process.poll() is not None or time.monotonic() > deadline:
                    log_tail = log_path.read_text()[-3000:]
                    raise RuntimeError(f"{command[0]} did not start: {log_tail}") from None
                time.sleep(0.5)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
