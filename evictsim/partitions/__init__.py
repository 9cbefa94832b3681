"""Memory partitions: several independent simulated Redis instances (or cluster nodes) fed by one
trace. ``load_partitions`` reads the rules, ``run_partitions`` simulates, ``write_partitioned`` and
``plot_partitions`` put the run on disk. The split optimizer lives in :mod:`evictsim.partitions.split`.
"""
from evictsim.partitions.rules import PartitionPlan, load_partitions, parse_partitions
from evictsim.partitions.run import PartitionedResult, run_partitions
from evictsim.partitions.outputs import plot_partitions, write_partitioned

__all__ = ["PartitionPlan", "PartitionedResult", "load_partitions", "parse_partitions", "run_partitions",
           "plot_partitions", "write_partitioned"]
