"""The backward pass: walk the graph from the outputs to the leaves.

1. Count, for every node reachable from the roots, how many edges point at it
   (`_dependencies`): a node may run only once all its gradients have arrived.
2. Start from the roots with their seed gradients.  Repeatedly take the ready
   node created last (highest sequence number, as PyTorch does), run its
   backward, un-broadcast each input gradient to that input's shape, and add it
   to the buffer of the node the edge points at.
3. AccumulateGrad nodes add the gradient into `leaf.grad`.

The walk uses an explicit heap, never recursion, so graphs of any depth work.
"""
import heapq

from .grad_mode import GradMode
from .function import AccumulateGrad
from ..tensor import Tensor, _wrap


def _dependencies(roots):
    deps = {}
    stack = [node for node in roots if node is not None]
    seen = set(id(n) for n in stack)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            deps[child] = deps.get(child, 0) + 1
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return deps


def _sum_to_shape(grad, shape):
    """Un-broadcast: sum `grad` over the dimensions that broadcasting added or expanded."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    dims = list(range(lead))
    dims += [lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1]
    if dims:
        grad = grad.sum(dim=dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def _accumulate(buffer, index, grad):
    old = buffer[index]
    buffer[index] = grad if old is None else old + grad


def _make_seed_grads(roots, grads):
    seeds = []
    for i, root in enumerate(roots):
        grad = None if grads is None else grads[i]
        if grad is None:
            if root._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not root.is_floating_point():
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{root.dtype}")
            grad = _wrap(_ones_like(root._data))
        elif not isinstance(grad, Tensor):
            grad = _wrap(_ones_like(root._data) * grad)
        elif grad.shape != root.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {grad.shape} and "
                               f"output[{i}] has a shape of {root.shape}.")
        seeds.append(grad)
    return seeds


def _ones_like(array):
    from .._backend import array_module
    return array_module(array).ones_like(array)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None,
             grad_variables=None):
    """`huoba.autograd.backward`: accumulate gradients of `tensors` into the leaves' `.grad`."""
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    if isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    if retain_graph is None:
        retain_graph = create_graph
    for t in tensors:
        if not t._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    seeds = _make_seed_grads(tensors, grad_tensors)
    only = None
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        only = {id(t._edge()[0]): t for t in inputs}
    _run(tensors, seeds, retain_graph, create_graph, capture=None, accumulate_only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         is_grads_batched=False, materialize_grads=False):
    """`huoba.autograd.grad`: the gradients of `outputs` with respect to `inputs`, returned
    rather than accumulated."""
    single_input = isinstance(inputs, Tensor)
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if single_input else tuple(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    if retain_graph is None:
        retain_graph = create_graph
    for t in outputs:
        if not t._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    seeds = _make_seed_grads(outputs, grad_outputs)
    capture = {}
    for i, t in enumerate(inputs):
        capture.setdefault(t._edge(), []).append(i)
    results = _run(outputs, seeds, retain_graph, create_graph, capture=capture, n_inputs=len(inputs))
    for i, r in enumerate(results):
        if r is None:
            if materialize_grads:
                results[i] = _wrap(inputs[i]._data * 0)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(results)


def _run(roots, seeds, retain_graph, create_graph, capture=None, n_inputs=0, accumulate_only=None):
    prev_mode = GradMode.enabled
    GradMode.enabled = bool(create_graph)
    try:
        return _walk(roots, seeds, retain_graph, create_graph, capture, n_inputs, accumulate_only)
    finally:
        GradMode.enabled = prev_mode


def _walk(roots, seeds, retain_graph, create_graph, capture, n_inputs, accumulate_only):
    captured = [None] * n_inputs
    buffers = {}  # node -> list of gradients, one per output of the node
    root_nodes = []
    for root, seed in zip(roots, seeds):
        node, nr = root._edge()
        root_nodes.append(node)
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * _num_outputs(node)
        _accumulate(buf, nr, seed)
    deps = _dependencies(root_nodes)
    ready = []
    for node in set(root_nodes):
        if deps.get(node, 0) == 0:
            heapq.heappush(ready, (-node._sequence_nr, id(node), node))

    while ready:
        _, _, node = heapq.heappop(ready)
        grads = buffers.pop(node)
        if type(node) is AccumulateGrad:
            grads = _run_pre_hooks(node, grads)
            if capture is not None:
                for i in capture.get((node, 0), ()):
                    captured[i] = grads[0]
            elif accumulate_only is None or id(node) in accumulate_only:
                _accumulate_into_leaf(node.variable, grads[0], create_graph)
            continue
        if any(g is not None for g in grads):
            grads = _run_pre_hooks(node, grads)
            if capture is not None:
                for nr, g in enumerate(grads):
                    for i in capture.get((node, nr), ()):
                        captured[i] = g
            input_grads = _call_backward(node, grads, create_graph)
        else:  # no gradient reached this node: only pass the news on to its inputs
            input_grads = (None,) * len(node._edges)
        if not retain_graph:
            node._release()
        for (child, nr), g, shape, dtype in zip(node._edges, input_grads, node._input_shapes,
                                               node._input_dtypes):
            if child is None:
                continue
            buf = buffers.get(child)
            if buf is None:
                buf = buffers[child] = [None] * _num_outputs(child)
            if g is not None:
                if g._data.shape != shape:
                    g = _sum_to_shape(g, shape)
                if g._data.dtype != dtype.np:
                    g = g.to(dtype)
                _accumulate(buf, nr, g)
            deps[child] -= 1
            if deps[child] == 0:
                heapq.heappush(ready, (-child._sequence_nr, id(child), child))
    return captured


def _num_outputs(node):
    return getattr(node, "_num_outputs", 1)


def _run_pre_hooks(node, grads):
    tensor_hooks = node.__dict__.get("_tensor_pre_hooks") if type(node) is not AccumulateGrad else None
    if tensor_hooks:
        for nr, hooks in tensor_hooks.items():
            for hook in list(hooks):
                if grads[nr] is None:
                    continue
                new = hook(grads[nr])
                if new is not None:
                    grads[nr] = new
    if type(node) is AccumulateGrad:
        leaf = node.variable
        if leaf._hooks and grads[0] is not None:
            for hook in list(leaf._hooks):
                new = hook(grads[0])
                if new is not None:
                    grads[0] = new
    node_hooks = node.__dict__.get("_node_pre_hooks")
    if node_hooks:
        for hook in list(node_hooks):
            new = hook(tuple(grads))
            if new is not None:
                grads = list(new)
    # retain_grad(): the non-leaf outputs of this node keep their gradient
    retainers = node.__dict__.get("_retainers")
    if retainers:
        for nr, ref in retainers.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                g = grads[nr] if GradMode.enabled else grads[nr].detach()
                t._grad = g.clone() if t._grad is None else t._grad + g
    return grads


def _call_backward(node, grads, create_graph):
    if any(g is None for g in grads):
        grads = [g if g is not None else _zeros_for(node, i) for i, g in enumerate(grads)]
    result = node.backward(node, *grads)
    if not isinstance(result, tuple):
        result = (result,)
    n_args = len(node._edges)
    if len(result) < n_args:
        if type(node).__dict__.get("_arrays_in", True) is False or not node._arrays_in:
            raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                               f"(expected {n_args}, got {len(result)})")
        result = result + (None,) * (n_args - len(result))
    elif len(result) > n_args:
        extra = result[n_args:]
        if any(r is not None for r in extra):
            raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                               f"(expected {n_args}, got {len(result)})")
        result = result[:n_args]
    if create_graph and node.once_differentiable:
        result = tuple(_mark_once(g, node) for g in result)
    return result


def _zeros_for(node, output_nr):
    shape, dtype = node._output_metas[output_nr]
    from .. import ops
    return ops.zeros(shape, dtype=dtype)


def _mark_once(grad, node):
    if grad is None:
        return None
    from .function import Function

    class _DoubleBackwardError(Function):
        _name = "DelayedError"

        @staticmethod
        def forward(ctx, x):
            return x.copy()

        @staticmethod
        def backward(ctx, g):
            raise RuntimeError(f"trying to differentiate twice a function that was marked with "
                               f"@once_differentiable ({node.name()})")
    if not grad._requires_grad:
        return grad
    return _DoubleBackwardError.apply(grad)


def _accumulate_into_leaf(leaf, grad, create_graph):
    if grad is None:
        return
    if not create_graph:
        grad = grad.detach() if grad._requires_grad else grad
    if leaf._grad is None:
        # a copy: backward may hand the same gradient tensor to several inputs
        leaf._grad = grad.clone()
    elif create_graph or GradMode.enabled:
        leaf._grad = leaf._grad + grad
    else:
        leaf._grad._data += grad._data
        leaf._grad._bump_version()
