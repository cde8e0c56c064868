"""The `huoba` command: run PyTorch scripts on huoba, train the lab CNN, benchmark, summarise."""
import argparse
import sys


def _build_parser():
    parser = argparse.ArgumentParser(prog="huoba", description="huoba: PyTorch's API on NumPy")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run an unmodified PyTorch script on huoba")
    run.add_argument("script", help="path of the Python script")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    from . import train
    train.add_parser(sub)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
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
    args = parser.parse_args(argv)
    return args.func(args)
