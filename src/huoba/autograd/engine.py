"""The backward pass: walk the graph from the outputs to the leaves.

1. Count, for every node reachable from the roots, how many edges point at it:
   a node may run only once all its gradients have arrived.  For
   `autograd.grad` and `backward(inputs=...)` the graph is first pruned to the
   nodes that lie on a path to one of the inputs (PyTorch's `exec_info`).
2. Start from the roots with their seed gradients.  Repeatedly take the ready
   node created last (highest sequence number, as PyTorch does), run its hooks
   and backward, un-broadcast each input gradient to that input's shape (the one
   central place that does so), cast it to the input's dtype and add it to the
   buffer of the node the edge points at.
3. AccumulateGrad nodes add the gradient into `leaf.grad`.

The walk uses an explicit heap, never recursion, so graphs of any depth work.
Unless `retain_graph` is set, each node drops what it saved as soon as its
backward has run.
"""
import heapq
import sys
import warnings

from .grad_mode import GradMode
from .function import AccumulateGrad, Function, _FREED_MESSAGE, _delay_error, _grad_accumulator
from ..tensor import Tensor, _wrap
from .. import _backend
from .._backend import gpu_used
import numpy as _np

__all__ = ["backward", "grad"]

_heappush = heapq.heappush
_heappop = heapq.heappop
_getrefcount = sys.getrefcount
_create_graph_warned = False

_CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid "
    "this. If you have to use this function, make sure to reset the .grad fields of your parameters to None "
    "after use to break the cycle and avoid the leak. (Triggered internally at "
    "/__w/pytorch/pytorch/torch/csrc/autograd/engine.cpp:1307.)")


