"""The `huoba` command: run PyTorch scripts on huoba, train the lab CNN, benchmark, summarise.

    huoba run SCRIPT [ARGS...]        an unmodified PyTorch script, torch -> huoba
    huoba train [options]             train a lab network, write metrics/figures/checkpoints
    huoba bench devices [--epochs N]  the lab's CPU vs GPU training-time comparison
    huoba summary MODEL --input C,H,W the network layer by layer (shapes, parameters)
    huoba graph MODEL --input C,H,W   the autograd graph as DOT (and SVG/PNG with Graphviz)

Problems the user can fix (bad arguments, missing data, no GPU) end with one
line on stderr and exit status 2.
"""
import argparse
import sys

from ._common import ArgumentParser, CLIError

__all__ = ["main"]


def _build_parser():
    parser = ArgumentParser(prog="huoba", description="huoba: PyTorch's API on NumPy / CuPy")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run an unmodified PyTorch script on huoba")
    run.add_argument("script", help="path of the Python script")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    from . import train, bench, describe
    train.add_parser(sub)
    bench.add_parser(sub)
    describe.add_parsers(sub)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "run":
        # everything after the script belongs to the script, flags included
        if len(argv) < 2:
            print("usage: huoba run SCRIPT [ARGS...]", file=sys.stderr)
            return 2
        from ..compat import run_script
        return run_script(argv[1], argv[2:])
    parser = _build_parser()
    if not argv:
        parser.print_help()
        return 0
    args, extra = parser.parse_known_args(argv)
    if extra:  # report it as the subcommand's error, with the subcommand's name
        getattr(args, "parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if getattr(args, "func", None) is None:  # e.g. `huoba bench` without its subcommand
        args.parser.print_help()
        return 0
    try:
        return args.func(args)
    except CLIError as err:
        sys.stdout.flush()
        print(f"{args.parser.prog}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `huoba train | head`: stop quietly
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
