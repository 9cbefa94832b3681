"""The jemalloc model in a whole run against a real Redis 7.0.15's 1-s INFO series (issue 11, acceptance 1).

A reference run is simulated end to end with ``allocator-model jemalloc``, its own policy, maxmemory
and start time, and the run's own sample 0 as the initial condition (the empty server's allocator
figures and RSS: measured, not fitted). The model's cron samples are then read at the real samples'
whole seconds after the first ``SKIP_S``: relative error of ``allocator_active``, ``used_memory_rss``
and ``allocator_allocated``, absolute error of ``allocator_frag_ratio`` (active / allocated, unrounded on
both sides) and ``mem_fragmentation_ratio``, and whether RSS stays flat where real RSS stays flat.
Shared by ``tests/test_allocator_fidelity.py`` and ``benchmarks/fidelity_allocator.py``.

A reference directory holds ``redis-7.0.15/`` and ``traces/``: the repository's ``tests/data/reference``
(runs in ``runs.json`` with a reduced series, plus whole ``frag_*`` run files) or a full one with one
``<run>.json`` per run. Trace files are found through ``traces/manifest.json``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import evictsim
from evictsim.validate.reference_runs import REF, REPLAY_CONFIG

FRAG_RUNS = ("frag_resize__noeviction__nolimit", "frag_delrefill__noeviction__nolimit")
SKIP_S = 10                      # the issue compares after the first 10 s
FLAT_BYTES = 256 * 1024          # a 1-s RSS step under this counts as flat
FLAT_STRETCH_STEPS = 2           # real RSS unchanged this many 1-s steps in a row: it "stays flat"
SERIES = ("t_nominal", "used_memory", "used_memory_rss", "allocator_allocated", "allocator_active",
          "allocator_resident")
TICKS = ("allocator_allocated", "allocator_active", "allocator_resident", "used_memory_rss", "used_memory")


@dataclass
class ReferenceRun:
    name: str
    trace: Path
    policy: str
    maxmemory: int
    start_time: float
    series: dict[str, np.ndarray]


def run_names(reference: Path = REF) -> list[str]:
    """Every run with a 1-s series: ``runs.json``'s and each ``<trace>__<policy>__<limit>.json``."""
    folder = reference / "redis-7.0.15"
    names = set(_runs_json(folder))
    names.update(p.stem for p in folder.glob("*__*.json"))
    return sorted(names)


def load_run(name: str, reference: Path = REF) -> ReferenceRun:
    folder = reference / "redis-7.0.15"
    whole = folder / f"{name}.json"
    info = json.loads(whole.read_text()) if whole.exists() else _runs_json(folder)[name]
    manifest = json.loads((reference / "traces" / "manifest.json").read_text())
    starts = json.loads((folder / "start_times.json").read_text())
    return ReferenceRun(name, reference / manifest[info["trace"]]["file"], info["policy"],
                        int(info.get("maxmemory") or 0), float(starts[name]),
                        {k: np.asarray(info["series"][k]) for k in SERIES})


def _runs_json(folder: Path) -> dict:
    path = folder / "runs.json"
    return json.loads(path.read_text()) if path.exists() else {}


def simulate(run: ReferenceRun, quantum: int = 16) -> tuple[dict[str, np.ndarray], float]:
    """The run simulated with ``allocator-model jemalloc``: its time series as ticks, and simulate_s."""
    s = run.series
    config = {**REPLAY_CONFIG, "jemalloc-quantum": quantum, "allocator-model": "jemalloc",
              "allocator-base-allocated": int(s["allocator_allocated"][0]),
              "allocator-base-active": int(s["allocator_active"][0]),
              "allocator-base-resident": int(s["allocator_resident"][0]),
              "process-baseline-rss": int(s["used_memory_rss"][0] - s["allocator_resident"][0])}
    result = evictsim.simulate(str(run.trace), maxmemory=run.maxmemory, policy=run.policy,
                               start_time=run.start_time, config=config)
    ts = result.timeseries
    ticks = {"t_s": ts["time"], "requests": ts["requests"], **{c: ts[c] for c in TICKS}}
    return ticks, float(result.summary["timing"]["simulate_s"])


