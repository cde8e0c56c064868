"""Function: one differentiable op, and the graph node it leaves behind.

Every op in huoba is a subclass of `Function` with

    forward(ctx, *args)    -> array or tuple of arrays   (Tensor args arrive as raw arrays)
    backward(ctx, *grads)  -> one gradient Tensor (or None) per forward argument

`Op.apply(*args)` runs forward and, when gradients are being recorded, keeps the
`ctx` object as the output's `grad_fn`: a node of the graph that remembers the
edges to its inputs' nodes (`next_functions`) and what backward needs
(`ctx.save_for_backward`).  Backward is written with Tensor ops, so it can itself
be recorded (`create_graph=True` gives higher-order gradients).

Graph layout (read by the engine):

* `node._edges`: one entry per forward argument: None for a non-tensor argument
  or an integer/bool tensor (indices and masks are not differentiable), which
  `next_functions` leaves out; `_NO_EDGE` for a float tensor that needs no gradient
  (or a Python scalar that PyTorch wraps into a tensor), shown as `(None, 0)`;
  else `(next_node, output_nr, shape, numpy_dtype)` of the input.
* `node._saved`: what `save_for_backward` kept, freed after backward has used it
  unless `retain_graph=True`.  A saved *output* is kept as its array, not as the
  output Tensor (which holds the node: that would be a reference cycle), and is
  rebuilt on unpacking with `grad_fn` set to the node, as PyTorch does.

`huoba.autograd.Function` (the user-facing class, PyTorch's contract) differs in
that its forward receives and returns Tensors, and its nodes are instances of a
separate `<Name>Backward` class, as in PyTorch.
"""
import functools
import inspect
import itertools
import re
import weakref

import numpy as np

from .grad_mode import GradMode
from ..tensor import Tensor, _wrap, _view_of, _alias_of
from .._backend import gpu_used as _gpu_used, device_context as _device_context

__all__ = ["Function", "Node", "AccumulateGrad", "BackwardCFunction", "UserFunction", "once_differentiable",
           "FunctionCtx"]

_next_sequence_nr = itertools.count().__next__
_new = object.__new__
_ndarray = np.ndarray
_generic = np.generic
_NO_EDGE = (None, 0, None, None)

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")

# PyTorch runs binary arithmetic with a Python number as a "wrapped number" tensor: it
# shows up in next_functions as (None, 0), and mul/div save it for backward.  Op classes
# may say so explicitly with `_wrapped_scalar = (index, saved)`; these names get it by
# default for a number in position 1.
_WRAPPED_SCALAR_NAMES = {"AddBackward0": False, "SubBackward0": False, "MulBackward0": True,
                         "DivBackward0": True}
_NUMBER_TYPES = (int, float, bool, complex, np.number, np.bool_)
# nodes that PyTorch writes by hand in C++: their name() carries the namespace
_CPP_NODES = frozenset(("AccumulateGrad", "CopyBackwards", "CopySlices", "DelayedError", "Error",
                        "GraphRoot", "Identity", "NotImplemented", "UndefinedGradBackward"))


class Node:
    """What the graph is made of; `Function` contexts and `AccumulateGrad` are Nodes."""

    _name = None
    _sequence_nr = 0
    _edges = ()
    _num_outputs = 1
    _saved = None
    _freed = False
    _holds_saved_scalar = False
    once_differentiable = False
    # hooks; set on the instance when registered
    _tensor_pre_hooks = None   # [(output_nr, hook)] from Tensor.register_hook on a non-leaf
    _retainers = None          # {output_nr: weakref to tensor} from retain_grad()
    _pre_hooks = None          # [hook(grad_outputs)] from Node.register_prehook
    _post_hooks = None         # [hook(grad_inputs, grad_outputs)] from Node.register_hook

    def name(self):
        name = self._name or type(self).__name__
        return "torch::autograd::" + name if name in _CPP_NODES else name

    def __repr__(self):
        return f"<{self._name or type(self).__name__} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        return tuple([(e[0], e[1]) for e in self._edges if e is not None])

    @property
    def metadata(self):
        meta = self.__dict__.get("_metadata")
        if meta is None:
            meta = self._metadata = {}
        return meta

    def register_hook(self, hook):
        """`hook(grad_inputs, grad_outputs)` runs after this node's backward; it may return
        new grad_inputs."""
        hooks = self.__dict__.get("_post_hooks")
        if hooks is None:
            hooks = self._post_hooks = []
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def register_prehook(self, hook):
        """`hook(grad_outputs)` runs before this node's backward; it may return new grads."""
        hooks = self.__dict__.get("_pre_hooks")
        if hooks is None:
            hooks = self._pre_hooks = []
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def _release(self):
        """Drop what forward saved, once backward has used it (no retain_graph)."""
        if self._saved is not None or self._holds_saved_scalar:
            self._saved = None
            self._freed = True


