"""Redis Cluster key → hash slot → node (``cluster.c: keyHashSlot``, MECHANICS §15).

``slot = CRC16(k) & 0x3FFF`` where ``k`` is the hash tag (the bytes between the first ``{`` and the
next ``}``) when that span is non-empty, else the whole key. CRC16 is the XMODEM variant (poly 0x1021,
init 0), which is exactly :func:`binascii.crc_hqx` with a zero start value.
"""
from __future__ import annotations

import binascii

import numpy as np

SLOTS = 16384


def hash_tag(key: bytes) -> bytes:
    """The part of ``key`` Redis hashes: ``{tag}`` if non-empty, else the whole key (``a{}b{c}``
    hashes the whole key because the first ``{...}`` is empty)."""
    start = key.find(b"{")
    if start < 0:
        return key
    end = key.find(b"}", start + 1)
    if end < 0 or end == start + 1:
        return key
    return key[start + 1:end]


def key_hash_slot(key: bytes | str) -> int:
    """``keyHashSlot``: the cluster slot of one key."""
    data = key.encode("utf-8", "surrogateescape") if isinstance(key, str) else key
    return binascii.crc_hqx(hash_tag(data), 0) & 0x3FFF


def even_slot_ranges(nodes: int) -> list[tuple[int, int]]:
    """The ranges ``redis-cli --cluster create`` assigns: 16384/n slots per node, rounded as it rounds
    (3 nodes: 0-5460, 5461-10922, 10923-16383)."""
    per_node = SLOTS / nodes
    ranges, first, cursor = [], 0, 0.0
    for i in range(nodes):
        last = int(round(cursor + per_node - 1))
        if last > SLOTS - 1 or i == nodes - 1:
            last = SLOTS - 1
        ranges.append((first, last))
        first, cursor = last + 1, cursor + per_node
    return ranges


def slot_owner_table(ranges_per_node: list[list[tuple[int, int]]]) -> np.ndarray:
    """slot → node index, from each node's inclusive ranges (checked elsewhere to cover exactly)."""
    owner = np.full(SLOTS, -1, np.int16)
    for node, ranges in enumerate(ranges_per_node):
        for first, last in ranges:
            owner[first:last + 1] = node
    return owner
