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


# ---- operators: which operands they take, NumPy interplay ------------------------------------------
def _run_np(code, module):
    """Like _run, with NumPy at hand; drops the DeprecationWarning NumPy 2 gives about PyTorch's
    one-argument __array_wrap__ (huoba's takes NumPy 2's arguments)."""
    out = io.StringIO()
    env = {"torch": module, "np": np, "__name__": "__snippet__"}
    with contextlib.redirect_stdout(out), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(textwrap.dedent(code), env)
    for w in caught:
        if "__array_wrap__ must accept" not in str(w.message):
            print("WARN", w.category.__name__, w.message, file=out)
    return re.sub(r"0x[0-9a-f]+", "0x?", out.getvalue())


def check_np(code):
    expected = _run_np(PRELUDE_NP + code, torch)
    got = _run_np(PRELUDE_NP + code, huoba)
    assert got == expected
    return got


PRELUDE_NP = """
import operator as O
def T(f):
    try:
        r = f()
        if isinstance(r, torch.Tensor):
            print("OK Tensor", r.dtype, r.tolist())
        else:
            print("OK", type(r).__name__, r if not isinstance(r, np.ndarray) else r.dtype)
    except Exception as e:
        print(type(e).__name__, e)
OPS = [O.add, O.sub, O.mul, O.truediv, O.floordiv, O.mod, O.pow, O.matmul, O.and_, O.or_, O.xor, O.lshift,
       O.rshift, O.lt, O.le, O.gt, O.ge, O.eq, O.ne]
IOPS = [O.iadd, O.isub, O.imul, O.itruediv, O.ifloordiv, O.imod, O.ipow, O.iand, O.ior, O.ixor, O.ilshift,
        O.irshift]
"""


def test_operators_return_not_implemented_for_other_operands():
    out = check_np("""
for make in (lambda: torch.tensor([1, 2, 3]), lambda: torch.tensor([1., 2., 3.])):
    for other in ([1, 2, 3], (1, 2), "ab", None, object(), {}, {1}, b"x"):
        for op in OPS:
            print(op.__name__, type(other).__name__)
            T(lambda: op(make(), other))
            T(lambda: op(other, make()))
        for op in IOPS:
            T(lambda: op(make(), other))
""")
    assert "unsupported operand type(s) for @: 'Tensor' and 'list'" in out
    assert "unsupported operand type(s) for +: 'NoneType' and 'Tensor'" in out
    assert "'<' not supported between instances of 'Tensor' and 'list'" in out
    assert "only integer tensors of a single element can be converted to an index" in out


def test_operators_with_numbers():
    check_np("""
for make in (lambda: torch.tensor([1, 2, 3]), lambda: torch.tensor([1., 2., 3.]), lambda: torch.tensor([True, False, True]),
             lambda: torch.tensor([1, 2, 3], dtype=torch.uint8), lambda: torch.tensor(2.5, dtype=torch.float64)):
    for other in (2, 2.5, True, np.float64(2.0), np.float32(2.0), np.int64(3), np.int32(3), np.float16(1.5)):
        for op in OPS:
            if op is O.pow and isinstance(other, (int, np.integer)) and not isinstance(other, bool):
                continue  # integer ** negative/large edge cases are pointwise's business
            if op in (O.lshift, O.rshift) and other is True and make().dtype == torch.bool:
                continue  # bool << bool: pointwise's business (PyTorch: not implemented for 'Bool')
            print(op.__name__, type(other).__name__)
            T(lambda: op(make(), other))
            T(lambda: op(other, make()))
""")


