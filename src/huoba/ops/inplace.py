"""In-place ops (`add_`, `mul_`, `zero_`, `copy_`, `t[...] = v`, `uniform_`, ...).

Without gradient recording an in-place op simply writes into the tensor's
memory, so every view (and every NumPy array sharing it) sees the change.

While recording, it is the out-of-place op applied to a snapshot of the old
value; the result is written back into the tensor's memory, and the graph is
rewired as PyTorch does it:

* a tensor that is not a view takes over the new node as its `grad_fn`;
* a view (say `v = y[0]`) cannot own the change alone, because its base `y`
  sees it too.  The base gets a `CopySlices` node: its backward passes the
  gradient of the untouched part of `y` to y's old node and the gradient of the
  modified slice to the op's node.  The view's `grad_fn` becomes an
  `AsStridedBackward0` node that reads its slice out of the new base, and so do
  the other views of `y` that are alive (PyTorch regenerates them lazily).

Either way the version counter (shared by a base and its views) is bumped, which
lets backward detect a saved value that was overwritten.
"""
import numpy as np

from .. import dtypes, random as _random
from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from . import pointwise as P
from . import indexing as I
from ._util import array_module, as_shape

_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF_ERROR = "a view of a leaf Variable that requires grad is being used in an in-place operation."
_OVERLAP_ERROR = ("unsupported operation: more than one element of the written-to tensor refers to a single "
                  "memory location. Please clone() the tensor before performing the operation.")


def _check_writable(self):
    data = self._data
    if not getattr(data.flags, "writeable", True) or (0 in data.strides and _overlaps(data)):
        raise RuntimeError(_OVERLAP_ERROR)


def _overlaps(data):
    """Does some element of `data` share memory with another (a zero stride on a dim > 1)?"""
    for st, n in zip(data.strides, data.shape):
        if st == 0 and n > 1:
            return True
    return False


def _check_fillable(self):
    """fill_/zero_ may write through an expanded tensor (every copy gets the same value)."""
    if not getattr(self._data.flags, "writeable", True):
        raise RuntimeError(_OVERLAP_ERROR)


def _shape_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _raise_shape(self, other_shape):
    try:
        full = np.broadcast_shapes(other_shape, self._data.shape)
    except ValueError:
        raise P._broadcast_error(self._data.shape, other_shape) from None
    raise RuntimeError(f"output with shape {_shape_str(self._data.shape)} doesn't match the broadcast shape "
                       f"{_shape_str(full)}")


def _write(self, array):
    """Copy `array` into self's memory, keeping self's dtype (PyTorch's rules for in-place casts)."""
    _check_writable(self)
    data = self._data
    if array.dtype != data.dtype:
        P._check_cast(array.dtype, self)
    if array.shape != data.shape:
        try:
            if np.broadcast_shapes(array.shape, data.shape) != data.shape:
                _raise_shape(self, array.shape)
        except ValueError:
            _raise_shape(self, array.shape)
    if type(array) is not type(data):
        from .._backend import to_device
        array = to_device(array, self.device)
    data[...] = array
    self._version_counter[0] += 1


# ---- the autograd side of in-place ops ---------------------------------------------
def _is_view(t):
    return t._base is not None


def _check_inplace_allowed(self):
    if self._base is not None:
        base = self._base
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError(_VIEW_OF_LEAF_ERROR)
        fn = self.grad_fn
        if fn is not None and getattr(fn, "_multi_view", False):
            raise RuntimeError(
                f"Output {self._output_nr} of {fn.name().split('Backward')[0]} is a view and is being modified "
                "inplace. This view is the output of a function that returns multiple views. Such functions do "
                "not allow the output views to be modified inplace. You should replace the inplace operation by "
                "an out-of-place one.")
    elif self.grad_fn is None and self._requires_grad:
        raise RuntimeError(_LEAF_ERROR)


def _snapshot(self):
    """A copy of self's current value that stands where self stands in the graph."""
    old = _wrap(self._data.copy(), self._requires_grad)
    if self.grad_fn is not None:
        old.grad_fn = self.grad_fn
        if self._output_nr:
            old._output_nr = self._output_nr
    return old


def _rebase_inplace(self, compute):
    """Apply out-of-place `compute(old)` and make self hold its value and graph node."""
    _check_inplace_allowed(self)
    old = _snapshot(self)
    result = compute(old)
    _write(self, result._data)
    if not result._requires_grad:
        if not self._requires_grad:
            return self
        # the new value does not depend on the graph any more: its gradient is zero
        old = _snapshot(self)
        result = _ZeroGrad.apply(old)
    _adopt_saved_output(self, result)
    _take_over(self, result, old)
    return self


