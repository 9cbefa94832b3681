"""The bad-input corpus: every case is one user mistake (a CLI option, a trace line in each format, an
experiment or workload spec file) and must end the same way: exit status 2, exactly one line on
stderr that names the place (``file:line``, the option or the key path) and says what was expected,
no traceback, and nothing left in ``--out``.

Cases are data (:data:`CASES`): the files to create in ``tmp_path`` and the argv, run in-process by
``evictsim.cli.main`` (fast: no interpreter start per case). Add a case by adding a row. The few
checks that need real processes (a SIGKILLed runner's workers) are at the end.
"""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from evictsim.cli import main
from evictsim.errors import UserInputError

HEADER = "time,op,key,size,ttl\n"
REPO = Path(__file__).resolve().parents[1]
OLD_EXPERIMENTS = REPO / "tests" / "data" / "experiments"
RECORD = np.dtype([("time", "<u4"), ("obj_id", "<u8"), ("size", "<u4"), ("next", "<i8")])

Files = dict  # file name (relative to tmp_path) -> bytes, or a callable(path) that writes it


@dataclass(frozen=True)
class Case:
    """One bad input: files to write, the argv (``{tmp}`` is the case's folder), and the text the
    one stderr line must contain to name the place (``t.csv:3``, ``--maxmemory``, ``redis.hz``)."""

    id: str
    argv: tuple[str, ...]
    where: str
    files: Files = field(default_factory=dict)
    expected: str = "expected"      # every message says what was expected


# ---- file builders -------------------------------------------------------------------------------

def csv(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(r + "\n" for r in rows)).encode()


GOOD_ROWS = ("0.0,GET,a,10,", "0.5,SET,b,20,1.5", "1.0,GET,a,10,")


def native(*bad: str, before: tuple[str, ...] = GOOD_ROWS) -> bytes:
    """A native CSV whose line ``len(before) + 2`` is the first bad row."""
    return csv(*before, *bad)


def twitter(*rows: str) -> bytes:
    good = ("10,k1,4,100,0,get,0", "10,k2,4,100,0,set,60")
    return "".join(r + "\n" for r in (*good, *rows)).encode()


def oracle(records: list[tuple[int, int, int]], extra: bytes = b"") -> bytes:
    rec = np.zeros(len(records), dtype=RECORD)
    for i, (t, key, size) in enumerate(records):
        rec[i] = (t, key, size, -1)
    return rec.tobytes() + extra


MON = '1700000000.{:06d} [0 127.0.0.1:1] '


