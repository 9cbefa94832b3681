"""Print the fidelity table: every reference run of a real Redis 7.0.15 against the simulator.

    .venv/bin/python benchmarks/fidelity.py            # all runs
    .venv/bin/python benchmarks/fidelity.py zipf__allkeys-lru__mm25
"""
import sys

from evictsim.validate.reference_runs import RUNS, format_table, run_reference


def main() -> None:
    names = sys.argv[1:] or sorted(RUNS)
    rows = [run_reference(n) for n in names]
    print(format_table(rows))
    hp = [abs(r.hit_pp) for r in rows]
    print(f"\nmean |Δ hit ratio| = {sum(hp) / len(hp):.3f} pp, max = {max(hp):.3f} pp")


if __name__ == "__main__":
    main()
