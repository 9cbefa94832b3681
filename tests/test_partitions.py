"""Partitions: a partition behaves exactly as ``evictsim simulate`` of its share of the trace; cluster
routing equals a live redis-server's ``CLUSTER KEYSLOT``; bad partition files are one-line errors.

The standalone sub-trace is cut from the trace *file* line by line (``fnmatch`` on the key column),
independently of the partition router, and read back by the ordinary reader.
"""
from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evictsim
from evictsim.cli import main
from evictsim.partitions import load_partitions, run_partitions
from evictsim.partitions.glob import glob_to_regex, hides
from evictsim.partitions.slots import even_slot_ranges, key_hash_slot
from evictsim.traces import open_trace, write_trace
from evictsim.validate.resp import RespConnection
from evictsim.validate.server import find_redis_server, free_port
from evictsim.workloads import build_workload

RULES = """\
- name: sess
  match: 'session:*'
  redis: {maxmemory: 1100kb, maxmemory-policy: allkeys-lfu, maxmemory-samples: 10}
- name: rest
  match: '*'
  redis: {maxmemory: 1500kb, maxmemory-policy: allkeys-lru, hz: 20}
"""
PATTERNS = {"sess": "session:*", "rest": "*"}
COUNTERS = ("requests", "gets", "get_hits", "keyspace_hits", "keyspace_misses", "evicted_keys",
            "expired_keys",
            "expired_keys_lazy", "expired_keys_active", "rejected_writes", "used_memory", "used_memory_peak",
            "keys", "expires", "sets", "dels", "fills")


def _key_of(fmt: str, line: str) -> str | None:
    if fmt == "native":
        return line.split(",")[2]
    if fmt == "twitter":
        return line.split(",")[1]
    parts = line.split('"')            # monitor: <time> [db client] "CMD" "key" ...
    return parts[3] if len(parts) > 3 else None


def _cut(path, fmt: str, part: str, out) -> None:
    """The lines of ``path`` whose key the rule of ``part`` takes first (header/anchor lines kept)."""
    lines = path.read_text().splitlines(keepends=True)
    kept = []
    for i, line in enumerate(lines):
        key = _key_of(fmt, line)
        if key is None or (fmt == "native" and i == 0):
            kept.append(line)
            continue
        first = next(name for name, pat in PATTERNS.items() if fnmatch.fnmatchcase(key, pat))
        if first == part:
            kept.append(line)
    out.write_text("".join(kept))


@pytest.mark.parametrize("fmt,suffix", [("native", "csv"), ("monitor", "monitor"), ("twitter", "twr")])
def test_a_partition_is_exactly_a_standalone_instance_of_its_sub_trace(tmp_path, fmt, suffix):
    params = {"requests": 6000, "rate": 1500, "set-fraction": 0.1, "del-fraction": 0.02}
    source = tmp_path / f"trace.{suffix}"
    write_trace(build_workload("namespaces", params, seed=5), f"{fmt}:{source}")
    rules = tmp_path / "parts.yaml"
    rules.write_text(RULES)
    plan = load_partitions(str(rules))
    result = run_partitions(open_trace(f"{fmt}:{source}", cache=False), plan, seed=7, start_time=1.7e9,
                            record_outcomes=True)
    for part in plan.partitions:
        sub = tmp_path / f"{part.name}.{suffix}"
        _cut(source, fmt, part.name, sub)
        alone = evictsim.simulate(open_trace(f"{fmt}:{sub}", cache=False), config=part.config, seed=7,
                                  start_time=1.7e9, record_outcomes=True)
        mine = result.results[part.name]
        assert alone.summary["requests"] > 500
        assert np.array_equal(alone.outcomes, mine.outcomes)
        assert {k: alone.summary[k] for k in COUNTERS} == {k: mine.summary[k] for k in COUNTERS}
        for column in ("used_memory", "keyspace_hits", "evicted_keys"):
            assert np.array_equal(alone.timeseries[column], mine.timeseries[column])
    assert result.summary["requests"] == sum(result.results[n].summary["requests"] for n in plan.names)
    assert (result.outcomes != 255).all()


