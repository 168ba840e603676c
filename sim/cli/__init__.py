"""The `neurocycle` command line: one module per group of commands, each with ``register(sub)``.

Library modules never import this package; it imports them.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from neurocycle.hw import NeurocycleError, NeurocycleWarning

__all__ = ["main", "build_parser"]

# modules of this package that add subcommands (each has register(subparsers))
_COMMAND_MODULES = ["_run", "_ppa", "_sweep", "_cosim", "_nir", "_experiment", "_vectors"]


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


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """neurocycle's own warnings as one plain line (they carry the numbers and the fix)."""
    if issubclass(category, NeurocycleWarning):
        print(f"neurocycle: warning: {message}", file=file or sys.stderr)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    """Run a command. Every failure ends in one line on stderr and a non-zero status: 2 for bad
    input (the error names the field, the rule, the value and a fix), 1 for an operating-system
    problem (disk full, permissions), 130 for Ctrl-C, 3 for a bug in neurocycle (its traceback is
    saved to a file whose path is printed) — never a traceback on the terminal. neurocycle's own
    warnings (e.g. a parameter the fixed point cannot represent) are one line each."""
    warnings.showwarning = _show_warning
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
    except BrokenPipeError:            # `neurocycle presets | head`: the reader went away
        return 0
    except OSError as exc:
        print(f"neurocycle: error: {describe_os_error(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: say so in one line, keep the traceback in a file
        where = save_traceback(exc)
        print(f"neurocycle: internal error (a bug in neurocycle, not a problem with your input): "
              f"{type(exc).__name__}: {str(exc)[:200]}. Traceback saved to {where}; please report it.",
              file=sys.stderr)
        return 3


def describe_os_error(exc: OSError) -> str:
    """One line for an operating-system error: what happened, on which file, what to do."""
    import errno

    what = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device{what}; nothing was half-written. Free some space and run again"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied{what}; choose a location you can write (e.g. --out under your home folder)"
    if exc.errno == errno.EROFS:
        return f"read-only file system{what}; choose another location"
    return f"{exc.strerror or exc}{what}"


def save_traceback(exc: BaseException) -> str:
    """Write the traceback of an unexpected exception to a file; return its path."""
    import datetime
    import os
    import tempfile
    import traceback

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    text = f"neurocycle {' '.join(sys.argv[1:])}\n{datetime.datetime.now().isoformat()}\n\n{text}"
    base = os.environ.get("NEUROCYCLE_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "neurocycle")
    for folder in (os.path.join(base, "crash"), tempfile.gettempdir()):
        try:
            os.makedirs(folder, exist_ok=True)
            fd, path = tempfile.mkstemp(prefix="neurocycle-crash-", suffix=".txt", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            return path
        except OSError:
            continue
    return "(nowhere: no writable folder)"


if __name__ == "__main__":
    sys.exit(main())