def _adopt_saved_output(self, result):
    """If the op saved its output for backward (exp_, sigmoid_, ...), that output is self now:
    a later in-place op on self must invalidate it, as in PyTorch."""
    fn = result.grad_fn
    saved = fn._saved if fn is not None else None
    if not saved:
        return
    counter = result._version_counter
    entries = list(saved)
    for i, e in enumerate(entries):
        if e is not None and len(e) == 4 and e[1] is counter:
            entries[i] = (self._data, self._version_counter, self._version_counter[0], e[3])
    fn._saved = tuple(entries)


def _take_over(self, result, old):
    """Rewire the graph so that self (already holding result's value) has result's history."""
    if self._base is None:
        self.grad_fn = result.grad_fn
        self._requires_grad = True
        if result._output_nr or self._output_nr:
            self._output_nr = result._output_nr
        _refresh_views(self, None)
        return
    base = self._base
    idx = view_index(base._data, self._data)
    fn = result.grad_fn
    first = fn._edges[0] if fn._edges else None
    fused = first is not None and ((old.grad_fn is None and not old._requires_grad and first[0] is None) or (
        old.grad_fn is not None and first[0] is old.grad_fn and first[1] == old._output_nr))
    node = CopySlices.apply(base, result, idx)
    slices = node.grad_fn
    if fused:
        # PyTorch's CopySlices: the op's own backward runs on the slice, and its other inputs
        # hang directly off this node
        slices.fn = fn
        slices._edges = [slices._edges[0]] + list(fn._edges[1:])
        slices.view_meta = (self._data.shape, self._data.dtype)
    base.grad_fn = slices
    base._requires_grad = True
    if base._output_nr:
        base._output_nr = 0
    _regenerate(self, base, idx)
    _refresh_views(base, self)


def _regenerate(view, base, idx=None):
    """Give `view` a grad_fn that reads it out of base's current history."""
    if idx is None:
        idx = view_index(base._data, view._data)
    node = AsStridedView.apply(base, view._data, idx)
    view.grad_fn = node.grad_fn
    view._requires_grad = True
    if view._output_nr:
        view._output_nr = 0


def _refresh_views(base, skip):
    """Other live views of `base` that record gradients now read from its new history."""
    refs = base.__dict__.get("_views")
    if not refs:
        return
    alive = []
    for ref in refs:
        v = ref()
        if v is None:
            continue
        alive.append(ref)
        if v is not skip and v._requires_grad and v._base is base:
            _regenerate(v, base)
    base._views = alive


def view_index(base, view):
    """For each element of array `view` (which shares memory with array `base`), the flat
    (C-order) index of the element of `base` it is: an int64 array of view's shape."""
    xp = array_module(base)
    item = base.itemsize
    if type(base) is np.ndarray:
        offset = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    else:
        offset = view.data.ptr - base.data.ptr
    offset //= item
    as_strided = xp.lib.stride_tricks.as_strided
    if base.flags.c_contiguous:
        flat = xp.arange(base.size, dtype=np.int64)
    else:
        # lay the flat indices out in memory the way base's elements are laid out
        bstrides = [s // item for s in base.strides]
        lo = sum((n - 1) * s for n, s in zip(base.shape, bstrides) if s < 0 and n)
        hi = sum((n - 1) * s for n, s in zip(base.shape, bstrides) if s > 0 and n)
        flat = xp.zeros(hi - lo + 1, dtype=np.int64)
        as_strided(flat[-lo:], base.shape, [s * 8 for s in bstrides])[...] = \
            xp.arange(base.size, dtype=np.int64).reshape(base.shape)
        offset -= lo
    vstrides = [s // item * 8 for s in view.strides]
    return as_strided(flat[offset:], view.shape, vstrides).copy()


class CopySlices(Function):
    """The base's node after an in-place op on one of its views (`idx`: the view's place).

    Its backward passes the gradient of the untouched part of the base to the base's old
    node and that of the slice through the op: either by calling the op node's backward
    itself (`fn`, when the op's first input was the view's old value, as in PyTorch), or
    along an edge to the op's node."""
    _name = "CopySlices"
    fn = None

    @staticmethod
    def forward(ctx, base, result, idx):
        ctx.idx = idx
        return base

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        fn = ctx.fn
        if fn is None:
            g_base = I.put_flat(g, ctx.idx, 0.0) if need[0] else None
            g_view = I.take_flat(g, ctx.idx) if need[1] else None
            return g_base, g_view, None
        grads = fn.backward(fn, I.take_flat(g, ctx.idx))
        if type(grads) is not tuple:
            grads = tuple(grads) if isinstance(grads, list) else (grads,)
        n = len(fn._edges)
        grads = grads[:n] + (None,) * (n - len(grads))
        g_old = grads[0]
        g_base = None
        if need[0]:
            if g_old is None:
                g_base = I.put_flat(g, ctx.idx, 0.0)
            else:
                shape, dtype = ctx.view_meta
                if g_old._data.shape != shape:
                    from ..autograd.engine import _sum_to_shape
                    g_old = _sum_to_shape(fn, g_old, shape, 0)
                if g_old._data.dtype != dtype:
                    g_old = g_old.to(dtypes._FROM_NUMPY[dtype])
                g_base = I.put_flat(g, ctx.idx, g_old)
        return (g_base,) + tuple(grads[1:])


class AsStridedView(Function):
    """A view's node when it is read out of its base's (new) history."""
    _name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, base, view, idx):
        ctx.idx = idx
        ctx.base_shape = base.shape
        return view

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros
        base = zeros(ctx.base_shape, dtype=g.dtype, device=g.device)
        return I.put_flat(base, ctx.idx, g), None, None


class _ZeroGrad(Function):
    _name = "ZeroBackward0"

    @staticmethod
    def forward(ctx, old):
        return old

    @staticmethod
    def backward(ctx, g):
        return g * 0


def _recording(self, other=None):
    return GradMode.enabled and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))


