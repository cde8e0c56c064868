"""dtypes: huoba's scalar types and PyTorch's type-promotion rules.

Each `dtype` wraps one NumPy dtype.  Promotion follows PyTorch, not NumPy:
categories (bool < integer < floating) decide first, so `int64 + float16`
is float16, an integer tensor plus a Python float gets the default float
dtype, and zero-dimensional tensors and Python scalars only take part when
they raise the category (see `result_type`).
"""
import numpy as np

__all__ = ["dtype", "get_default_dtype", "set_default_dtype", "promote_types"]


class dtype:
    """A tensor element type, e.g. `huoba.float32`."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._category = category  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in "if"
        self.itemsize = self.np.itemsize

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        # pickles as a reference to the module-level constant
        return self.name

    def to_real(self):
        return self

    def to_complex(self):
        raise TypeError(f"{self} has no complex counterpart in huoba")


bool = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NUMPY = {d.np: d for d in ALL}


def from_numpy_dtype(np_dtype):
    """The huoba dtype of a NumPy dtype; TypeError for ones huoba lacks."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        pass
    np_dtype = np.dtype(np_dtype)
    if np_dtype in _FROM_NUMPY:
        return _FROM_NUMPY[np_dtype]
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{np_dtype.name}. The only supported types are: "
        "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
    )


_default_float = float32


def get_default_dtype():
    return _default_float


def set_default_dtype(d):
    global _default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


# The names PyTorch's kernels use for scalar types in their error messages
_LABELS = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
           "float16": "Half", "float32": "Float", "float64": "Double"}
LABEL = {np.dtype(k): v for k, v in _LABELS.items()}
# ... and the C++ type names other messages use
_CPP = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
        "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double"}
CPP_NAME = {np.dtype(k): v for k, v in _CPP.items()}


def label(d):
    """'Float', 'Long', ...: the scalar-type name PyTorch prints for a dtype or NumPy dtype."""
    return LABEL[d.np if isinstance(d, dtype) else np.dtype(d)]


def _promote_numpy(a, b):
    return _FROM_NUMPY[np.promote_types(a.np, b.np)]


_PROMOTE = {}
for _a in ALL:
    for _b in ALL:
        if _a._category != _b._category:
            _PROMOTE[_a, _b] = _a if _a._category > _b._category else _b
        else:
            _PROMOTE[_a, _b] = _promote_numpy(_a, _b)


def promote_types(a, b):
    """PyTorch's `torch.promote_types`."""
    return _PROMOTE[a, b]


def _scalar_category(x):
    # `bool` is shadowed by the dtype above, hence builtins via type names
    t = type(x).__name__
    if t == "bool" or t == "bool_":
        return 0
    if isinstance(x, (np.integer,)) or t == "int":
        return 1
    return 2


def _combine(higher, lower):
    # PyTorch's combine_categories: a lower tier only counts when it is of a
    # higher category (or when the higher tier is bool)
    if higher is None:
        return lower
    if lower is None or higher._category == 2:
        return higher
    if higher._category == 0 or lower._category == 2:
        return _PROMOTE[higher, lower]
    return higher


def result_type(tensors, scalars=()):
    """The dtype of an op over `tensors` (huoba Tensors) and Python `scalars`.

    PyTorch keeps three tiers: tensors with dimensions, zero-dimensional tensors
    and Python scalars (a float counts as the default dtype, an int as int64).
    A lower tier only matters when its category (bool, integer, float) is
    higher than the tiers above it.
    """
    dim_t = zero_t = wrapped = None
    for t in tensors:
        d = t.dtype
        if t._data.ndim:
            dim_t = d if dim_t is None else _PROMOTE[dim_t, d]
        else:
            zero_t = d if zero_t is None else _PROMOTE[zero_t, d]
    for s in scalars:
        d = (bool, int64, _default_float)[_scalar_category(s)]
        wrapped = d if wrapped is None else _PROMOTE[wrapped, d]
    return _combine(dim_t, _combine(zero_t, wrapped))


def scalar_dtype(x):
    """The dtype `huoba.tensor(x)` would give a Python scalar."""
    return (bool, int64, _default_float)[_scalar_category(x)]


class finfo:
    """`torch.finfo` for huoba's floating dtypes."""

    def __init__(self, type=None):
        type = type or _default_float
        if not type.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. "
                            "Use torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(type.np)
        self.bits = info.bits
        self.eps = builtin_float(info.eps)
        self.max = builtin_float(info.max)
        self.min = builtin_float(info.min)
        self.tiny = self.smallest_normal = builtin_float(info.tiny)
        self.resolution = 10.0 ** -builtin_int(info.precision)
        self.dtype = type.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """`torch.iinfo` for huoba's integer dtypes."""

    def __init__(self, type):
        if type.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. "
                            "Use torch.finfo to handle 'torch.iinfo'")
        info = np.iinfo(np.uint8 if type is bool else type.np)
        self.bits = info.bits
        self.max = builtin_int(info.max)
        self.min = builtin_int(info.min)
        self.dtype = type.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


import builtins as _builtins  # noqa: E402  (the names float/int/bool are dtypes here)

builtin_float = _builtins.float
builtin_int = _builtins.int
