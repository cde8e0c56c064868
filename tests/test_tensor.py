"""Tensor basics (metadata, conversions, Size, autograd fields, deepcopy) against PyTorch.

Snippets run once with `torch` bound to real PyTorch and once to huoba; what they
print (values, reprs, errors, warnings) must be identical.
"""
import contextlib
import copy
import gc
import io
import re
import sys
import textwrap
import warnings

import numpy as np
import pytest

import huoba

torch = pytest.importorskip("torch")


def _run(code, module):
    out = io.StringIO()
    env = {"torch": module, "__name__": "__snippet__"}
    with contextlib.redirect_stdout(out), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(textwrap.dedent(code), env)
        except Exception as e:
            print("EXC", type(e).__name__, e)
    for w in caught:
        print("WARN", w.category.__name__, w.message, file=out)
    return re.sub(r"0x[0-9a-f]+", "0x?", out.getvalue())


def check(code):
    expected = _run(code, torch)
    got = _run(code, huoba)
    assert got == expected
    assert "EXC" not in got, got
    return got


PRELUDE = """
def T(f):
    try:
        print("OK", repr(f()))
    except Exception as e:
        print(type(e).__name__, e)
"""


def test_metadata():
    check(PRELUDE + """
z = torch.zeros(3, 4, 5)
T(lambda: (z.dim(), z.ndim, z.ndimension(), z.numel(), z.nelement(), len(z)))
T(lambda: (z.size(), z.shape, z.size(1), z.shape[-1], z.size(-3), z.size(dim=0)))
T(lambda: z.size(3))
T(lambda: z.size(-4))
T(lambda: torch.tensor(5).size(0))
T(lambda: torch.tensor(5).size(-1))
T(lambda: torch.tensor(5).shape)
T(lambda: (z.device, z.dtype, z.is_leaf, z.requires_grad, z.grad, z.grad_fn))
T(lambda: (torch.ones(2, 3).T.shape, torch.ones(2, 3).mT.shape, torch.ones(4, 2, 3).mT.shape))
T(lambda: (z.type(), torch.tensor([1, 2]).type(), torch.tensor([True]).type()))
T(lambda: (torch.ones(2, dtype=torch.float64).type(), torch.ones(2, dtype=torch.int32).type()))
T(lambda: z.type(torch.float64).dtype)
T(lambda: z.type('torch.IntTensor').dtype)
T(lambda: (z.is_floating_point(), torch.tensor([1]).is_floating_point()))
T(lambda: (z.element_size(), torch.tensor([1]).element_size()))
T(lambda: [t.shape for t in z])
T(lambda: z.shape[1:])
T(lambda: type(z.shape[0]))
""")


def test_conversions():
    check(PRELUDE + """
T(lambda: torch.tensor([[1, 2], [3, 4]]).tolist())
T(lambda: torch.tensor(2.5).tolist())
T(lambda: (torch.tensor(True).item(), torch.tensor(3).item(), torch.tensor([1.5]).item()))
T(lambda: torch.ones(1, 1).item())
T(lambda: type(torch.tensor(2.5, dtype=torch.float32).item()))
T(lambda: torch.ones(2).item())
T(lambda: torch.tensor([1, 2]).numpy())
T(lambda: torch.tensor([1., 2.]).numpy().dtype)
T(lambda: (int(torch.tensor(2.7)), int(torch.tensor([-2.7])), float(torch.tensor([True])),
           complex(torch.tensor(2.0))))
T(lambda: int(torch.ones(2)))
T(lambda: float(torch.ones(2)))
T(lambda: float(torch.ones(0)))
T(lambda: [1, 2, 3][torch.tensor(1)])
T(lambda: [1, 2, 3][torch.tensor([2])])
T(lambda: [1, 2, 3][torch.tensor(1.0)])
T(lambda: [1, 2, 3][torch.tensor([1, 2])])
T(lambda: torch.tensor(True).__index__())
T(lambda: bool(torch.tensor([0.0])))
T(lambda: bool(torch.tensor(3)))
T(lambda: bool(torch.ones(2)))
T(lambda: bool(torch.ones(0)))
T(lambda: "yes" if torch.tensor([1]) else "no")
T(lambda: f"{torch.tensor(3.14159):.2f}")
T(lambda: f"{torch.tensor(3):>5}")
T(lambda: f"{torch.tensor(7)}")
T(lambda: f"{torch.tensor([3.14159])}")
T(lambda: f"{torch.tensor([3.14159]):.2f}")
T(lambda: "{:e}".format(torch.tensor(1234.5)))
T(lambda: len(torch.tensor(3)))
T(lambda: iter(torch.tensor(3)))
T(lambda: list(torch.tensor([[1, 2], [3, 4]])))
T(lambda: [float(v) for v in torch.tensor([1.5, 2.5])])
T(lambda: sum(torch.tensor([1, 2, 3])))
T(lambda: max(torch.tensor([1, 5, 3])))
T(lambda: np.asarray(torch.tensor([1., 2.])) if False else None)
""")