def _no_grad_call(op, self, args, kwargs):
    prev = GradMode.enabled
    GradMode.enabled = False
    try:
        return op(self, *args, **kwargs)
    finally:
        GradMode.enabled = prev


def _inplace_from(op, name=None):
    """`name_` from out-of-place `name`: same arguments, result written into self."""

    def method(self, *args, **kwargs):
        if GradMode.enabled and (self._requires_grad or any(
                isinstance(a, Tensor) and a._requires_grad for a in args) or any(
                isinstance(a, Tensor) and a._requires_grad for a in kwargs.values())):
            return _rebase_inplace(self, lambda old: op(old, *args, **kwargs))
        _write(self, _no_grad_call(op, self, args, kwargs)._data)
        return self

    method.__name__ = method.__qualname__ = name or (op.__name__ + "_")
    return method


def _ufunc_inplace(ufunc, op):
    """Fast add_/mul_/... for the no-grad case: the ufunc writes straight into self."""
    slow = _inplace_from(op)

    def method(self, other, **kwargs):
        if kwargs or (GradMode.enabled and (self._requires_grad or (
                isinstance(other, Tensor) and other._requires_grad))):
            return slow(self, other, **kwargs)
        data = self._data
        ad, bd = P._operands(self, other)
        if ad.dtype != data.dtype:  # the result type differs from self's: check the cast
            P._check_cast(ad.dtype, self)
        if not getattr(data.flags, "writeable", True) or (0 in data.strides and _overlaps(data)):
            raise RuntimeError(_OVERLAP_ERROR)
        try:
            ufunc(ad, bd, out=data, casting="unsafe")
        except ValueError:
            _raise_shape(self, getattr(bd, "shape", ()))
        self._version_counter[0] += 1
        return self

    method.__name__ = method.__qualname__ = op.__name__ + "_"
    return method


def _bool_sub_check(self, other):
    if self._data.dtype.kind == "b" or isinstance(other, bool) or (
            isinstance(other, Tensor) and other._data.dtype.kind == "b"):
        P._check_bool_sub(self, other)


_add_ = _ufunc_inplace(np.add, P.add)
_sub_ = _ufunc_inplace(np.subtract, P.sub)
mul_ = _ufunc_inplace(np.multiply, P.mul)
_true_div_ = _ufunc_inplace(np.true_divide, P.div)
_div_slow = _inplace_from(P.div)


def add_(self, other, *, alpha=1):
    if alpha == 1 and type(alpha) is int:
        return _add_(self, other)
    return _add_(self, other, alpha=alpha)


def sub_(self, other, *, alpha=1):
    _bool_sub_check(self, other)
    if alpha == 1 and type(alpha) is int:
        return _sub_(self, other)
    return _sub_(self, other, alpha=alpha)


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is None:
        if self._data.dtype.kind != "f":
            # the quotient is a float: PyTorch refuses to cast it back into an integer tensor
            P._check_cast(np.dtype(dtypes._default_float.np), self)
        return _true_div_(self, other)
    return _div_slow(self, other, rounding_mode=rounding_mode)


