"""Which namespace each key belongs to, for the per-namespace counters of one instance.

By default a key's namespace is its prefix up to and including the first ``:`` (``sess:`` for
``sess:42``; ``(none)`` without one); ``--namespaces 'sess:*,cache:*'`` names them by globs (the
first that matches; ``(other)`` otherwise) and ``re:PATTERN`` by a regex's first group or match.
Each new key id is named once, when it first appears; up to 255 distinct namespaces are counted,
the rest together as ``(more)``.
"""
from __future__ import annotations

import fnmatch
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evictsim.errors import UserInputError
from evictsim.traces.base import RequestChunk
from evictsim.traces.names import key_names

CAPACITY = 256          # tags are uint8
OVERFLOW = "(more)"


def parse_namespaces(spec: str | bool | None, *, option: str = "--namespaces"):
    """None/False: off; True or "prefix": the default prefix rule; else globs or ``re:PATTERN``."""
    if spec is None or spec is False:
        return None
    if spec is True or spec == "prefix":
        return ("prefix", None)
    text = str(spec).strip()
    if text.startswith("re:"):
        try:
            return ("regex", re.compile(text[3:]))
        except re.error as exc:
            raise UserInputError(f"expected a regular expression, got {text[3:]!r} ({exc})", source=option) from None
    globs = [g.strip() for g in text.split(",") if g.strip()]
    if not globs:
        raise UserInputError("expected 'prefix', globs separated by commas, or re:PATTERN", source=option)
    return ("globs", globs)


class NamespaceTagger:
    """Tags per request for a trace's chunks, naming new keys as they appear."""

    capacity = CAPACITY

    def __init__(self, trace, rule=("prefix", None)):
        if getattr(trace, "key_namer", None) is None and getattr(trace, "key_names", None) is not None:
            from evictsim.traces.names import ListNamer
            trace = _Named(ListNamer(trace.key_names))
        self.trace = trace
        self.kind, self.arg = rule
        self.names: list[str] = []
        self._tag_of: dict[str, int] = {}
        self._key_tag = np.full(0, -1, np.int16)

    def _namespace(self, name: str) -> str:
        if self.kind == "prefix":
            cut = name.find(":")
            return name[:cut + 1] if cut >= 0 else "(none)"
        if self.kind == "globs":
            return next((g for g in self.arg if fnmatch.fnmatchcase(name, g)), "(other)")
        m = self.arg.search(name)
        return "(other)" if m is None else (m.group(1) if m.groups() else m.group(0))

    def _tag(self, namespace: str) -> int:
        tag = self._tag_of.get(namespace)
        if tag is None:
            if len(self.names) == CAPACITY - 1 and namespace != OVERFLOW:
                return self._tag(OVERFLOW)
            tag = len(self.names)
            self.names.append(namespace)
            self._tag_of[namespace] = tag
        return tag

    def tags(self, chunk: RequestChunk) -> np.ndarray:
        """The tag of every request's key."""
        self.fresh(chunk)
        return self._key_tag[chunk.key].astype(np.uint8)

    def fresh(self, chunk: RequestChunk) -> tuple[np.ndarray, np.ndarray]:
        """The key ids ``chunk`` names for the first time and their tags (a key keeps its tag, so the
        engine sets only these: ``ServerModel.tag_keys``)."""
        keys = chunk.key
        top = int(keys.max()) + 1 if len(keys) else 0
        if top > len(self._key_tag):
            grown = np.full(max(top, 2 * len(self._key_tag)), -1, np.int16)
            grown[:len(self._key_tag)] = self._key_tag
            self._key_tag = grown
        unseen = self._key_tag[keys] < 0
        if not unseen.any():
            return np.zeros(0, np.int64), np.zeros(0, np.uint8)
        ids, names = self._fresh_names(chunk, unseen)
        tags = self.tags_of(names)
        self._key_tag[ids] = tags
        return ids, tags.astype(np.uint8)

    def _fresh_names(self, chunk: RequestChunk, unseen: np.ndarray) -> tuple[np.ndarray, pa.Array]:
        """The new key ids in ascending order and their names. A trace that names keys by id needs
        no row per key, so the ids come from a mark array (no sort of the chunk's unseen requests)."""
        namer = getattr(self.trace, "key_namer", None)
        if namer is not None:
            mark = np.zeros(len(self._key_tag), bool)
            mark[chunk.key[unseen]] = True
            fresh = np.flatnonzero(mark)
            names = namer.names_for(fresh)
        else:                        # synthetic names are padded to the request's key length
            fresh, rows = np.unique(chunk.key[unseen], return_index=True)
            names = key_names(self.trace, _rows(chunk, np.flatnonzero(unseen)[rows]))
        if isinstance(names, pa.ChunkedArray):
            names = names.combine_chunks()
        return fresh, names if isinstance(names, pa.Array) else pa.array(list(names), pa.string())

    def tags_of(self, names: pa.Array) -> np.ndarray:
        """The tag of each name, naming new namespaces in order of first appearance. The prefix rule
        runs in Arrow and calls Python once per distinct namespace, not once per key (the cost of
        counting per namespace is mostly here: 230k new keys cost ~1 s name by name)."""
        if self.kind != "prefix":
            return np.array([self._tag(self._namespace(n)) for n in names.to_pylist()], np.int16)
        local, first, spaces = _prefixes(names)
        order = np.argsort(first, kind="stable")          # namespaces in order of first appearance
        tag_of = np.empty(len(spaces), np.int16)
        for i in order:
            tag_of[i] = self._tag(spaces[i])
        return tag_of[local]