def test_numpy_of_tensor_requiring_grad():
    check(PRELUDE + """
x = torch.tensor([1., 2.], requires_grad=True)
T(lambda: x.numpy())
T(lambda: x.detach().numpy())
T(lambda: x.tolist())
T(lambda: x.sum().item())
""")


def test_float_of_tensor_requiring_grad_warns_once():
    tensor_module = sys.modules["huoba.tensor"]
    tensor_module._scalar_warned.clear()
    x = huoba.tensor([1.0, 2.0], requires_grad=True).sum()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert float(x) == 3.0 and float(x) == 3.0 and int(x) == 3
    assert [str(w.message) for w in caught] == [
        "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
        "Consider using tensor.detach() first. (Triggered internally at "
        "/__w/pytorch/pytorch/torch/csrc/autograd/generated/python_variable_methods.cpp:822.)"]


def test_hash_is_identity():
    check(PRELUDE + """
x = torch.tensor([1., 2.])
y = torch.tensor([1., 2.])
d = {x: "x", y: "y"}
T(lambda: (d[x], d[y], len({x, y, x})))
T(lambda: hash(x) == hash(x.detach()))
T(lambda: x in [x])
""")


def test_autograd_fields():
    check(PRELUDE + """
a = torch.tensor([1., 2.])
w = torch.tensor([1., 2.], requires_grad=True)
e = w.detach()
print(e.is_leaf, e.requires_grad, e.grad_fn, e._version, e._base)
f = w.data
print(f.is_leaf, f.requires_grad, f._base)
f.copy_(torch.tensor([5., 6.]))
print(w, w._version, f._version)
e.copy_(torch.tensor([7., 8.]))
print(w, w._version, e._version)
c = a * w
g = c.detach_()
print(g is c, c.is_leaf, c.requires_grad, c.grad_fn)
T(lambda: w.view(2).detach_())
T(lambda: torch.ones(4).view(2, 2).detach_())
T(lambda: w.copy_(torch.tensor([1., 1.])))
w2 = torch.randn(3).requires_grad_()
print(w2.requires_grad, w2.is_leaf)
i = torch.ones(2, 2, requires_grad=True).sum(0)
T(lambda: i.requires_grad_(False))
T(lambda: setattr(i, "requires_grad", False))
T(lambda: i.requires_grad_(True).grad_fn)
T(lambda: torch.ones(2, dtype=torch.int64).requires_grad_(True))
T(lambda: torch.ones(2, dtype=torch.int64).requires_grad_(False))
T(lambda: torch.zeros(2, dtype=torch.bool).requires_grad_())
T(lambda: setattr(torch.ones(2, dtype=torch.long), "requires_grad", True))
x = torch.tensor([1., 2.], requires_grad=True)
x2 = x.data
x2.requires_grad = True
print(x2.requires_grad, x.requires_grad)
""")


def test_grad_setter():
    check(PRELUDE + """
a = torch.ones(4, requires_grad=True)
T(lambda: setattr(a, "grad", torch.ones(3)))
T(lambda: setattr(a, "grad", torch.ones(4, dtype=torch.float64)))
T(lambda: setattr(a, "grad", torch.ones(4, dtype=torch.int64)))
T(lambda: setattr(a, "grad", 3))
T(lambda: setattr(a, "grad", torch.ones(4, requires_grad=True)))
print(a.grad)
a.grad = None
print(a.grad)
h = torch.ones(2, dtype=torch.float16, requires_grad=True)
T(lambda: setattr(h, "grad", torch.ones(2)))
""")