def monitor(*lines: str) -> bytes:
    good = (MON.format(1) + '"SET" "a" "xx"', MON.format(2) + '"GET" "a"')
    return "".join(line + "\n" for line in (*good, *lines)).encode()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zst(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


BIG_CSV = csv(*(f"{i / 100:.2f},GET,k{i % 500},100," for i in range(20000)))


def parquet(**overrides) -> Callable[[Path], None]:
    columns = {"time": pa.array([0.0, 1.0, 2.0]), "op": pa.array(["GET", "SET", "GET"]),
               "key": pa.array(["a", "b", "a"]), "size": pa.array([10, 20, 10], pa.int32()),
               "ttl_ms": pa.array([0, 0, 0], pa.int64())}
    drop = overrides.pop("drop", None)
    columns.update(overrides)
    if drop:
        columns.pop(drop)

    def write(path: Path) -> None:
        pq.write_table(pa.table(columns), path)
    return write


def alias_bomb(levels: int = 9) -> bytes:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return ("name: bomb\nworkload: {generator: zipf}\ndescription: x\n" + "\n".join(lines)).encode()


def experiment(body: str, trace: str | None = None) -> bytes:
    workload = f"workload:\n  trace: {trace}\n" if trace else "workload:\n  generator: zipf\n  requests: 1000\n"
    return (f"name: e\n{workload}{body}").encode()


SIM = ("simulate", "--trace", "{tmp}/t.csv", "--out", "{tmp}/out", "--no-plots")
T = {"t.csv": native()}
STATS = ("trace", "stats", "--no-cache")


def sim(*extra: str) -> tuple[str, ...]:
    return SIM + extra


def stats(name: str) -> tuple[str, ...]:
    return STATS + ("{tmp}/" + name,)


def run_exp(name: str = "e.yaml", *extra: str) -> tuple[str, ...]:
    return ("run", "{tmp}/" + name, "--out", "{tmp}/out", "--workers", "1", "--no-progress",
            "--no-report", *extra)


def generate(workload: str, *extra: str) -> tuple[str, ...]:
    return ("trace", "generate", workload, "{tmp}/out/g.csv", *extra)


def gen_set(*sets: str) -> tuple[str, ...]:
    out: tuple[str, ...] = ()
    for item in sets:
        out += ("--set", item)
    return generate("zipf", *out)


# ---- the corpus ----------------------------------------------------------------------------------

CLI_CASES = [
    Case("maxmemory-beyond-int64", sim("--maxmemory", "99999999999tb"), "--maxmemory", T),
    Case("maxmemory-unit", sim("--maxmemory", "12zz"), "--maxmemory", T),
    Case("maxmemory-negative", sim("--maxmemory", "-1"), "--maxmemory", T),
    Case("maxmemory-two-dots", sim("--maxmemory", "1.5.5mb"), "--maxmemory", T),
    Case("maxmemory-2^63", sim("--maxmemory", "9223372036854775808"), "--maxmemory", T),
    Case("baseline-beyond-int64", sim("--baseline-memory", "99999999999tb"), "--baseline-memory", T),
    Case("start-time-nan", sim("--start-time", "nan"), "--start-time", T),
    Case("start-time-inf", sim("--start-time", "inf"), "--start-time", T),
    Case("start-time-minus-inf", sim("--start-time", "-inf"), "--start-time", T),
    Case("start-time-text", sim("--start-time", "noon"), "--start-time", T),
    Case("seed-negative", sim("--seed", "-1"), "--seed", T),
    Case("seed-huge", sim("--seed", str(10**30)), "--seed", T),
    Case("seed-text", sim("--seed", "x"), "--seed", T),
    Case("sample-interval-inf", sim("--set", "sample-interval=inf"), "sample-interval", T),
    Case("sample-interval-nan", sim("--set", "sample-interval=nan"), "sample-interval", T),
    Case("sample-interval-zero", sim("--set", "sample-interval=0"), "sample-interval", T),
    Case("sample-interval-absurd", sim("--set", "sample-interval=1e300"), "sample-interval", T),
    Case("batch-interval-inf", sim("--set", "batch-interval=inf"), "batch-interval", T),
    Case("lazyfree-rate-negative", sim("--set", "lazyfree-bytes-per-s=-1"), "lazyfree-bytes-per-s", T),
    Case("expire-cost-nan", sim("--set", "expire-key-cost-us=nan"), "expire-key-cost-us", T),
    Case("evict-cost-inf", sim("--set", "evict-key-cost-us=inf"), "evict-key-cost-us", T),
    Case("hz-zero", sim("--set", "hz=0"), "hz", T),
    Case("hz-too-high", sim("--set", "hz=501"), "hz", T),
    Case("hz-float-text", sim("--set", "hz=1e3"), "hz", T),
    Case("samples-65", sim("--set", "maxmemory-samples=65"), "maxmemory-samples", T),
    Case("policy-in-set", sim("--set", "maxmemory-policy=lur"), "maxmemory-policy", T),
    Case("set-without-equals", sim("--set", "hz"), "--set", T),
    Case("set-unknown-key", sim("--set", "key-len=3"), "--set", T, "expected one of"),
    Case("expiry-mode", sim("--set", "expiry-mode=fast"), "expiry-mode", T),
    Case("jemalloc-quantum", sim("--set", "jemalloc-quantum=7"), "jemalloc-quantum", T),
    Case("dynamic-hz", sim("--set", "dynamic-hz=maybe"), "dynamic-hz", T),
    Case("lfu-log-factor-negative", sim("--set", "lfu-log-factor=-1"), "lfu-log-factor", T),
    Case("policy-typo", sim("--maxmemory-policy", "allkeys-lruu"), "--maxmemory-policy", T),
    Case("config-missing", sim("--config", "{tmp}/none.conf"), "none.conf", T, "cannot read"),
    Case("config-bad-value", sim("--config", "{tmp}/r.conf"), "r.conf:2",
         {**T, "r.conf": b"# comment\nmaxmemory 12zz\n"}),
    Case("config-bad-hz", sim("--config", "{tmp}/r.conf"), "r.conf:1", {**T, "r.conf": b"hz 0\n"}),
    Case("config-not-utf8", sim("--config", "{tmp}/r.conf"), "r.conf:2",
         {**T, "r.conf": b"hz 10\nmaxmemory \xff\xfe\n"}),
    Case("trace-missing", ("simulate", "--trace", "{tmp}/none.csv", "--out", "{tmp}/out"), "none.csv", {},
         "no such"),
    Case("trace-unknown-prefix", ("simulate", "--trace", "bogus:{tmp}/t.csv", "--out", "{tmp}/out"),
         "bogus:", T, "expected one of"),
    Case("trace-unknown-extension", ("simulate", "--trace", "{tmp}/t.dat", "--out", "{tmp}/out"),
         "t.dat", {"t.dat": b"hello\nworld\n"}, "one of"),
    Case("out-is-a-file", ("simulate", "--trace", "{tmp}/t.csv", "--out", "{tmp}/afile"), "--out",
         {**T, "afile": b"x"}),
    Case("out-inside-a-file", ("simulate", "--trace", "{tmp}/t.csv", "--out", "{tmp}/afile/out"), "--out",
         {**T, "afile": b"x"}),
    Case("fill-choice", sim("--fill", "maybe"), "--fill", T, "choose"),
    Case("on-error-choice", sim("--on-error", "ignore"), "--on-error", T, "choose"),
    Case("protocol-choice", sim("--protocol", "resp3"), "--protocol", T, "choose"),
    Case("unknown-option", sim("--maxmemroy", "1mb"), "--maxmemroy", T, "unrecognized"),
    Case("unknown-command", ("simulat",), "simulat", {}, "choose"),
    Case("workload-keys-1e30", ("simulate", "--workload", "zipf", "--set", "keys=1e30", "--out", "{tmp}/out"),
         "workload.keys"),
    Case("workload-keys-10**30", ("simulate", "--workload", "zipf", "--set", f"keys={10**30}", "--out",
                                  "{tmp}/out"), "workload.keys"),
    Case("workload-alpha-nan", ("simulate", "--workload", "zipf", "--set", "alpha=.nan", "--out",
                                "{tmp}/out"), "workload.alpha"),
    Case("workload-value-size-1gb", ("simulate", "--workload", "zipf", "--set", "value-size=1073741824",
                                     "--out", "{tmp}/out"), "workload.value-size"),
    Case("workload-set-unknown-key", ("simulate", "--workload", "zipf", "--set", "key-len2=3", "--out",
                                      "{tmp}/out"), "--set", {}, "not a parameter of the zipf generator"),
    Case("workload-unknown", ("simulate", "--workload", "zipff", "--out", "{tmp}/out"), "zipff",
         {}, "expected one of"),
    Case("workload-span-too-long", ("simulate", "--workload", "zipf", "--set", "rate=0.0001", "--set",
                                    "requests=1000", "--out", "{tmp}/out"), "--allow-long-span",
         {}, "30-day"),
    Case("trace-stats-reuse-nan", STATS + ("--reuse-sample", "nan", "{tmp}/t.csv"), "--reuse-sample", T),
    Case("sample-rate-zero", ("trace", "sample", "{tmp}/t.csv", "{tmp}/out/s.csv", "--rate", "0"),
         "--rate", T),
    Case("sample-rate-nan", ("trace", "sample", "{tmp}/t.csv", "{tmp}/out/s.csv", "--rate", "nan"),
         "--rate", T),
    Case("sample-rate-two", ("trace", "sample", "{tmp}/t.csv", "{tmp}/out/s.csv", "--rate", "2"),
         "--rate", T),
    Case("convert-unknown-prefix", ("trace", "convert", "{tmp}/t.csv", "bogus:{tmp}/out/t.bin"), "bogus:",
         T, "expected one of"),
    Case("convert-unknown-extension", ("trace", "convert", "{tmp}/t.csv", "{tmp}/out/t.xyz"), "t.xyz", T,
         "one of"),
    Case("convert-into-a-file", ("trace", "convert", "{tmp}/t.csv", "{tmp}/afile/t.csv"), "output",
         {**T, "afile": b"x"}),
    Case("convert-bad-input-line", ("trace", "convert", "{tmp}/b.csv", "{tmp}/out/t.parquet"), "b.csv:5",
         {"b.csv": native("1.5,PUT,a,10,")}),
    Case("workloads-unknown", ("trace", "workloads", "zipff"), "zipff", {}, "expected one of"),
    Case("generate-seed-negative", generate("zipf", "--seed", "-3"), "--seed"),
    Case("validate-maxmemory-int64", ("validate", "--trace", "{tmp}/t.csv", "--maxmemory", "99999999999tb",
                                      "--maxmemory-policy", "allkeys-lru", "--out", "{tmp}/out"), "--maxmemory", T),
    Case("validate-policy", ("validate", "--trace", "{tmp}/t.csv", "--maxmemory", "1mb", "--maxmemory-policy",
                             "lru", "--out", "{tmp}/out"), "--maxmemory-policy", T),
    Case("validate-set-inf", ("validate", "--trace", "{tmp}/t.csv", "--maxmemory", "1mb", "--maxmemory-policy",
                              "allkeys-lru", "--set", "sample-interval=inf", "--out", "{tmp}/out"), "--set", T),
    Case("validate-max-time-inf", ("validate", "--trace", "{tmp}/t.csv", "--maxmemory", "1mb",
                                   "--maxmemory-policy", "allkeys-lru", "--max-time", "inf", "--out", "{tmp}/out"),
         "--max-time", T),
    Case("validate-out-in-a-file", ("validate", "--trace", "{tmp}/t.csv", "--maxmemory", "1mb",
                                    "--maxmemory-policy", "allkeys-lru", "--out", "{tmp}/afile/o"), "--out",
         {**T, "afile": b"x"}),
    Case("plot-no-folder", ("plot", "{tmp}/nothing"), "nothing", {}, "no such folder"),
    # belady reads the whole trace before the run: a pipe has no second read (checked unopened)
    Case("belady-on-a-pipe", ("simulate", "--trace", "{tmp}/pipe.csv", "--maxmemory", "2mb",
                              "--maxmemory-policy", "belady", "--out", "{tmp}/out"), "pipe.csv",
         {"pipe.csv": os.mkfifo}, "write the trace to a file first"),
    Case("volatile-with-object-bytes", sim("--maxmemory", "2mb", "--maxmemory-policy", "volatile-lru",
                                           "--set", "memory-accounting=object-bytes"), "maxmemory-policy", T,
         "no TTLs"),
    Case("policy-param-out-of-range", sim("--maxmemory", "2mb", "--maxmemory-policy", "clock",
                                          "--set", "clock-bits=17"), "clock-bits", T,
         "expected an integer in [1, 16], got '17'; clock's parameters: clock-bits, init-freq"),
    Case("policy-param-of-another-policy", sim("--maxmemory", "2mb", "--maxmemory-policy", "lru",
                                               "--set", "clock-bits=2"), "clock-bits", T,
         "clock-bits is a parameter of clock, not of lru; lru's parameters: none"),
    Case("policy-param-without-its-policy", sim("--maxmemory", "2mb", "--set", "clock-bits=2"), "clock-bits", T,
         "not of noeviction"),
    Case("policy-param-misspelt", sim("--maxmemory", "2mb", "--maxmemory-policy", "clock",
                                      "--set", "clock-bit=2"), "--set", T, "clock-bits"),
    Case("exp-policy-param-range", run_exp(), "e.yaml:7",
         {"e.yaml": experiment("redis:\n  maxmemory-policy: s3fifo\n  small-size-ratio: 1.5\n")},
         "redis.small-size-ratio: expected a fraction strictly between 0 and 1"),
    Case("trace-dir-as-native", STATS + ("native:{tmp}/d",), "d", {"d/x": b""}, "cannot read"),
    Case("trace-dir-as-parquet", STATS + ("parquet:{tmp}/d",), "d", {"d/x": b""}),
    Case("parquet-empty-file", stats("e.parquet"), "e.parquet", {"e.parquet": b""}),
]

GENERATOR_CASES = [
    Case("gen-keys-1e30", gen_set("keys=1e30"), "workload.keys"),
    Case("gen-keys-10**30", gen_set(f"keys={10**30}"), "workload.keys"),
    Case("gen-keys-zero", gen_set("keys=0"), "workload.keys"),
    Case("gen-keys-fraction", gen_set("keys=1.5"), "workload.keys"),
    Case("gen-requests-10**30", gen_set(f"requests={10**30}"), "workload.requests"),
    Case("gen-requests-inf", gen_set("requests=.inf"), "workload.requests"),
    Case("gen-alpha-inf", gen_set("alpha=.inf"), "workload.alpha"),
    Case("gen-alpha-nan", gen_set("alpha=.nan"), "workload.alpha"),
    Case("gen-alpha-negative", gen_set("alpha=-1"), "workload.alpha"),
    Case("gen-rate-inf", gen_set("rate=.inf"), "workload.rate"),
    Case("gen-rate-zero", gen_set("rate=0"), "workload.rate"),
    Case("gen-value-size-600m", gen_set("value-size=600000000"), "workload.value-size"),
    Case("gen-value-size-uniform-max", gen_set("value-size={dist: uniform, min: 1, max: 1e12}"),
         "workload.value-size.max"),
    Case("gen-value-size-lognormal-sigma", gen_set("value-size={dist: lognormal, median: 300, sigma: 1e9}"),
         "workload.value-size.sigma"),
    Case("gen-value-size-empirical", gen_set("value-size={dist: empirical, sizes: [10, 1e10], weights: [1, 1]}"),
         "workload.value-size"),
    Case("gen-value-size-unknown-key", gen_set("value-size={dist: fixed, value: 10, bytes: 3}"),
         "workload.value-size.bytes"),
    Case("gen-ttl-inf", gen_set("ttl=.inf"), "workload.ttl"),
    Case("gen-ttl-sub-ms", gen_set("ttl=0.0001"), "workload.ttl"),
    Case("gen-ttl-unknown-key", gen_set("ttl={dist: uniform, min: 1, max: 2, mean: 3}"), "workload.ttl.mean"),
    Case("gen-ttl-max-below-min", gen_set("ttl={dist: uniform, min: 5, max: 2}"), "workload.ttl.max"),
    Case("gen-key-len-70000", gen_set("key-len=70000"), "workload.key-len"),
    Case("gen-key-len-zero", gen_set("key-len=0"), "workload.key-len"),
    Case("gen-set-fraction", gen_set("set-fraction=1.5"), "workload.set-fraction"),
    Case("gen-fractions-sum", gen_set("set-fraction=0.7", "del-fraction=0.5"), "workload.set-fraction"),
    Case("gen-fill", gen_set("fill=sometimes"), "workload.fill"),
    Case("gen-arrival", gen_set("arrival=bursty"), "workload.arrival"),
    Case("gen-unknown-param", gen_set("key-len2=3"), "workload.key-len2", {}, "expected one of: alpha"),
    Case("gen-python-tag", gen_set("value-size=!!python/object/apply:os.system [ls]"), "--set", {}, "tags"),
    Case("gen-str-tag", gen_set("keys=!!str 5"), "--set", {}, "tags"),
    Case("gen-deep-set", gen_set("value-size=" + "[" * 200 + "]" * 200), "--set", {}, "nesting"),
    Case("gen-recursive-alias", gen_set("value-size=&a [*a]"), "--set", {}, "alias"),
    Case("gen-set-without-equals", gen_set("keys"), "--set"),
    Case("gen-rate-curve-zeros", gen_set("rate-curve=[0, 0]"), "workload.rate-curve"),
    Case("gen-ycsb-records", generate("ycsb", "--set", f"records={10**12}"), "workload.records"),
    Case("gen-ycsb-workload", generate("ycsb", "--set", "workload=G"), "workload.workload"),
    Case("gen-namespaces-keys", generate("namespaces", "--set",
                                         f"namespaces=[{{prefix: 'a:', share: 1, keys: {10**30}}}]"),
         "workload.namespaces.0.keys"),
    Case("gen-namespaces-unknown", generate("namespaces", "--set", "namespaces=[{prefix: 'a:', share: 1, x: 1}]"),
         "workload.namespaces.0.x"),
    Case("gen-output-in-a-file", ("trace", "generate", "zipf", "{tmp}/afile/g.csv"), "output",
         {"afile": b"x"}),
    Case("gen-output-unknown-prefix", ("trace", "generate", "zipf", "nope:{tmp}/out/g.csv"), "nope:",
         {}, "expected one of"),
]

SPEC_CASES = [
    Case("spec-not-utf8", generate("{tmp}/w.yaml"), "w.yaml:2", {"w.yaml": b"generator: zipf\nkeys: \xff\n"}),
    Case("spec-deep", generate("{tmp}/w.yaml"), "w.yaml:2",
         {"w.yaml": b"generator: zipf\nx: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"}, "nesting"),
    Case("spec-alias-bomb", generate("{tmp}/w.yaml"), "w.yaml", {"w.yaml": alias_bomb()}, "alias"),
    Case("spec-python-tag", generate("{tmp}/w.yaml"), "w.yaml:2",
         {"w.yaml": b"generator: zipf\nvalue-size: !!python/object:os.system {}\n"}, "tags"),
    Case("spec-custom-tag", generate("{tmp}/w.yaml"), "w.yaml:2",
         {"w.yaml": b"generator: zipf\nkeys: !big 100\n"}, "tags"),
    Case("spec-syntax", generate("{tmp}/w.yaml"), "w.yaml:3", {"w.yaml": b"generator: zipf\nkeys: [1,\n"}),
    Case("spec-duplicate-key", generate("{tmp}/w.yaml"), "w.yaml:3",
         {"w.yaml": b"generator: zipf\nkeys: 10\nkeys: 20\n"}, "duplicate"),
    Case("spec-not-mapping", generate("{tmp}/w.yaml"), "w.yaml", {"w.yaml": b"- zipf\n"}),
    Case("spec-no-generator", generate("{tmp}/w.yaml"), "w.yaml", {"w.yaml": b"keys: 10\n"}),
    Case("spec-generator-not-text", generate("{tmp}/w.yaml"), "w.yaml:1", {"w.yaml": b"generator: [zipf]\n"}),
    Case("spec-unknown-generator", generate("{tmp}/w.yaml"), "w.yaml:1",
         {"w.yaml": b"generator: zipff\n"}, "expected one of"),
    Case("spec-seed", generate("{tmp}/w.yaml"), "w.yaml:2", {"w.yaml": b"generator: zipf\nseed: -4\n"}),
    Case("spec-keys-10**30", generate("{tmp}/w.yaml"), "w.yaml:3",
         {"w.yaml": f"generator: zipf\nalpha: 1\nkeys: {10**30}\n".encode()}),
    Case("spec-unknown-param", generate("{tmp}/w.yaml"), "w.yaml:2",
         {"w.yaml": b"generator: zipf\nkey-len2: 3\n"}, "expected one of"),
    Case("spec-nested-param", generate("{tmp}/w.yaml"), "w.yaml:5",
         {"w.yaml": b"generator: zipf\nvalue-size:\n  dist: uniform\n  min: 5\n  max: 1\n"}),
    Case("spec-missing", generate("{tmp}/none.yaml"), "none.yaml", {}, "no such"),
    Case("spec-is-a-folder", generate("{tmp}/d.yaml"), "d.yaml", {"d.yaml/x": b""}, "cannot read"),
    Case("spec-overridden-value-still-checked", generate("{tmp}/w.yaml", "--set", "keys=10"), "w.yaml:2",
         {"w.yaml": b"generator: zipf\nkeys: many\n"}),
]

NATIVE_CASES = [
    Case("csv-header", stats("h.csv"), "h.csv:1", {"h.csv": csv("0,GET,a,1,", header="t,o,k,s,x\n")}),
    Case("csv-columns", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,GET,a")}),
    Case("csv-op", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,PUT,a,10,")}),
    Case("csv-time-inf", stats("b.csv"), "b.csv:5", {"b.csv": native("inf,GET,a,10,")}),
    Case("csv-time-nan", stats("b.csv"), "b.csv:5", {"b.csv": native("nan,GET,a,10,")}),
    Case("csv-time-negative", stats("b.csv"), "b.csv:5", {"b.csv": native("-1,GET,a,10,")}),
    Case("csv-time-backwards", stats("b.csv"), "b.csv:5", {"b.csv": native("0.2,GET,a,10,")}),
    Case("csv-time-text", stats("b.csv"), "b.csv:5", {"b.csv": native("soon,GET,a,10,")}),
    Case("csv-size-negative", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,-1,")}),
    Case("csv-size-600m", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,600000000,")}),
    Case("csv-size-2g", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,2147483648,")}),
    Case("csv-size-beyond-int64", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,99999999999999999999,")}),
    Case("csv-size-text", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,big,")}),
    Case("csv-size-float", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,1.5,")}),
    Case("csv-ttl-negative", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,1,-2")}),
    Case("csv-ttl-inf", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,1,inf")}),
    Case("csv-ttl-nan", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,1,nan")}),
    Case("csv-ttl-absurd", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,1,1e300")}),
    Case("csv-ttl-sub-ms", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,1,0.0004")}),
    Case("csv-ttl-text", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,SET,a,1,later")}),
    Case("csv-empty-key", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,GET,,1,")}),
    Case("csv-key-65536", stats("b.csv"), "b.csv:5", {"b.csv": native("1.5,GET," + "k" * 65536 + ",1,")}),
    Case("csv-key-bytes-not-chars", stats("b.csv"), "b.csv:5",
         {"b.csv": native("1.5,GET," + "é" * 40_000 + ",1,")}),   # 40,000 chars, 80,000 bytes
    Case("csv-not-utf8", stats("b.csv"), "b.csv:6", {"b.csv": native("1.5,GET,a,1,") + b"2,GET,\xff\xfe,1,\n"}),
    Case("csv-unclosed-quote", stats("b.csv"), "b.csv:5", {"b.csv": native('1.5,GET,"a,1,')}),
    Case("csv-late-bad-line", stats("big.csv"), "big.csv:20002",
         {"big.csv": BIG_CSV + b"999,GET,a,-5,\n"}),
    Case("csv-gz-bad-line", stats("b.csv.gz"), "b.csv.gz:5", {"b.csv.gz": gz(native("1.5,GET,a,x,"))}),
    Case("csv-gz-truncated", stats("c.csv.gz"), "c.csv.gz", {"c.csv.gz": cut(gz(BIG_CSV))}, "cannot read"),
    Case("csv-gz-not-gzip", stats("n.csv.gz"), "n.csv.gz", {"n.csv.gz": b"plain text, not gzip\n"},
         "cannot read"),
    Case("csv-zst-bad-line", stats("b.csv.zst"), "b.csv.zst:5", {"b.csv.zst": zst(native("1.5,GET,a,1,-1"))}),
    Case("csv-zst-truncated", stats("c.csv.zst"), "c.csv.zst", {"c.csv.zst": cut(zst(BIG_CSV))}, "truncated"),
    Case("csv-zst-not-zstd", stats("n.csv.zst"), "n.csv.zst", {"n.csv.zst": b"plain text, not zstd\n"},
         "zstd"),
    Case("csv-simulate-bad-line", sim(), "t.csv:5", {"t.csv": native("1.5,GET,a,10,inf")}),
    Case("csv-simulate-truncated-zst", ("simulate", "--trace", "{tmp}/c.csv.zst", "--out", "{tmp}/out"),
         "c.csv.zst", {"c.csv.zst": cut(zst(BIG_CSV))}, "truncated"),
    Case("csv-simulate-span", sim(), "--allow-long-span", {"t.csv": native("9999999999,GET,a,10,")}, "30-day"),
]

TWITTER_CASES = [
    Case("twr-columns", stats("b.twr"), "b.twr:3", {"b.twr": twitter("11,k1,4,100,0,get")}),
    Case("twr-timestamp-text", stats("b.twr"), "b.twr:3", {"b.twr": twitter("x,k1,4,100,0,get,0")}),
    Case("twr-timestamp-negative", stats("b.twr"), "b.twr:3", {"b.twr": twitter("-1,k1,4,100,0,get,0")}),
    Case("twr-timestamp-backwards", stats("b.twr"), "b.twr:3", {"b.twr": twitter("9,k1,4,100,0,get,0")}),
    Case("twr-key-size", stats("b.twr"), "b.twr:3", {"b.twr": twitter("11,k1,70000,100,0,get,0")}),
    Case("twr-value-size-600m", stats("b.twr"), "b.twr:3", {"b.twr": twitter("11,k1,4,600000000,0,set,0")}),
    Case("twr-value-size-int64", stats("b.twr"), "b.twr:3",
         {"b.twr": twitter("11,k1,4,99999999999999999999,0,set,0")}),
    Case("twr-ttl-negative", stats("b.twr"), "b.twr:3", {"b.twr": twitter("11,k1,4,100,0,set,-1")}),
    Case("twr-ttl-absurd", stats("b.twr"), "b.twr:3", {"b.twr": twitter("11,k1,4,100,0,set,9000000000000000")}),
    Case("twr-op", stats("b.twr"), "b.twr:3", {"b.twr": twitter("11,k1,4,100,0,frobnicate,0")}),
    Case("twr-zst-truncated", stats("c.twr.zst"), "c.twr.zst",
         {"c.twr.zst": cut(zst(b"".join(b"%d,k%d,4,100,0,get,0\n" % (i, i) for i in range(50000))))},
         "truncated"),
]

_OG_GOOD = [(100, 1, 10), (101, 2, 20), (102, 1, 10)]
OG = "t.oracleGeneral.bin"
ORACLE_CASES = [
    Case("og-extra-bytes", stats(OG), f"{OG}:4", {OG: oracle(_OG_GOOD, b"\x01\x02\x03")}),
    Case("og-time-backwards", stats(OG), f"{OG}:4", {OG: oracle(_OG_GOOD + [(50, 3, 10)])}),
    Case("og-size-600m", stats(OG), f"{OG}:4", {OG: oracle(_OG_GOOD + [(103, 3, 600_000_000)])}),
    Case("og-size-4g", stats(OG), f"{OG}:4", {OG: oracle(_OG_GOOD + [(103, 3, 2**32 - 1)])}),
    Case("og-random-bytes", stats("r.oracleGeneral"), "r.oracleGeneral:",
         {"r.oracleGeneral": np.random.default_rng(5).integers(0, 256, 24 * 1000, dtype=np.uint8).tobytes()}),
    Case("og-zst-truncated", stats("c.oracleGeneral.zst"), "c.oracleGeneral.zst",
         {"c.oracleGeneral.zst": cut(zst(oracle([(i, i % 50, 10) for i in range(40000)])))}, "truncated"),
    Case("og-simulate-span", ("simulate", "--trace", "{tmp}/" + OG, "--out", "{tmp}/out"), "--allow-long-span",
         {OG: oracle(_OG_GOOD + [(100 + 100 * 86400, 3, 10)])}, "30-day"),
    Case("og-simulate-random", ("simulate", "--trace", "{tmp}/r.oracleGeneral", "--out", "{tmp}/out"),
         "r.oracleGeneral", {"r.oracleGeneral": np.random.default_rng(6).integers(
             0, 256, 24 * 1000, dtype=np.uint8).tobytes()}),
    Case("og-libcachesim-prefix-bad-data", ("trace", "stats", "--no-cache", "oracleGeneral:{tmp}/x.bin"),
         "x.bin:4", {"x.bin": oracle(_OG_GOOD + [(1, 3, 10)])}),
]

LONG_KEY = "k" * 70_000
MONITOR_CASES = [
    Case("mon-malformed", stats("m.monitor"), "m.monitor:3", {"m.monitor": monitor("not a monitor line")}),
    Case("mon-unclosed-quote", stats("m.monitor"), "m.monitor:3",
         {"m.monitor": monitor(MON.format(3) + '"GET" "a')}),
    Case("mon-time-backwards", stats("m.monitor"), "m.monitor:3",
         {"m.monitor": monitor('1699999999.000000 [0 127.0.0.1:1] "GET" "a"')}),
    Case("mon-key-too-long", stats("m.monitor"), "m.monitor:3",
         {"m.monitor": monitor(MON.format(3) + f'"GET" "{LONG_KEY}"')}),
    Case("mon-key-escapes-too-long", stats("m.monitor"), "m.monitor:3",
         {"m.monitor": monitor(MON.format(3) + '"GET" "' + "\\xff" * 66_000 + '"')}),
    Case("mon-zst-truncated", stats("c.monitor.zst"), "c.monitor.zst",
         {"c.monitor.zst": cut(zst(b"".join(b'1700000000.%06d [0 c] "GET" "k%d"\n' % (i, i)
                                            for i in range(60000))))}, "truncated"),
    Case("mon-gz-truncated", stats("c.monitor.gz"), "c.monitor.gz",
         {"c.monitor.gz": cut(gz(b"".join(b'1700000000.%06d [0 c] "GET" "k%d"\n' % (i, i)
                                          for i in range(60000))))}, "cannot read"),
    Case("mon-simulate-backwards", ("simulate", "--trace", "{tmp}/m.monitor", "--out", "{tmp}/out"),
         "m.monitor:3", {"m.monitor": monitor('1600000000.000000 [0 127.0.0.1:1] "GET" "a"')}),
]

PARQUET_CASES = [
    Case("pq-missing-column", stats("p.parquet"), "p.parquet", {"p.parquet": parquet(drop="ttl_ms")}, "missing"),
    Case("pq-not-parquet", stats("p.parquet"), "p.parquet", {"p.parquet": b"PAR1 not really"}),
    Case("pq-time-inf", stats("p.parquet"), "p.parquet:3", {"p.parquet": parquet(time=pa.array([0.0, 1.0, np.inf]))}),
    Case("pq-time-nan", stats("p.parquet"), "p.parquet:2", {"p.parquet": parquet(time=pa.array([0.0, np.nan, 2.0]))}),
    Case("pq-time-backwards", stats("p.parquet"), "p.parquet:3",
         {"p.parquet": parquet(time=pa.array([0.0, 2.0, 1.0]))}),
    Case("pq-time-negative", stats("p.parquet"), "p.parquet:1",
         {"p.parquet": parquet(time=pa.array([-1.0, 2.0, 3.0]))}),
    Case("pq-size-600m", stats("p.parquet"), "p.parquet:2",
         {"p.parquet": parquet(size=pa.array([1, 600_000_000, 1], pa.int64()))}),
    Case("pq-size-negative", stats("p.parquet"), "p.parquet:2",
         {"p.parquet": parquet(size=pa.array([1, -1, 1], pa.int64()))}),
    Case("pq-size-fractional", stats("p.parquet"), "size", {"p.parquet": parquet(size=pa.array([1.5, 2.0, 1.0]))}),
    Case("pq-ttl-negative", stats("p.parquet"), "p.parquet:3",
         {"p.parquet": parquet(ttl_ms=pa.array([0, 0, -5], pa.int64()))}),
    Case("pq-ttl-absurd", stats("p.parquet"), "p.parquet:3",
         {"p.parquet": parquet(ttl_ms=pa.array([0, 0, 2**62], pa.int64()))}),
    Case("pq-null-key", stats("p.parquet"), "p.parquet:2", {"p.parquet": parquet(key=pa.array(["a", None, "b"]))}),
    Case("pq-op", stats("p.parquet"), "p.parquet:1", {"p.parquet": parquet(op=pa.array(["PUT", "GET", "GET"]))}),
    Case("pq-key-too-long", stats("p.parquet"), "p.parquet:2",
         {"p.parquet": parquet(key=pa.array(["a", "é" * 40_000, "b"]))}),
    Case("pq-key-not-utf8", stats("p.parquet"), "p.parquet",
         {"p.parquet": parquet(key=pa.array([b"a", b"\xff\xfe", b"b"], pa.binary()))}),
    Case("pq-simulate-time-inf", ("simulate", "--trace", "{tmp}/p.parquet", "--out", "{tmp}/out"),
         "p.parquet:3", {"p.parquet": parquet(time=pa.array([0.0, 1.0, np.inf]))}),
]

COLUMN_CASES = [
    Case("evtrace-no-meta", stats("c.evtrace"), "c.evtrace", {"c.evtrace/time.npy": b""}, "column trace"),
    Case("evtrace-bad-meta", stats("c.evtrace"), "c.evtrace", {"c.evtrace/meta.json": b"{not json"},
         "column trace"),
]

try:
    import dask.distributed  # noqa: F401
    DASK_OPTION = "--scheduler"
except ImportError:          # without dask the executor itself is refused, before the scheduler
    DASK_OPTION = "--executor"
EXP_TRACE_1500 = csv(*(f"{i / 100:.2f},GET,k{i % 50},100," for i in range(1, 1499)), "99,GET,a,-1,")
OG_LONG = oracle(_OG_GOOD + [(100 + 90 * 86400, 4, 10)])
EXPERIMENT_CASES = [
    Case("exp-not-utf8", run_exp(), "e.yaml:2", {"e.yaml": b"name: e\ndescription: caf\xe9\n"}),
    Case("exp-deep", run_exp(), "e.yaml:3",
         {"e.yaml": b"name: e\nworkload: {generator: zipf}\nx: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"},
         "nesting"),
    Case("exp-deep-mappings", run_exp(), "e.yaml",
         {"e.yaml": b"name: e\nx: " + b"{a: " * 5000 + b"1" + b"}" * 5000 + b"\n"}, "nesting"),
    Case("exp-alias-bomb", run_exp(), "e.yaml", {"e.yaml": alias_bomb()}, "alias"),
    Case("exp-aliases-nest-deep", run_exp(), "e.yaml", {"e.yaml": "\n".join(
        f"a{i}: &a{i} " + "[" * 90 + (f"*a{i - 1}" if i else "1") + "]" * 90 for i in range(12)).encode()},
        "aliases expanded"),
    Case("exp-python-tag", run_exp(), "e.yaml:5",
         {"e.yaml": experiment("redis: !!python/object/apply:os.system [ls]\n")}, "tags"),
    Case("exp-str-tag", run_exp(), "e.yaml:6", {"e.yaml": experiment("redis:\n  hz: !!str 10\n")}, "tags"),
    Case("exp-custom-tag-sequence", run_exp(), "e.yaml:6",
         {"e.yaml": experiment("sweep:\n  redis.hz: !seq [1, 2]\n")}, "tags"),
    Case("exp-recursive-alias", run_exp(), "e.yaml:5", {"e.yaml": experiment("description: &d [*d]\n")},
         "alias"),
    Case("exp-mapping-key", run_exp(), "e.yaml:5", {"e.yaml": experiment("? {a: 1}\n: 2\n")}, "plain key"),
    Case("exp-base-overridden-size", run_exp(), "e.yaml:6",
         {"e.yaml": experiment("redis:\n  maxmemory: 12zz\nsweep:\n  redis.maxmemory: [1mb, 2mb]\n")},
         "redis.maxmemory"),
    Case("exp-base-overridden-hz", run_exp(), "e.yaml:6",
         {"e.yaml": experiment("redis:\n  hz: 0\nsweep:\n  redis.hz: [10, 20]\n")}, "redis.hz"),
    Case("exp-base-overridden-keys", run_exp(), "e.yaml:4",
         {"e.yaml": b"name: e\nworkload:\n  generator: zipf\n  keys: -5\nsweep:\n  workload.keys: [10, 20]\n"},
         "workload.keys"),
    Case("exp-maxmemory-int64", run_exp(), "e.yaml:6",
         {"e.yaml": experiment("redis:\n  maxmemory: 99999999999tb\n")}, "redis.maxmemory"),
    Case("exp-sample-interval-inf", run_exp(), "e.yaml:6",
         {"e.yaml": experiment("redis:\n  sample-interval: .inf\n")}, "redis.sample-interval"),
    Case("exp-batch-interval-nan", run_exp(), "e.yaml:6",
         {"e.yaml": experiment("redis:\n  batch-interval: .nan\n")}, "redis.batch-interval"),
    Case("exp-swept-bad-size", run_exp(), "e.yaml:8",
         {"e.yaml": experiment("sweep:\n  redis.maxmemory:\n    - 1mb\n    - 2zz\n")}, "redis.maxmemory"),
    Case("exp-keys-10**30", run_exp(), "e.yaml:3",
         {"e.yaml": f"name: e\nworkload:\n  keys: {10**30}\n  generator: zipf\n".encode()}, "workload.keys"),
    Case("exp-value-size-1gb", run_exp(), "e.yaml:3",
         {"e.yaml": b"name: e\nworkload:\n  value-size: 1073741824\n  generator: zipf\n"}, "workload.value-size"),
    Case("exp-trace-bad-line-1500", run_exp(), "t.csv:1500",
         {"t.csv": EXP_TRACE_1500, "e.yaml": experiment("sweep:\n  redis.maxmemory: [1mb, 2mb]\n", "t.csv")}),
    Case("exp-trace-truncated-zst", run_exp(), "t.csv.zst",
         {"t.csv.zst": cut(zst(BIG_CSV)), "e.yaml": experiment("", "t.csv.zst")}, "truncated"),
    Case("exp-trace-missing", run_exp(), "e.yaml:3", {"e.yaml": experiment("", "nope.csv")}, "workload.trace"),
    Case("exp-trace-format", run_exp(), "e.yaml:4",
         {"t.csv": native(), "e.yaml": b"name: e\nworkload:\n  trace: t.csv\n  format: csv2\n"}, "workload.format"),
    Case("exp-trace-span", run_exp(), "--allow-long-span",
         {OG: OG_LONG, "e.yaml": experiment("", OG)}, "30-day"),
    Case("exp-generator-span", run_exp(), "--allow-long-span",
         {"e.yaml": b"name: e\nworkload:\n  generator: zipf\n  rate: 0.0001\n  requests: 1000\n"}, "30-day"),
    Case("exp-scheduler-local", run_exp("e.yaml", "--scheduler", "tcp://127.0.0.1:1"), "--scheduler",
         {"e.yaml": experiment("")}, "needs --executor dask"),
    Case("exp-scheduler-unreachable", run_exp("e.yaml", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"),
         DASK_OPTION, {"e.yaml": experiment("")}),
    Case("exp-scheduler-not-an-address", run_exp("e.yaml", "--executor", "dask", "--scheduler", "10.0.0.5"),
         DASK_OPTION, {"e.yaml": experiment("")}),
    Case("exp-out-is-a-file", ("run", "{tmp}/e.yaml", "--out", "{tmp}/afile"), "--out",
         {"e.yaml": experiment(""), "afile": b"x"}),
    Case("exp-out-inside-a-file", ("run", "{tmp}/e.yaml", "--out", "{tmp}/afile/sub"), "--out",
         {"e.yaml": experiment(""), "afile": b"x"}),
    Case("exp-workers-zero", run_exp("e.yaml", "--workers", "0"), "--workers", {"e.yaml": experiment("")}),
    Case("exp-executor", run_exp("e.yaml", "--executor", "slurm"), "--executor", {"e.yaml": experiment("")},
         "choose"),
    Case("exp-missing", run_exp("none.yaml"), "none.yaml", {}, "cannot read"),
    Case("exp-is-a-folder", run_exp("d.yaml"), "d.yaml", {"d.yaml/x": b""}, "cannot read"),
    Case("exp-empty", run_exp(), "e.yaml", {"e.yaml": b""}),
    Case("exp-list", run_exp(), "e.yaml", {"e.yaml": b"- a\n- b\n"}),
    Case("exp-replications-zero", run_exp(), "e.yaml:5", {"e.yaml": experiment("replications: 0\n")}),
    Case("exp-seed-negative", run_exp(), "e.yaml:5", {"e.yaml": experiment("seed: -1\n")}),
    Case("exp-seed-huge", run_exp(), "e.yaml:5", {"e.yaml": experiment(f"seed: {2**64}\n")}),
    Case("exp-target-above-1", run_exp(), "e.yaml:6",
         {"e.yaml": experiment("report:\n  target-hit-ratio: 1.5\n")}, "report.target-hit-ratio"),
    Case("exp-target-nan", run_exp(), "e.yaml:6",
         {"e.yaml": experiment("report:\n  target-hit-ratio: .nan\n")}, "report.target-hit-ratio"),
    Case("exp-timeseries-format", run_exp(), "e.yaml:6",
         {"e.yaml": experiment("output:\n  timeseries: xml\n")}, "output.timeseries"),
    Case("exp-unknown-plot", run_exp(), "e.yaml:6", {"e.yaml": experiment("plots:\n  - pie\n")}, "plots"),
    Case("exp-generator-param", run_exp(), "e.yaml:5",
         {"e.yaml": experiment("").replace(b"requests: 1000\n", b"requests: 1000\n  alphaa: 1\n")},
         "workload.alphaa"),
]


def _old_experiment_cases() -> list[Case]:
    """The bad experiment files of tests/data/experiments (each says ``# expect: FILE:LINE: ...``)."""
    cases = []
    for path in sorted(OLD_EXPERIMENTS.glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        if not first.startswith("# expect: "):
            continue
        where = first.removeprefix("# expect: ").split(": ", 1)[0]
        files = {path.name: path.read_bytes(), "tiny.csv": (OLD_EXPERIMENTS / "tiny.csv").read_bytes()}
        cases.append(Case(f"old-{path.stem}", run_exp(path.name), where, files, ""))
    return cases


# Partitions files (issue 12) are built by another engineer: their bad inputs (overlapping or empty
# rules, slot ranges that do not cover 0-16383, a partition without maxmemory where the policy needs
# one, a --rewrite-keys pattern that does not parse) go here, as Case rows like the ones above, e.g.
#   Case("partitions-overlap", sim("--partitions", "{tmp}/p.yaml"), "p.yaml:4", {"p.yaml": b"..."})
def partitions(name: str = "p.yaml") -> tuple[str, ...]:
    return sim("--partitions", "{tmp}/" + name)


PARTITION_CASES: list[Case] = [
    Case("partitions-empty", partitions(), "p.yaml:1", {**T, "p.yaml": b"partitions: []\n"}),
    Case("partitions-bad-size", partitions(), "p.yaml:4",
         {**T, "p.yaml": b'partitions:\n  - name: a\n    match: "*"\n    redis: {maxmemory: 12zz}\n'}),
    Case("partitions-bad-regex", partitions(), "p.yaml:3",
         {**T, "p.yaml": b'partitions:\n  - name: a\n    regex: "(["\n'}, "does not parse"),
    Case("partitions-tag", partitions(), "p.yaml:2",
         {**T, "p.yaml": b'partitions:\n  - !!python/object:x {name: a}\n'}, "tags"),
    Case("partitions-alias-bomb", partitions(), "p.yaml", {**T, "p.yaml": alias_bomb()}, "alias"),
    Case("partitions-missing", partitions("none.yaml"), "none.yaml", T, "cannot read"),
]

CASES = (CLI_CASES + GENERATOR_CASES + SPEC_CASES + NATIVE_CASES + TWITTER_CASES + ORACLE_CASES
         + MONITOR_CASES + PARQUET_CASES + COLUMN_CASES + EXPERIMENT_CASES + _old_experiment_cases()
         + PARTITION_CASES)


def test_the_corpus_is_large_and_its_ids_unique():
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)


def _write_files(folder: Path, files: Files) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        status = main(argv)
    except SystemExit as exc:   # argparse exits itself (with its one-line parser)
        status = exc.code
    return status, capsys.readouterr().err


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EVICTSIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2_nothing_written(case, tmp_path, capsys):
    folder = tmp_path / "case"
    folder.mkdir()
    _write_files(folder, case.files)
    before = {p for p in folder.rglob("*")}
    argv = [a.replace("{tmp}", str(folder)) for a in case.argv]
    status, err = run_cli(argv, capsys)
    lines = err.splitlines()
    assert status == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert case.where in lines[0], lines[0]
    assert case.expected in lines[0], lines[0]
    out = folder / "out"
    assert not out.exists() or not any(out.iterdir()), sorted(out.rglob("*"))
    assert not [p for p in folder.rglob("*") if p not in before and p != out], "files written beside --out"


# ---- what the corpus cannot show: good spellings, counts, processes ----------------------------------

def test_libcachesim_format_spelling_is_accepted(tmp_path, capsys):
    src = tmp_path / "t.csv"
    src.write_bytes(native())
    assert main(["trace", "convert", str(src), f"oracleGeneral:{tmp_path}/out/t.bin"]) == 0
    assert (tmp_path / "out" / "t.bin").stat().st_size == 3 * 24
    assert not (tmp_path / "oracleGeneral:").exists()
    assert main(["trace", "stats", "--json", "--no-cache", f"oracleGeneral:{tmp_path}/out/t.bin"]) == 0
    assert json.loads(capsys.readouterr().out)["requests"] == 3


def test_monitor_commands_redis_rejects_are_skipped_counted_and_the_first_named(tmp_path, capsys):
    from evictsim.traces import open_trace
    from evictsim.traces.cache import skipped_of
    path = tmp_path / "m.monitor"
    path.write_bytes(monitor(MON.format(3) + '"SET" "k"', MON.format(4) + '"SET" "k" "v" "EX" "abc"',
                             MON.format(5) + '"SETEX" "k" "-5" "v"', MON.format(6) + '"SET" "k" "v" "PX" "0"',
                             MON.format(7) + '"SET" "k" "v" "PX" "1"', MON.format(8) + '"PSETEX" "k" "0" "v"'))
    trace = open_trace(path, cache=False)
    requests = sum(len(c) for c in trace.chunks())
    assert requests == 3           # the two good lines and PX 1 (a 1 ms TTL, as Redis keeps it)
    report = skipped_of(trace)
    assert report["rejected_commands"] == {"count": 5, "first": f"{path}:3: SET: wrong number of arguments"}
    assert report["skipped_commands"] == {"SET (rejected: wrong number of arguments)": 1,
                                          "SET (rejected: value is not an integer or out of range)": 1,
                                          "SET (rejected: invalid expire time)": 1,
                                          "SETEX (rejected: invalid expire time)": 1,
                                          "PSETEX (rejected: invalid expire time)": 1}
    assert main(["simulate", "--trace", str(path), "--out", str(tmp_path / "o"), "--no-plots"]) == 0
    err = capsys.readouterr().err
    assert "skipped 5 command(s) Redis would reject; first: " in err and "m.monitor:3" in err


def test_monitor_key_length_is_bytes_for_raw_utf8_and_escapes(tmp_path):
    from evictsim.traces import open_trace
    path = tmp_path / "u.monitor"
    path.write_bytes(monitor(MON.format(3) + '"GET" "\\xc3\\xa9t\\xc3\\xa9"') + (MON.format(4) + '"GET" "été"\n').encode())
    trace = open_trace(path, cache=False)
    chunk = next(iter(trace.chunks()))
    assert list(chunk.key_len[-2:]) == [5, 5] and chunk.key[-1] == chunk.key[-2]   # same 5 bytes
    assert trace.key_namer.names_for(chunk.key[-1:]).to_pylist() == ["été"]


def test_long_span_is_refused_before_the_run_and_allowed_on_request(tmp_path):
    from evictsim.traces import open_trace
    from evictsim.traces.span import MAX_SPAN_S, estimated_span, limit_span
    path = tmp_path / OG
    path.write_bytes(OG_LONG)
    trace = open_trace(path, cache=False)
    assert estimated_span(trace) == 90 * 86400 > MAX_SPAN_S        # two 24-byte reads, no parse
    with pytest.raises(UserInputError, match="--allow-long-span"):
        limit_span(trace)
    assert limit_span(trace, allow=True) is trace
    short = tmp_path / "short.csv"         # a text trace: caught in the chunk that crosses the limit
    short.write_bytes(native(f"{MAX_SPAN_S + 1},GET,z,1,"))
    guarded = limit_span(open_trace(short, cache=False))
    with pytest.raises(UserInputError, match="30-day limit"):
        list(guarded.chunks())
    assert sum(len(c) for c in limit_span(open_trace(short, cache=False), allow=True).chunks()) == 4


def test_stale_parse_cache_temp_folders_are_removed(tmp_path, monkeypatch):
    from evictsim.traces import cache, open_trace
    root = tmp_path / "cache"
    root.mkdir()
    monkeypatch.setenv("EVICTSIM_CACHE_DIR", str(root))
    monkeypatch.setattr(cache, "_swept", set())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(dead.stdout)
    stale = root / f".t-0123.evtrace.{dead_pid}.1.tmp"
    young = root / f".t-4567.evtrace.{dead_pid}.1.tmp"
    alive = root / f".t-89ab.evtrace.{os.getpid()}.1.tmp"
    for folder in (stale, young, alive):
        folder.mkdir()
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(alive, (old, old))
    src = tmp_path / "t.csv"
    src.write_bytes(native())
    list(open_trace(src).chunks())
    assert not stale.exists() and young.exists() and alive.exists()


_ORPHAN = r"""
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "from evictsim.experiments.executors import die_with_parent; import time; die_with_parent(); "
    "print('ready', flush=True); time.sleep(120)"], stdout=subprocess.PIPE, text=True)
assert child.stdout.readline().strip() == "ready"
print(child.pid, flush=True)
time.sleep(120)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return True
    return state == "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_dies_when_its_parent_is_sigkilled():
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN], stdout=subprocess.PIPE, text=True,
                              cwd=REPO)
    try:
        worker = int(parent.stdout.readline())
        assert not _gone(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        for _ in range(200):            # the kernel delivers SIGKILL at once; allow a loaded machine
            if _gone(worker):
                break
            time.sleep(0.05)
        assert _gone(worker)
    finally:
        parent.kill()


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().split(")")[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_run_leaves_no_pool_worker(tmp_path):
    exp = tmp_path / "e.yaml"
    exp.write_text("name: e\nworkload:\n  generator: zipf\n  requests: 5000000\nsweep:\n"
                   "  redis.maxmemory: [1mb, 2mb, 3mb, 4mb]\n")
    runner = subprocess.Popen([sys.executable, "-m", "evictsim", "run", str(exp), "--workers", "2",
                               "--no-progress", "--no-report", "--out", str(tmp_path / "out")],
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        for _ in range(600):       # until two workers have started (imports done, initializer run)
            workers = [p for p in _children(runner.pid) if _cpu_seconds(p) > 2.0]
            if len(workers) >= 2:
                break
            time.sleep(0.1)
        assert len(workers) >= 2
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        for _ in range(200):
            if all(_gone(p) for p in workers):
                break
            time.sleep(0.05)
        assert all(_gone(p) for p in workers)
    finally:
        runner.kill()
        for pid in workers:          # a failing run must not leave them behind either
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


# ---- properties: the parsers of user values fail only with a user error ---------------------------

@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.integers(min_value=-2**70, max_value=2**70),
                 st.from_regex(r"\d{1,25}(\.\d{1,5})?\s*(k|kb|m|mb|g|gb|t|tb)?", fullmatch=True)))
def test_a_size_is_an_int64_or_a_user_error(value):
    from evictsim.units import parse_size
    try:
        size = parse_size(value, source="--maxmemory")
    except UserInputError as exc:
        assert str(exc).startswith("--maxmemory: expected")
    else:
        assert isinstance(size, int) and 0 <= size <= 2**63 - 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["EX", "PX", "EXAT", "PXAT", "NX", "XX", "KEEPTTL", "GET", "0", "1", "-5",
                                 "abc", "99999999999999999999", "9223372036854775807", ""]), max_size=5),
       st.sampled_from(["SET", "SETEX", "PSETEX", "GET", "MSET", "DEL", "SETNX", "GETSET", "MGET"]))
def test_a_monitor_command_makes_requests_or_is_counted_never_raises(args, command):
    from collections import Counter

    from evictsim.traces.monitor_parse import RejectedCommands, parse_line, request_rows
    quoted = "".join(f' "{a}"' for a in ["k", *args])
    parsed = parse_line(f'1700000000.000001 [0 c] "{command}"{quoted}'.encode())
    rows, skipped, rejected = [], Counter(), RejectedCommands("m.monitor")
    made = request_rows(parsed, (1700000000, 0), rows, skipped, rejected, 7)
    assert made == bool(rows) and made != bool(skipped)
    assert all(row[4] >= 0 and row[3] >= 0 for row in rows)      # no negative TTL or size reaches a chunk
    if rejected.count:
        assert rejected.first.startswith(f"m.monitor:7: {command}: ")


@pytest.mark.parametrize("name,content", [
    ("u.csv", lambda p: p.write_bytes(csv("0,GET,été,10,", "1,GET,a,10,"))),
    ("u.csv.zst", lambda p: p.write_bytes(zst(csv("0,GET,été,10,", "1,GET,a,10,")))),
    ("u.parquet", parquet(key=pa.array(["été", "a", "été"]))),
    ("u.monitor", lambda p: p.write_bytes((MON.format(1) + '"GET" "été"\n' + MON.format(2) + '"GET" "a"\n').encode())),
])
def test_non_ascii_keys_are_counted_in_bytes_in_every_reader(name, content, tmp_path):
    from evictsim.traces import open_trace
    path = tmp_path / name
    content(path)
    chunk = next(iter(open_trace(path, cache=False).chunks()))
    assert chunk.key_len[0] == len("été".encode()) == 5 and chunk.key_len[1] == 1


def test_a_value_near_2_gib_from_the_api_is_refused_before_the_kernel():
    import evictsim
    from evictsim.traces.base import RequestChunk
    chunk = RequestChunk(time=np.array([0.0, 1.0]), op=np.array([1, 0], np.uint8), key=np.zeros(2, np.int32),
                         key_len=np.full(2, 3, np.uint16), size=np.array([1_879_048_192, 0], np.int64),
                         ttl_ms=np.zeros(2, np.int64))
    with pytest.raises(UserInputError, match="size: expected value sizes in 0..536870912"):
        evictsim.simulate(chunk, config={"maxmemory": "10gb"})


def test_belady_on_a_stream_that_gives_its_requests_only_once_is_a_user_error():
    # engine/future.py reads the trace before the run; a Trace that breaks the contract (chunks() the
    # same each time) by being one-shot is caught when the run's requests do not match that read
    import evictsim
    from conftest import make_chunk

    class OneShot:
        name, fill, n_keys_hint = "stream", "look-aside", None

        def __init__(self):
            self.left = [make_chunk(200, 20, seed=3)]

        def chunks(self, chunk_size=1 << 20):
            while self.left:
                yield self.left.pop()

    with pytest.raises(UserInputError, match="gave 200 requests when read for it and 0 when simulated"):
        evictsim.simulate(OneShot(), maxmemory="2mb", policy="belady")