MAX_GROUPS = 32      # distinct positions of the first ':' sliced one group at a time; more: split


def _prefixes(names: pa.Array) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each name's prefix up to and including its first ':' ('(none)' without one), as an index into
    a list of distinct prefixes, with each prefix's first row. Names are grouped by the byte offset
    of their first ':' and each group sliced at that offset (on bytes: ':' is ASCII, so the cut is a
    character boundary), which is several times cheaper than splitting every name."""
    pos = pc.find_substring(names, ":").to_numpy(zero_copy_only=False)
    offsets = np.unique(pos)
    if len(offsets) > MAX_GROUPS:
        parts = pc.split_pattern(names, pattern=":", max_splits=1)
        groups = [(np.arange(len(names)), pc.if_else(pc.greater(pc.list_value_length(parts), 1),
                   pc.binary_join_element_wise(pc.list_element(parts, 0), ":", ""), "(none)"))]
    else:
        groups = []
        binary = names.cast(pa.binary())
        for offset in offsets:
            rows = np.flatnonzero(pos == offset)
            if offset < 0:
                groups.append((rows, pa.array(["(none)"] * len(rows), pa.string())))
            else:
                cut = pc.binary_slice(binary.take(pa.array(rows)), 0, int(offset) + 1)
                groups.append((rows, cut.cast(pa.string())))
    local = np.empty(len(names), np.int64)
    first: list[int] = []
    spaces: list[str] = []
    for rows, values in groups:
        encoded = pc.dictionary_encode(values)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        starts = np.full(len(encoded.dictionary), len(names), np.int64)
        np.minimum.at(starts, codes, rows)
        local[rows] = codes + len(spaces)
        first += starts.tolist()
        spaces += encoded.dictionary.to_pylist()
    return local, np.asarray(first, np.int64), spaces


class _Named:
    """A trace given as an id → name list (``ArrayTrace(key_names=...)``)."""

    def __init__(self, namer):
        self.key_namer = namer


def _rows(chunk: RequestChunk, rows: np.ndarray) -> RequestChunk:
    return RequestChunk(chunk.time[rows], chunk.op[rows], chunk.key[rows], chunk.key_len[rows],
                        chunk.size[rows], chunk.ttl_ms[rows], None)
