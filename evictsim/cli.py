"""``evictsim`` command line: one sub-command per module in :mod:`evictsim.commands`.

Each module there defines ``add_parser(subparsers)`` that registers its sub-command and sets
``func`` (taking the parsed args, returning an exit status). Adding a command is adding a file.
User errors (:class:`UserInputError`) print one line and exit 2, without a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from evictsim.errors import UserInputError


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus an error over two lines; the contract is one line, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    import evictsim.commands as commands

    parser = _OneLineParser(prog="evictsim", description="Discrete-event simulator of Redis memory "
                            "management (eviction, expiry, memory accounting).")
    from evictsim import __version__
    parser.add_argument("--version", action="version", version=f"evictsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineParser)
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"evictsim.commands.{info.name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserInputError as exc:
        sys.stderr.write(f"evictsim: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("evictsim: interrupted\n")
        return 130


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
