"""Draw the computation graph behind a tensor (what `loss.backward()` will walk).

`to_dot(tensor)` returns Graphviz DOT text: one box per graph node, named as its
`grad_fn` (MulBackward0, AccumulateGrad, ...), leaves labelled with their shapes,
edges pointing from inputs to the ops that used them.  `draw(tensor, path)`
writes `.dot`, and `.svg`/`.png` too when the `dot` program is installed.
"""
import os
import shutil
import subprocess

__all__ = ["to_dot", "draw"]


def _shape(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def to_dot(tensor, name="output", params=None):
    """DOT text for the graph that produced `tensor`.  `params` ({name: tensor}) labels leaves."""
    labels = {id(p): n for n, p in (params or {}).items()}
    lines = ["digraph autograd {", '  node [shape=box, fontname="monospace", fontsize=10];', "  rankdir=BT;"]
    ids = {}

    def node_id(node):
        if id(node) not in ids:
            ids[id(node)] = f"n{len(ids)}"
        return ids[id(node)]

    root = tensor.grad_fn
    out_id = "out"
    lines.append(f'  {out_id} [label="{name}\\n{_shape(tensor)}", style=filled, fillcolor="#a6d8ff"];')
    if root is None:
        lines.append("}")
        return "\n".join(lines) + "\n"
    lines.append(f"  {node_id(root)} -> {out_id};")
    seen = set()
    stack = [root]
    while stack:  # iterative, like the engine: deep graphs must not recurse
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nid = node_id(node)
        if node.name() == "AccumulateGrad":
            var = node.variable
            title = labels.get(id(var), "leaf")
            lines.append(f'  {nid} [label="{title}\\n{_shape(var)}", style=filled, fillcolor="#c9f2c7"];')
        else:
            lines.append(f'  {nid} [label="{node.name()}"];')
        for child, _ in node.next_functions:
            if child is None:
                continue
            lines.append(f"  {node_id(child)} -> {nid};")
            stack.append(child)
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(tensor, path, params=None, name="output"):
    """Write the graph to `path` (.dot, .svg or .png); returns the paths written."""
    base, ext = os.path.splitext(path)
    dot_text = to_dot(tensor, name=name, params=params)
    dot_path = base + ".dot"
    with open(dot_path, "w") as f:
        f.write(dot_text)
    written = [dot_path]
    if ext in (".svg", ".png"):
        exe = shutil.which("dot")
        if exe is None:
            raise RuntimeError(f"wrote {dot_path}; rendering {ext} needs Graphviz's `dot` program "
                               "(e.g. apt-get install graphviz)")
        subprocess.run([exe, f"-T{ext[1:]}", dot_path, "-o", path], check=True)
        written.append(path)
    return written