def test_numpy_arrays_and_tensors():
    check_np("""
for make in (lambda: torch.tensor([1., 2., 3.]), lambda: torch.tensor([1, 2, 3]),
             lambda: torch.tensor([1., 2., 3.], dtype=torch.float64)):
    for arr in (np.ones(3), np.ones(3, dtype=np.float32), np.arange(3), np.array([True, False, True]),
                np.array(2.0)):
        for op in OPS:
            print(op.__name__, arr.dtype, arr.shape)
            T(lambda: op(make(), arr))
            T(lambda: op(arr, make()))
        for op in IOPS[:4]:
            T(lambda: op(make(), arr))
t = torch.tensor([1., 2., 3.])
T(lambda: np.float64(2.0) * t)
T(lambda: np.ones(3) + t)
T(lambda: t + np.ones(3))
T(lambda: np.sin(t))
T(lambda: np.greater(t, 1.5))
T(lambda: np.add(torch.tensor(1.), 1))
T(lambda: np.maximum(torch.tensor([1, 5]), np.array([3, 2])))
""")


def test_invert_needs_integer_or_bool():
    out = check_np("""
T(lambda: ~torch.tensor([1., 2.]))
T(lambda: ~torch.tensor(1., dtype=torch.float64, requires_grad=True))
T(lambda: ~torch.tensor([1, -2]))
T(lambda: ~torch.tensor([1, 2], dtype=torch.uint8))
T(lambda: ~torch.tensor([True, False]))
T(lambda: torch.bitwise_not(torch.tensor([1.])))
""")
    assert "TypeError ~ (operator.invert) is only implemented on integer and Boolean-type tensors" in out


# ---- views: storage offset, strides, data pointers ------------------------------------------------
VIEWS = ["x[:, 1:]", "x[:, 1:].detach()", "x[:, 1:].data", "x[:, 1:].detach().detach()", "x[1:].detach()[1:]",
         "x[1:].detach()[:, 2:]", "x[:, 1:].detach()[1]", "x[0, 5:]", "x[0, 7:]", "x[1, 5:]", "x[1:1]", "x[2:]",
         "x[:, 5:]", "x[:, 3:2]", "x[:, 5::2]", "x[1, 3:3]", "x[..., 4:4]", "x[None, 1, 5:]", "x[1, None, 5:]",
         "x[:, None, 2:2]", "x.t()[1:]", "x.t()[1:, 5:]", "x[0:1, 2:3]", "x[0:1, 2:3].t()", "x[1]", "x[1][2:]",
         "x[:, 2]", "x[0:1]", "x[1:2, 4]", "x.view(10)[3:4]", "x[-1, -2:]", "x[1, 10:]", "x[0, -10:0]",
         "x[torch.tensor(1), 5:]", "e[1]", "e[:, 1:]", "e[2:]", "e", "x.reshape(5, 2)[4:]", "x.detach()", "x.data",
         "x[:, 1:].clone()", "w[:, 1:]", "w[:, 1:].detach()", "w[1, 5:]"]


