"""Documentation examples executed, as SimPy does: every ``evictsim ...`` command of the README's code
blocks, its Python snippets, and every experiment in ``experiments/`` exit 0 (issue 13).

Skipped on purpose: ``make ...`` (sets up a venv) and ``evictsim validate`` (replays against a live
redis-server in real time: tests/test_live_redis.py covers it). To stay within a minute and a half,
the commands run in this process, on the reference traces thinned to 1 request in 20, and the
experiment files with a small request budget (``requests`` capped, one replication, each sweep axis
and curve cut to two values, no report: the README's ``evictsim run`` + ``evictsim plot`` draw one); what they compute is
checked elsewhere (tests/test_experiments_examples.py, tests/test_capacity_answer.py), here that they
run.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
BUDGET = 30_000                 # requests per run for the experiment files
KEEP_ONE_IN = 20                # of the reference traces' requests: same time span, 1/20 of the work
SKIP = ("make ", "evictsim validate")


def code_blocks(text: str, languages: tuple[str, ...]) -> list[str]:
    return [m.group(2) for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.DOTALL) if m.group(1) in languages]


def readme_commands() -> list[str]:
    """Each ``evictsim ...`` command of the shell blocks, continuation lines joined, comments cut."""
    commands = []
    for block in code_blocks(README.read_text(), ("sh", "bash", "console")):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip().removeprefix("$ ")
            if not line.startswith("evictsim ") or line.startswith(SKIP):
                continue
            commands.append(re.sub(r"\s+#.*$", "", line))
    return commands


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder where README paths resolve and where their outputs (results/...) go, not into the
    repository: the reference traces thinned to one request in KEEP_ONE_IN over the same span (the
    commands are the README's, the traces lighter), workloads/ linked, experiments/ with the budget."""
    import gzip
    work = tmp_path_factory.mktemp("readme")
    (work / "workloads").symlink_to(REPO / "workloads")
    traces = work / "tests" / "data" / "reference" / "traces"
    traces.mkdir(parents=True)
    for path in (REPO / "tests" / "data" / "reference" / "traces").glob("*.csv.gz"):
        with gzip.open(path, "rt") as src, gzip.open(traces / path.name, "wt") as dst:
            for i, line in enumerate(src):
                if i % KEEP_ONE_IN == 0:       # the header, then one request in KEEP_ONE_IN
                    dst.write(line)
    experiments = work / "experiments"
    experiments.mkdir()
    for path in (REPO / "experiments").glob("*.yaml"):
        (experiments / path.name).write_text(small(path))
    return work


def small(path: Path) -> str:
    """The experiment file with every ``requests`` capped at BUDGET, one replication, each sweep axis
    cut to its first two values and an ``mrc:`` block to two sizes."""
    doc = yaml.safe_load(path.read_text())

    def cap(mapping):
        for key in list(mapping):
            if key.split(".")[-1] == "requests" and isinstance(mapping[key], int):
                mapping[key] = min(mapping[key], BUDGET)
    cap(doc.get("workload", {}))
    sweep = doc.get("sweep") or {}
    for axis, values in sweep.items():
        sweep[axis] = values = values[:2]      # every value is validated by test_example_expands
        for value in values:
            if isinstance(value, dict):
                cap(value)
    mrc = doc.get("mrc")
    if isinstance(mrc, dict):                 # a curve of two sizes runs the same code as one of twelve
        if isinstance(mrc.get("sizes"), list):
            mrc["sizes"] = mrc["sizes"][:2]
        if isinstance(mrc.get("points"), int):
            mrc["points"] = 2
    if doc.get("workload", {}).get("trace"):
        doc["workload"]["trace"] = str((path.parent / doc["workload"]["trace"]).resolve())
    doc["replications"] = 1
    return yaml.safe_dump(doc, sort_keys=False)


def run_cli(command: str, cwd: Path, monkeypatch) -> int:
    """The command in this process (one numba load for all of them), from ``cwd``."""
    from evictsim.cli import main
    monkeypatch.chdir(cwd)
    # an example writing to an absolute path (/var/lib/node_exporter/...) writes under cwd instead
    argv = [str(cwd / "abs" / a.lstrip("/")) if a.startswith("/") and not a.startswith(str(cwd)) else a
            for a in shlex.split(command)[1:]]
    try:
        return main(argv)
    except SystemExit as exc:      # argparse
        return int(exc.code or 0)


def test_the_readme_has_the_walkthrough_commands():
    commands = readme_commands()
    assert sum(c.startswith("evictsim capacity") for c in commands) >= 4
    assert any("hz=1 " in c for c in commands) and any("hz=10 " in c for c in commands)
    assert "issue 3" not in README.read_text() and "../shared" not in README.read_text()


def test_every_readme_command_exits_0(workdir, monkeypatch, capsys):
    failures = []
    for command in readme_commands():
        if command.startswith("evictsim run "):
            command += " --workers 1 --no-progress"
        status = run_cli(command, workdir, monkeypatch)
        if status != 0:
            failures.append(f"{command}: exit {status}: {capsys.readouterr().err.strip()[-400:]}")
    assert not failures, "\n".join(failures)


def test_readme_python_snippets_run(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    for block in code_blocks(README.read_text(), ("python",)):
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102 (the README's own example code)


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "experiments").glob("*.yaml")))
def test_every_experiment_file_runs(workdir, name, monkeypatch, capsys):
    out = workdir / "results" / f"exp-{name}"
    status = run_cli(f"evictsim run experiments/{name} --out {out} --workers 1 --no-progress --no-report",
                     workdir, monkeypatch)
    assert status == 0, capsys.readouterr().err[-800:]
    assert (out / "summary.csv").exists()