# ---- fills -------------------------------------------------------------------------
class _Fill(Function):
    _name = "FillBackward2"

    @staticmethod
    def forward(ctx, old, value):
        xp = array_module(old)
        return xp.full(old.shape, value, dtype=old.dtype)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


class _FillTensor(Function):
    _name = "FillBackward3"

    @staticmethod
    def forward(ctx, old, value):
        xp = array_module(old)
        return xp.full(old.shape, value, dtype=old.dtype)

    @staticmethod
    def backward(ctx, g):
        return g * 0, (g.sum() if ctx.needs_input_grad[1] else None)


class _Zero(_Fill):
    _name = "ZeroBackward0"


def zero_(self):
    if _recording(self):
        return _rebase_inplace(self, lambda old: _Zero.apply(old, 0))
    _check_fillable(self)
    self._data[...] = 0
    self._version_counter[0] += 1
    return self


def fill_(self, value):
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        if _recording(self, value):
            return _rebase_inplace(self, lambda old: _FillTensor.apply(old, value.to(old.dtype)))
        value = value.item()
    if _recording(self):
        return _rebase_inplace(self, lambda old: _Fill.apply(old, value))
    _check_fillable(self)
    if self._data.dtype.kind in "iu":
        value = P._scalar_operand(self._data, value)[1]
    self._data[...] = value
    self._version_counter[0] += 1
    return self


class _CopyFn(Function):
    _name = "CopyBackwards"

    @staticmethod
    def forward(ctx, old, src):
        ctx.src_dtype = src.dtype
        if type(src) is not type(old):
            from .._backend import to_device
            from ..device import device
            src = to_device(src, device("cpu") if type(old) is np.ndarray else device("cuda", old.device.id))
        return array_module(old).broadcast_to(src.astype(old.dtype, copy=False), old.shape).copy()

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        return (g * 0 if need[0] else None), (g.to(dtypes._FROM_NUMPY[ctx.src_dtype]) if need[1] else None)


_Copy = _CopyFn


def copy_(self, src, non_blocking=False):
    """Copy `src` (broadcast and cast, across devices) into self."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    data = src._data
    try:
        shape = np.broadcast_shapes(data.shape, self._data.shape)
    except ValueError:
        shape = None
    if shape != self._data.shape:
        raise P._broadcast_error(self._data.shape, data.shape) if shape is None else RuntimeError(
            f"output with shape {_shape_str(self._data.shape)} doesn't match the broadcast shape "
            f"{_shape_str(shape)}")
    if _recording(self, src):
        return _rebase_inplace(self, lambda old: _Copy.apply(old, src))
    if type(data) is not type(self._data):
        from .._backend import to_device
        data = to_device(data, self.device)
    _check_writable(self)
    self._data[...] = data
    self._version_counter[0] += 1
    return self


# ---- random fills: values come from huoba's PyTorch-compatible generator --------------
class _RandomFill(Function):
    @staticmethod
    def forward(ctx, old, array):
        return array

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


def _random_node(name):
    return type(name, (_RandomFill,), {"_name": name})


_RANDOM_NODES = {n: _random_node(n) for n in ("UniformBackward0", "NormalBackward0", "BernoulliBackward0",
                                               "RandomBackward0", "ExponentialBackward0")}


def _gen(self, generator):
    """A CUDA tensor draws from its GPU's generator (see huoba.cuda)."""
    if generator is not None or type(self._data) is np.ndarray:
        return generator
    from ..cuda import _generator_for
    return _generator_for(self)


def _random_fill(self, array, node_name):
    xp = array_module(self._data)
    if type(array) is not type(self._data):
        array = xp.asarray(array)
    if _recording(self):
        return _rebase_inplace(self, lambda old: _RANDOM_NODES[node_name].apply(old, array.astype(
            old.dtype, copy=False)))
    _check_writable(self)
    self._data[...] = array
    self._version_counter[0] += 1
    return self


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    return _random_fill(self, _random.uniform(self._data.shape, self.dtype, a, b, generator=_gen(self, generator)),
                        "UniformBackward0")


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    return _random_fill(self, _random.normal(self._data.shape, self.dtype, mean, std,
                                             generator=_gen(self, generator)),
                        "NormalBackward0")


def bernoulli_(self, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, Tensor) else p
    if type(probs) is not np.ndarray and hasattr(probs, "get"):
        probs = probs.get()
    return _random_fill(self, _random.bernoulli(probs, self._data.shape, self.dtype, generator=_gen(self, generator)),
                        "BernoulliBackward0")


