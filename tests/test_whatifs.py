"""What-ifs on captured traces: key rewrites (bytes saved as the byte model's step function, hash
collisions counted), time compression and key splitting, on simulate, trace convert and run."""
from __future__ import annotations

import json

import numpy as np
import pytest

import evictsim
from evictsim.cli import main
from evictsim.keyspace.memory import key_bytes_array
from evictsim.traces import open_trace
from evictsim.traces.rewrite import RewrittenKeys, ScaledKeys, ScaledRate, parse_rewrite

LINES = ["time,op,key,size,ttl"] + [f"{i * 0.01:.6f},GET,user:profile:{i % 40:06d},100," for i in range(2000)]


@pytest.fixture
def trace_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\n".join(LINES) + "\n")
    return path


def _requests(trace):
    from evictsim.traces.base import RequestChunk
    return RequestChunk.concat([c.normalized() for c in trace.chunks()])


def test_replacing_a_prefix_shortens_every_key_and_saves_what_the_byte_model_says(trace_file, tmp_path):
    original = open_trace(trace_file, cache=False)
    short = RewrittenKeys(open_trace(trace_file, cache=False), parse_rewrite("replace:user:profile:=u:"))
    before, after = _requests(original), _requests(short)
    assert np.array_equal(before.key, after.key) and short.collisions == 0
    assert set(after.key_len.tolist()) == {len("u:000001")}
    assert set(before.key_len.tolist()) == {len("user:profile:000001")}
    assert short.key_names[0] == "u:" + LINES[1].split(",")[2].split(":")[-1]
    full = evictsim.simulate(original, maxmemory=0, policy="noeviction").summary["used_memory"]
    small = evictsim.simulate(short, maxmemory=0, policy="noeviction").summary["used_memory"]
    per_key = (key_bytes_array(np.array([19]), np.array([100]), np.array([False]))
               - key_bytes_array(np.array([8]), np.array([100]), np.array([False])))[0]
    assert full - small == 40 * per_key          # 19 → 8 bytes: the key sds drops one size class


def test_hashing_to_few_bytes_merges_keys_and_counts_the_collisions(trace_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["simulate", "--trace", str(trace_file), "--rewrite-keys", "hash:1", "--out", str(out),
                 "--no-plots"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    hashed = RewrittenKeys(open_trace(trace_file, cache=False), parse_rewrite("hash:1"))
    distinct = len(set(_requests(hashed).key.tolist()))
    assert distinct <= 16 and summary["rewrite_keys_collisions"] == 40 - distinct > 0
    assert summary["keys"] == distinct
    assert "collision" in capsys.readouterr().out


def test_truncating_keys_merges_those_sharing_a_prefix(trace_file):
    cut = RewrittenKeys(open_trace(trace_file, cache=False), parse_rewrite("truncate:18"))
    # 18 bytes keep "user:profile:0000" and one more digit: 4 keys left of 40
    assert len(set(_requests(cut).key.tolist())) == 4 and cut.collisions == 36


def test_scale_rate_compresses_time_and_scale_keys_splits_each_key_evenly(trace_file):
    base = _requests(open_trace(trace_file, cache=False))
    fast = _requests(ScaledRate(open_trace(trace_file, cache=False), 2.0))
    assert np.allclose(fast.time * 2, base.time) and np.array_equal(fast.key, base.key)
    split = ScaledKeys(open_trace(trace_file, cache=False), 3, seed=1)
    many = _requests(split)
    assert len(many) == len(base) and many.max_key + 1 == 120
    counts = np.bincount(many.key)
    assert counts.min() > 0.5 * counts.mean()              # every copy gets about a third of its key
    assert split.key_names[0] in (LINES[1].split(",")[2], LINES[1].split(",")[2] + "~1",
                                  LINES[1].split(",")[2] + "~2")


def test_trace_convert_writes_the_rewritten_trace(trace_file, tmp_path):
    out = tmp_path / "short.csv"
    assert main(["trace", "convert", str(trace_file), str(out), "--rewrite-keys", "strip:user:"]) == 0
    assert out.read_text().splitlines()[1].split(",")[2].startswith("profile:")


@pytest.mark.parametrize("spec", ["prefix:x", "replace:nothing", "truncate:0", "hash:x", "strip:",
                                  "nonsense"])
def test_a_rewrite_pattern_that_does_not_parse_is_a_one_line_error_naming_the_option(trace_file, tmp_path,
                                                                                    capsys, spec):
    assert main(["simulate", "--trace", str(trace_file), "--rewrite-keys", spec,
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--rewrite-keys" in err


def test_run_applies_what_ifs_to_every_run_and_refuses_to_mix_them_in_one_folder(tmp_path, capsys):
    exp = tmp_path / "e.yaml"
    exp.write_text("name: w\nworkload: {generator: zipf, keys: 2000, requests: 5000, rate: 1000}\n"
                   "redis: {maxmemory: 0}\nplots: [hit_ratio_over_time]\n")
    out = tmp_path / "out"
    assert main(["run", str(exp), "--out", str(out), "--workers", "1", "--no-report", "--no-progress",
                 "--scale-keys", "2"]) == 0
    summary = json.loads(next((out / "runs").glob("*/summary.json")).read_text())
    plain = evictsim.simulate(_zipf_trace(), maxmemory=0).summary
    assert summary["keys"] > plain["keys"]
    assert main(["run", str(exp), "--out", str(out), "--workers", "1", "--no-report", "--no-progress"]) == 2
    assert "--out" in capsys.readouterr().err


def _zipf_trace():
    from evictsim.experiments.sweep import derive_seed
    from evictsim.workloads import build_workload
    return build_workload("zipf", {"keys": 2000, "requests": 5000, "rate": 1000}, seed=derive_seed(0, 0))
