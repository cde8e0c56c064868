"""Text form of tensors: `repr(t)` / `str(t)` laid out exactly as PyTorch does.

The layout rules (all driven by the global print options below):

* Floating tensors pick one of three styles from their non-zero finite values:
  "integer" (every value whole: ``1.``), fixed point with `precision` digits,
  or scientific when the magnitudes span more than 1000x, exceed 1e8 or go
  below 1e-4 (unless `sci_mode` forces a style).  Every element is
  right-aligned to the widest one.
* Tensors with more than `threshold` elements are summarised: along each
  dimension longer than ``2 * edgeitems`` only the first and last
  `edgeitems` entries are shown, with ``...`` between them, and the column
  width is decided from the shown entries only.
* Rows wrap to `linewidth` columns; the blocks of a k-dimensional tensor are
  separated by k-1 newlines.
* Suffixes (device, size, dtype, grad_fn / requires_grad) follow the
  contents, each on a new line when it would overflow `linewidth`.

The tensor is read through a small duck-typed surface: ``_data`` (a NumPy or
CuPy array), ``dtype``, ``device``, ``requires_grad`` and ``grad_fn``.
"""
import contextlib
import math
import sys

import numpy as np

from . import dtypes as _dtypes

__all__ = [
    "set_printoptions",
    "get_printoptions",
    "printoptions",
    "tensor_repr",
    "parameter_repr",
    "size_repr",
]


# --------------------------------------------------------------------------
# print options

class _PrintOptions:
    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    # name: (precision, threshold, edgeitems, linewidth)
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set the options used to print tensors (same semantics as PyTorch).

    `profile` ("default", "short" or "full") resets the four numeric options
    first; explicit arguments then override it.  `sci_mode` is always
    assigned, so leaving it out switches back to automatic choice.
    """
    if profile is not None and profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold,
         PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options, as keyword arguments for `set_printoptions`."""
    return {name: getattr(PRINT_OPTS, name) for name in _PrintOptions.__slots__}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options (arguments as `set_printoptions`)."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# --------------------------------------------------------------------------
# element formatting

def _to_host(array):
    """A NumPy view of `array`, which may live on a GPU (CuPy)."""
    if isinstance(array, np.ndarray):
        return array
    if hasattr(array, "get") and not isinstance(array, np.generic):
        return np.asarray(array.get())
    return np.asarray(array)


class _ElementFormat:
    """Decides the style and column width shared by every element shown."""

    def __init__(self, values, floating):
        # `values`: 1-d host array of the elements that will be displayed
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        prec = PRINT_OPTS.precision

        if not floating:
            for v in np.unique(values).tolist():
                self.width = max(self.width, len(str(v)))
            return

        finite = values[np.isfinite(values) & (values != 0)]
        if finite.size == 0:
            return
        finite = np.unique(finite)  # fewer strings to measure; same widths

        magnitudes = np.abs(finite).astype(np.float64)
        lo = float(magnitudes.min())
        hi = float(magnitudes.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))

        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        pyvals = finite.tolist()
        if self.sci_mode:
            widths = (len(f"{v:.{prec}e}") for v in pyvals)
        elif self.int_mode:
            # room for the trailing "." that marks a whole float
            widths = (len(f"{v:.0f}") + 1 for v in pyvals)
        else:
            widths = (len(f"{v:.{prec}f}") for v in pyvals)
        self.width = max(self.width, max(widths))

    def __call__(self, value):
        # `value`: a Python float / int / bool
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            text = f"{value}"
        return text.rjust(self.width)


# --------------------------------------------------------------------------
# laying out the contents

def _summarized(array, edgeitems):
    """The elements shown when summarising, and which axes were cut.

    Along each axis longer than ``2 * edgeitems`` only the first and last
    `edgeitems` entries are kept.  Works on NumPy and CuPy arrays alike, so a
    GPU tensor only copies the shown elements to the host.
    """
    cut = []
    for axis, n in enumerate(array.shape):
        if n > 2 * edgeitems:
            keep = list(range(edgeitems)) + list(range(n - edgeitems, n))
            array = array.take(keep, axis=axis)
            cut.append(True)
        else:
            cut.append(False)
    return array, cut