@pytest.mark.parametrize("expr", VIEWS)
def test_view_layout_matches_torch(expr):
    def layout(lib):
        x = lib.arange(10.).view(2, 5)
        w = lib.arange(10.).view(2, 5).requires_grad_()
        e = lib.empty(3, 0, 4)
        v = eval(expr, {"x": x, "e": e, "w": w, "torch": lib})
        owner = w if expr.startswith("w") else x
        ptr = v.data_ptr()
        # data pointers: null for empty tensors, else relative to the storage (a clone has its own)
        rel = "null" if ptr == 0 else ("own" if v.storage_offset() == 0 and ptr != owner.data_ptr() and
                                       not expr.startswith("e") else (ptr - owner.data_ptr()) // 4)
        return (tuple(v.shape), v.stride(), v.storage_offset(), rel, v.is_contiguous(), v._is_view())
    assert layout(huoba) == layout(torch)


# ---- floating-point edge cases are silent, as in PyTorch -------------------------------------------
FP_CASES = """
x = torch.tensor([1., 0., -1.])
print(x / 0, torch.log(x), torch.sqrt(x), x.reciprocal(), torch.tensor([0.]) / torch.tensor([0.]))
print(torch.tensor([60000.], dtype=torch.float16) * 2, torch.tensor([1e30]) * 1e30, torch.full((3,), 3e38).sum())
print(torch.exp(torch.tensor([1000.])), torch.tensor([float('inf')]) - torch.tensor([float('inf')]))
print(torch.tensor([1, 0]) // torch.tensor([1, 1]), torch.tensor([float('nan')]).long().dtype)
w = torch.ones(2, requires_grad=True)
((w * float('inf')) + (w * float('-inf'))).sum().backward()
print(w.grad)
v = torch.zeros(2, requires_grad=True)
torch.log(v).sum().backward()
print(v.grad)
u = torch.tensor([-1., 0.], requires_grad=True)
torch.sqrt(u).sum().backward()
print(u.grad)
print(torch.softmax(torch.tensor([float('inf'), 1.]), 0))
print(torch.nn.functional.cross_entropy(torch.tensor([[float('inf'), 0.]]), torch.tensor([0])))
"""


def test_floating_point_edge_cases_do_not_warn():
    # check() records every warning ("always") and compares the outputs: PyTorch gives none
    out = check(FP_CASES)
    assert "WARN" not in out


def test_floating_point_edge_cases_pass_under_warnings_as_errors():
    import subprocess
    code = "import warnings; warnings.simplefilter('error'); import huoba as torch\n" + FP_CASES
    env = dict(__import__("os").environ, PYTHONPATH=str(__import__("pathlib").Path(huoba.__file__).parents[1]))
    res = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr


# ---- the namespace -----------------------------------------------------------------------------------
def test_torch_names_used_by_the_seed_labs_exist():
    import pathlib
    seeds = pathlib.Path(__file__).resolve().parents[2] / "shared" / "seeds"
    texts = [p.read_text(errors="ignore") for p in sorted(seeds.glob("*.txt"))]
    if not texts:
        pytest.skip("the seed documents are not on this machine")
    text = "\n".join(texts)
    roots = {"torch": (torch, huoba), "nn": (torch.nn, huoba.nn), "F": (torch.nn.functional, huoba.nn.functional),
             "optim": (torch.optim, huoba.optim)}
    missing, checked = [], 0
    for name, (t_mod, h_mod) in roots.items():
        for m in re.finditer(r"(?<![\w.])" + name + r"((?:\.[A-Za-z_]\w*)+)", text):
            t_obj, h_obj = t_mod, h_mod
            for part in m.group(1)[1:].split("."):
                if not hasattr(t_obj, part):  # not PyTorch's either (prose, links)
                    break
                t_obj = getattr(t_obj, part)
                if not hasattr(h_obj, part):
                    missing.append(name + m.group(1))
                    break
                h_obj = getattr(h_obj, part)
                checked += 1
    assert checked > 100
    assert not missing, sorted(set(missing))


def test_functional_names_at_top_level_like_torch():
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    for name, args in [("cosine_similarity", (a, b)), ("pairwise_distance", (a, b)), ("pdist", (a,)),
                       ("selu", (a,)), ("celu", (a,)), ("hardshrink", (a,)), ("threshold", (a, 0.1, 20.0))]:
        t = getattr(torch, name)(*[torch.tensor(x) if isinstance(x, np.ndarray) else x for x in args])
        h = getattr(huoba, name)(*[huoba.tensor(x) if isinstance(x, np.ndarray) else x for x in args])
        np.testing.assert_allclose(h.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
        assert str(h.dtype) == str(t.dtype)


def test_storage_offset_follows_data_assignment():
    check(PRELUDE + """
x = torch.arange(10.).view(2, 5)
d = x[1:].detach()
T(lambda: (d.storage_offset(), d.stride(), d._is_view()))
d.data = torch.ones(3)
T(lambda: (d.storage_offset(), d.stride()))
d.data = x[:, 2:]
T(lambda: (d.storage_offset(), d.stride(), d.data.storage_offset()))
e = x[0, 5:]
T(lambda: (e.storage_offset(), e.detach().storage_offset(), e.data.storage_offset(), e.data_ptr()))
""")
