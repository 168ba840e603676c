"""The `neurocycle` command line: one module per group of commands, each with ``register(sub)``.

Library modules never import this package; it imports them.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from neurocycle.hw import NeurocycleError

__all__ = ["main", "build_parser"]

# modules of this package that add subcommands (each has register(subparsers))
_COMMAND_MODULES = ["_run", "_ppa", "_sweep", "_cosim", "_nir", "_experiment"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neurocycle",
        description="Cycle-level simulator of many-core neuromorphic chips: cycles, spikes, energy and area "
                    "for a spiking network on a chip described in YAML.",
        epilog="Run `neurocycle COMMAND --help` for the options of a command.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(f"neurocycle.sim.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except NeurocycleError as exc:
        print(f"neurocycle: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("neurocycle: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
