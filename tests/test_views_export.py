"""``evictsim export``: a run as OpenMetrics / Prometheus text with redis_exporter's names, read back
with prometheus_client's parsers and with promtool; the shipped dashboard and alert rules."""
from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus

from evictsim.cli import main
from evictsim.metrics.registry import BY_NAME, METRICS

ROOT = Path(__file__).parent.parent
TRACE = ROOT / "tests" / "data" / "reference" / "traces" / "zipf_ttl.csv.gz"
START = 1795550788.795
PROMTOOL = shutil.which("promtool")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "run"
    assert main(["simulate", "--trace", str(TRACE), "--maxmemory", "10mb", "--maxmemory-policy",
                 "volatile-lru", "--set", "sample-interval=0.5", "--start-time", str(START), "--no-plots",
                 "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def rows(run_dir) -> list[dict[str, str]]:
    with open(run_dir / "timeseries.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def export(run_dir: Path, out: Path, *args: str) -> int:
    return main(["export", str(run_dir), "--out", str(out), *args])


def expected_value(name: str, row: dict[str, str]) -> float:
    return float(row[name]) * BY_NAME[name].prometheus_scale


def test_openmetrics_has_one_sample_per_row_with_the_run_values_and_timestamps(run_dir, rows, tmp_path):
    out = tmp_path / "run.om"
    assert export(run_dir, out, "--format", "openmetrics") == 0
    text = out.read_text()
    assert text.endswith("# EOF\n")
    families = {f.name: f for f in parse_openmetrics(text)}
    exported = [m for m in METRICS if m.column and m.prometheus]
    assert len(exported) >= 15
    for m in exported:
        family = families[m.prometheus.removesuffix("_total")]
        assert family.type == m.kind
        assert len(family.samples) == len(rows), m.name
        for sample, row in zip(family.samples, rows):
            assert sample.labels == dict(m.labels)
            assert sample.value == pytest.approx(expected_value(m.name, row), rel=1e-12)
            assert float(sample.timestamp) == pytest.approx(START + float(row["time"]), abs=1e-6)
    assert families["redis_evicted_keys"].samples[0].name == "redis_evicted_keys_total"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert {s.value for s in families["redis_memory_max_bytes"].samples} == {summary["maxmemory"]}


def test_prometheus_text_has_millisecond_timestamps(run_dir, rows, tmp_path):
    out = tmp_path / "run.prom"
    assert export(run_dir, out, "--format", "prometheus", "--label", "instance=sim") == 0
    text = out.read_text()
    stamps = [int(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if line.startswith("redis_memory_used_bytes{")]
    assert stamps == [round((START + float(r["time"])) * 1000) for r in rows]
    families = {f.name: f for f in parse_prometheus(text)}
    used = families["redis_memory_used_bytes"].samples
    assert [s.value for s in used] == [float(r["used_memory"]) for r in rows]
    assert used[0].labels == {"instance": "sim"}


def test_one_scrape_at_a_time_has_no_timestamps(run_dir, rows, tmp_path):
    out = tmp_path / "scrape.prom"
    assert export(run_dir, out, "--format", "prometheus", "--at", "20.2") == 0
    row = next(r for r in rows if r["time"] == "20.0")
    families = {f.name: f for f in parse_prometheus(out.read_text())}
    for name in ("used_memory", "evicted_keys", "keys", "avg_ttl"):
        (sample,) = families[BY_NAME[name].prometheus.removesuffix("_total")].samples
        assert sample.timestamp is None and sample.value == pytest.approx(expected_value(name, row))


@pytest.mark.parametrize("args", [("--format", "openmetrics", "--at", "99999"),
                                  ("--format", "prometheus", "--label", "bad-name=1")])
def test_bad_export_input_is_one_line_and_exit_2(run_dir, tmp_path, capsys, args):
    capsys.readouterr()
    assert export(run_dir, tmp_path / "x", *args) == 2
    assert capsys.readouterr().err.count("\n") == 1 and not (tmp_path / "x").exists()


def test_the_dashboard_and_alerts_use_only_registered_prometheus_names():
    names = {m.prometheus for m in METRICS if m.prometheus}
    dashboard = json.loads((ROOT / "dashboards" / "grafana-evictsim.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    rules = yaml.safe_load((ROOT / "dashboards" / "prometheus-alerts.yml").read_text())
    rule_exprs = [r["expr"] for group in rules["groups"] for r in group["rules"]]
    used = set(re.findall(r"\b(?:redis|evictsim)_[a-z_]+", " ".join(exprs + rule_exprs)))
    assert used and used <= names, used - names
    assert any("predict_linear(redis_memory_used_bytes" in e for e in rule_exprs)
    assert any("> 0.9" in e for e in rule_exprs)


@pytest.mark.skipif(PROMTOOL is None, reason="promtool absent (Debian package prometheus not installed)")
def test_promtool_accepts_the_rules_and_backfills_an_export(run_dir, rows, tmp_path):
    for args in (("check", "rules", "prometheus-alerts.yml"), ("test", "rules", "prometheus-alerts.test.yml")):
        check = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, check=False, timeout=60,
                               cwd=ROOT / "dashboards")     # the test file: alerts fire when and where due
        assert check.returncode == 0, check.stdout + check.stderr
    om = tmp_path / "run.om"
    assert export(run_dir, om, "--format", "openmetrics") == 0
    blocks = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(om),
                             str(tmp_path / "tsdb")], capture_output=True, text=True, check=False, timeout=120)
    assert blocks.returncode == 0, blocks.stdout + blocks.stderr
    listing = subprocess.run([PROMTOOL, "tsdb", "list", str(tmp_path / "tsdb")], capture_output=True,
                             text=True, check=False, timeout=60).stdout
    n_series = sum(1 for m in METRICS if m.column and m.prometheus) + 1        # + maxmemory
    samples = sum(int(line.split()[-4]) for line in listing.splitlines()[1:])
    assert samples == n_series * len(rows)
    scrape = tmp_path / "scrape.prom"
    assert export(run_dir, scrape, "--format", "prometheus", "--at", "10") == 0
    with open(scrape) as stdin:
        lint = subprocess.run([PROMTOOL, "check", "metrics"], stdin=stdin, capture_output=True, text=True,
                              check=False, timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("fmt", ["openmetrics", "prometheus"])
def test_the_fast_series_writer_gives_prometheus_clients_own_bytes(run_dir, fmt):
    """The whole series is written line by line from prometheus_client's header and sample prefix:
    the text must equal what prometheus_client's generate_latest writes for the same samples."""
    from prometheus_client.samples import Timestamp

    from evictsim.results import load_result
    from evictsim.views import prometheus as P

    result = load_result(run_dir)
    rows = list(range(len(result.timeseries["time"])))
    exported = P.families(result, rows, {"instance": 'a"b'})
    stamps = P._stamps(result.timeseries["time"], START, rows, fmt)
    if fmt == "openmetrics":
        client_stamps = [Timestamp(*map(int, s.split("."))) for s in stamps]
    else:    # prometheus_client writes int(float(ts) * 1000): give it the exact value plus a sliver
        client_stamps = [int(s) / 1000 + 0.0004 for s in stamps]
    assert P.series_text(exported, stamps, fmt) == P._render(exported, client_stamps, fmt)
