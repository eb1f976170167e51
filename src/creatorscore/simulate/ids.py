"""Vectorised identifiers: formatting millions of ids or hashes in Python would dominate runtime."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def format_ids(prefix: str, numbers: np.ndarray, width: int | None = None) -> pa.Array:
    """`prefix` + zero-padded decimal numbers, e.g. ("od", [7]) -> "od0000007"."""
    numbers = np.asarray(numbers, dtype=np.int64)
    width = width or max(6, len(str(int(numbers.max()))) if len(numbers) else 6)
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fast, well-spread integer hash."""
    z = np.asarray(values, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hex_digests(values: np.ndarray) -> pa.Array:
    """16-character hex strings of mix64(values): the stand-in for hashed identifiers."""
    hashed = mix64(values).astype(">u8").view(np.uint8).reshape(-1, 8)
    chars = np.empty((len(hashed), 16), dtype=np.uint8)
    chars[:, 0::2] = _HEX[hashed >> 4]
    chars[:, 1::2] = _HEX[hashed & 15]
    return pa.array(chars.view("S16").ravel()).cast(pa.string())
