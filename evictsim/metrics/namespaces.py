"""Per-namespace counters inside one instance: each key carries a namespace tag (its index in the
run's namespace list) and the core adds to that namespace's row wherever it adds to the instance's
own counters, so the rows add up exactly to the instance's totals.

``tag_stats[tag, column]``: cumulative GETs, hits, evictions and expirations; live keys, the keys of
them with a TTL, and the bytes charged to them (the byte model's per-key charges, TTL entry
included). The keys with a TTL are written out as ``keys_no_ttl`` (keys minus them), what leak
forecasts read. With no namespaces
declared the table has one row and nothing is counted (the check reads only the array's shape).
"""
from __future__ import annotations

import numpy as np

from evictsim.jit import kernel

TAG_GETS, TAG_HITS, TAG_KEYS, TAG_BYTES, TAG_EVICTED, TAG_EXPIRED, TAG_EXPIRES = 0, 1, 2, 3, 4, 5, 6
TAG_COLUMNS = ("gets", "keyspace_hits", "keys", "bytes", "evicted_keys", "expired_keys", "expires")


def new_tag_stats(n_namespaces: int) -> np.ndarray:
    """One row per namespace; a single unused row when namespaces are off."""
    rows = 1 if n_namespaces == 0 else max(n_namespaces, 2)
    return np.zeros((rows, len(TAG_COLUMNS)), np.int64)


@kernel(inline=True)      # on every GET and byte change: a call would pass the whole core bundle
def count_tag(core, k, column, delta):
    tag_stats = core.server.tag_stats
    if tag_stats.shape[0] > 1:
        tag_stats[core.keys.tags[k], column] += delta
