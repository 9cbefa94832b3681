"""What Redis 7.0's cluster mode adds to a node's memory (MECHANICS §15), measured on the reference
build (Debian redis-server 7.0.15, jemalloc quantum 16) with all 16384 slots on one node.

* Per key: each main-dict entry carries ``clusterDictEntryMetadata`` (the key's previous and next
  entries in its slot's list, two pointers), so the dictEntry request grows from 24 to 40 bytes:
  C(40) − C(24) = 48 − 32 = 16 B with quantum 16 (40 − 24 = 16 B with quantum 8). The expires dict's
  entries carry none. ``MEMORY USAGE`` shows the same +16. The byte model charges it for a config
  with ``cluster-enabled yes`` (:func:`evictsim.keyspace.memory.main_entry_request`), which every
  node of a ``cluster:`` partitions block has.
* Per node: ``used_memory_startup`` 1,600,200 B in cluster mode against 876,184 B standalone: the
  slot-to-keys table (16384 × 16 B), the cluster state and the cluster bus, 724,016 B in all, applied
  through the ``baseline-memory`` setting unless a partitions file sets it.
"""
from __future__ import annotations

CLUSTER_SLOT_METADATA_BYTES = 16
CLUSTER_BASELINE_EXTRA = 1_600_200 - 876_184
