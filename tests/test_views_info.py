"""``evictsim info``: INFO, MEMORY STATS and MEMORY DOCTOR of a simulated server, from its result files."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from redis._parsers.helpers import parse_info

from evictsim.cli import main
from evictsim.results import load_result
from evictsim.views.memory import doctor_findings, doctor_text, memory_stats
from evictsim.views.redisfmt import bytes_to_human, c_float_ratio, cli_reply, double_string
from evictsim.views.snapshot import Snapshot

TRACE = Path(__file__).parent / "data" / "reference" / "traces" / "zipf_ttl.csv.gz"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """noeviction at 14 MB on the reference TTL trace: -OOM refusals, TTLs, active and lazy expiry."""
    out = tmp_path_factory.mktemp("views") / "run"
    assert main(["simulate", "--trace", str(TRACE), "--maxmemory", "14443520", "--maxmemory-policy",
                 "noeviction", "--start-time", "1795550788.795", "--no-plots", "--out", str(out)]) == 0
    return out


def info(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["info", *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "timeseries.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_info_parses_as_redis_info_and_matches_summary_json(run_dir, capsys):
    status, out, _ = info(capsys, run_dir)
    assert status == 0
    parsed = parse_info(out)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert parsed["used_memory"] == summary["used_memory"]
    assert parsed["used_memory_peak"] == summary["used_memory_peak"]
    assert parsed["maxmemory"] == 14443520 and parsed["maxmemory_policy"] == "noeviction"
    assert parsed["evicted_keys"] == summary["evicted_keys"] and parsed["expired_keys"] == summary["expired_keys"]
    assert parsed["keyspace_hits"] == summary["keyspace_hits"]
    assert parsed["errorstat_OOM"] == {"count": summary["rejected_writes"]} and summary["rejected_writes"] > 0
    assert parsed["db0"]["keys"] == summary["keys"] and parsed["db0"]["expires"] == summary["expires"]
    assert parsed["db0"]["avg_ttl"] > 0
    assert parsed["used_memory_dataset"] + parsed["used_memory_overhead"] == parsed["used_memory"]
    assert parsed["used_memory_human"] == bytes_to_human(summary["used_memory"])


def test_info_is_redis_text_with_crlf_sections_in_redis_order(run_dir, capsys):
    _, out, _ = info(capsys, run_dir, "--at", 30)
    assert out.startswith("# Memory\r\nused_memory:")
    assert "\n" not in out.replace("\r\n", "")
    headers = [line for line in out.split("\r\n") if line.startswith("#")]
    assert headers == ["# Memory", "# Stats", "# Errorstats", "# Keyspace"]
    assert "\r\n\r\n# Stats\r\n" in out
    fields = [line.split(":")[0] for line in out.split("\r\n") if ":" in line]
    memory = fields[:fields.index("maxmemory_policy") + 1]
    assert memory == ["used_memory", "used_memory_human", "used_memory_peak", "used_memory_peak_human",
                      "used_memory_peak_perc", "used_memory_overhead", "used_memory_dataset", "maxmemory",
                      "maxmemory_human", "maxmemory_policy"]
    for absent in ("used_memory_rss", "allocator_active", "used_memory_startup", "mem_fragmentation_ratio"):
        assert absent not in fields       # not modelled in this run: absent, never invented


@pytest.mark.parametrize("at, row_time", [(30, "30.0"), (30.7, "30.0"), (0, "0.0"), (90, "90.0")])
def test_info_at_reads_the_last_sample_at_or_before_that_time(run_dir, capsys, at, row_time):
    row = next(r for r in rows(run_dir) if r["time"] == row_time)
    _, out, _ = info(capsys, run_dir, "--at", at, "--section", "memory")
    parsed = parse_info(out)
    assert parsed["used_memory"] == int(row["used_memory"])
    assert parsed["used_memory_overhead"] == int(row["used_memory_overhead"])
    assert out.split("\r\n")[0] == "# Memory" and "evicted_keys" not in parsed


def test_the_api_gives_the_same_text(run_dir, capsys):
    _, out, _ = info(capsys, run_dir, "--at", 45, "--section", "stats")
    assert load_result(run_dir).info(at=45, section="stats") == out


@pytest.mark.parametrize("args, message", [
    (("--at", "1000"), "--at: 1000 is outside the run"), (("--at", "-1"), "--at: -1 is outside the run"),
    (("--section", "cpu"), "--section: unknown section 'cpu'"),
])
def test_bad_input_is_one_line_and_exit_2(run_dir, capsys, args, message):
    status, out, err = info(capsys, run_dir, *args)
    assert status == 2 and out == "" and err.count("\n") == 1 and message in err


def test_a_run_from_an_older_evictsim_without_the_columns_is_one_line_and_exit_2(run_dir, tmp_path, capsys):
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(run_dir / "summary.json", old / "summary.json")
    keep = 18                  # the columns evictsim wrote before used_memory_overhead & co.
    with open(run_dir / "timeseries.csv") as src, open(old / "timeseries.csv", "w") as dst:
        dst.writelines(",".join(line.rstrip("\n").split(",")[:keep]) + "\n" for line in src)
    status, out, err = info(capsys, old, "--section", "memory")
    assert status == 2 and err.count("\n") == 1 and "used_memory_overhead" in err and "timeseries.csv" in err
    status, out, _ = info(capsys, old, "--section", "stats")      # what the old columns answer still works
    assert status == 0 and parse_info(out)["evicted_keys"] == 0
    status, _, err = info(capsys, tmp_path / "nowhere")
    assert status == 2 and err.count("\n") == 1


def test_memory_stats_as_redis_cli_shows_it(run_dir, capsys):
    status, out, _ = info(capsys, run_dir, "--memory-stats", "--at", 60)
    assert status == 0
    lines = out.splitlines()
    assert lines[:4] == [' 1) "peak.allocated"', lines[1], ' 3) "total.allocated"', lines[3]]
    assert lines[4:6] == [' 5) "db.0"', ' 6) 1) "overhead.hashtable.main"']
    assert lines[9] == '    5) "overhead.hashtable.slot-to-keys"' and lines[10] == "    6) (integer) 0"
    row = next(r for r in rows(run_dir) if r["time"] == "60.0")
    assert lines[3] == f" 4) (integer) {row['used_memory']}"
    assert '"overhead.total"' in out and f"(integer) {row['used_memory_overhead']}" in out


def test_bytes_to_human_matches_real_redis():
    """Pairs from a real Redis 7.0.15 INFO (shared/reference/redis-7.0.15/zipf__noeviction__nolimit)."""
    for n, text in ((54821184, "52.28M"), (66928640, "63.83M"), (63488, "62.00K"), (1344, "1.31K"),
                    (0, "0B"), (25276502016, "23.54G"), (1023, "1023B"), (1024, "1.00K")):
        assert bytes_to_human(n) == text


def test_ratios_are_single_precision_as_in_redis():
    """MEMORY STATS of the same real run: the doubles Redis sent, from the byte counts beside them."""
    assert c_float_ratio(55701504, 55379520) == 1.0058140754699707
    assert c_float_ratio(54819296, 54842360, 100) == 99.95794677734375
    assert c_float_ratio(58843136, 55701504) == 1.056401252746582
    assert f"{c_float_ratio(55701504, 55379520):.2f}" == "1.01"       # INFO allocator_frag_ratio
    assert double_string(99.95794677734375) == "99.95794677734375"      # %.17g, as C prints it


def test_cli_reply_aligns_indices_like_redis_cli():
    reply = [(f"k{i}", i) for i in range(5)] + [("nested", [("a", 1), ("b", "x")])]
    text = cli_reply(reply)
    assert text.splitlines()[:2] == [' 1) "k0"', " 2) (integer) 0"]
    assert text.splitlines()[-5:] == ['11) "nested"', '12) 1) "a"', "    2) (integer) 1", '    3) "b"',
                                      '    4) "x"']


def snap(**row) -> Snapshot:
    return Snapshot(time=0.0, row=row, summary={"maxmemory": 0}, source="test")


def test_doctor_uses_redis_thresholds():
    mib = 1024 * 1024
    assert doctor_findings(snap(used_memory=5 * mib - 1, used_memory_peak=50 * mib)) is None
    assert doctor_findings(snap(used_memory=10 * mib, used_memory_peak=15 * mib)) == []
    assert doctor_findings(snap(used_memory=10 * mib, used_memory_peak=15 * mib + 16)) == ["peak"]
    rss = {"used_memory": 40 * mib, "used_memory_peak": 40 * mib, "used_memory_rss": 60 * mib}
    assert doctor_findings(snap(**rss)) == ["high_frag"]
    assert doctor_findings(snap(**{**rss, "used_memory": 50 * mib})) == []          # ratio 1.2
    assert doctor_findings(snap(used_memory=20 * mib, used_memory_peak=20 * mib, used_memory_rss=29 * mib)) == []
    assert doctor_text(snap(used_memory=mib, used_memory_peak=mib)).startswith("Hi Sam, this instance is empty")
    assert doctor_text(snap(used_memory=10 * mib, used_memory_peak=10 * mib)).startswith(
        "Hi Sam, I can't find any memory issue")


def test_doctor_on_a_run_notes_what_it_could_not_check(run_dir, capsys):
    status, out, err = info(capsys, run_dir, "--doctor")
    assert status == 0 and out.startswith("Hi Sam, I can't find any memory issue")
    assert "not checked" in err and "allocator fragmentation" in err


def test_memory_stats_reads_allocator_columns_when_a_run_has_them(run_dir):
    result = load_result(run_dir)
    snapshot_row = {name: int(values[-1]) for name, values in result.timeseries.items() if name != "time"}
    snapshot_row.update(allocator_allocated=100, allocator_active=150, allocator_resident=300,
                        used_memory_rss=600)
    reply = dict(memory_stats(Snapshot(0.0, snapshot_row, result.summary, "x")))
    assert reply["allocator.active"] == 150 and reply["allocator-fragmentation.bytes"] == 50
    assert reply["allocator-fragmentation.ratio"] == "1.5" and reply["rss-overhead.ratio"] == "2"
    assert reply["fragmentation.bytes"] == 600 - snapshot_row["used_memory"]


def test_every_printed_field_is_a_real_redis_info_field_in_real_redis_order(run_dir, capsys):
    """Against the field order of a real Redis 7.0.15 INFO (tests/data/reference/.../info_fields.json):
    evictsim prints a subset of the real fields, never a name Redis does not have, in Redis's order."""
    real = json.loads((Path(__file__).parent / "data" / "reference" / "redis-7.0.15" /
                       "info_fields.json").read_text())["fields"]
    _, out, _ = info(capsys, run_dir)
    printed = list(parse_info(out))
    assert set(printed) <= set(real), set(printed) - set(real)
    positions = [real.index(name) for name in printed]
    assert positions == sorted(positions)