class _RemovableHandle:
    """What `register_hook` returns: `.remove()` unregisters exactly that registration."""

    _next_id = itertools.count().__next__

    def __init__(self, hooks, entry):
        self._hooks, self._entry = hooks, entry
        self.id = _RemovableHandle._next_id()

    def remove(self):
        hooks = self._hooks
        for i, e in enumerate(hooks):
            if e is self._entry:
                del hooks[i]
                return

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the gradient that reaches it into `tensor.grad`.

    The leaf holds its AccumulateGrad (made on first use, then shared by every graph
    that uses the leaf) and the node refers back to the leaf weakly, so there is no
    reference cycle and ops on parameters need not make a node each time.
    """

    _name = "AccumulateGrad"
    _sequence_nr = (1 << 64) - 1  # PyTorch's UINT64_MAX: runs as soon as it is ready

    def __init__(self, variable):
        self._variable = weakref.ref(variable)

    @property
    def variable(self):
        return self._variable()

    @property
    def next_functions(self):
        return ()


def _grad_accumulator(tensor):
    """The AccumulateGrad node of leaf `tensor` (made on first use)."""
    acc = tensor._grad_accumulator
    if acc is None:
        acc = _new(AccumulateGrad)
        acc._variable = weakref.ref(tensor)
        tensor._grad_accumulator = acc
    return acc


def _edge_of(t):
    """The edge that carries a gradient to tensor `t` (which requires grad)."""
    fn = t.grad_fn
    data = t._data
    if fn is None:
        return (_grad_accumulator(t), 0, data.shape, data.dtype)
    return (fn, t._output_nr, data.shape, data.dtype)


def _short_name(node):
    return re.sub(r"Backward\d*$", "", node.name())


def _as_array(out):
    """A forward result as an array: NumPy hands back scalars for some 0-d results."""
    if isinstance(out, _generic):
        return np.asarray(out)
    if isinstance(out, Tensor):
        return out._data
    return out


class _NoInputNeedsGrad(tuple):
    """`ctx.needs_input_grad` while nothing is recorded: False at every index (saves
    building a tuple per op on the no-grad path)."""

    __slots__ = ()

    def __getitem__(self, index):
        return False if type(index) is int else ()


_NO_INPUT_NEEDS_GRAD = _NoInputNeedsGrad()


class FunctionCtx:
    """The methods forward uses on `ctx` (mixed into every Function node)."""

    _to_save = ()
    _non_diff = ()
    _dirty = ()
    _materialize = True
    needs_input_grad = _NO_INPUT_NEEDS_GRAD

    def save_for_backward(self, *values):
        self._to_save = values

    def mark_non_differentiable(self, *outputs):
        self._non_diff = outputs

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self._materialize = bool(value)

    def save_for_forward(self, *tensors):
        self._saved_for_forward = tensors

    # ---- what backward reads ------------------------------------------------
    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(_FREED_MESSAGE)
            return ()
        result = []
        for entry in saved:
            if entry is None:
                result.append(None)
            elif len(entry) == 2:  # (tensor, version at save time)
                t, version = entry
                if t._version_counter[0] != version:
                    self._raise_modified(t, version, t.grad_fn, t._output_nr)
                result.append(t)
            else:  # an output of this node: (array, version counter, version, output_nr)
                array, counter, version, nr = entry
                t = _wrap(array, True)
                t._version_counter = counter
                t.grad_fn = self
                if nr:
                    t._output_nr = nr
                if counter[0] != version:
                    self._raise_modified(t, version, self, nr)
                result.append(t)
        return tuple(result)

    saved_variables = saved_tensors

    @staticmethod
    def _raise_modified(tensor, version, producer, output_nr):
        shape = ", ".join(str(s) for s in tensor._data.shape)
        where = f", which is output {output_nr} of {_short_name(producer)}," if producer is not None else ""
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: [{tensor.type()} [{shape}]]{where} is at version {tensor._version_counter[0]}; "
            f"expected version {version} instead. Hint: enable anomaly detection to find the operation that "
            "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")


class Function(FunctionCtx, Node):
    """Base class of huoba's ops (array-level forward, Tensor-level backward)."""

    _arrays_in = True           # forward receives arrays; autograd.Function sets False
    once_differentiable = False  # backward works on raw arrays: no double backward
    _wrapped_scalar = None       # (index, saved): a Python number PyTorch wraps as a tensor

    def __init__(self, *args, **kwargs):
        pass

    # ---- running an op ------------------------------------------------------
    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        if _gpu_used[0]:
            # run on the device of the tensors (PyTorch's device guard), see _backend
            where = _device_context(cls, args)
            if where is not None:
                if type(where) is list:
                    return cls.apply(*where)
                with where:
                    return cls.apply(*args)
        ctx = _new(cls)
        if GradMode.enabled:
            for a in args:
                if getattr(a, "_requires_grad", False):
                    return ctx._apply_recording(args)
        # nothing to record: ctx only carries what forward stores on it
        out = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args])
        if type(out) is _ndarray:
            return _wrap(out)
        if type(out) is tuple:
            return tuple([None if o is None else _wrap(_as_array(o)) for o in out])
        return _wrap(_as_array(out))

    @property
    def needs_input_grad(self):
        """Per forward argument: does it need a gradient (a Tensor that requires grad)?"""
        needs = self.__dict__.get("_needs")
        if needs is not None:
            return needs
        edges = self._edges
        if not edges:
            return _NO_INPUT_NEEDS_GRAD
        return tuple([e is not None and e[0] is not None for e in edges])

    @needs_input_grad.setter
    def needs_input_grad(self, value):
        self._needs = value

    def _apply_recording(self, args):
        cls = type(self)
        raw = []
        edges = []
        for a in args:
            if isinstance(a, Tensor):
                data = a._data
                raw.append(data)
                if a._requires_grad:
                    fn = a.grad_fn
                    if fn is None:
                        fn = a._grad_accumulator
                        if fn is None:
                            fn = _grad_accumulator(a)
                        edges.append((fn, 0, data.shape, data.dtype))
                    else:
                        edges.append((fn, a._output_nr, data.shape, data.dtype))
                else:
                    # integer and bool inputs (indices, masks) are not differentiable: PyTorch
                    # leaves them out of next_functions
                    edges.append(_NO_EDGE if data.dtype.kind in "fc" else None)
            else:
                raw.append(a)
                edges.append(None)
        self._edges = edges
        out = cls.forward(self, *raw)
        self._sequence_nr = _next_sequence_nr()
        if len(edges) > 1 and edges[1] is None:
            wrapped = cls._wrapped_scalar
            if wrapped is None:
                saves = _WRAPPED_SCALAR_NAMES.get(cls._name)
                if saves is not None and isinstance(args[1], _NUMBER_TYPES):
                    wrapped = (1, saves)
            if wrapped and edges[wrapped[0]] is None:
                edges[wrapped[0]] = _NO_EDGE
                if wrapped[1]:
                    self._holds_saved_scalar = True
        non_diff = self._non_diff
        if type(out) is not tuple:
            if type(out) is not _ndarray:
                out = _as_array(out)
            result = _wrap(out)
            if out.dtype.kind in "fc" and not (non_diff and any(out is o for o in non_diff)):
                result._requires_grad = True
                result.grad_fn = self
            to_save = self._to_save
            if to_save:
                saved = []
                for v in to_save:
                    if v is out and result.grad_fn is self:
                        saved.append((out, result._version_counter, 0, 0))
                        continue
                    for j, r in enumerate(raw):
                        if v is r:
                            t = args[j]
                            if t is not r:
                                saved.append((t, t._version_counter[0]))
                                break
                    else:
                        saved.append(_saved_constant(v))
                self._saved = tuple(saved)
                self._to_save = ()
            return result
        outs = [None if o is None else _as_array(o) for o in out]
        results = []
        metas = []
        for i, o in enumerate(outs):
            if o is None:
                results.append(None)
                metas.append(None)
                continue
            r = _wrap(o)
            metas.append((o.shape, o.dtype, _array_module(o)))
            if o.dtype.kind in "fc" and not (non_diff and any(o is x for x in non_diff)):
                r._requires_grad = True
                r.grad_fn = self
                if i:
                    r._output_nr = i
            results.append(r)
        self._num_outputs = len(outs)
        self._output_metas = metas
        to_save = self._to_save
        if to_save:
            saved = []
            for v in to_save:
                for i, o in enumerate(outs):
                    if v is o and v is not None and results[i].grad_fn is self:
                        saved.append((o, results[i]._version_counter, 0, i))
                        break
                else:
                    saved.append(_saved_input(v, args, raw))
            self._saved = tuple(saved)
            self._to_save = ()
        return tuple(results)


