"""`huoba.summary(model, input_size)`: the network layer by layer, in the style of torchinfo.

One forward pass on zeros (under `no_grad`, in eval mode) records, for every
module call in execution order, its input and output shapes; the table adds
each layer's parameter shapes and counts, the multiply-adds of the layers with
weight matrices/kernels, the totals and a memory estimate:

    >>> huoba.summary(LeNet(), (1, 28, 28))          # input size without the batch dimension
    ============================================================================================
    Layer (type (var_name):depth-idx)   Input Shape     Output Shape    Param Shapes   Param #
    ...

`input_size` leaves out the batch dimension (`batch_size`, default 1, is put in
front); pass a list of sizes for a model with several inputs, or real tensors
as `input_data`.
"""
from .autograd.grad_mode import no_grad

__all__ = ["summary", "ModelSummary", "LayerInfo"]


def _first_tensor(x):
    if hasattr(x, "shape") and hasattr(x, "numel"):
        return x
    if isinstance(x, dict):
        x = list(x.values())
    if isinstance(x, (tuple, list)):
        for item in x:
            t = _first_tensor(item)
            if t is not None:
                return t
    return None


def _tensors(x):
    if hasattr(x, "shape") and hasattr(x, "numel"):
        return [x]
    if isinstance(x, dict):
        x = list(x.values())
    if isinstance(x, (tuple, list)):
        return [t for item in x for t in _tensors(item)]
    return []


def _shape_str(x):
    t = _first_tensor(x)
    return str(list(t.shape)) if t is not None else "--"


class LayerInfo:
    """One row of the summary: one call of one module."""

    def __init__(self, module, var_name, depth, index, repeated):
        self.module, self.var_name, self.depth, self.index, self.repeated = module, var_name, depth, index, repeated
        self.class_name = type(module).__name__
        own = list(module.named_parameters(recurse=False))
        self.param_shapes = [(n, list(p.shape)) for n, p in own]
        self.num_params = sum(p.numel() for _, p in own)  # its own parameters
        self.total_params = sum(p.numel() for p in module.parameters())  # with its children's
        self.is_leaf = not any(True for _ in module.children())
        self.input_shape = self.output_shape = "--"
        self.output_bytes = 0
        self.macs = 0
        self.children_shown = False

    def __repr__(self):
        return f"{self.class_name}: {self.depth}-{self.index}" if self.depth else self.class_name


class ModelSummary:
    """What `summary` found: `summary_list` (LayerInfo rows), totals, and `str()` for the table."""

    def __init__(self, model, rows, input_bytes, depth):
        self.model, self.summary_list, self.depth = model, rows, depth
        params = list({id(p): p for p in model.parameters()}.values())
        self.total_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.param_bytes = sum(p.numel() * p.element_size() for p in params)
        self.total_mult_adds = sum(r.macs for r in rows)
        self.input_bytes = input_bytes
        self.output_bytes = sum(r.output_bytes for r in rows if r.is_leaf)

    @property
    def total_output_bytes(self):
        """Forward activations and their gradients (the forward/backward pass size)."""
        return 2 * self.output_bytes

    @property
    def total_bytes(self):
        return self.input_bytes + self.total_output_bytes + self.param_bytes

    def _cells(self, r):
        name = r.class_name + (f" ({r.var_name})" if r.var_name else "")
        if r.depth:
            name = "│    " * (r.depth - 1) + "├─" + f"{name}: {r.depth}-{r.index}"
        shapes = ", ".join(f"{n} {s}" for n, s in r.param_shapes) or "--"
        if r.repeated:
            count = "(recursive)" if r.total_params else "--"
        elif r.is_leaf or not r.children_shown:
            count = f"{r.total_params:,}" if r.total_params else "--"
        else:
            count = f"{r.num_params:,}" if r.num_params else "--"
        return [name, r.input_shape, r.output_shape, shapes, count]

    def __str__(self):
        header = ["Layer (type (var_name):depth-idx)", "Input Shape", "Output Shape", "Param Shapes", "Param #"]
        body = [self._cells(r) for r in self.summary_list if r.depth <= self.depth]
        widths = [max(len(h), *(len(row[i]) for row in body)) + 2 for i, h in enumerate(header)]

        def line(cells):
            text = "".join(c.ljust(w) for c, w in zip(cells[:-1], widths[:-1]))
            return text + cells[-1].rjust(widths[-1] - 2)

        width = sum(widths) - 2
        rule = "=" * width
        mb = 1e6  # torchinfo's megabytes
        macs = self.total_mult_adds
        macs_text = f"Total mult-adds (M): {macs / 1e6:.2f}" if macs < 1e9 else f"Total mult-adds (G): {macs / 1e9:.2f}"
        lines = [rule, line(header), rule] + [line(c) for c in body] + [
            rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
            macs_text,
            rule,
            f"Input size (MB): {self.input_bytes / mb:.2f}",
            f"Forward/backward pass size (MB): {self.total_output_bytes / mb:.2f}",
            f"Params size (MB): {self.param_bytes / mb:.2f}",
            f"Estimated Total Size (MB): {self.total_bytes / mb:.2f}",
            rule]
        return "\n".join(lines)

    __repr__ = __str__


