"""`huoba.summary(model, input_size)`: a layer-by-layer table in the style of torchinfo.

For every submodule: its input and output shapes, the shapes of its own weights
and its parameter count, followed by totals and a memory estimate.  It runs one
forward pass on zeros under `no_grad`, recording shapes with forward hooks.
"""
from .autograd.grad_mode import no_grad
from .ops.creation import zeros

__all__ = ["summary", "ModelSummary"]

_WIDTH = 110


def _shape_str(x):
    if hasattr(x, "shape"):
        return str(list(x.shape))
    if isinstance(x, (tuple, list)) and x:
        return _shape_str(x[0])
    return "--"


class ModelSummary:
    """The rows and totals of a summary; `str()` gives the table."""

    def __init__(self, model, rows, input_size, input_bytes, output_bytes):
        self.model, self.rows, self.input_size = model, rows, input_size
        params = list({id(p): p for p in model.parameters()}.values())
        self.total_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.param_bytes = sum(p.numel() * p.element_size() for p in params)
        self.input_bytes, self.output_bytes = input_bytes, output_bytes

    def __str__(self):
        rule = "=" * _WIDTH
        header = (f"{'Layer (type:depth-idx)':<36}{'Input Shape':<20}{'Output Shape':<20}"
                  f"{'Param shapes':<24}{'Param #':>10}")
        lines = [rule, header, rule]
        for r in self.rows:
            name = ("│    " * max(r["depth"] - 1, 0) + ("├─" if r["depth"] else "") +
                    f"{r['type']}" + (f": {r['depth']}-{r['index']}" if r["depth"] else ""))
            count = f"{r['params']:,}" if r["params"] else "--"
            lines.append(f"{name:<36}{r['input']:<20}{r['output']:<20}{r['weights']:<24}{count:>10}")
        mb = 1024 ** 2
        lines += [rule,
                  f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.total_params - self.trainable_params:,}",
                  rule,
                  f"Input size (MB): {self.input_bytes / mb:.2f}",
                  f"Forward/backward pass size (MB): {2 * self.output_bytes / mb:.2f}",
                  f"Params size (MB): {self.param_bytes / mb:.2f}",
                  f"Estimated Total Size (MB): "
                  f"{(self.input_bytes + 2 * self.output_bytes + self.param_bytes) / mb:.2f}",
                  rule]
        return "\n".join(lines)

    __repr__ = __str__


def summary(model, input_size, batch_size=1, dtype=None, device=None, verbose=1):
    """Describe `model` layer by layer for an input of `input_size` (without the batch dim,
    e.g. (1, 28, 28)); prints the table when `verbose` and returns a ModelSummary."""
    input_size = tuple(input_size)
    x = zeros((batch_size,) + input_size, dtype=dtype, device=device)
    rows = []
    hooks = []
    output_bytes = [0]

    def visit(module, depth, index):
        row = {"type": type(module).__name__, "depth": depth, "index": index, "input": "--", "output": "--",
               "weights": ", ".join(str(list(p.shape)) for _, p in module.named_parameters(recurse=False)) or "--",
               "params": sum(p.numel() for _, p in module.named_parameters(recurse=False))}
        rows.append(row)
        leaf = not any(True for _ in module.children())
        if not leaf:
            row["params"] = sum(p.numel() for p in module.parameters())

        def hook(mod, inputs, output, row=row, leaf=leaf):
            row["input"] = _shape_str(inputs)
            row["output"] = _shape_str(output)
            if leaf and hasattr(output, "numel"):
                output_bytes[0] += output.numel() * output.element_size()
        hooks.append(module.register_forward_hook(hook))
        for i, child in enumerate(module.children(), 1):
            visit(child, depth + 1, i)

    visit(model, 0, 0)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    result = ModelSummary(model, rows, input_size, x.numel() * x.element_size(), output_bytes[0])
    if verbose:
        print(result)
    return result
