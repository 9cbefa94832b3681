"""Replay every reference run of a real Redis 7.0.15 (the repository's ``tests/data/reference``)
through the simulator and compare, metric by metric: shared by the fidelity test and
``benchmarks/fidelity.py`` (so neither imports the other's folder)."""
from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import evictsim

REF = Path(__file__).resolve().parents[2] / "tests" / "data" / "reference"
RUNS = json.loads((REF / "redis-7.0.15" / "runs.json").read_text())
START_TIMES = json.loads((REF / "redis-7.0.15" / "start_times.json").read_text())
LIMITS = json.loads((REF / "redis-7.0.15" / "limits.json").read_text())
# The replay settings of every reference run (tests/data/reference/README.md).
REPLAY_CONFIG = {"maxmemory-samples": 5, "hz": 10, "lfu-log-factor": 10, "lfu-decay-time": 1}


def load_outcomes(run: str) -> np.ndarray:
    with gzip.open(REF / "redis-7.0.15" / f"{run}.outcomes.npy.gz", "rb") as fh:
        return np.load(io.BytesIO(fh.read()))


@dataclass
class Comparison:
    run: str
    real: dict
    sim: dict
    agreement: float

    @property
    def hit_pp(self) -> float:
        return 100 * (self.sim["hit_ratio"] - self.real["hit_ratio"])

    def rel(self, key: str) -> float | None:
        r = self.real[key]
        return None if r == 0 else (self.sim[key] - r) / r


def run_reference(run: str, *, seed: int = 0) -> Comparison:
    info = RUNS[run]
    trace = REF / "traces" / f"{info['trace']}.csv.gz"
    res = evictsim.simulate(str(trace), maxmemory=info["maxmemory"], policy=info["policy"],
                            start_time=START_TIMES[run], seed=seed, record_outcomes=True,
                            config=dict(REPLAY_CONFIG))
    ref_out = load_outcomes(run)
    tot, fin = info["totals"], info["final_info"]
    real = {"hit_ratio": tot["hit_ratio"], "evicted_keys": fin["evicted_keys"],
            "expired_keys": fin["expired_keys"], "expired_keys_lazy": tot["expired_lazy_on_access"],
            "expired_keys_active": fin["expired_keys"] - tot["expired_lazy_on_access"],
            "used_memory": tot["final_used_memory"], "used_memory_peak": tot["peak_used_memory"],
            "rejected_writes": tot["oom_errors"], "keys": tot["final_db0_keys"]}
    s = res.summary
    sim = {k: s[k] for k in real}
    gets = np.isin(ref_out, [0, 1, 2, 3, 4])
    sim_hit = res.outcomes[gets] == 1
    agreement = float(np.mean(sim_hit == (ref_out[gets] == 1)))
    return Comparison(run, real, sim, agreement)


def format_table(rows: list[Comparison]) -> str:
    head = ("| run | hit ratio real | sim | Δ pp | evicted Δ% | expired real/sim (lazy) | used_memory Δ% "
            "| peak Δ% | OOM real/sim | per-GET agreement |\n|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    lines = [head]
    for c in rows:
        ev = c.rel("evicted_keys")
        lines.append(
            f"| {c.run} | {c.real['hit_ratio']:.5f} | {c.sim['hit_ratio']:.5f} | {c.hit_pp:+.3f} | "
            f"{'' if ev is None else f'{100 * ev:+.2f}'} | {c.real['expired_keys']} ({c.real['expired_keys_lazy']}) / "
            f"{c.sim['expired_keys']} ({c.sim['expired_keys_lazy']}) | {100 * c.rel('used_memory'):+.3f} | "
            f"{100 * c.rel('used_memory_peak'):+.3f} | {c.real['rejected_writes']}/{c.sim['rejected_writes']} | "
            f"{100 * c.agreement:.1f}% |")
    return "\n".join(lines)
