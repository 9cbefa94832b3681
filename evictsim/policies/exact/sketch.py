"""TinyLFU's frequency estimate: a count-min sketch of 4-bit counters with a doorkeeper and aging.

As Caffeine's simulator builds it (``CountMin4`` + doorkeeper, Einziger et al., TinyLFU, ACM ToS
2017): four rows of saturating 4-bit counters (one byte each here, capped at 15); a key's first
sighting since the last reset only sets its doorkeeper bits; its estimate is the minimum of its four
counters plus one if the doorkeeper holds it. After ``sample`` recorded accesses every counter is
halved, the doorkeeper cleared and the access count halved (the periodic "reset" that ages history).
"""
from __future__ import annotations

import numpy as np

from evictsim.jit import kernel

ROWS = 4
SEEDS = np.array([0x97CB3127C2B2AE35, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93],
                 np.uint64)
ADDITIONS, SAMPLE, WIDTH_BITS = 0, 1, 2


def new_sketch(width: int, sample: int):
    """``counters`` (ROWS x width, flat), ``doorkeeper`` (width bits as bytes), ``config``."""
    bits = max(4, int(np.ceil(np.log2(max(width, 16)))))
    config = np.array([0, sample, bits], np.int64)
    return np.zeros(ROWS << bits, np.uint8), np.zeros(1 << bits, np.uint8), config


@kernel(inline=True)
def _index(k, row, bits):
    h = (np.uint64(k) + np.uint64(1)) * SEEDS[row]
    h ^= h >> np.uint64(31)
    h *= np.uint64(0x9E3779B97F4A7C15)
    return np.int64(h >> np.uint64(64 - bits))


@kernel
def sketch_record(counters, doorkeeper, config, k):
    bits = config[WIDTH_BITS]
    door = _index(k, 0, bits)
    if doorkeeper[door] == 0:
        doorkeeper[door] = 1
    else:
        for row in range(ROWS):
            slot = (row << bits) + _index(k, row, bits)
            if counters[slot] < 15:
                counters[slot] += 1
    config[ADDITIONS] += 1
    if config[ADDITIONS] >= config[SAMPLE]:
        for i in range(len(counters)):
            counters[i] >>= 1
        doorkeeper[:] = 0
        config[ADDITIONS] //= 2


@kernel
def sketch_estimate(counters, doorkeeper, config, k):
    bits = config[WIDTH_BITS]
    low = 15
    for row in range(ROWS):
        low = min(low, counters[(row << bits) + _index(k, row, bits)])
    return np.int64(low) + np.int64(doorkeeper[_index(k, 0, bits)])