def at_real_samples(series: dict, ticks: dict) -> tuple[dict, dict]:
    """Real samples after ``SKIP_S`` and the model's sample at (or just after) each one's time."""
    keep = series["t_nominal"] >= SKIP_S
    idx = np.searchsorted(ticks["t_s"], series["t_nominal"][keep] - 1e-9)
    real = {k: series[k][keep].astype(float) for k in TICKS}
    model = {k: ticks[k][idx].astype(float) for k in TICKS}
    return real, model


def compare(series: dict, ticks: dict) -> dict:
    """(mean, worst) of each error; the flat stretches of real RSS and the model's widest move over one;
    the 1-s steps where each side's RSS falls."""
    real, model = at_real_samples(series, ticks)
    out: dict = {}
    for field in ("allocator_active", "used_memory_rss", "allocator_allocated"):
        rel = np.abs(model[field] - real[field]) / real[field]
        out[field] = (float(rel.mean()), float(rel.max()))
    for field, num, den in (("allocator_frag_ratio", "allocator_active", "allocator_allocated"),
                            ("mem_fragmentation_ratio", "used_memory_rss", "used_memory")):
        err = np.abs(model[num] / model[den] - real[num] / real[den])
        out[field] = (float(err.mean()), float(err.max()))
    real_rss, model_rss = real["used_memory_rss"], model["used_memory_rss"]
    real_flat = np.abs(np.diff(real_rss)) < FLAT_BYTES
    out["rss_flat_agreement"] = float(np.mean(real_flat == (np.abs(np.diff(model_rss)) < FLAT_BYTES)))
    stretches = flat_stretches(real_rss)
    out["rss_flat_stretches"] = len(stretches)
    out["rss_flat_worst_model_move"] = max((float(np.ptp(model_rss[a:b + 1])) for a, b in stretches), default=0.0)
    out["rss_falls_real"], out["rss_falls_model"] = rss_falls(real_rss), rss_falls(model_rss)
    return out


def flat_stretches(rss: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) sample of each run of ``FLAT_STRETCH_STEPS`` or more 1-s steps where RSS does not
    change at all (real RSS moves in 128 KiB steps: one still second in a growth phase is no stretch)."""
    still = np.append(np.diff(rss) == 0, False)
    out, start = [], None
    for i, s in enumerate(still):
        if s and start is None:
            start = i
        elif not s and start is not None:
            if i - start >= FLAT_STRETCH_STEPS:
                out.append((start, i))
            start = None
    return out


def rss_falls(rss: np.ndarray) -> list[int]:
    """Indices of the 1-s steps where RSS falls by ``FLAT_BYTES`` or more."""
    return [int(i) for i in np.flatnonzero(np.diff(rss) <= -FLAT_BYTES)]


def falls_within_1_s(real: list[int], model: list[int]) -> bool:
    """Every fall on either side has one on the other side at most one 1-s sample away."""
    near = lambda i, other: any(abs(i - j) <= 1 for j in other)
    return all(near(i, model) for i in real) and all(near(i, real) for i in model)


def format_row(name: str, r: dict, elapsed: str = "") -> str:
    pct = lambda v: f"{100 * v[0]:.2f}% / {100 * v[1]:.2f}%"
    return (f"| {name} | {pct(r['allocator_active'])} | {pct(r['used_memory_rss'])} | "
            f"{pct(r['allocator_allocated'])} | {r['allocator_frag_ratio'][0]:.3f} / "
            f"{r['allocator_frag_ratio'][1]:.3f} | {r['mem_fragmentation_ratio'][0]:.3f} / "
            f"{r['mem_fragmentation_ratio'][1]:.3f} | {100 * r['rss_flat_agreement']:.0f}% | "
            f"{r['rss_flat_stretches']} / {r['rss_flat_worst_model_move'] / 1024:.0f} KiB | "
            f"{len(r['rss_falls_real'])} / {len(r['rss_falls_model'])} | {elapsed} |")


TABLE_HEAD = ("| run | active mean / worst | RSS mean / worst | allocated mean / worst | frag_ratio abs "
              "mean / worst | mem_frag_ratio abs mean / worst | 1-s steps flat on both sides or neither | "
              "real flat stretches / model's worst move in one | RSS falls real / model | simulate s |\n"
              "|---|---|---|---|---|---|---|---|---|---:|")