def with_allocator_columns(run_dir: Path, folder: Path) -> Path:
    """A copy of the run with the allocator model's columns (issue 11) appended, values made up from
    used_memory (rss = 1.5×, active = 1.2×, allocated = 1.05×, resident = 1.3×)."""
    folder.mkdir()
    shutil.copy(run_dir / "summary.json", folder / "summary.json")
    factors = {"used_memory_rss": 1.5, "allocator_allocated": 1.05, "allocator_active": 1.2,
               "allocator_resident": 1.3}
    with open(run_dir / "timeseries.csv", newline="") as src, open(folder / "timeseries.csv", "w") as dst:
        reader = csv.DictReader(src)
        dst.write(",".join(list(reader.fieldnames) + list(factors)) + "\n")
        for row in reader:
            extra = [str(int(int(row["used_memory"]) * f)) for f in factors.values()]
            dst.write(",".join(list(row.values()) + extra) + "\n")
    return folder


def test_allocator_and_rss_fields_appear_when_the_run_has_the_columns(run_dir, tmp_path, capsys):
    folder = with_allocator_columns(run_dir, tmp_path / "alloc")
    _, out, _ = info(capsys, folder, "--section", "memory", "--at", 50)
    parsed = parse_info(out)
    used = parsed["used_memory"]
    assert parsed["used_memory_rss"] == int(used * 1.5) and parsed["used_memory_rss_human"].endswith("M")
    assert parsed["allocator_active"] == int(used * 1.2)
    assert parsed["allocator_frag_bytes"] == int(used * 1.2) - int(used * 1.05)
    assert parsed["mem_fragmentation_ratio"] == 1.5 and parsed["allocator_frag_ratio"] == 1.14
    assert parsed["mem_fragmentation_bytes"] == int(used * 1.5) - used
    real = json.loads((Path(__file__).parent / "data" / "reference" / "redis-7.0.15" /
                       "info_fields.json").read_text())["fields"]
    positions = [real.index(name) for name in parsed]
    assert positions == sorted(positions)
    status, out, err = info(capsys, folder, "--doctor")
    assert status == 0 and "not checked" not in err
    assert "High allocator RSS overhead" not in out      # 1.3/1.2 = 1.08 < 1.1
    from prometheus_client.parser import text_string_to_metric_families

    from evictsim.views.prometheus import export_text
    text = export_text(load_result(folder), "prometheus", at=50)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["redis_memory_used_rss_bytes"].samples[0].value == int(used * 1.5)
    assert families["redis_allocator_active_bytes"].samples[0].value == int(used * 1.2)


def test_any_time_inside_the_run_reads_the_latest_sample_not_after_it(run_dir):
    """Hypothesis over simulated times: the row INFO reads is found by a linear scan of the CSV, on the
    engine's microsecond clock."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    table = rows(run_dir)
    result = load_result(run_dir)
    last = float(table[-1]["time"])

    @settings(max_examples=200, deadline=None)
    @given(st.floats(min_value=0.0, max_value=last, allow_nan=False))
    def check(at):
        expected = [r for r in table if round(float(r["time"]) * 1e6) <= round(at * 1e6)][-1]
        parsed = parse_info(result.info(at=at, section="memory"))
        assert parsed["used_memory"] == int(expected["used_memory"])
        assert parsed["used_memory_peak"] == int(expected["used_memory_peak"])

    check()