# ---- public entry points ----------------------------------------------------------
def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """`huoba.autograd.backward`: accumulate gradients of `tensors` into the leaves' `.grad`."""
    if grad_variables is not None:
        warnings.warn("'grad_variables' is deprecated. Use 'grad_tensors' instead.", FutureWarning,
                      stacklevel=2)
        if grad_tensors is None:
            grad_tensors = grad_variables
        else:
            raise RuntimeError("'grad_tensors' and 'grad_variables' (deprecated) arguments both passed to "
                               "backward(). Please only use 'grad_tensors'.")
    if inputs is not None and len(_as_tuple(inputs)) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    tensors = _as_tuple(tensors)
    inputs = () if inputs is None else _as_tuple(inputs)
    grad_tensors = _grads_tuple(grad_tensors, len(tensors))
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _make_seeds(tensors, grad_tensors, is_grads_batched=False)
    if create_graph:
        global _create_graph_warned
        if not _create_graph_warned:
            _create_graph_warned = True
            warnings.warn(_CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    roots = _root_edges(tensors)
    if inputs:
        targets = {}
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"backward(): inputs must be Tensors, but got {type(t).__name__}")
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            if t.grad_fn is not None:
                # a non-leaf input gets its .grad as retain_grad() gives it (as in PyTorch)
                t.retain_grad()
                targets.setdefault(_target_edge(t), [])
            else:
                targets.setdefault(_target_edge(t), []).append(i)
        _execute(roots, seeds, retain_graph, create_graph, targets, inputs, accumulate=True)
    else:
        _execute(roots, seeds, retain_graph, create_graph, None, None, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """`huoba.autograd.grad`: the gradients of `outputs` with respect to `inputs`, returned
    rather than accumulated into `.grad`."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.",
                      FutureWarning, stacklevel=2)
    if is_grads_batched:
        raise NotImplementedError("huoba.autograd.grad does not support is_grads_batched=True")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grad_outputs = _grads_tuple(grad_outputs, len(outputs))
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _make_seeds(outputs, grad_outputs, is_grads_batched)
    roots = _root_edges(outputs)
    targets = {}
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be Tensors, but got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        targets.setdefault(_target_edge(t), []).append(i)
    results = _execute(roots, seeds, retain_graph, create_graph, targets, inputs, accumulate=False)
    for i, r in enumerate(results):
        if r is None:
            if materialize_grads:
                t = inputs[i]
                from .._backend import array_module
                results[i] = _zeros(t._data.shape, t._data.dtype, array_module(t._data))
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(results)


# ---- argument handling -------------------------------------------------------------
def _as_tuple(x):
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _grads_tuple(grads, n):
    if grads is None:
        return (None,) * n
    if isinstance(grads, Tensor):
        grads = (grads,)
    else:
        grads = tuple(grads)
    if len(grads) != n:
        raise RuntimeError(f"got {n} tensors and {len(grads)} gradients")
    return grads


def _make_seeds(roots, grads, is_grads_batched):
    seeds = []
    for i, (root, g) in enumerate(zip(roots, grads)):
        if not isinstance(root, Tensor):
            raise TypeError(f"element {i} of tensors is not a Tensor")
        if not root._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        data = root._data
        if g is None:
            if data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if data.dtype.kind != "f":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{root.dtype}")
            g = _wrap(_ones(data))
        elif isinstance(g, Tensor):
            if g._data.shape != data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                                   f"has a shape of {root.shape}.")
            if g._data.dtype != data.dtype:
                g = g.to(root.dtype)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        seeds.append(g)
    return seeds


def _root_edges(tensors):
    return [(t.grad_fn, t._output_nr) if t.grad_fn is not None else (_grad_accumulator(t), 0)
            for t in tensors]


def _target_edge(t):
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (_grad_accumulator(t), 0)


def _ones(array):
    from .._backend import array_module
    xp = array_module(array)
    if xp is not _np:
        with _backend.device_of(array):  # CuPy allocates on the current device
            return xp.ones_like(array)
    return xp.ones_like(array)


def _zeros(shape, dtype, xp):
    return _wrap(xp.zeros(shape, dtype))


# ---- graph analysis -----------------------------------------------------------------
def _count_dependencies(roots):
    """{node: number of edges into it} over the graph reachable from `roots`."""
    deps = {}
    stack = list(roots)
    get = deps.get
    while stack:
        node = stack.pop()
        for e in node._edges:
            if e is None:
                continue
            child = e[0]
            if child is None:
                continue
            c = get(child)
            if c is None:
                deps[child] = 1
                stack.append(child)
            else:
                deps[child] = c + 1
    return deps


def _prune(roots, target_nodes):
    """For grad() / backward(inputs=...): which nodes must run, and their dependencies.

    A node must run when one of its children leads to a target; a target itself only
    has its incoming gradient captured (and runs only if it also leads on to another
    target).  Returns (deps, run) where `run` is the set of nodes to execute."""
    leads = {}   # node -> True if it is or leads to a target (post-order, iterative)
    run = set()
    for root in roots:
        if root in leads:
            continue
        leads[root] = root in target_nodes
        stack = [(root, iter(root._edges))]
        while stack:
            node, it = stack[-1]
            for e in it:
                if e is None or e[0] is None:
                    continue
                child = e[0]
                state = leads.get(child)
                if state is None:
                    leads[child] = child in target_nodes
                    stack.append((child, iter(child._edges)))
                    break
                if state:
                    leads[node] = True
                    run.add(node)
            else:
                stack.pop()
                if leads[node] and stack:
                    parent = stack[-1][0]
                    leads[parent] = True
                    run.add(parent)
    deps = {}
    for node in run:
        for e in node._edges:
            if e is None or e[0] is None:
                continue
            child = e[0]
            if leads.get(child):
                deps[child] = deps.get(child, 0) + 1
    return deps, run


# ---- the walk -----------------------------------------------------------------------
def _execute(roots, seeds, retain_graph, create_graph, targets, inputs, accumulate):
    """Run backward from `roots` (edges) seeded with `seeds`.

    targets: None (plain backward: every reachable node runs, leaves accumulate) or
    {(node, output_nr): [input indices]}: the gradients reaching those edges are
    captured into the returned list (accumulated into `inputs[i].grad` instead when
    `accumulate`)."""
    prev = GradMode.enabled
    GradMode.enabled = bool(create_graph)
    device = _backend._get_device() if _backend.gpu_used[0] else None
    try:
        return _walk(roots, seeds, retain_graph, create_graph, targets, inputs, accumulate)
    finally:
        GradMode.enabled = prev
        if device is not None:  # each node ran on the GPU of its gradients (see _walk)
            _backend._Device(device).use()


def _walk(roots, seeds, retain_graph, create_graph, targets, inputs, accumulate):
    buffers = {}
    for (node, nr), seed in zip(roots, seeds):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._num_outputs
        buf[nr] = seed if buf[nr] is None else buf[nr] + seed
    root_nodes = list(dict.fromkeys(node for node, _ in roots))
    captured = None
    if targets is None:
        deps = _count_dependencies(root_nodes)
        run = None
        capture_at = None
    else:
        captured = [None] * len(inputs)
        capture_at = {}
        for (node, nr), idx in targets.items():
            capture_at.setdefault(node, []).append((nr, idx))
        deps, run = _prune(root_nodes, capture_at)

    ready = []
    for node in root_nodes:
        if not deps.get(node):
            _heappush(ready, (-node._sequence_nr, id(node), node))
    keep = retain_graph
    in_place = not create_graph
    while ready:
        node = _heappop(ready)[2]
        grads = buffers.pop(node, None)
        if grads is None:
            grads = [None] * node._num_outputs
        elif gpu_used[0]:
            _backend.follow(grads)

        if capture_at is not None:
            runs = node in run
            caps = capture_at.get(node)
            if caps is not None:
                if not runs:
                    grads = _tensor_pre_hooks(node, grads)
                for nr, idx in caps:
                    g = grads[nr]
                    for i in idx:
                        if accumulate:
                            if g is not None:
                                _accumulate_into(inputs[i], g)
                        else:
                            captured[i] = g
            if not runs:
                continue

        if type(node) is AccumulateGrad:
            grads = _tensor_pre_hooks(node, grads)
            if node._pre_hooks:
                grads = _node_pre_hooks(node, grads)
            g = grads[0]
            leaf = node._variable()
            if g is not None and leaf is not None:
                _accumulate_into(leaf, g)
            if node._post_hooks:
                for hook in list(node._post_hooks):
                    hook((), tuple(grads))
            g = leaf = None
            continue

        if node._tensor_pre_hooks or node._retainers:
            grads = _tensor_pre_hooks(node, grads)
        if node._pre_hooks:
            grads = _node_pre_hooks(node, grads)
        input_grads = None
        for g in grads:
            if g is not None:
                input_grads = _call_backward(node, grads)
                break
        if not keep:
            node._release()

        # hand each input its gradient (un-broadcast and cast to the input's shape and
        # dtype), and count down the dependencies of the nodes behind
        i = -1
        for e in node._edges:
            i += 1
            if e is None:
                continue
            child = e[0]
            if child is None:
                continue
            c = deps.get(child)
            if c is None:  # pruned away
                continue
            if input_grads is not None:
                g = input_grads[i]
                if g is not None:
                    input_grads[i] = None  # the buffer holds it from here (see _can_add_in_place)
                    if g._data.shape != e[2]:
                        g = _sum_to_shape(node, g, e[2], i)
                    if g._data.dtype != e[3]:
                        g = _cast(g, e[3])
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child._num_outputs
                        buf[e[1]] = g
                    else:
                        old = buf[e[1]]
                        if old is None:
                            buf[e[1]] = g
                        elif in_place and _can_add_in_place(old, g):
                            old._data += g._data
                            old._version_counter[0] += 1
                        else:
                            buf[e[1]] = old + g
                        old = None
                    g = None  # drop our reference, so that a leaf can take the array over
            if c == 1:
                del deps[child]
                _heappush(ready, (-child._sequence_nr, id(child), child))
            else:
                deps[child] = c - 1
        input_grads = None
    return captured


def _writeable(array):
    # CuPy arrays have no `writeable` flag (they always are)
    return getattr(array.flags, "writeable", True)


def _can_add_in_place(old, g):
    """Whether the engine may add `g` into buffered gradient `old` in place: `old` is a
    fresh array that only the buffer holds (the buffer list, the caller's local, this
    frame and getrefcount's argument refer to the Tensor; the Tensor, this frame and the
    argument to its array)."""
    data = old._data
    return (_getrefcount(old) <= 4 and data.base is None and _writeable(data)
            and data.shape == g._data.shape and data.dtype == g._data.dtype and not old._requires_grad
            and _getrefcount(data) <= 3)


def _call_backward(node, grads):
    """Run `node.backward` on its output gradients; returns one gradient per input."""
    if node._freed and type(node)._arrays_in:
        raise RuntimeError(_FREED_MESSAGE)
    n_out = len(grads)
    if n_out > 1:
        for i in range(n_out):
            if grads[i] is None and node._materialize:
                meta = node._output_metas[i]
                if meta is not None:
                    grads[i] = _zeros(meta[0], meta[1], meta[2])
    result = node.backward(node, *grads)
    edges = node._edges
    n_in = len(edges)
    if type(result) is not tuple:
        result = tuple(result) if isinstance(result, list) else (result,)
    if len(result) != n_in:
        result = _check_count(node, result, n_in)
    if not node._arrays_in:
        for i, (g, e) in enumerate(zip(result, edges)):
            if g is not None and e is None:
                raise RuntimeError(f"function {node.name()} returned a gradient different than None at position "
                                   f"{i + 1}, but the corresponding forward input was not a Variable")
    if node._post_hooks:
        for hook in list(node._post_hooks):
            new = hook(result, tuple(grads))
            if new is not None:
                result = tuple(new)
    if node.once_differentiable and GradMode.enabled and any(
            g is not None and g._requires_grad for g in grads):
        result = _delay_error(result)
    return list(result)


def _check_count(node, result, n_in):
    if len(result) > n_in and all(r is None for r in result[n_in:]):
        return result[:n_in]
    if len(result) < n_in and node._arrays_in:
        return result + (None,) * (n_in - len(result))
    raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients (expected {n_in}, "
                       f"got {len(result)})")


def _sum_to_shape(node, grad, shape, index):
    """Un-broadcast: sum `grad` over the dimensions that broadcasting added or expanded."""
    gshape = grad._data.shape
    lead = len(gshape) - len(shape)
    ok = lead >= 0
    if ok:
        for s, gs in zip(shape, gshape[lead:]):
            if s != gs and s != 1:
                ok = False
                break
    if not ok:
        # PyTorch counts the node's inputs that are tensors (its edges), not every forward argument
        index = sum(1 for e in node._edges[:index] if e is not None)
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {index} - got "
                           f"[{', '.join(map(str, gshape))}] but expected shape compatible with "
                           f"[{', '.join(map(str, shape))}]")
    dims = list(range(lead))
    dims += [lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1]
    if dims:
        grad = grad.sum(dim=dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def _cast(grad, np_dtype):
    from ..dtypes import _FROM_NUMPY
    return grad.to(_FROM_NUMPY[np_dtype])


# ---- hooks ----------------------------------------------------------------------------
def _tensor_pre_hooks(node, grads):
    """Hooks registered on tensors: a non-leaf's (by output number) or a leaf's, then
    retain_grad()'s, which always come last (as in PyTorch)."""
    hooks = node._tensor_pre_hooks
    if hooks:
        for nr, hook in list(hooks):
            g = grads[nr]
            if g is not None:
                new = hook(g)
                if new is not None:
                    grads[nr] = new
    if type(node) is AccumulateGrad:
        leaf = node._variable()
        leaf_hooks = leaf._hooks if leaf is not None else None
        if leaf_hooks and grads[0] is not None:
            for hook in list(leaf_hooks):
                new = hook(grads[0])
                if new is not None:
                    grads[0] = new
    retainers = node._retainers
    if retainers:
        for nr, ref in list(retainers.items()):
            t = ref()
            g = grads[nr]
            if t is None or g is None:
                continue
            if t._grad is None:
                t._grad = g.clone() if GradMode.enabled else _wrap(g._data.copy())
            else:
                t._grad = t._grad + g
    return grads


def _node_pre_hooks(node, grads):
    for hook in list(node._pre_hooks):
        new = hook(tuple(grads))
        if new is not None:
            grads = list(new)
    return grads


# ---- accumulation into .grad ------------------------------------------------------------
class _CopyBackwards(Function):
    """What the first gradient accumulated with create_graph=True becomes (PyTorch's
    clone into the leaf's layout)."""

    _name = "CopyBackwards"

    @staticmethod
    def forward(ctx, g):
        return g.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def _accumulate_into(t, g):
    """`t.grad += g`, as AccumulateGrad does: the first gradient is taken over when
    nothing else refers to it (else copied); later ones add in place, except while
    recording (create_graph), where they add out of place so the result has a graph."""
    old = t._grad
    if old is None:
        if GradMode.enabled:
            t._grad = _CopyBackwards.apply(g) if g._requires_grad else _wrap(g._data.copy())
        else:
            data = g._data
            # Take the array over only if nobody else can see it: `data` is referenced by g,
            # this frame and getrefcount's argument; g by the engine's buffer list and
            # local, this frame and getrefcount's argument.
            if (data.base is None and _writeable(data) and data.flags.c_contiguous
                    and _getrefcount(data) <= 3 and _getrefcount(g) <= 4 and not g._requires_grad
                    and g._base is None and g.grad_fn is None):
                grad = t._grad = _wrap(data)
                grad._version_counter = g._version_counter  # a detach(), as in PyTorch
            else:
                t._grad = _wrap(data.copy())
    elif GradMode.enabled:
        t._grad = old + g
    else:
        od = old._data
        if _writeable(od) and od.shape == g._data.shape:
            od += g._data
            old._version_counter[0] += 1
        else:
            t._grad = old + g
    hooks = t._post_acc_hooks
    if hooks:
        for hook in list(hooks):
            hook(t)
