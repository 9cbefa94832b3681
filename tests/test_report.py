"""Plots and reports are built from a stored result folder only: the simulator is not even importable
while they are drawn. Also: the capacity answer against a hand computation, deterministic files,
one colour per policy in every figure, and single-run plots."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from evictsim.report.capacity import _crossing
from evictsim.report.style import MIB, policy_colour

STORED = Path(__file__).parent / "data" / "experiments" / "stored_result"
PLOT_NAMES = ("hit_ratio_over_time", "memory_over_time", "evictions_over_time", "hit_ratio_vs_maxmemory",
              "policy_comparison")

# Block the engine, the workload generators and the trace readers, then draw.
WITHOUT_SIMULATOR = """
import sys
for name in ("evictsim.engine", "evictsim.workloads", "evictsim.traces.native_csv", "numba", "simpy"):
    sys.modules[name] = None
from evictsim.report import build_report
for path in build_report(sys.argv[1]):
    print(path)
"""


@pytest.fixture(scope="module")
def drawn(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "stored"
    shutil.copytree(STORED, out)
    proc = subprocess.run([sys.executable, "-c", WITHOUT_SIMULATOR, str(out)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


def aggregate() -> list[dict[str, str]]:
    with open(STORED / "aggregate.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_plot_is_drawn_as_png_and_svg(drawn):
    for name in PLOT_NAMES:
        assert (drawn / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = (drawn / "plots" / f"{name}.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "</svg>" in svg


def test_axis_labels_carry_units(drawn):
    svg = {name: (drawn / "plots" / f"{name}.svg").read_text() for name in PLOT_NAMES}
    assert "(MiB)" in svg["memory_over_time"] and "(MiB)" in svg["hit_ratio_vs_maxmemory"]
    assert "(%)" in svg["hit_ratio_over_time"] and "(%)" in svg["policy_comparison"]
    assert "simulated time (s)" in svg["evictions_over_time"] and "(keys/s)" in svg["evictions_over_time"]


def test_each_policy_keeps_its_colour_in_every_plot(drawn):
    policies = {row["maxmemory-policy"] for row in aggregate()}
    for name in PLOT_NAMES:
        svg = (drawn / "plots" / f"{name}.svg").read_text().lower()
        for policy in policies:
            assert policy_colour(policy).lower() in svg, (name, policy)


def test_report_has_the_table_plots_configuration_and_answer(drawn):
    md = (drawn / "report.md").read_text()
    for row in aggregate():
        ratio = f"{float(row['hit_ratio_mean']) * 100:.2f} ± {float(row['hit_ratio_ci95']) * 100:.2f}"
        # runs stored by an older evictsim carry no steady state: that column stays empty and the
        # answer says it used the whole run
        assert f"| {row['maxmemory-policy']} | {int(row['maxmemory']) / MIB:g} | 2 |  | {ratio} |" in md
    for name in PLOT_NAMES:
        assert f"(plots/{name}.png)" in md
    assert "redis.maxmemory: [1200kb, 1600kb, 2000kb]" in md
    assert "**Answer:** " in md and "60% hit ratio (whole run) at" in md
    html = (drawn / "report.html").read_text()
    assert html.count("src='data:image/png;base64,") == len(PLOT_NAMES)
    assert "src='plots/" not in html and "src=\"http" not in html      # self-contained


def test_redrawing_gives_identical_files(drawn, tmp_path):
    again = tmp_path / "again"
    shutil.copytree(STORED, again)
    proc = subprocess.run([sys.executable, "-m", "evictsim", "plot", str(again)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for name in ["report.md", "report.html"] + [f"plots/{n}.{e}" for n in PLOT_NAMES for e in ("png", "svg")]:
        assert (again / name).read_bytes() == (drawn / name).read_bytes(), name


def test_capacity_answer_interpolates_between_bracketing_sizes():
    points = [(8 * MIB, 0.80), (16 * MIB, 0.90), (32 * MIB, 0.96)]
    answer = _crossing("allkeys-lru", points, 0.95)
    assert answer.needed == pytest.approx(16 * MIB + (0.05 / 0.06) * 16 * MIB)
    assert answer.text(0.95, first=True) == "allkeys-lru reaches 95% hit ratio at 29 MiB"
    assert _crossing("x", points, 0.99).text(0.99, first=True) == "x does not reach 99% within 32 MiB (best 96.0%)"
    assert _crossing("x", points, 0.5).needed == 8 * MIB


@settings(max_examples=60, deadline=None)
@given(ratios=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=8), target=st.floats(0.01, 1.0))
def test_capacity_answer_is_the_first_crossing(ratios, target):
    ratios = sorted(ratios)                         # hit ratio grows with memory
    points = [((i + 1) * MIB, r) for i, r in enumerate(ratios)]
    answer = _crossing("p", points, target)
    first = next((i for i, r in enumerate(ratios) if r >= target), None)
    if first is None:
        assert answer.needed is None
    else:
        assert answer.needed is not None
        assert (first if first else 1) * MIB - 1e-6 <= answer.needed <= (first + 1) * MIB + 1e-6


def test_single_run_plots(tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(next((STORED / "runs").iterdir()), run_dir)
    proc = subprocess.run([sys.executable, "-m", "evictsim", "plot", str(run_dir)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for name in ("memory.png", "hit_ratio.png"):
        assert (run_dir / name).read_bytes()[:4] == b"\x89PNG"


def test_plot_of_a_folder_without_results_is_a_user_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "evictsim", "plot", str(tmp_path)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"evictsim: error: {tmp_path}: not an experiment result folder")
    assert proc.stderr.count("\n") == 1


def test_every_registered_policy_has_its_own_fixed_colour_and_marker():
    from evictsim.policies import POLICIES
    from evictsim.report.style import POLICY_COLOURS, POLICY_MARKERS
    names = POLICIES.names()
    assert all(name in POLICY_COLOURS and name in POLICY_MARKERS for name in names)
    colours = [POLICY_COLOURS[name].lower() for name in names]
    assert len(set(colours)) == len(colours)


def _curve(policy: str, ratios: dict[int, float]):
    from evictsim.mrc.curve import MissRatioCurve
    rows = [{"maxmemory": m, "hit_ratio": h, "miss_ratio": 1 - h, "byte_hit_ratio": h, "method": "full",
             "sample_rate": 1.0, "scaled_maxmemory": m, "sampled_keys": 100, "seconds": 0.0}
            for m, h in sorted(ratios.items())]
    return MissRatioCurve(rows, {"maxmemory_policy": policy, "method": "full", "sample_rate": 1.0,
                                 "no_limit_hit_ratio": 0.9})


def test_the_report_gives_each_curve_its_gap_to_belady_at_the_swept_sizes(tmp_path):
    from evictsim.mrc.experiment import _write_combined
    from evictsim.report.data import load_experiment_results
    from evictsim.report.document import build_content, render_markdown
    out = tmp_path / "stored"
    shutil.copytree(STORED, out)
    sizes = [1200 * 1024, 1600 * 1024, 2000 * 1024, 2400 * 1024]
    ratios = {"allkeys-lru": [0.50, 0.60, 0.70, 0.75], "allkeys-lfu": [0.52, 0.61, 0.69, 0.76],
              "belady": [0.60, 0.68, 0.74, 0.78]}
    folders = [_curve(p, dict(zip(sizes, r))).write(out / "mrc" / p) for p, r in ratios.items()]
    _write_combined(out / "mrc", list(ratios), folders)
    with open(out / "mrc" / "gap_to_belady.csv", newline="") as fh:
        gaps = list(csv.DictReader(fh))
    assert len(gaps) == 3 * len(sizes)
    for row in gaps:
        i = sizes.index(int(row["maxmemory"]))
        expected = 100 * (ratios[row["curve"]][i] - ratios["belady"][i])
        assert float(row["gap_pp"]) == pytest.approx(expected, abs=1e-4)
    assert (out / "mrc" / "mrc.png").read_bytes()[:4] == b"\x89PNG"
    text = render_markdown(build_content(load_experiment_results(out), []), out)
    section = text.split("## Miss-ratio curves")[1].split("## ")[0]
    first, unswept = f"{sizes[0] / MIB:g} MiB", f"{sizes[-1] / MIB:g} MiB"
    assert f"| {first}: hit ratio (%) | {first}: − belady (pp) |" in section    # the swept sizes
    assert unswept not in section
    assert "| allkeys-lru | 50.00 | -10.00 | 60.00 | -8.00 | 70.00 | -4.00 |" in section
    assert "| belady | 60.00 | +0.00 |" in section and "![Miss-ratio curves](mrc/mrc.png)" in section