def random_(self, from_=None, to=None, *, generator=None):
    if from_ is None:
        return _random_fill(self, _random.random_(self._data.shape, self.dtype, generator=_gen(self, generator)),
                            "RandomBackward0")
    if to is None:
        from_, to = 0, from_
    return _random_fill(self, _random.randint(from_, to, self._data.shape, self.dtype,
                                              generator=_gen(self, generator)),
                        "RandomBackward0")


def exponential_(self, lambd=1.0, *, generator=None):
    return _random_fill(self, _random.exponential(self._data.shape, self.dtype, lambd,
                                                  generator=_gen(self, generator)),
                        "ExponentialBackward0")


# ---- in-place shape changes ------------------------------------------------------
def resize_(self, *sizes, memory_format=None):
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    shape = as_shape(sizes)
    n = 1
    for s in shape:
        n *= s
    flat = self._data.reshape(-1)
    if flat.size >= n:
        self._data = flat[:n].reshape(shape)
    else:
        new = array_module(self._data).zeros(n, self._data.dtype)
        new[:flat.size] = flat
        self._data = new.reshape(shape)
    self._version_counter[0] += 1
    return self


def resize_as_(self, other, memory_format=None):
    return resize_(self, other.shape)


def _shape_inplace(op, node_name):
    """t_, transpose_, squeeze_, unsqueeze_: self takes the view's shape (and, when
    recording, the view op's node)."""

    def method(self, *args, **kwargs):
        if GradMode.enabled and self._requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(_LEAF_ERROR)
            alias = _wrap(self._data, True)
            alias.grad_fn = self.grad_fn
            if self._output_nr:
                alias._output_nr = self._output_nr
            result = op(alias, *args, **kwargs)
            self._data = result._data
            fn = result.grad_fn
            if fn is not None and fn is not self.grad_fn:
                fn._name = node_name
                self.grad_fn = fn
            return self
        self._data = op(self, *args, **kwargs)._data
        return self

    method.__name__ = method.__qualname__ = op.__name__ + "_"
    return method


from . import shape as S  # noqa: E402

methods = dict(
    add_=add_, sub_=sub_, subtract_=sub_, mul_=mul_, multiply_=mul_, div_=div_, divide_=div_, true_divide_=div_,
    zero_=zero_, fill_=fill_, copy_=copy_, uniform_=uniform_, normal_=normal_, bernoulli_=bernoulli_,
    random_=random_, exponential_=exponential_, resize_=resize_, resize_as_=resize_as_,
    t_=_shape_inplace(S.t, "TBackward1"), transpose_=_shape_inplace(S.transpose, "TransposeBackward1"),
    swapaxes_=_shape_inplace(S.transpose, "TransposeBackward1"),
    swapdims_=_shape_inplace(S.transpose, "TransposeBackward1"),
    unsqueeze_=_shape_inplace(S.unsqueeze, "UnsqueezeBackward1"),
    squeeze_=_shape_inplace(S.squeeze, "SqueezeBackward3"),
    masked_fill_=_inplace_from(I.masked_fill), scatter_=_inplace_from(I.scatter),
    scatter_add_=_inplace_from(I.scatter_add), scatter_reduce_=_inplace_from(I.scatter_reduce),
    index_add_=_inplace_from(I.index_add), index_copy_=_inplace_from(I.index_copy),
    index_fill_=_inplace_from(I.index_fill), index_put_=_inplace_from(I.index_put, "index_put_"),
    masked_scatter_=_inplace_from(I.masked_scatter),
)
for _name in ("pow", "floor_divide", "remainder", "fmod", "exp", "exp2", "expm1", "log", "log2", "log10",
              "log1p", "sqrt", "rsqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
              "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
              "deg2rad", "rad2deg", "sigmoid", "erf", "erfc", "erfinv", "lgamma", "digamma", "sinc", "logit",
              "reciprocal", "abs", "absolute", "neg", "negative", "floor", "ceil", "trunc", "fix", "frac", "sign",
              "sgn", "round", "relu", "clamp", "clip", "clamp_min", "clamp_max", "lerp", "addcmul", "addcdiv",
              "square", "atan2", "arctan2", "hypot", "copysign", "xlogy", "float_power", "nan_to_num",
              "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
              "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "eq", "ne", "lt", "le",
              "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "fmax", "fmin",
              "maximum", "minimum"):
    methods[_name + "_"] = _inplace_from(getattr(P, _name))

pow_ = methods["pow_"]
bitwise_and_ = methods["bitwise_and_"]
bitwise_or_ = methods["bitwise_or_"]
bitwise_xor_ = methods["bitwise_xor_"]
bitwise_left_shift_ = methods["bitwise_left_shift_"]
bitwise_right_shift_ = methods["bitwise_right_shift_"]
