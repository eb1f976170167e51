"""What the running service takes in: bodies over the size cap are refused with 413 before they
are read, a body in any format but JSON with 415, and a malformed cap stops the start."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from creatorscore.errors import UserError
from creatorscore.serving.limits import DEFAULT_MAX_BODY_BYTES, MAX_BODY_VARIABLE, max_body_bytes
from tests.serving.conftest import CREATORSCORE, KEYS

pytestmark = pytest.mark.xdist_group("serving")

OVERSIZED = 64 * 1024 * 1024  # enough to show in memory, small enough to send before a fix


def service_rss(bentoml_home: Path) -> int:
    """Resident bytes of every process of the service (the arbiter and its workers)."""
    marker = f"BENTOML_HOME={bentoml_home}".encode()
    total = 0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "environ").read_bytes().split(b"\0"):
                status = (proc / "status").read_text()
                total += int(status.split("VmRSS:")[1].split()[0]) * 1024
        except (OSError, IndexError):
            continue  # a process that ended meanwhile, or a kernel thread without memory
    return total


def raw_request(url: str, head: str, body: bytes, wait: float) -> tuple[bytes, float]:
    """The answer to a request whose body is sent only if no answer came within `wait` seconds
    of its headers (as a client sending `Expect: 100-continue` does), and how long that took."""
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=120) as connection:
        started = time.monotonic()
        connection.sendall(head.encode())
        if not select.select([connection], [], [], wait)[0]:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.sendall(body)  # refused while sending: the answer is still there to read
        answer = b"".join(iter(lambda: connection.recv(65536), b""))  # a refusal closes the connection
        return answer, time.monotonic() - started


def test_a_body_announced_over_the_cap_is_refused_at_once_without_being_read(service):
    body = b'{"creator_ids": [' + b'"cr000001",' * (OVERSIZED // 11) + b'"cr000001"]}'
    head = (
        f"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEYS['governance']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    before = service_rss(service.bentoml_home)
    answer, seconds = raw_request(service.url, head, body, wait=3)
    grown = service_rss(service.bentoml_home) - before
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b"1,048,576 bytes" in answer and seconds < 3
    assert grown < len(body) / 10, f"the service grew by {grown:,} bytes"


def chunks(total: int, size: int = 64 * 1024):
    for start in range(0, total, size):
        yield b" " * min(size, total - start)


def test_a_chunked_body_over_the_cap_is_refused_once_it_passes_it(service):
    def body():
        yield b'{"creator_ids": ["cr000001"]'
        yield from chunks(OVERSIZED)
        yield b"}"

    with service.client() as client:
        started = time.monotonic()
        response = client.post("/score", content=body(), headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert MAX_BODY_VARIABLE in response.json()["detail"]
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_just_under_the_cap_is_answered_on_its_merits(service, chunked):
    start, end = b'{"creator_ids": ["no-such-creator"]', b"}"
    padding = DEFAULT_MAX_BODY_BYTES - len(start) - len(end) - 1
    parts = [start, *chunks(padding), end]
    content = iter(parts) if chunked else b"".join(parts)  # an iterator is sent chunked
    with service.client() as client:
        response = client.post("/score", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [{"creator_id": "no-such-creator", "error": "unknown creator"}]


def test_a_body_that_is_not_json_gets_415_and_one_log_line(service):
    with service.client() as client, service.client(None) as anonymous_client:
        form = client.post("/score", files={"creator_ids": ("ids.txt", KEYS["recommendation"].encode())})
        text = client.post("/explain", content=b"cr000001", headers={"content-type": "text/plain"})
        anonymous = anonymous_client.post("/score", data={"creator_ids": "cr000001"})  # curl -d's default
    assert (form.status_code, text.status_code, anonymous.status_code) == (415, 415, 415)
    assert "multipart/form-data" in form.json()["detail"] and "application/json" in form.json()["detail"]
    assert "text/plain" in text.json()["detail"]
    log = service.log.read_text()
    assert "rejected request on /v1/score: Content-Type multipart/form-data is not accepted" in log
    assert KEYS["recommendation"] not in log and "Traceback" not in log


@pytest.mark.parametrize("value", ["0", "-1", "1MB", "1.5", "1e6", "²"])
def test_a_malformed_cap_is_refused_in_one_line(value):
    with pytest.raises(UserError, match=MAX_BODY_VARIABLE):
        max_body_bytes({MAX_BODY_VARIABLE: value})


def test_the_cap_is_the_default_unless_set():
    assert max_body_bytes({}) == max_body_bytes({MAX_BODY_VARIABLE: " "}) == DEFAULT_MAX_BODY_BYTES
    assert max_body_bytes({MAX_BODY_VARIABLE: "2048"}) == 2048


def test_serve_with_a_malformed_cap_does_not_start(keys_file):
    env = {**os.environ, "CREATORSCORE_API_KEYS_FILE": str(keys_file), MAX_BODY_VARIABLE: "1MB"}
    done = subprocess.run([CREATORSCORE, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert MAX_BODY_VARIABLE in done.stderr and "Traceback" not in done.stderr
