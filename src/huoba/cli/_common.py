"""Pieces the `huoba` subcommands share: one-line errors, argument checks, devices."""
import argparse
import sys

__all__ = ["CLIError", "ArgumentParser", "positive_int", "nonneg_int", "positive_float", "nonneg_float",
           "parse_shape", "resolve_device", "import_progress"]


class CLIError(Exception):
    """A problem the user can fix (bad argument, missing data, no GPU): reported as one line
    on stderr with exit status 2, never as a traceback."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with its errors on a single line: 'huoba train: error: ... (see huoba train --help)'."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _number(kind, test, what):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got '{text}'") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"expected {what}, got '{text}'")
        return value
    parse.__name__ = what  # argparse names the type in its messages
    return parse


positive_int = _number(int, lambda v: v > 0, "a positive integer")
nonneg_int = _number(int, lambda v: v >= 0, "a non-negative integer")
positive_float = _number(float, lambda v: v > 0 and v != float("inf"), "a positive number")
nonneg_float = _number(float, lambda v: 0 <= v < float("inf"), "a non-negative number")


def parse_shape(text):
    """'1,28,28' (or '1x28x28', '(1, 28, 28)') -> (1, 28, 28)."""
    cleaned = text.strip().strip("()[]").replace("x", ",").replace(" ", "")
    try:
        shape = tuple(int(p) for p in cleaned.split(",") if p)
    except ValueError:
        shape = ()
    if not shape or any(s <= 0 for s in shape):
        raise argparse.ArgumentTypeError(f"expected a shape such as 1,28,28, got '{text}'")
    return shape


def resolve_device(text):
    """A huoba.device for 'cpu', 'cuda' or 'cuda:N'; CLIError when it is unknown or unavailable."""
    import huoba
    name = (text or "cpu").strip().lower()
    if name == "gpu":
        name = "cuda"
    try:
        dev = huoba.device(name)
    except (RuntimeError, ValueError, TypeError):
        raise CLIError(f"unknown device '{text}' (expected cpu, cuda or cuda:N)") from None
    if dev.type == "cpu":
        return dev
    if dev.type != "cuda":
        raise CLIError(f"device '{text}' is not supported by huoba (expected cpu, cuda or cuda:N)")
    if not huoba.cuda.is_available():
        raise CLIError(f"device '{text}' is not available: no CUDA GPU was found (huoba needs an NVIDIA GPU "
                       f"and CuPy: pip install 'huoba[cuda]'); use --device cpu")
    count = huoba.cuda.device_count()
    if dev.index is not None and dev.index >= count:
        raise CLIError(f"device '{text}' is not available: this machine has {count} CUDA device(s)")
    if dev.index is None:
        dev = huoba.device("cuda", huoba.cuda.current_device())
    return dev


def import_progress(disable):
    """tqdm's progress bar class, or None when it is disabled or tqdm is not installed."""
    if disable or not sys.stdout.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm
