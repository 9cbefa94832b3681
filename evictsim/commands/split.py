"""``evictsim split``: the maxmemory per partition that maximises hits under a total budget.

Writes ``DIR/split.json`` (chosen sizes, predicted and verified hit ratio, even / random / shared
comparisons, the curves), ``DIR/curves.csv``, ``DIR/curves.png`` and ``DIR/verify/`` (the verifying
partitioned run: summary.json, partitions/NAME/timeseries.csv, plots).
"""
from __future__ import annotations

import argparse
import io
from pathlib import Path

from evictsim.errors import UserInputError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("split", help="divide a memory budget between partitions (max hits)",
                              description=__doc__.splitlines()[0])
    p.add_argument("--trace", required=True, metavar="PATH", help="trace file (FORMAT:PATH allowed)")
    p.add_argument("--partitions", required=True, metavar="FILE.yaml", help="the partition rules")
    p.add_argument("--total", required=True, metavar="SIZE", help="budget for all partitions (e.g. 32mb)")
    p.add_argument("--objective", choices=("hits", "weighted"), default="hits",
                   help="total hits, or hits times each partition's weight")
    p.add_argument("--grid", type=int, default=32, metavar="N", help="curve points per partition")
    p.add_argument("--curves", choices=("grid", "mrc"), default="grid",
                   help="hit curves from full simulations of each sub-trace (grid, exact) or from "
                        "evictsim.mrc (SHARDS / miniature simulations, faster on big traces)")
    p.add_argument("--random", type=int, default=20, metavar="N", help="random splits to compare with")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting every partition starts from (redis.conf name); repeatable")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start-time", type=float, metavar="UNIX_SECONDS")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from evictsim import atomic
    from evictsim.config import RedisConfig, parse_set_option
    from evictsim.partitions import load_partitions, plot_partitions, write_partitioned
    from evictsim.partitions.split import optimize_split
    from evictsim.traces import open_trace
    from evictsim.units import parse_size

    total = parse_size(args.total, source="--total")
    if total <= 0:
        raise UserInputError("expected a budget > 0", source="--total")
    if not 1 <= args.grid <= 1024:
        raise UserInputError(f"expected 1..1024, got {args.grid}", source="--grid")
    base = {}
    for item in args.set:
        key, value = parse_set_option(item)
        RedisConfig.from_mapping({key: value}, source="--set")
        base[key] = value
    plan = load_partitions(args.partitions, base=base, require_maxmemory=False)
    if plan.partitions[0].config.maxmemory_policy == "noeviction":
        import sys
        sys.stderr.write("evictsim: note: noeviction partitions refuse writes when full; hits still count\n")
    trace = open_trace(args.trace)
    report = optimize_split(trace, plan, total, objective=args.objective, seed=args.seed,
                            start_time=args.start_time, points=args.grid, random_splits=args.random,
                            curves=args.curves)
    out = Path(args.out)
    write_partitioned(report.verified["result"], out / "verify")
    plot_partitions(out / "verify")
    data = report.to_json()
    data["verified"] = {k: v for k, v in report.verified.items() if k != "result"}
    data["compared"] = {n: {k: v for k, v in c.items() if k != "result"} for n, c in report.compared.items()}
    atomic.write_text(out / "curves.csv", _curves_csv(report))
    _plot_curves(report, out / "curves.png")
    atomic.write_json(out / "split.json", data)
    print(_text(report, out))
    return 0


def _curves_csv(report) -> str:
    buf = io.StringIO()
    buf.write("partition,maxmemory,keyspace_hits,gets,hit_ratio\n")
    for c in report.curves:
        for size, hits in zip(c.sizes, c.hits):
            buf.write(f"{c.name},{int(size)},{int(hits)},{c.gets},{hits / c.gets if c.gets else ''}\n")
    return buf.getvalue()


def _plot_curves(report, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from evictsim import atomic
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for c in report.curves:
        line, = ax.plot(c.sizes / 1e6, c.hits / max(1, c.gets), marker=".", label=c.name)
        ax.axvline(report.chosen[c.name] / 1e6, color=line.get_color(), linestyle=":", linewidth=0.8)
    ax.set_xlabel("maxmemory (MB)")
    ax.set_ylabel("hit ratio of the partition")
    ax.set_title(f"hit curves; dotted: chosen split of {report.total / 1e6:.1f} MB")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.3f}%"


def _text(report, out: Path) -> str:
    randoms = [c for n, c in report.compared.items() if n.startswith("random")]
    best_random = max(randoms, key=lambda c: c["score"]) if randoms else None
    lines = [f"split of {report.total} B ({report.objective}): "
             + ", ".join(f"{n} {v}" for n, v in report.chosen.items()),
             f"  predicted hit ratio {_pct(report.predicted_hit_ratio)}, "
             f"verified {_pct(report.verified['hit_ratio'])}",
             f"  even split          {_pct(report.compared['even']['hit_ratio'])}"]
    if best_random is not None:
        lines.append(f"  best of {len(randoms)} random   {_pct(best_random['hit_ratio'])}")
    if "shared" in report.compared:
        lines.append(f"  one shared instance {_pct(report.compared['shared']['hit_ratio'])} "
                     f"({report.compared['shared']['policy']}, the first partition's settings)")
    lines.append(f"  → {out}/split.json")
    return "\n".join(lines)