def _model_device_dtype(model):
    for p in model.parameters():
        if p.is_floating_point():
            return p.device, p.dtype
    return None, None


def summary(model, input_size=None, batch_size=1, *, input_data=None, dtypes=None, device=None, depth=3,
            verbose=1):
    """Describe `model` for an input of `input_size` (without the batch dimension, e.g. (1, 28, 28);
    a list of sizes for several inputs) or for the tensors in `input_data`.

    Prints the table when `verbose` (the default) and returns a ModelSummary whose
    `total_params`, `trainable_params`, `total_mult_adds` and `summary_list` hold the numbers.
    `depth` limits how deep nested modules are listed."""
    from .ops.creation import zeros
    if input_data is None:
        if input_size is None:
            raise ValueError("summary() needs input_size (without the batch dimension) or input_data")
        sizes = list(input_size)
        multi = bool(sizes) and isinstance(sizes[0], (tuple, list))
        sizes = [tuple(s) for s in sizes] if multi else [tuple(sizes)]
        if any(not all(isinstance(d, int) and d > 0 for d in s) for s in sizes):
            raise ValueError(f"input_size must hold positive integers, got {input_size!r}")
        p_device, p_dtype = _model_device_dtype(model)
        dev = device if device is not None else p_device
        dtypes = list(dtypes) if dtypes is not None else [p_dtype] * len(sizes)
        inputs = [zeros((batch_size,) + s, dtype=dt, device=dev) for s, dt in zip(sizes, dtypes)]
    else:
        inputs = list(input_data) if isinstance(input_data, (tuple, list)) else [input_data]
    input_bytes = sum(t.numel() * t.element_size() for x in inputs for t in _tensors(x))

    names = {}
    for name, module in model.named_modules():
        names.setdefault(id(module), name.rpartition(".")[2])
    rows, stack, seen, per_depth = [], [], set(), {}
    handles = []

    def pre_hook(module, inputs):
        depth = len(stack)
        per_depth[depth] = per_depth.get(depth, 0) + 1
        row = LayerInfo(module, names.get(id(module), ""), depth, per_depth[depth], id(module) in seen)
        seen.add(id(module))
        row.input_shape = _shape_str(inputs)
        if stack:
            stack[-1].children_shown = stack[-1].children_shown or depth <= max_depth
        rows.append(row)
        stack.append(row)

    def hook(module, inputs, output):
        if not stack or stack[-1].module is not module:
            return
        row = stack.pop()
        row.output_shape = _shape_str(output)
        outs = _tensors(output)
        row.output_bytes = sum(t.numel() * t.element_size() for t in outs)
        weight = getattr(module, "weight", None)
        if row.is_leaf and outs and weight is not None and hasattr(weight, "dim") and weight.dim() >= 2:
            # each output element of a Linear / ConvNd costs (in_features or in/groups * kernel) MACs
            row.macs = outs[0].numel() // weight.shape[0] * weight.numel()

    max_depth = depth
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    result = ModelSummary(model, rows, input_bytes, depth)
    if verbose:
        print(result)
    return result
