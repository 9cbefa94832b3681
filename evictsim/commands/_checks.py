"""Checks the sub-commands share: numeric option types argparse lacks, and output paths that cannot
be written, caught before any work is done (the leading ``_`` keeps :mod:`evictsim.cli` from taking
this module for a sub-command).

``float`` accepts ``nan`` and ``inf``, and ``int`` accepts 10**30: both would reach integer casts in
the engine and die there with a traceback, so the options use these types instead.
"""
from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from evictsim.errors import UserInputError

MAX_SEED = 2**63 - 1


def finite_float(text: str) -> float:
    """An argparse type: a finite number (``nan``/``inf`` refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def seed(text: str) -> int:
    """An argparse type: a seed in ``[0, 2^63-1]`` (NumPy's SeedSequence refuses negatives)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2^63-1], got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2^63-1], got {text!r}")
    return value


def _first_existing(path: Path) -> Path:
    probe = path.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def check_output_folder(path: str | Path, option: str) -> Path:
    """``path`` is, or can become, a writable folder: not a file, not below a file."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UserInputError(f"{path} exists and is not a folder; expected a folder", source=option)
    _check_ancestor(folder, path, option)
    return folder


def check_output_file(path: str | Path, option: str) -> Path:
    """The folder of ``path`` is, or can become, a writable folder (the file itself may exist)."""
    target = Path(path)
    _check_ancestor(target.parent if not target.exists() else target.absolute().parent, path, option)
    return target


def _check_ancestor(folder: Path, shown: str | Path, option: str) -> None:
    existing = _first_existing(folder)
    if not existing.is_dir():
        raise UserInputError(f"{shown}: {existing} is a file, not a folder; expected a path in a folder",
                             source=option)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserInputError(f"{shown}: the folder {existing} is not writable", source=option)
