"""The one parser of Redis configuration: redis.conf names → a validated, frozen :class:`RedisConfig`.

Field names mirror ``redis.conf`` spellings (``maxmemory-samples`` ↔ ``maxmemory_samples``), so a
result row can store its exact parameters and ``--set``, ``--config``, YAML and the Python API all go
through :func:`RedisConfig.from_mapping`. Defaults are Redis 7.0's (``config.c``) unless marked as an
evictsim extension. Every option is documented once, here.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from evictsim.errors import UserInputError, read_user_file
from evictsim.units import parse_bool, parse_size

EXPIRY_MODES = ("redis", "lazy", "exact")
MEMORY_ACCOUNTING = ("redis", "object-bytes")
ALLOCATOR_MODELS = ("none", "jemalloc")   # evictsim.keyspace.allocation.MODEL_NAMES


@dataclass(frozen=True)
class RedisConfig:
    """Redis 7.0 settings evictsim models, plus a few simulator knobs (marked *evictsim*)."""

    maxmemory: int = 0                      # bytes; 0 = no limit
    maxmemory_policy: str = "noeviction"
    maxmemory_samples: int = 5
    maxmemory_eviction_tenacity: int = 10   # 10 → 500 µs per eviction call
    hz: int = 10
    dynamic_hz: bool = True
    active_expire_effort: int = 1
    lfu_log_factor: int = 10
    lfu_decay_time: int = 1                 # minutes; 0 disables decay
    lazyfree_lazy_eviction: bool = False
    lazyfree_lazy_expire: bool = False
    lazyfree_lazy_server_del: bool = False
    lazyfree_lazy_user_del: bool = False
    lazyfree_lazy_user_flush: bool = False  # FLUSHALL without SYNC/ASYNC frees in the background
    # active defragmentation (defrag.c; needs allocator-model jemalloc: keyspace/allocator/defrag.py)
    activedefrag: bool = False
    active_defrag_ignore_bytes: int = 100 << 20     # no cycle below this many fragmented bytes
    active_defrag_threshold_lower: int = 10         # percent fragmentation that starts a cycle
    active_defrag_threshold_upper: int = 100        # percent at which the cycle gets cycle-max CPU
    active_defrag_cycle_min: int = 1                # CPU percent at the lower threshold
    active_defrag_cycle_max: int = 25               # CPU percent at the upper threshold
    activerehashing: bool = True
    latency_tracking: bool = True           # a ~24.7 KB histogram per command name first used
    cluster_enabled: bool = False           # 7.0 cluster mode: +16 B slot metadata per main-dict entry
                                            # (a cluster: partitions node sets it; its baseline too)
    # --- evictsim extensions -------------------------------------------------------------
    expiry_mode: str = "redis"              # redis (lazy + active cycle) | lazy | exact
    # evictsim: redis (used_memory as Redis counts it decides when to evict) | object-bytes
    # (libCacheSim's rule for the exact policies: trace sizes summed against maxmemory, nothing else)
    memory_accounting: str = "redis"
    jemalloc_quantum: int = 16              # 16: Debian's system jemalloc; 8: Redis's bundled one
    # evictsim: none (used_memory only) | jemalloc (slabs, thread cache, dirty decay: RSS and
    # fragmentation columns; MECHANICS §13). The settings below apply to the jemalloc model.
    allocator_model: str = "none"
    jemalloc_bg_thread: bool = True         # redis.conf jemalloc-bg-thread: the purging thread
    dirty_decay_ms: int = 10_000            # jemalloc opt.dirty_decay_ms (0: purge at once, -1: never)
    active_defrag_keys_per_ms: int = 1000   # keys a defrag cycle scans per ms of its CPU time (an
                                            # assumption: ~1 µs a key; not measured, not fitted)
    # the allocator's own figures and the non-allocator RSS of a fresh redis-server 7.0.15
    # (keyspace/allocator/state.py DEFAULT_*: measured, not fitted)
    allocator_base_allocated: int = 1_690_848
    allocator_base_active: int = 1_826_816
    allocator_base_resident: int = 4_231_168
    process_baseline_rss: int = 7_708_672
    baseline_memory: int = 977_024          # used_memory of the empty server (script + 2 clients)
    client_buffer_growth: int = 23_544      # client buffers that grow when pipelined traffic starts
    latency_histogram_bytes: int = 24_720   # one hdr_histogram (latency-tracking) per command name
    info_after_baseline: bool = True        # the baseline was read by the first INFO ever run, so INFO's
                                            # own histogram appears after it (the reference harness)
    connected_clients: int = 2              # feeds dynamic-hz (hz doubles per 200 clients)
    expire_key_cost_us: float = 1.0         # CPU per key the active expire cycle samples (MECHANICS §7)
    evict_key_cost_us: float = 0.46         # CPU per evicted key: 1,088 keys used one 500 µs budget (§5.3)
    lazyfree_bytes_per_s: float = 1.0e9     # background free rate when lazyfree applies
    batch_interval: float = 0.005           # seconds: client batch (pipeline flush) granularity
    sample_interval: float = 1.0            # seconds between time-series samples
    # evictsim: the exact policy's own parameters (``--set clock-bits=2``), sorted (name, value) pairs;
    # spelled flat in mappings, beside the settings (policies/exact/*.py document each and its default)
    policy_params: tuple = ()

    def to_mapping(self) -> dict[str, Any]:
        """redis.conf-spelled dict of every setting (the resolved configuration in outputs)."""
        out = {f.name.replace("_", "-"): getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name != "policy_params"}
        out.update(dict(self.policy_params))
        return out

    def replace(self, **changes: Any) -> "RedisConfig":
        return RedisConfig.from_mapping({**self.to_mapping(), **{k.replace("_", "-"): v
                                                                for k, v in changes.items()}})

    @staticmethod
    def from_mapping(values: Mapping[str, Any], *, source: str | None = None,
                     lines: Mapping[str, int] | None = None, prefix: str = "") -> "RedisConfig":
        """Validate a redis.conf-spelled mapping. Errors name ``source:line: key: expected ...``."""
        kwargs: dict[str, Any] = {}
        params: dict[str, tuple[Any, Any, str]] = {}
        for raw_key, raw in values.items():
            name = str(raw_key).replace("_", "-").lower()
            line = (lines or {}).get(raw_key)
            key = f"{prefix}{name}"
            conv = _CONVERTERS.get(name)
            if conv is None and name in policy_param_names():
                params[name] = (raw, line, key)
                continue
            if conv is None:
                raise UserInputError(f"unknown setting; expected one of: {', '.join(sorted(_CONVERTERS))}",
                                     source=source, line=line, key=key)
            kwargs[name.replace("-", "_")] = conv(raw, source, line, key)
        if params:
            # with the policy in the mapping, its parameters are checked against it; a lone --set
            # item is checked against the policy that declares it (check_policy_params: the whole)
            policy = kwargs.get("maxmemory_policy")
            kwargs["policy_params"] = _policy_params(policy, params, source)
        return RedisConfig(**kwargs)


def _int_range(lo: int, hi: int) -> Callable[[Any, Any, Any, str], int]:
    def conv(v: Any, source: Any, line: Any, key: str) -> int:
        try:
            if isinstance(v, bool):
                raise ValueError
            n = int(str(v).strip())
        except ValueError:
            raise UserInputError(f"expected an integer in [{lo}, {hi}], got {v!r}", source=source,
                                 line=line, key=key) from None
        if not lo <= n <= hi:
            raise UserInputError(f"expected an integer in [{lo}, {hi}], got {n}", source=source, line=line,
                                 key=key)
        return n
    return conv


def _float_range(lo: float, hi: float) -> Callable[[Any, Any, Any, str], float]:
    """A finite number in ``(lo, hi]``: nan, inf and absurd values would reach integer casts (µs
    counts, byte counts) in the engine and overflow there."""
    def conv(v: Any, source: Any, line: Any, key: str) -> float:
        expected = f"a finite number in ({lo:g}, {hi:g}]"
        try:
            if isinstance(v, bool):
                raise ValueError
            x = float(str(v).strip())
        except ValueError:
            raise UserInputError(f"expected {expected}, got {v!r}", source=source, line=line,
                                 key=key) from None
        if not (lo < x <= hi and math.isfinite(x)):
            raise UserInputError(f"expected {expected}, got {x}", source=source, line=line, key=key)
        return x
    return conv


def _choice(options: tuple[str, ...]) -> Callable[[Any, Any, Any, str], str]:
    def conv(v: Any, source: Any, line: Any, key: str) -> str:
        s = str(v).strip().lower()
        if s not in options:
            raise UserInputError(f"expected one of {', '.join(options)}, got {str(v)!r}", source=source,
                                 line=line, key=key)
        return s
    return conv


def _policy(v: Any, source: Any, line: Any, key: str) -> str:
    """A name registered in :data:`evictsim.policies.POLICIES` (the only list of policy names)."""
    from evictsim.policies import POLICIES
    return _choice(tuple(POLICIES.names(in_order=True)))(v, source, line, key)


def _size(v: Any, source: Any, line: Any, key: str) -> int:
    return parse_size(v, source=source, line=line, key=key)


def _bool(v: Any, source: Any, line: Any, key: str) -> bool:
    return parse_bool(v, source=source, line=line, key=key)


_CONVERTERS: dict[str, Callable[[Any, Any, Any, str], Any]] = {
    "maxmemory": _size,
    "maxmemory-policy": _policy,
    "maxmemory-samples": _int_range(1, 64),
    "maxmemory-eviction-tenacity": _int_range(0, 100),
    "hz": _int_range(1, 500),
    "dynamic-hz": _bool,
    "active-expire-effort": _int_range(1, 10),
    "lfu-log-factor": _int_range(0, 1 << 30),
    "lfu-decay-time": _int_range(0, 1 << 30),
    "lazyfree-lazy-eviction": _bool,
    "lazyfree-lazy-expire": _bool,
    "lazyfree-lazy-server-del": _bool,
    "lazyfree-lazy-user-del": _bool,
    "lazyfree-lazy-user-flush": _bool,
    "activedefrag": _bool,
    "active-defrag-ignore-bytes": _size,
    "active-defrag-threshold-lower": _int_range(0, 1000),
    "active-defrag-threshold-upper": _int_range(0, 1000),
    "active-defrag-cycle-min": _int_range(1, 99),
    "active-defrag-cycle-max": _int_range(1, 99),
    "active-defrag-keys-per-ms": _int_range(1, 1 << 30),
    "activerehashing": _bool,
    "latency-tracking": _bool,
    "cluster-enabled": _bool,
    "expiry-mode": _choice(EXPIRY_MODES),
    "memory-accounting": _choice(MEMORY_ACCOUNTING),
    "jemalloc-quantum": lambda v, s, ln, k: _choice(("8", "16"))(v, s, ln, k) and int(v),
    "allocator-model": _choice(ALLOCATOR_MODELS),
    "jemalloc-bg-thread": _bool,
    "dirty-decay-ms": _int_range(-1, 1 << 40),
    "allocator-base-allocated": _size,
    "allocator-base-active": _size,
    "allocator-base-resident": _size,
    "process-baseline-rss": _size,
    "baseline-memory": _size,
    "client-buffer-growth": _size,
    "latency-histogram-bytes": _size,
    "info-after-baseline": _bool,
    "connected-clients": _int_range(0, 1_000_000),
    "expire-key-cost-us": _float_range(0.0, 1e6),
    "evict-key-cost-us": _float_range(0.0, 1e6),
    "lazyfree-bytes-per-s": _float_range(0.0, 1e15),
    "batch-interval": _float_range(0.0, 3600.0),
    "sample-interval": _float_range(0.0, 30 * 86400.0),
}

SETTING_NAMES = tuple(sorted(_CONVERTERS))


def policy_param_names() -> set[str]:
    """Every parameter an exact policy takes by ``--set`` (``clock-bits``, ``segments``, ...)."""
    from evictsim.policies.exact import EXACT_POLICIES
    return {name for spec in EXACT_POLICIES.values() for name in spec.user_params()}


def _policy_params(policy: str | None, params: dict, source: Any) -> tuple:
    """Validated (name, value) pairs: for ``policy`` when given, else for whichever policy declares each."""
    from evictsim.policies.exact import EXACT_POLICIES
    out = {}
    for name, (raw, line, key) in params.items():
        owners = [spec for spec in EXACT_POLICIES.values() if name in spec.user_params()]
        spec = EXACT_POLICIES.get(policy) if policy is not None else owners[0]
        if spec is None or name not in spec.user_params():
            valid = ", ".join(spec.user_params()) if spec is not None and spec.user_params() else "none"
            raise UserInputError(f"{name} is a parameter of {', '.join(o.name for o in owners)}, not of "
                                 f"{policy}; {policy}'s parameters: {valid}", source=source, line=line, key=key)
        try:
            out[name] = spec.resolve({name: raw})[name]
        except ValueError as exc:
            raise UserInputError(f"{str(exc).removeprefix(name + ': ')}; {spec.name}'s parameters: {', '.join(spec.user_params())} "
                                 f"(defaults {_defaults(spec)})", source=source, line=line, key=key) from None
    return tuple(sorted(out.items()))


def _defaults(spec) -> str:
    return ", ".join(f"{name}={spec.params[name]}" for name in spec.user_params())


def check_policy_params(cfg: RedisConfig, *, source: str | None = "--set") -> RedisConfig:
    """The whole configuration's policy parameters belong to its policy (one line naming them)."""
    if cfg.policy_params:
        RedisConfig.from_mapping(cfg.to_mapping(), source=source)
    return cfg


