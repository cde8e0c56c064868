"""huoba.autograd.draw / to_dot: the graph behind a tensor, with PyTorch's grad_fn names."""
import collections
import re
import shutil
import warnings

import pytest

import huoba

import huoba.nn as hnn
from huoba.autograd import draw, to_dot

torch = pytest.importorskip("torch")


def _labels(dot):
    """{node id: label} of a DOT text written by to_dot."""
    return {m.group(1): m.group(2).replace("\\n", "\n")
            for m in re.finditer(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M)}


def _edges(dot):
    return re.findall(r"^\s*(\w+) -> (\w+);", dot, re.M)


def _torch_names(t):
    """Multiset of the node names PyTorch's graph behind `t` has (AccumulateGrad for leaves)."""
    names, seen, stack = collections.Counter(), set(), [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        names[fn.name().replace("torch::autograd::", "")] += 1
        stack.extend(f for f, _ in fn.next_functions)
    return names


def _huoba_names(dot):
    names = collections.Counter()
    for node, label in _labels(dot).items():
        if node.startswith("out"):
            continue
        names["AccumulateGrad" if "#c9e7ff" in _node_line(dot, node) else label] += 1
    return names


def _node_line(dot, node):
    return next(line for line in dot.splitlines() if line.strip().startswith(f"{node} [label="))


def test_elementwise_graph_matches_torch():
    def f(lib, x, y):
        return ((x * 2 + y.exp()) / y).sum()

    hx = huoba.tensor([1.0, 2.0, 3.0], requires_grad=True)
    hy = huoba.tensor([0.5, 1.5, 2.5], requires_grad=True)
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ty = torch.tensor([0.5, 1.5, 2.5], requires_grad=True)
    dot = to_dot(f(huoba, hx, hy), params={"x": hx, "y": hy})
    assert _huoba_names(dot) == _torch_names(f(torch, tx, ty))
    labels = _labels(dot)
    assert "x\n(3)" in labels.values() and "y\n(3)" in labels.values()
    assert labels["out0"] == "output\n()"
    # y feeds both exp and div: one node, two edges out of it
    y_node = next(k for k, v in labels.items() if v == "y\n(3)")
    assert sorted(labels[b] for a, b in _edges(dot) if a == y_node) == ["DivBackward0", "ExpBackward0"]


def test_mlp_graph_names_and_parameters():
    h = hnn.Sequential(hnn.Linear(4, 3), hnn.ReLU(), hnn.Linear(3, 2))
    t = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    dot = to_dot(h(huoba.randn(5, 4)), params=h)
    assert _huoba_names(dot) == _torch_names(t(torch.randn(5, 4)))
    values = set(_labels(dot).values())
    assert {"0.weight\n(3, 4)", "0.bias\n(3)", "2.weight\n(2, 3)", "2.bias\n(2)", "AddmmBackward0",
            "ReluBackward0", "TBackward0", "output\n(5, 2)"} <= values
    # edges run from inputs to the ops that use them, ending at the output
    labels = _labels(dot)
    assert ("AddmmBackward0", "output\n(5, 2)") in [(labels[a], labels[b]) for a, b in _edges(dot)]
    assert ("2.weight\n(2, 3)", "TBackward0") in [(labels[a], labels[b]) for a, b in _edges(dot)]


def _conv_available():
    try:
        hnn.Conv2d(1, 1, 3)(huoba.zeros(1, 1, 5, 5))
        hnn.MaxPool2d(2)(huoba.zeros(1, 1, 4, 4))
        return True
    except (NotImplementedError, ImportError, AttributeError):
        return False


@pytest.mark.skipif(not _conv_available(), reason="huoba's Conv2d / MaxPool2d forward not available yet")
def test_cnn_graph_names_match_torch():
    def net(nn):
        return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3))
    h, t = net(hnn), net(torch.nn)
    loss_h = hnn.functional.cross_entropy(h(huoba.randn(2, 1, 6, 6)), huoba.tensor([0, 2]))
    loss_t = torch.nn.functional.cross_entropy(t(torch.randn(2, 1, 6, 6)), torch.tensor([0, 2]))
    dot = to_dot(loss_h, params=h)
    assert _huoba_names(dot) == _torch_names(loss_t)
    assert "0.weight\n(2, 1, 3, 3)" in _labels(dot).values()


def test_leaves_without_names_and_tensors_without_graph():
    x = huoba.ones(2, 3, requires_grad=True)
    dot = to_dot(x.sum())
    assert "(2, 3)" in _labels(dot).values()   # an unnamed leaf: its shape
    assert "AccumulateGrad" in dot             # as the leaf's tooltip
    assert _labels(to_dot(x, name="x")) == {"out0": "x\n(2, 3)"}
    plain = to_dot(huoba.ones(2))
    assert "does not require grad" in plain and "->" not in plain
    two = to_dot([x * 2, x + 1])
    labels = _labels(two)
    assert labels["out0"] == "output[0]\n(2, 3)" and labels["out1"] == "output[1]\n(2, 3)"
    assert list(labels.values()).count("(2, 3)") == 1   # the shared leaf appears once


def test_deep_graph_does_not_recurse():
    x = huoba.ones(1, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    dot = to_dot(y)
    assert dot.count("MulBackward0") == 5000


def test_quotes_in_names_are_escaped():
    x = huoba.ones(1, requires_grad=True)
    dot = to_dot(x * 2, params={'we"ird\\name': x})
    assert 'we\\"ird\\\\name' in dot


def test_draw_writes_dot_and_renders_when_graphviz_exists(tmp_path):
    w = huoba.randn(3, 2, requires_grad=True)
    y = (huoba.randn(4, 3) @ w).relu().mean()
    assert draw(y, tmp_path / "g.dot", params={"w": w}) == [str(tmp_path / "g.dot")]
    text = (tmp_path / "g.dot").read_text()
    assert text.startswith("digraph autograd {") and "MmBackward0" in text and "MeanBackward0" in text
    if shutil.which("dot"):
        written = draw(y, tmp_path / "g.svg", params={"w": w})
        assert written == [str(tmp_path / "g.dot"), str(tmp_path / "g.svg")]
        svg = (tmp_path / "g.svg").read_text()
        assert "<svg" in svg and "MmBackward0" in svg
        draw(y, tmp_path / "g.png")
        assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    else:
        with pytest.warns(RuntimeWarning, match="needs Graphviz's `dot` program"):
            written = draw(y, tmp_path / "g.svg")
        assert written == [str(tmp_path / "g.dot")] and not (tmp_path / "g.svg").exists()
    with pytest.raises(ValueError, match="writes .dot, .gv, .svg, .png or .pdf"):
        draw(y, tmp_path / "g.jpg")


def test_reachable_as_huoba_autograd_draw(tmp_path):
    x = huoba.ones(2, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        written = huoba.autograd.draw(x.exp().sum(), tmp_path / "x.dot")
    assert "ExpBackward0" in (tmp_path / "x.dot").read_text() and written == [str(tmp_path / "x.dot")]
