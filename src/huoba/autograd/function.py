"""Function: one differentiable op, and the graph node it leaves behind.

Every op in huoba is a subclass of `Function` with

    forward(ctx, *args)    -> array or tuple of arrays   (Tensor args arrive as raw arrays)
    backward(ctx, *grads)  -> one gradient Tensor (or None) per forward argument

`Op.apply(*args)` runs forward and, when gradients are being recorded, keeps the
`ctx` object as the output's `grad_fn`: a node of the graph that remembers the
edges to its inputs' nodes (`next_functions`) and what backward needs
(`ctx.save_for_backward`).  Backward is written with Tensor ops, so it can itself
be recorded (`create_graph=True` gives higher-order gradients).

`huoba.autograd.Function` (the user-facing class, PyTorch's contract) differs in
one way: its forward receives Tensors, not arrays.
"""
import itertools

import numpy as np

from .grad_mode import GradMode
from ..tensor import Tensor, _wrap

_sequence = itertools.count()

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class Node:
    """What the graph is made of; `Function` contexts and `AccumulateGrad` are Nodes."""

    _name = None
    next_functions = ()

    def name(self):
        return self._name or type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def register_hook(self, hook):
        """`hook(grad_inputs, grad_outputs)` runs after this node's backward."""
        hooks = self.__dict__.setdefault("_post_hooks", [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def register_prehook(self, hook):
        """`hook(grad_outputs)` runs before this node's backward; it may replace the grads."""
        hooks = self.__dict__.setdefault("_node_pre_hooks", [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """The node of a leaf tensor: adds the gradient that reaches it into `tensor.grad`."""

    _name = "AccumulateGrad"

    def __init__(self, variable):
        self.variable = variable
        self._sequence_nr = 1 << 62  # leaves run last among ready nodes

    @property
    def next_functions(self):
        return ()


class Function(Node):
    """Base class of huoba's ops (array-level forward, Tensor-level backward)."""

    _arrays_in = True          # forward receives arrays; autograd.Function sets False
    once_differentiable = False  # backward works on raw arrays: no double backward

    def __init__(self):
        self._saved = None

    # ---- what forward calls -------------------------------------------------
    def save_for_backward(self, *values):
        self._to_save = values

    def mark_non_differentiable(self, *outputs):
        self._non_diff = {id(o) for o in outputs}

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self._materialize = value

    # ---- what backward reads ------------------------------------------------
    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            if getattr(self, "_freed", False):
                raise RuntimeError(_FREED_MESSAGE)
            return ()
        for tensor, version in zip(saved, self._saved_versions):
            if tensor is not None and tensor._version_counter[0] != version:
                self._raise_modified(tensor, version)
        return saved

    def _raise_modified(self, tensor, version):
        t = tensor.type().split(".")[-1]
        shape = ", ".join(str(s) for s in tensor.shape)
        producer = tensor.grad_fn.name() if tensor.grad_fn is not None else None
        where = f", which is output {tensor._output_nr} of {producer}," if producer else ""
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: [torch.{t} [{shape}]]{where} is at version {tensor._version_counter[0]}; "
            f"expected version {version} instead. Hint: enable anomaly detection to find the "
            "operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).")

    @property
    def saved_variables(self):
        return self.saved_tensors

    @property
    def next_functions(self):
        return self._next_functions

    def _release(self):
        """Drop what forward saved, once backward has used it (no retain_graph)."""
        if self._saved is not None:
            self._saved = None
            self._freed = True
        self.__dict__.pop("_keep", None)

    # ---- running an op ------------------------------------------------------
    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        ctx = cls()
        record = False
        if GradMode.enabled:
            for a in args:
                if type(a) is not Tensor and not isinstance(a, Tensor):
                    continue
                if a._requires_grad:
                    record = True
                    break
        if cls._arrays_in:
            raw = [a._data if isinstance(a, Tensor) else a for a in args]
            ctx._to_save = ()
            if record:
                ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
            else:
                ctx.needs_input_grad = (False,) * len(args)
            out = cls.forward(ctx, *raw)
        else:
            ctx._to_save = ()
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad and GradMode.enabled
                                         for a in args)
            prev = GradMode.enabled
            GradMode.enabled = False
            try:
                out = cls.forward(ctx, *args)
            finally:
                GradMode.enabled = prev
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        if not cls._arrays_in:
            outs = tuple(o._data if isinstance(o, Tensor) else o for o in outs)
        # NumPy hands back scalars for some 0-d results; a Tensor always holds an array
        outs = tuple(np.asarray(o) if isinstance(o, np.generic) else o for o in outs)
        results = tuple(_wrap(o) if o is not None else o for o in outs)
        if record:
            ctx._connect(args, outs, results, raw if cls._arrays_in else args)
        else:
            ctx._to_save = None
        return results[0] if single else results

    def _connect(self, args, out_arrays, results, forward_args):
        """Make this ctx the grad_fn of `results` and remember the input edges."""
        self._sequence_nr = next(_sequence)
        edges = []
        metas = []
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                edges.append(a._edge())
                metas.append(a._data.shape)
            else:
                edges.append((None, 0))
                metas.append(None)
        self._edges = edges
        self._input_shapes = metas
        self._input_dtypes = [a.dtype if m is not None else None for a, m in zip(args, metas)]
        self._next_functions = tuple(e for e, a in zip(edges, args) if isinstance(a, Tensor))
        non_diff = getattr(self, "_non_diff", ())
        self._num_outputs = len(results)
        if len(results) > 1:
            self._output_metas = [(r._data.shape, r.dtype) if isinstance(r, Tensor) else ((), None)
                                  for r in results]
        for i, r in enumerate(results):
            if r is None or not isinstance(r, Tensor):
                continue
            if id(out_arrays[i]) in non_diff or r._data.dtype.kind not in "fc":
                continue
            r._requires_grad = True
            r.grad_fn = self
            r._output_nr = i
        to_save = self._to_save
        if to_save:
            saved = []
            for v in to_save:
                saved.append(self._as_saved(v, args, forward_args, out_arrays, results))
            self._saved = tuple(saved)
            self._saved_versions = tuple(t._version_counter[0] if t is not None else 0 for t in saved)
        self._to_save = None

    @staticmethod
    def _as_saved(value, args, forward_args, out_arrays, results):
        """A saved value as a Tensor: the input or output it is, else a constant."""
        if value is None:
            return None
        for a, f in zip(args, forward_args):
            if value is f and isinstance(a, Tensor):
                return a
        for o, r in zip(out_arrays, results):
            if value is o:
                return r
        if isinstance(value, Tensor):
            return value
        return _wrap(value)


class BackwardCFunction(Function):
    """Base of the nodes created by user-defined `huoba.autograd.Function`s."""


class _FunctionMeta(type):
    """Gives each user Function a `<Name>Backward` node name, as PyTorch does."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._name = name + "Backward"


class UserFunction(Function, metaclass=_FunctionMeta):
    """`huoba.autograd.Function`: forward and backward both work on Tensors.

    Subclass it with static `forward(ctx, *args)` and `backward(ctx, *grads)` and
    call `MyFunction.apply(...)`.
    """

    _arrays_in = False

    def __init__(self, *args, **kwargs):
        super().__init__()
        self._materialize = True

    @staticmethod
    def setup_context(ctx, inputs, output):
        return None