def _saved_constant(v):
    if v is None:
        return None
    t = v if isinstance(v, Tensor) else _wrap(v)
    return (t, t._version_counter[0])


def _saved_input(v, args, raw):
    """The `_saved` entry of a value that is not an output: the input Tensor whose array
    it is (its version is checked when unpacked), or a constant."""
    if v is None:
        return None
    for a, r in zip(args, raw):
        if v is r and a is not r:
            return (a, a._version_counter[0])
    t = v if isinstance(v, Tensor) else _wrap(v)
    return (t, t._version_counter[0])


def _array_module(array):
    from .._backend import array_module
    return array_module(array)


# ---- user-defined Functions (torch.autograd.Function) -----------------------------
class BackwardCFunction(Function):
    """Base of the nodes created by user-defined `huoba.autograd.Function`s.

    `MyFunc.apply` makes an instance of `MyFuncBackward` (this class's subclass) as
    both `ctx` and the outputs' `grad_fn`; its backward calls `MyFunc.backward`.
    """

    _arrays_in = False
    _forward_cls = None

    def __repr__(self):
        return f"<torch.autograd.function.{type(self).__name__} object at {hex(id(self))}>"

    @staticmethod
    def backward(ctx, *grads):
        cls = ctx._forward_cls
        backward_fn, vjp_fn = cls.backward, cls.vjp
        if backward_fn is not UserFunction.backward and vjp_fn is not UserFunction.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. "
                               "You should only implement one of them.")
        return (vjp_fn if vjp_fn is not UserFunction.vjp else backward_fn)(ctx, *grads)

    def apply(self, *grads):
        return BackwardCFunction.backward(self, *grads)