def test_printing_with_autograd_info():
    check("""
x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
print(x)
print(x * 2)
print((x * 2).sum())
print(x.detach())
print(torch.tensor(3.5, requires_grad=True))
print(torch.zeros(2, dtype=torch.float64, requires_grad=True))
print(torch.zeros(2, dtype=torch.float64, requires_grad=True) + 1)
print(repr(x[0]), str(x.T))
print(x.data)
with torch.no_grad():
    print(x * 2)
""")


def test_deepcopy():
    check(PRELUDE + """
import copy
x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
y = copy.deepcopy(x)
T(lambda: (y, y is x, y.requires_grad, y.is_leaf, y.grad))
x.grad = torch.ones(2, 3)
T(lambda: copy.deepcopy(x).grad)
T(lambda: copy.deepcopy(x * 2))
lst = copy.deepcopy([x, x])
print(lst[0] is lst[1])
z = torch.zeros(2)
z.foo = "bar"
T(lambda: copy.deepcopy(z).foo)
c = copy.deepcopy(z)
c.copy_(torch.ones(2))
print(z, c)
d = copy.deepcopy(torch.tensor([1, 2], dtype=torch.int32))
print(d, d.dtype)
""")


def test_deepcopy_keeps_hooks_out_and_shares_nothing():
    x = huoba.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 100)
    (x * 1).sum().backward()  # makes x._grad_accumulator (a weakref) and x._grad
    y = copy.deepcopy(x)
    assert y._hooks is None and y._grad_accumulator is None
    assert y.grad.tolist() == [100.0, 100.0] and y.grad is not x.grad
    (y * 1).sum().backward()
    assert y.grad.tolist() == [101.0, 101.0]


def test_size():
    check(PRELUDE + """
import copy, pickle
T(lambda: torch.Size([2, 3]))
T(lambda: torch.Size((2, 3))[0])
T(lambda: torch.Size([2, 3, 4])[1:])
T(lambda: torch.Size([2, 3, 4])[::-1])
T(lambda: torch.Size([2]) + torch.Size([3]))
T(lambda: torch.Size([2]) + (3,))
T(lambda: (1,) + torch.Size([2]))
T(lambda: torch.Size([2]) + [3])
T(lambda: torch.Size([2, 3]) * 2)
T(lambda: 2 * torch.Size([2, 3]))
T(lambda: (torch.Size([2, 3]).numel(), torch.Size([]).numel(), torch.Size([2, 0]).numel()))
T(lambda: isinstance(torch.Size([2]), tuple))
T(lambda: (torch.Size([2, 3]) == (2, 3), torch.Size([2, 3]) == [2, 3]))
T(lambda: pickle.loads(pickle.dumps(torch.Size([2, 3]))))
T(lambda: copy.deepcopy(torch.Size([2, 3])))
T(lambda: torch.Size([1.5]))
T(lambda: torch.Size(['a']))
T(lambda: torch.Size([torch.tensor(4)]))
T(lambda: torch.Size(3))
T(lambda: torch.Size())
T(lambda: (str(torch.Size([5])), f"{torch.Size([5])}", list(torch.Size([5, 6]))))
T(lambda: torch.ones(2, 3).shape == torch.Size([2, 3]))
T(lambda: hash(torch.Size([2, 3])) == hash((2, 3)))
T(lambda: (torch.Size([2, 3]).index(3), torch.Size([2, 3]).count(3), max(torch.ones(2, 5).shape)))
T(lambda: type(torch.ones(2).shape[:1]).__name__)
""")


def test_legacy_constructor_and_class_checks():
    check(PRELUDE + """
T(lambda: torch.Tensor([1, 2]))
T(lambda: torch.Tensor(2, 3).shape)
T(lambda: isinstance(torch.ones(2), torch.Tensor))
T(lambda: torch.is_tensor(torch.ones(2)))
""")


def test_tensors_are_not_kept_alive_by_views_of_the_graph():
    gc.collect()
    x = huoba.randn(10, requires_grad=True)
    y = x * 2
    del y
    assert gc.collect() == 0


def test_wrap_is_lean():
    from huoba.tensor import _wrap
    t = _wrap(np.zeros(3, dtype=np.float32))
    assert t.__dict__ == {}   # rare autograd fields live on the class until set
    assert t._grad is None and t._output_nr == 0 and t._hooks is None and t.grad is None