def parse_set_option(text: str, *, option: str = "--set") -> tuple[str, str]:
    """Split ``KEY=VALUE`` from ``--set`` and check the key is known."""
    if "=" not in text:
        raise UserInputError(f"expected KEY=VALUE, got {text!r}", source=option)
    key, value = text.split("=", 1)
    key = key.strip().lower().replace("_", "-")
    if key not in _CONVERTERS and key not in policy_param_names():
        raise UserInputError(f"unknown setting {key!r}; expected one of: {', '.join(SETTING_NAMES)} "
                             f"(or an exact policy's parameter: {', '.join(sorted(policy_param_names()))})",
                             source=option)
    return key, value.strip()


@dataclass
class RedisConfFile:
    """What :func:`read_redis_conf` found: the modelled directives and the ones it ignored."""

    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def read_redis_conf(path: str | Path) -> RedisConfFile:
    """Read a real redis.conf: keep the directives evictsim models, list the rest as ignored."""
    text = read_user_file(path, "redis.conf")
    out = RedisConfFile()
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        name = parts[0].lower()
        value = parts[1].strip().strip('"') if len(parts) > 1 else ""
        if name in _CONVERTERS:
            out.values[name] = value
            out.lines[name] = lineno
        else:
            out.ignored.append(name)
    return out