class _FunctionMeta(type):
    """Gives each user Function its `<Name>Backward` node class, as PyTorch does."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "_name": name + "Backward",
                                  "__module__": "huoba.autograd.function"})


def _setup_context_unset(ctx, inputs, output):
    raise NotImplementedError("setup_context is not implemented.")


class UserFunction(FunctionCtx, metaclass=_FunctionMeta):
    """`huoba.autograd.Function`: forward and backward both work on Tensors.

    Subclass it with static `forward(ctx, *args)` and `backward(ctx, *grads)` (or
    `forward(*args)` plus `setup_context(ctx, inputs, output)`) and call
    `MyFunction.apply(...)`.
    """

    def __init__(self, *args, **kwargs):
        import warnings
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, so you "
            "should invoke them on the class itself. Instantiating an autograd function will raise an error in a "
            "future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @staticmethod
    def vjp(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")
    setup_context = staticmethod(_setup_context_unset)

    @classmethod
    def apply(cls, *args, **kwargs):
        new_style = cls.setup_context is not _setup_context_unset
        if kwargs:
            args = _bind_args(cls.forward, args, kwargs, skip_ctx=not new_style)
        ctx = _new(cls._backward_cls)
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        ctx.needs_input_grad = needs
        record = GradMode.enabled and True in needs
        prev = GradMode.enabled
        GradMode.enabled = False
        try:
            if new_style:
                out = cls.forward(*args)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args)
        finally:
            GradMode.enabled = prev
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        if record:
            results = ctx._connect_user(args, outs)
        else:
            results = tuple([_plain_output(o, args) for o in outs])
            ctx._to_save = ()
        return results[0] if single else results


def _bind_args(fn, args, kwargs, skip_ctx):
    sig = inspect.signature(fn)
    bound = sig.bind(None, *args, **kwargs) if skip_ctx else sig.bind(*args, **kwargs)
    values = tuple(bound.args)
    return values[1:] if skip_ctx else values


def _plain_output(o, args):
    """An output when nothing is recorded: an input returned as is comes back as a new
    tensor sharing its memory (a view while grad mode is on, as in PyTorch)."""
    if isinstance(o, Tensor) and any(o is a for a in args):
        return _view_of(o, o._data) if GradMode.enabled else _alias_of(o, o._data)
    return o


def _connect_user(self, args, outs):
    """Make this ctx the grad_fn of the user Function's outputs."""
    self._sequence_nr = _next_sequence_nr()
    edges = []
    for a in args:
        if isinstance(a, Tensor):
            edges.append(_edge_of(a) if a._requires_grad else _NO_EDGE)
        else:
            edges.append(None)
    self._edges = edges
    dirty = self._dirty
    non_diff = self._non_diff
    results = []
    metas = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            results.append(o)
            metas.append(None)
            continue
        data = o._data
        metas.append((data.shape, data.dtype, _array_module(data)))
        is_dirty = any(o is d for d in dirty)
        if is_dirty:
            if o.grad_fn is None and o._requires_grad:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            o._version_counter[0] += 1
            r = o
        elif any(o is a for a in args):
            r = _view_of(o, data)
        else:
            r = o
        if any(o is n for n in non_diff) or data.dtype.kind not in "fc":
            if not is_dirty:
                r._requires_grad = False
        else:
            r._requires_grad = True
            r.grad_fn = self
            if i or r._output_nr:
                r._output_nr = i
        results.append(r)
    self._num_outputs = len(outs)
    self._output_metas = metas
    to_save = self._to_save
    if to_save:
        saved = []
        for v in to_save:
            if v is None:
                saved.append(None)
                continue
            if not isinstance(v, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {len(saved)} is of type "
                                f"{type(v).__name__}")
            for i, r in enumerate(results):
                if isinstance(r, Tensor) and r.grad_fn is self and (v is r or v is outs[i]) and \
                        not any(v is a for a in args):
                    saved.append((r._data, r._version_counter, r._version_counter[0], i))
                    break
            else:
                saved.append((v, v._version_counter[0]))
        self._saved = tuple(saved)
        self._to_save = ()
    return tuple(results)


BackwardCFunction._connect_user = _connect_user


# ---- once_differentiable ------------------------------------------------------------
class DelayedError(Function):
    """Stands in the graph where a once-differentiable backward's result would be
    differentiated again: backward through it raises."""

    _name = "Error"

    @staticmethod
    def forward(ctx, x, message):
        ctx.message = message
        return x

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(ctx.message)


_ONCE_MESSAGE = "trying to differentiate twice a function that was marked with @once_differentiable"


def _delay_error(grads, message=_ONCE_MESSAGE):
    """Route each gradient through a DelayedError node (double backward then raises)."""
    out = []
    for g in grads:
        if isinstance(g, Tensor):
            g = _alias_of(g, g._data)
            g._requires_grad = True
            g = DelayedError.apply(g, message)
        out.append(g)
    return tuple(out)


def once_differentiable(fn):
    """Decorate a custom Function's backward that is not itself differentiable: it runs
    without recording, and differentiating its result again raises an error."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = GradMode.enabled
        GradMode.enabled = False
        try:
            outputs = fn(ctx, *args)
        finally:
            GradMode.enabled = prev
        if not GradMode.enabled:
            return outputs
        if not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        result = _delay_error((outputs,) if single else outputs)
        return result[0] if single else result

    return wrapper