def test_simulate_partitions_writes_one_summary_per_partition_and_totals(tmp_path):
    source = tmp_path / "trace.csv"
    write_trace(build_workload("namespaces", {"requests": 4000, "rate": 1000}, seed=2), source)
    (tmp_path / "parts.yaml").write_text(RULES)
    out = tmp_path / "run"
    assert main(["simulate", "--trace", str(source), "--partitions", str(tmp_path / "parts.yaml"),
                 "--seed", "3", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["partitions"]) == {"sess", "rest"}
    assert summary["gets"] == sum(p["gets"] for p in summary["partitions"].values())
    assert summary["partitions"]["sess"]["maxmemory_policy"] == "allkeys-lfu"
    assert (out / "partitions" / "rest" / "timeseries.csv").exists() and (out / "memory.png").exists()


def test_each_partition_counts_its_own_namespaces(tmp_path):
    (tmp_path / "parts.yaml").write_text(RULES)
    trace = build_workload("namespaces", {"requests": 4000, "rate": 1000}, seed=2)
    result = run_partitions(trace, load_partitions(str(tmp_path / "parts.yaml")), seed=3, namespaces=True)
    sess, rest = (result.results[n].summary for n in ("sess", "rest"))
    assert set(sess["namespaces"]) == {"session:"}
    assert rest["namespaces"] and "session:" not in rest["namespaces"]
    for part in (sess, rest):
        assert sum(v["keys"] for v in part["namespaces"].values()) == part["keys"]
        assert sum(v["gets"] for v in part["namespaces"].values()) == part["gets"]
    result.write(tmp_path / "run")
    assert (tmp_path / "run" / "partitions" / "rest" / "namespaces.csv").exists()


KEYS = ["user:1000", "user:1001", "{user1000}.following", "{user1000}.followers", "foo{}{bar}",
        "foo{{bar}}zap",
        "foo{bar}{zap}", "a{b", "}a{b}", "", "{}", "{a}", "x" * 300, "sess:42", "cache:ünïcode", "{{}}",
        "abc{d}e{f}", "k000123", "{user:profile:9}:name", "12345"]


@pytest.fixture(scope="module")
def cluster_server(tmp_path_factory):
    """A private redis-server in cluster mode (all slots on it), stopped by its own pid."""
    workdir = tmp_path_factory.mktemp("cluster")
    port = free_port()
    proc = subprocess.Popen([find_redis_server(), "--port", str(port), "--bind", "127.0.0.1",
                             "--cluster-enabled", "yes",
                             # the bus port would be port + 10000: above 65535 for a high free port
                             "--cluster-port", str(free_port()),
                             "--cluster-config-file", str(workdir / "nodes.conf"), "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:                        # until it answers PING (it may accept before it is ready)
        conn = None
        try:
            conn = RespConnection("127.0.0.1", port, timeout=5)
            conn.pipeline([["PING"]])
            break
        except Exception:
            if conn is not None:
                conn.close()
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.1)
    yield conn
    conn.close()
    proc.terminate()
    proc.wait(10)


@pytest.mark.live
def test_key_hash_slot_equals_cluster_keyslot_of_a_live_server(cluster_server):
    live = cluster_server.pipeline([["CLUSTER", "KEYSLOT", k] for k in KEYS])
    assert [key_hash_slot(k) for k in KEYS] == [int(v) for v in live]
    assert key_hash_slot("{user1000}.following") == key_hash_slot("{user1000}.followers")


LIVE_KEYS = 65536            # a power of two: each batch fills its tables exactly (8 B of buckets a key)
FILL = ("local n = tonumber(ARGV[1]) for i = 1, n do local k = string.format(ARGV[2] .. '%08d', i) "
        "if ARGV[3] == '0' then redis.call('set', k, 'abcdefghij') "
        "else redis.call('set', k, 'abcdefghij', 'px', ARGV[3]) end end return n")


def _live_per_key(conn) -> tuple[float, float]:
    """used_memory per key of 65,536 SETs ('key:%08d' → 10-B value), then 65,536 more with a TTL."""
    # the latency histograms of EVAL, SET, DEL and INFO exist before the first reading (INFO's own is
    # allocated after the INFO that reads used_memory, so it would land in the first batch)
    conn.pipeline([["EVAL", FILL, "0", "1", "warm:", "0"], ["DEL", "warm:00000001"], ["INFO", "memory"]])
    out = []
    for prefix, ttl in (("key:", "0"), ("ttl:", "100000000")):
        before = _used_memory(conn)
        conn.pipeline([["EVAL", FILL, "0", str(LIVE_KEYS), prefix, ttl]])
        out.append((_used_memory(conn) - before) / LIVE_KEYS)
    return out[0], out[1]


def _simulated_per_key(cluster: bool) -> tuple[float, float]:
    """The same two batches through the byte model: used_memory differences between runs that stop
    after 1 key, after the first batch and after both (what the fixed overheads cancel out of)."""
    from evictsim.traces.base import ArrayTrace, RequestChunk

    def used(n_plain: int, n_ttl: int) -> int:
        n = n_plain + n_ttl
        chunk = RequestChunk(time=np.arange(n) * 1e-5, op=np.ones(n, np.uint8), key=np.arange(n, dtype=np.int32),
                             key_len=np.full(n, 12, np.uint16), size=np.full(n, 10, np.int32),
                             ttl_ms=np.where(np.arange(n) < n_plain, 0, 100_000_000).astype(np.int64))
        return evictsim.simulate(ArrayTrace(chunk), policy="noeviction", cluster_enabled=cluster).used_memory
    one, plain, both = used(1, 0), used(LIVE_KEYS, 0), used(LIVE_KEYS, LIVE_KEYS)
    return (plain - one) / (LIVE_KEYS - 1), (both - plain) / LIVE_KEYS


@pytest.mark.live
def test_cluster_mode_charges_16_bytes_of_slot_metadata_per_key(cluster_server):
    """7.0 cluster mode's per-key dictEntry metadata, live and in the byte model (``cluster-enabled``):
    +16 B on a key's main-dict entry, none on its expires entry; the simulated bytes per key equal the
    live server's, in cluster mode and standalone."""
    from evictsim.partitions.run import CLUSTER_SLOT_METADATA_BYTES
    from evictsim.validate.server import start_redis

    cluster_server.pipeline([["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]])
    deadline = time.monotonic() + 10
    while b"cluster_state:ok" not in _bytes(cluster_server.pipeline([["CLUSTER", "INFO"]])[0]):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    in_cluster = _live_per_key(cluster_server)
    with start_redis({}) as alone:
        with alone.connect() as conn:
            standalone = _live_per_key(conn)
    for batch in (0, 1):                 # plain keys, then keys with a TTL: +16 B either way
        assert abs(in_cluster[batch] - standalone[batch] - CLUSTER_SLOT_METADATA_BYTES) < 0.5
    simulated = {True: _simulated_per_key(True), False: _simulated_per_key(False)}
    for cluster, live in ((True, in_cluster), (False, standalone)):
        for batch in (0, 1):
            assert abs(simulated[cluster][batch] - live[batch]) < 0.3, (cluster, batch, simulated, live)


@pytest.mark.live
def test_cluster_nodes_start_from_the_cluster_mode_baseline_measured_on_a_live_server(cluster_server,
                                                                                      tmp_path):
    from evictsim.partitions.cluster_memory import CLUSTER_BASELINE_EXTRA
    from evictsim.validate.server import start_redis
    with start_redis({}) as alone:
        with alone.connect() as conn:
            standalone = _info_field(conn, "used_memory_startup")
    measured = _info_field(cluster_server, "used_memory_startup") - standalone
    assert abs(measured - CLUSTER_BASELINE_EXTRA) < 0.02 * CLUSTER_BASELINE_EXTRA
    (tmp_path / "c.yaml").write_text("cluster: {nodes: 2, redis: {maxmemory: 4mb, "
                                     "maxmemory-policy: allkeys-lru}}\n")
    from evictsim.config import RedisConfig
    plan = load_partitions(str(tmp_path / "c.yaml"))
    assert plan.partitions[1].config.baseline_memory == RedisConfig().baseline_memory + CLUSTER_BASELINE_EXTRA
    assert all(part.config.cluster_enabled for part in plan.partitions)     # +16 B of slot metadata a key


def _info_field(conn, name: str) -> int:
    info = _bytes(conn.pipeline([["INFO", "memory"]])[0]).decode()
    return int(next(line.split(":")[1] for line in info.splitlines() if line.startswith(name + ":")))


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _used_memory(conn) -> int:
    info = _bytes(conn.pipeline([["INFO", "memory"]])[0]).decode()
    return int(next(line.split(":")[1] for line in info.splitlines() if line.startswith("used_memory:")))


def test_cluster_partitions_route_by_slot_and_even_ranges_match_redis_cli(tmp_path):
    assert even_slot_ranges(3) == [(0, 5460), (5461, 10922), (10923, 16383)]
    (tmp_path / "c.yaml").write_text("cluster: {nodes: 3, slots: even, redis: {maxmemory: 2mb, "
                                     "maxmemory-policy: allkeys-lru}}\n")
    plan = load_partitions(str(tmp_path / "c.yaml"))
    routed = plan.router.route(KEYS)
    assert list(routed) == [0 if s <= 5460 else 1 if s <= 10922 else 2 for s in map(key_hash_slot, KEYS)]


BAD = [
    ("- {name: a, match: ''}\n", "parts.yaml:1: 0.match: empty rule"),
    ("- {name: a, match: 'x:*', redis: {maxmemory: 1mb}}\n"
     "- {name: b, match: 'x:y:*', redis: {maxmemory: 1mb}}\n",
     "parts.yaml:2: 1.match: overlapping rules"),
    ("- {name: a, match: '*', redis: {maxmemory-policy: allkeys-lru}}\n",
     "parts.yaml:1: 0.redis: partition 'a': maxmemory-policy allkeys-lru needs a maxmemory"),
    ("- {name: a, match: '[ab', redis: {maxmemory: 1mb}}\n", "parts.yaml:1: 0.match: pattern does not parse"),
    ("cluster:\n  nodes: 2\n  slots: [[0, 8000], [8002, 16383]]\n",
     "parts.yaml:3: cluster.slots: slot ranges do not "
     "cover slots 8001-8001"),
    ("cluster:\n  nodes: 2\n  slots: [[0, 8000], [7999, 16383]]\n",
     "parts.yaml:3: cluster.slots: slot ranges overlap"),
    ("[]\n", "parts.yaml:1: expected a non-empty list"),
]


@pytest.mark.parametrize("text,message", BAD)
def test_bad_partition_files_are_one_line_errors_naming_file_line_and_key(tmp_path, capsys, monkeypatch, text,
                                                                           message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "parts.yaml").write_text(text)
    (tmp_path / "t.csv").write_text("time,op,key,size,ttl\n0.0,GET,a,10,\n")
    assert main(["simulate", "--trace", "t.csv", "--partitions", "parts.yaml", "--out", "o"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_a_key_no_rule_matches_names_the_key_and_the_rules_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "parts.yaml").write_text("- {name: a, match: 'sess:*', redis: {maxmemory: 2mb}}\n")
    (tmp_path / "t.csv").write_text("time,op,key,size,ttl\n0.0,GET,sess:1,10,\n0.1,GET,other:2,10,\n")
    assert main(["simulate", "--trace", "t.csv", "--partitions", "parts.yaml", "--out", "o"]) == 2
    err = capsys.readouterr().err
    assert "parts.yaml" in err and "'other:2'" in err


_GLOB_ALPHABET = "ab:*?"


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(_GLOB_ALPHABET, min_size=1, max_size=6),
       keys=st.lists(st.text("ab:", max_size=6), min_size=1, max_size=10))
def test_glob_rules_match_what_fnmatch_matches(pattern, keys):
    """Without classes and escapes, Redis's stringmatchlen and fnmatch agree: an independent oracle."""
    rule = re.compile(glob_to_regex(pattern))
    assert [bool(rule.search(k)) for k in keys] == [fnmatch.fnmatchcase(k, pattern) for k in keys]


@settings(max_examples=300, deadline=None)
@given(earlier=st.text(_GLOB_ALPHABET, min_size=1, max_size=5),
       later=st.text(_GLOB_ALPHABET, min_size=1, max_size=5),
       keys=st.lists(st.text("ab:", max_size=7), min_size=1, max_size=20))
def test_a_rule_reported_as_hidden_never_gets_a_key(earlier, later, keys):
    if hides(earlier, later):
        assert all(fnmatch.fnmatchcase(k, earlier) for k in keys if fnmatch.fnmatchcase(k, later))
