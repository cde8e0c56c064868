"""Draw the computation graph behind a tensor: what `loss.backward()` will walk.

`to_dot(tensor)` returns Graphviz DOT text: one box per backward node, named as
its `grad_fn` (`MulBackward0`, `ConvolutionBackward0`, ...), one box per leaf
tensor that will receive a gradient (the node PyTorch calls `AccumulateGrad`),
labelled with the parameter's name when `params` names it and with its shape,
and the tensor itself at the bottom.  Edges run from inputs to the operations
that used them, in the direction of the forward pass.

`draw(tensor, path)` writes the DOT text, and renders `.svg` / `.png` / `.pdf`
too when Graphviz's `dot` program is installed:

    >>> loss = model(x).sum()
    >>> huoba.autograd.draw(loss, "graph.svg", params=model)   # also writes graph.dot
"""
import os
import shutil
import subprocess
import sys
import types
import warnings

__all__ = ["to_dot", "draw"]

_RENDERED = (".svg", ".png", ".pdf")
_LEAF_COLOR = "#c9e7ff"
_OUTPUT_COLOR = "#caf2b5"
_GRAPH_COLOR = "#f2f2f2"


def _shape(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _param_names(params):
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    elif isinstance(params, dict):
        params = params.items()
    return {id(t): name for name, t in params}


def _node_label(node):
    name = node.name()
    return name[len("torch::autograd::"):] if name.startswith("torch::autograd::") else name


def to_dot(tensor, params=None, name="output"):
    """DOT text for the graph that produced `tensor` (or a list of tensors).

    `params` names the leaves: a Module (its `named_parameters()`), a dict
    {name: tensor} or (name, tensor) pairs; other leaves are labelled by shape."""
    roots = list(tensor) if isinstance(tensor, (list, tuple)) else [tensor]
    labels = _param_names(params)
    lines = ["digraph autograd {",
             '  graph [fontname="Helvetica", ranksep=0.3];',
             f'  node [shape=box, style="rounded,filled", fillcolor="{_GRAPH_COLOR}", fontname="Helvetica", '
             'fontsize=11, height=0.2];',
             '  edge [arrowsize=0.7];']
    ids = {}

    def node_id(obj):
        key = id(obj)
        if key not in ids:
            ids[key] = f"n{len(ids)}"
        return ids[key]

    seen = set()
    stack = []
    for k, t in enumerate(roots):
        out_name = name if len(roots) == 1 else f"{name}[{k}]"
        out_id = f"out{k}"
        root = t.grad_fn
        if root is None and t.requires_grad:  # a leaf on its own
            label = labels.get(id(t), out_name)
            lines.append(f"  {out_id} [label={_quote(label + chr(10) + _shape(t))}, fillcolor=\"{_LEAF_COLOR}\"];")
            continue
        extra = "" if root is not None else "\n(does not require grad: no graph)"
        lines.append(f"  {out_id} [label={_quote(out_name + chr(10) + _shape(t) + extra)}, "
                     f"fillcolor=\"{_OUTPUT_COLOR}\"];")
        if root is not None:
            lines.append(f"  {node_id(root)} -> {out_id};")
            stack.append(root)
    while stack:  # iterative, like the engine: deep graphs must not recurse
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nid = node_id(node)
        var = getattr(node, "variable", None) if _node_label(node) == "AccumulateGrad" else None
        if var is not None:
            title = labels.get(id(var))
            label = (f"{title}\n" if title else "") + _shape(var)
            lines.append(f"  {nid} [label={_quote(label)}, fillcolor=\"{_LEAF_COLOR}\", "
                         f"tooltip={_quote('AccumulateGrad')}];")
        else:
            lines.append(f"  {nid} [label={_quote(_node_label(node))}];")
        for child, _ in node.next_functions:
            if child is None:
                continue
            lines.append(f"  {node_id(child)} -> {nid};")
            stack.append(child)
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(tensor, path, params=None, name="output"):
    """Write the graph behind `tensor` to `path`: `.dot`/`.gv` gives DOT text; `.svg`, `.png` or
    `.pdf` writes the DOT text beside it (same name, `.dot`) and renders it with Graphviz's `dot`
    program when installed (a warning says so when it is not).  Returns the paths written."""
    path = os.fspath(path)
    base, ext = os.path.splitext(path)
    ext = ext.lower()
    if ext not in _RENDERED + (".dot", ".gv"):
        raise ValueError(f"draw() writes .dot, .gv, .svg, .png or .pdf files, not '{ext or path}'")
    dot_path = path if ext in (".dot", ".gv") else base + ".dot"
    text = to_dot(tensor, params=params, name=name)
    folder = os.path.dirname(os.path.abspath(dot_path))
    os.makedirs(folder, exist_ok=True)
    with open(dot_path, "w") as f:
        f.write(text)
    written = [dot_path]
    if ext in _RENDERED:
        exe = shutil.which("dot")
        if exe is None:
            warnings.warn(f"wrote {dot_path} but not {path}: rendering {ext[1:].upper()} needs Graphviz's `dot` "
                          f"program (e.g. apt-get install graphviz)", RuntimeWarning, stacklevel=2)
        else:
            proc = subprocess.run([exe, f"-T{ext[1:]}", dot_path, "-o", path], capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"Graphviz's dot failed on {dot_path}: {proc.stderr.strip()}")
            written.append(path)
    return written