def _vector(values, cut, indent, fmt):
    """One row: `values` a host 1-d array, `cut` whether to put `...` mid-way."""
    items = [fmt(v) for v in values.tolist()]
    if cut:
        half = PRINT_OPTS.edgeitems
        items = items[:half] + [" ..."] + items[half:]
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.width + 2)))
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _block(values, cuts, indent, fmt):
    ndim = values.ndim
    if ndim == 0:
        return fmt(values.item())
    if ndim == 1:
        return _vector(values, cuts[0], indent, fmt)
    parts = [_block(values[i], cuts[1:], indent + 1, fmt) for i in range(values.shape[0])]
    if cuts[0]:
        half = PRINT_OPTS.edgeitems
        parts = parts[:half] + ["..."] + parts[half:]
    sep = "," + "\n" * (ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def _contents(data, floating, indent):
    """The bracketed element text of a non-empty array (before suffixes)."""
    summarize = data.size > PRINT_OPTS.threshold
    edge = PRINT_OPTS.edgeitems
    if summarize and data.ndim > 0 and not edge:
        # nothing is shown but an ellipsis (the size is given as a suffix)
        return "[...]"
    if summarize:
        shown, cuts = _summarized(data, edge)
    else:
        shown, cuts = data, [False] * data.ndim
    shown = _to_host(shown)
    fmt = _ElementFormat(shown.reshape(-1), floating)
    return _block(shown, cuts, indent, fmt)


def _add_suffixes(text, suffixes, indent):
    pieces = [text]
    # (PyTorch measures the last line as len - rfind("\n") + 1; kept as is)
    last_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            last_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            last_len += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


# --------------------------------------------------------------------------
# public entry points

def _shows_device(device):
    """Whether `device` differs from the default one (PyTorch's rule)."""
    kind = getattr(device, "type", "cpu")
    default_kind, current_index = "cpu", 0
    pkg = sys.modules.get(__package__)
    get_default = getattr(pkg, "get_default_device", None)
    if callable(get_default):
        try:
            default_kind = getattr(get_default(), "type", "cpu")
        except Exception:
            pass
    if kind == "cuda":
        current = getattr(getattr(pkg, "cuda", None), "current_device", None)
        if callable(current):
            try:
                current_index = current()
            except Exception:
                pass
        index = getattr(device, "index", None)
        return kind != default_kind or current_index != index
    return kind != default_kind


def _dtype_text(dtype):
    return repr(dtype)


def _shape_text(shape):
    return str(tuple(int(n) for n in shape))


def tensor_repr(t, tensor_contents=None):
    """`repr(t)` of a tensor, identical to PyTorch's for the same values.

    `tensor_contents` replaces the bracketed element text (as in PyTorch's
    ``Tensor.__repr__(tensor_contents=...)``); the suffixes are still added.
    """
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []

    device = t.device
    if _shows_device(device):
        suffixes.append("device='" + str(device) + "'")

    dtype = t.dtype
    default = _dtypes.get_default_dtype()
    data = t._data
    shape = tuple(data.shape)
    numel = int(np.prod(shape, dtype=np.int64)) if shape else 1

    if numel == 0:
        if len(shape) != 1:
            suffixes.append("size=" + _shape_text(shape))
        # an empty tensor has no elements to hint at its dtype: always named
        if dtype.name != default.name:
            suffixes.append("dtype=" + _dtype_text(dtype))
        body = "[]" if tensor_contents is None else tensor_contents
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + _shape_text(shape))
        if dtype.name not in (default.name, "int64", "bool"):
            suffixes.append("dtype=" + _dtype_text(dtype))
        if tensor_contents is None:
            body = _contents(data, bool(dtype.is_floating_point), indent)
        else:
            body = tensor_contents

    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        name_of = getattr(grad_fn, "name", None)
        name = name_of() if callable(name_of) else type(grad_fn).__name__
        suffixes.append(f"grad_fn=<{name.rsplit('::', 1)[-1]}>")
    elif getattr(t, "requires_grad", False):
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + body, suffixes, indent)


def parameter_repr(p):
    """`repr` of an ``nn.Parameter``: a header line over the tensor repr."""
    return "Parameter containing:\n" + tensor_repr(p)


def size_repr(shape):
    """`repr(torch.Size(shape))`, e.g. ``torch.Size([2, 3])``."""
    return "torch.Size([" + ", ".join(str(int(n)) for n in shape) + "])"
