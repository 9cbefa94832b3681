"""Every file of the bad-experiment corpus (tests/data/experiments/*.yaml) fails validation with the
one-line message its first line announces (``# expect: FILE:LINE: key.path: message``), before any
run starts; and the CLI prints exactly that line and exits 2 without a traceback."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evictsim.errors import UserInputError
from evictsim.experiments import expand_sweep, load_experiment

CORPUS = Path(__file__).parent / "data" / "experiments"
BAD_FILES = sorted(p.name for p in CORPUS.glob("*.yaml"))


def expected_message(name: str) -> str:
    first = (CORPUS / name).read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{name} must start with '# expect: MESSAGE'"
    from evictsim.traces import TRACE_FORMATS, _load_builtin_formats
    from evictsim.workloads import WORKLOADS, workload_class
    _load_builtin_formats()
    zipf_params = sorted(p.name for p in workload_class("zipf").PARAMS)
    # registries grow as formats and generators are added; the messages must list all of them
    from evictsim.experiments.config import TOP_KEYS     # the top-level keys grow too (partitions, mrc)
    from evictsim.report.registry import PLOTS           # and the plots (namespace_memory)
    return (first.removeprefix("# expect: ").replace("TOP_KEYS", ", ".join(TOP_KEYS))
            .replace("PLOTS", ", ".join(PLOTS.names()))
            .replace("FORMATS", ", ".join(TRACE_FORMATS.names()))
            .replace("GENERATORS", ", ".join(WORKLOADS.names())).replace("ZIPF_PARAMS", ", ".join(zipf_params)))


def validate(name: str) -> None:
    expand_sweep(load_experiment(name))


def test_corpus_is_large_enough():
    assert len(BAD_FILES) >= 20


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_gives_its_one_line_message(name, monkeypatch):
    monkeypatch.chdir(CORPUS)   # messages name the file as the user typed it
    with pytest.raises(UserInputError) as info:
        validate(name)
    message = str(info.value)
    assert "\n" not in message
    assert message == expected_message(name)


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="cannot read experiment file"):
        load_experiment(tmp_path / "absent.yaml")


@pytest.mark.parametrize("name", ["bad_size.yaml", "yaml_syntax.yaml"])
def test_cli_prints_one_line_and_exits_2(name, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "evictsim", "run", name, "--out", str(tmp_path / "out")],
                          cwd=CORPUS, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == f"evictsim: error: {expected_message(name)}\n"
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()    # nothing ran, nothing was written
