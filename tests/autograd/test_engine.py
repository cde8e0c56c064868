"""The autograd engine (backward, grad, hooks, freeing, deep graphs) against PyTorch.

Most tests run one snippet twice, with `torch` bound to real PyTorch and to huoba,
and compare everything it prints: values, grad_fn names and `next_functions`,
error types and messages, warnings.
"""
import contextlib
import gc
import io
import re
import sys
import textwrap
import time
import warnings
import weakref

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
        except Exception as e:  # the error itself is part of the behaviour compared
            print("EXC", type(e).__name__, e)
    for w in caught:
        if "reference cycle between the parameter" not in str(w.message):  # warned once per process
            print("WARN", w.category.__name__, w.message, file=out)
    return re.sub(r"0x[0-9a-f]+", "0x?", out.getvalue())


def same_as_torch(code):
    """Run `code` with torch and with huoba; the printed output must be identical."""
    expected = _run(code, torch)
    got = _run(code, huoba)
    assert got == expected
    return got


def check(code):
    out = same_as_torch(code)
    assert "EXC" not in out or "expect-exc" in code, out
    return out


# ---- the seed lab: graph structure ---------------------------------------------------
def test_seed_lab_graph_structure():
    out = check("""
        x = torch.ones(2, 2, requires_grad=True)
        print(x, x.grad_fn, x.is_leaf)
        y = x + 2
        print(y)
        print(y.grad_fn, y.grad_fn.name(), y.grad_fn.next_functions, y.is_leaf)
        z = y * y * 3
        out = z.mean()
        print(z, out)
        print(z.grad_fn.next_functions)
        print(z.grad_fn.next_functions[0][0].next_functions)
        print(out.grad_fn.next_functions)
        acc = y.grad_fn.next_functions[0][0]
        print(acc, acc.name(), acc.variable is x, acc.next_functions)
        out.backward()
        print(x.grad)
    """)
    assert "AddBackward0" in out and "MeanBackward0" in out and "AccumulateGrad" in out


def test_accumulate_grad_node_is_shared_while_graph_lives():
    check("""
        x = torch.ones(3, requires_grad=True)
        a = x * 2
        b = x + 1
        print(a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0])
    """)


def test_non_leaf_grad_warning_and_retain_grad():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)
        y = x * 3
        print(y.grad)
        z = x * 4
        z.retain_grad()
        (y * z).sum().backward()
        print(z.grad, z.retains_grad, y.retains_grad, x.retains_grad)
        x.retain_grad()
        print(x.retains_grad)
    """)


def test_requires_grad_propagation_and_leaves():
    check("""
        a = torch.tensor([1., 2.])
        w = torch.tensor([3., 4.], requires_grad=True)
        b = a * 2
        print(b.is_leaf, b.requires_grad, b.grad_fn)
        c = a * w
        print(c.is_leaf, c.requires_grad, c.grad_fn)
        with torch.no_grad():
            d = w * 2
        print(d.is_leaf, d.requires_grad, d.grad_fn)
        i = torch.tensor([1, 2])
        print((i * 2).requires_grad, (w > 3).requires_grad, (w > 3).is_leaf, (w > 3).grad_fn)
    """)


# ---- backward(): accumulation, errors, freeing -------------------------------------------
def test_accumulation_over_several_backward_calls():
    check("""
        x = torch.tensor([1., 2., 3.], requires_grad=True)
        for i in range(3):
            (x * x).sum().backward()
            print(x.grad, x.grad._version)
        g = x.grad
        (x * 2).sum().backward()
        print(g is x.grad, g)
        x.grad = None
        (x * 2).sum().backward()
        print(x.grad)
    """)


def test_backward_errors():
    check("""  # expect-exc
        x = torch.ones(3, requires_grad=True)
        for f in [lambda: (x * 2).backward(),
                  lambda: torch.ones(3).sum().backward(),
                  lambda: torch.autograd.backward([x.sum(), x.detach().sum()]),
                  lambda: torch.autograd.backward([x.sum(), x.sum()], [torch.tensor(1.)]),
                  lambda: x.sum().backward(torch.ones(2)),
                  lambda: x.backward(torch.ones(2)),
                  lambda: x.sum().backward(inputs=[]),
                  lambda: torch.autograd.grad(x.sum(), []),
                  lambda: torch.autograd.grad(x.sum(), [x.detach()]),
                  lambda: torch.autograd.grad(torch.ones(2).sum(), [x]),
                  lambda: torch.autograd.grad(x.sum(), [x], allow_unused=False, materialize_grads=True)]:
            try:
                f()
                print("no error")
            except Exception as e:
                print(type(e).__name__, e)
    """)


def test_second_backward_raises_only_when_something_was_saved():
    check("""
        def attempt(f):
            try:
                f()
                print("ok")
            except RuntimeError as e:
                print("RuntimeError", e)
        x = torch.ones(3, requires_grad=True)
        y = (x * x).sum()            # Mul saves its inputs
        y.backward()
        attempt(y.backward)
        s = (x * 2).sum()            # mul by a Python number saves the wrapped number
        s.backward()
        attempt(s.backward)
        d = (x / 2).sum()
        d.backward()
        attempt(d.backward)
        a = (x + 1).sum()            # add saves nothing: can run again
        a.backward()
        attempt(a.backward)
        m = (x - 1).mean()
        m.backward()
        attempt(m.backward)
        print(x.grad)
    """)


def test_retain_graph():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward(retain_graph=True)
        y.backward()
        print(x.grad)
        try:
            y.backward()
        except RuntimeError as e:
            print(e)
        z = x * x
        g1, = torch.autograd.grad(z.sum(), x, retain_graph=True)
        g2, = torch.autograd.grad(z.sum(), x)
        print(g1, g2)
    """)


def test_version_counter_errors():
    check("""
        def attempt(f):
            try:
                f()
                print("ok")
            except RuntimeError as e:
                print(e)
        a = torch.ones(3, requires_grad=True)
        e = a.exp()                  # saves its output
        e.copy_(torch.zeros(3))
        attempt(lambda: e.sum().backward())
        b = a * 3
        c = b * b                    # saves b as an input
        b.copy_(torch.ones(3))
        attempt(lambda: c.sum().backward())
        x = torch.ones(3)            # a plain leaf
        w = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
        y = w * x.double()
        xd = torch.ones(3, dtype=torch.float64)
        y2 = w * xd
        xd.fill_(2)
        attempt(lambda: y2.sum().backward())
        s = a.sigmoid()
        t = s * s
        s.copy_(torch.zeros(3))
        attempt(lambda: t.sum().backward())
    """)


def test_backward_of_several_roots():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)
        y1 = x * x
        y2 = (x * 3).sum()
        torch.autograd.backward([y1, y2], [torch.tensor([1., 10.]), None])
        print(x.grad)
        x.grad = None
        torch.autograd.backward([y1.sum() if False else (x * x).sum(), (x + 1).sum()])
        print(x.grad)
        x.grad = None
        z = x * 2
        torch.autograd.backward((z, z), (torch.ones(2), torch.full((2,), 2.)))
        print(x.grad)
        x.grad = None
        torch.autograd.backward(x * 5, torch.ones(2))
        print(x.grad)
        x.grad = None
        torch.autograd.backward([x], [torch.tensor([2., 3.])])
        print(x.grad)
    """)


def test_backward_with_inputs():
    check("""
        a = torch.tensor([1., 2.], requires_grad=True)
        b = torch.tensor([3., 4.], requires_grad=True)
        h = a * b
        out = (h * h).sum()
        out.backward(inputs=[a], retain_graph=True)
        print(a.grad, b.grad)
        out.backward(inputs=b, retain_graph=True)
        print(a.grad, b.grad)
        out.backward(inputs=[h])
        print(h.grad, a.grad)
    """)


def test_gradient_dtype_follows_the_output():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)
        x.backward(torch.tensor([1., 1.], dtype=torch.float64))
        print(x.grad)
        d = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
        (d.float() * 2).sum().backward()
        print(d.grad)
    """)


def test_vector_jacobian_product_seed_004():
    check("""
        torch.manual_seed(0)
        x = torch.tensor([0.5, -1.2, 2.0], requires_grad=True)
        y = x * 2
        n = 0
        while y.data.norm() < 1000:
            y = y * 2
            n += 1
        print(y, n, y.grad_fn)
        v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
        y.backward(v)
        print(x.grad)
    """)


def test_broadcast_gradients_are_unbroadcast():
    check("""
        a = torch.ones(2, 3, requires_grad=True)
        b = torch.ones(3, requires_grad=True)
        c = torch.ones(2, 1, requires_grad=True)
        s = torch.tensor(2.0, requires_grad=True)
        ((a * b + c) * s).sum().backward()
        print(a.grad, b.grad, c.grad, s.grad)
    """)


# ---- autograd.grad ----------------------------------------------------------------------
def test_grad_basics():
    check("""
        a = torch.tensor(2.0, requires_grad=True)
        b = torch.tensor(3.0, requires_grad=True)
        c = a * b
        print(torch.autograd.grad(c, [a, b], retain_graph=True))
        print(torch.autograd.grad(c, a, retain_graph=True))
        print(torch.autograd.grad([c, c * 2], [a], grad_outputs=[torch.tensor(1.0), torch.tensor(2.0)]))
        print(a.grad, b.grad)
        u = torch.tensor(1.0, requires_grad=True)
        c = a * b
        print(torch.autograd.grad(c, [a, u], allow_unused=True, retain_graph=True))
        print(torch.autograd.grad(c, [a, u], materialize_grads=True, retain_graph=True))
        try:
            torch.autograd.grad(c, [a, u], retain_graph=True)
        except RuntimeError as e:
            print(e)
        try:
            torch.autograd.grad(c, [u, a], retain_graph=True)
        except RuntimeError as e:
            print(e)
        print(torch.autograd.grad(c, c, retain_graph=True))
        d = a * 2
        e = d * 3
        print(torch.autograd.grad(e, d, retain_graph=True), torch.autograd.grad(e, [a, d, a]))
        print(a.grad, b.grad)
    """)


def test_grad_only_runs_the_needed_part_of_the_graph():
    calls = []

    class Spy(huoba.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g

    x = huoba.tensor([1.0, 2.0], requires_grad=True)
    w = huoba.tensor([3.0, 4.0], requires_grad=True)
    h = x * 2
    out = (h * Spy.apply(w)).sum()
    g, = huoba.autograd.grad(out, h)
    assert calls == [] and g.tolist() == [3.0, 4.0]
    assert x.grad is None and w.grad is None


def test_grad_hooks_on_leaf_apply_to_captured_gradient():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)
        x.register_hook(lambda g: g * 10)
        print(torch.autograd.grad((x * x).sum(), x))
        print(x.grad)
    """)


def test_higher_order_gradients():
    check("""
        x = torch.tensor([1., 2., 3.], dtype=torch.float64, requires_grad=True)
        g1, = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
        g2, = torch.autograd.grad(g1.sum(), x, create_graph=True)
        g3, = torch.autograd.grad(g2.sum(), x)
        print(g1, g2, g3, sep="\\n")
        s1, = torch.autograd.grad(x.sin().sum(), x, create_graph=True)
        s2, = torch.autograd.grad(s1.sum(), x)
        print(torch.allclose(s1, x.cos()), torch.allclose(s2, -x.sin()))
        print(x.grad)
    """)


def test_higher_order_gradients_of_a_small_mlp():
    rng = np.random.default_rng(0)
    xs, w1s, w2s = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=(1, 4))
    results = []
    for mod in (torch, huoba):
        x = mod.tensor(xs, requires_grad=True)
        w1 = mod.tensor(w1s, requires_grad=True)
        w2 = mod.tensor(w2s, requires_grad=True)
        out = ((x @ w1.t()).tanh() @ w2.t()).sum()
        gx, = mod.autograd.grad(out, x, create_graph=True)
        gw1, = mod.autograd.grad(gx.pow(2).sum(), w1, create_graph=True)
        hvp, = mod.autograd.grad(gw1.sum(), x)
        results.append([gx.detach().numpy().copy(), gw1.detach().numpy().copy(), hvp.numpy().copy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_create_graph_backward_gives_differentiable_grad():
    out = check("""
        x = torch.tensor(2., requires_grad=True)
        (x ** 3).backward(create_graph=True)
        print(x.grad)
        (x ** 3).backward(create_graph=True)
        print(x.grad)
        g = x.grad
        x.grad = None
        g.backward()
        print(x.grad)
        z = x * 2
        z.retain_grad()
        (z * z).backward(create_graph=True)
        print(z.grad)
    """)
    assert "CopyBackwards" in out


def test_create_graph_warning_is_issued_once():
    huoba.autograd.engine._create_graph_warned = False
    x = huoba.tensor(2., requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (x * x).backward(create_graph=True)
        (x * x).backward(create_graph=True)
    assert [str(w.message) for w in caught] == [huoba.autograd.engine._CREATE_GRAPH_WARNING]
    assert str(caught[0].message).startswith("Using backward() with create_graph=True will create a reference "
                                             "cycle between the parameter and its gradient")


def _numerical_grad(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


def test_second_derivative_matches_finite_differences():
    x0 = np.array([0.3, -1.1, 2.0])

    def first_grad(v):
        t = huoba.tensor(v, requires_grad=True)
        g, = huoba.autograd.grad((t.sin() * t ** 2).sum(), t)
        return g.numpy().sum()

    x = huoba.tensor(x0, requires_grad=True)
    g, = huoba.autograd.grad((x.sin() * x ** 2).sum(), x, create_graph=True)
    h, = huoba.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), _numerical_grad(first_grad, x0), rtol=1e-6, atol=1e-8)


# ---- hooks ----------------------------------------------------------------------------------
def test_tensor_hooks_and_removal():
    check("""
        x = torch.tensor([1., 2., 3.], requires_grad=True)
        h1 = x.register_hook(lambda g: print("leaf hook", g))
        h2 = x.register_hook(lambda g: g * 2)
        y = x * x
        y.retain_grad()
        hy = y.register_hook(lambda g: print("y hook", g) or g + 1)
        y.sum().backward()
        print(x.grad, y.grad)
        h2.remove()
        hy.remove()
        h2.remove()
        x.grad = None
        (x * x).sum().backward()
        print(x.grad)
        with x.register_hook(lambda g: g * 0):
            pass
        x.grad = None
        (x * 1).sum().backward()
        print(x.grad)
    """)


def test_hook_order_on_a_diamond():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)
        a = x * 2
        b = x * 3
        c = a * b
        for name, t in (("x", x), ("a", a), ("b", b), ("c", c)):
            t.register_hook(lambda g, name=name: print(name, g))
        c.sum().backward()
        print(x.grad)
    """)


def test_node_hooks():
    check("""
        x = torch.tensor([1., 2., 3.], requires_grad=True)
        c = x * 3
        c.grad_fn.register_hook(lambda gi, go: print("post", gi, go))
        c.grad_fn.register_prehook(lambda go: print("pre", go))
        c.sum().backward()
        d = x * 2
        d.grad_fn.register_prehook(lambda go: (go[0] * 10,))
        d.sum().backward()
        print(x.grad)
        w = torch.ones(2, requires_grad=True)
        w.register_post_accumulate_grad_hook(lambda t: print("acc", t.grad))
        (w * 5).sum().backward()
    """)


def test_hook_that_keeps_the_gradient_does_not_see_it_change():
    check("""
        x = torch.ones(3, requires_grad=True)
        y = torch.ones(3, requires_grad=True)
        (x + y).sum().backward()
        x.grad.fill_(7)
        print(x.grad, y.grad)
        v = torch.tensor([1., 2., 3.])
        x.grad = None
        x.backward(v)
        x.grad.fill_(9)
        print(v, x.grad)
        keep = []
        x.grad = None
        x.register_hook(lambda g: keep.append(g))
        (x * 2).sum().backward()
        x.grad.fill_(5)
        print(keep[0], x.grad)
        g0 = torch.zeros(3)
        x.grad = g0
        (x * 3).sum().backward()
        print(g0, x.grad is g0, x.grad._version)
    """)


def test_hook_errors():
    check("""
        try:
            torch.ones(2).register_hook(print)
        except RuntimeError as e:
            print(e)
        try:
            torch.ones(2).retain_grad()
        except RuntimeError as e:
            print(e)
    """)


# ---- deep graphs and memory -------------------------------------------------------------
def test_deep_chain_backward_is_iterative_and_fast():
    x0 = huoba.ones(3, requires_grad=True)
    x = x0
    start = time.perf_counter()
    for _ in range(100000):
        x = x + 1
    x.sum().backward()
    del x
    assert time.perf_counter() - start < 20
    assert x0.grad.tolist() == [1.0, 1.0, 1.0]

    x = x0
    for _ in range(20000):
        x = x * 1.0001
    x.sum().backward()
    del x
    np.testing.assert_allclose(x0.grad.numpy(), 1 + 1.0001 ** 20000, rtol=1e-3)


def test_saved_values_are_freed_without_the_garbage_collector():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        w = huoba.randn(50, 50, requires_grad=True)
        x = huoba.randn(8, 50)
        for _ in range(3):
            h = (x @ w).tanh()
            h_ref = weakref.ref(h)
            array_ref = weakref.ref(h._data)
            loss = (h * h).sum()
            del h
            assert h_ref() is not None      # kept by the graph for backward
            loss.backward()
            assert h_ref() is None          # freed by backward: loss is still alive
            assert array_ref() is None
            graph_ref = weakref.ref(loss.grad_fn)
            del loss
            assert graph_ref() is None      # no reference cycle keeps the graph alive
            w.grad = None
        # saved outputs do not make cycles either (exp saves its result)
        e = (w.exp() * 2).sum()
        node_ref = weakref.ref(e.grad_fn.next_functions[0][0])
        del e
        assert node_ref() is None
    finally:
        if was_enabled:
            gc.enable()


def test_training_loop_memory_is_stable():
    w = huoba.randn(100, 100, requires_grad=True)
    x = huoba.randn(32, 100)
    gc.collect()

    def step():
        loss = ((x @ w).relu() ** 2).mean()
        loss.backward()
        w.data = w.data - w.grad * 0.01
        w.grad = None

    for _ in range(3):
        step()
    import tracemalloc
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(30):
        step()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 200_000


def test_retain_graph_keeps_saved_values_until_the_last_backward():
    x = huoba.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    node = y.grad_fn
    y.sum().backward(retain_graph=True)
    assert node._saved is not None
    y.sum().backward()
    assert node._saved is None
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        node.saved_tensors


def test_argument_handling_of_backward_and_grad():
    check("""
        def T(f):
            try:
                print("OK", repr(f()))
            except Exception as e:
                print(type(e).__name__, e)
        x = torch.tensor([1., 2.], requires_grad=True)
        T(lambda: x.backward(2.0))
        T(lambda: x.sum().backward(2.0))
        T(lambda: x.sum().backward(torch.tensor(2.0)))
        T(lambda: x.grad)
        T(lambda: x.sum().backward([torch.tensor(3.0)]))
        T(lambda: x.grad)
        T(lambda: torch.autograd.backward(x.sum(), 5))
        T(lambda: torch.autograd.backward(x.sum(), [5]))
        T(lambda: torch.autograd.backward([x.sum()], None))
        T(lambda: torch.autograd.backward([]))
        T(lambda: torch.autograd.grad(x.sum(), x, grad_outputs=[None]))
        T(lambda: torch.autograd.grad([x.sum(), (x * 2).sum()], x, grad_outputs=[None, torch.tensor(3.)]))
        T(lambda: torch.autograd.grad(x.sum(), (x,)))
        T(lambda: torch.autograd.grad(x.sum(), [x, x]))
        T(lambda: torch.autograd.grad(x, x, torch.ones(2)))
        T(lambda: torch.autograd.grad(x * 1, x))
        T(lambda: torch.autograd.grad((x * 1).sum(), 3))
        T(lambda: torch.autograd.grad(3, x))
        T(lambda: torch.autograd.grad(torch.tensor([1, 2]).sum(), x))
        T(lambda: torch.autograd.grad(x.sum(), x, only_inputs=False))
    """)


def test_seed_lab_000_autograd_attributes():
    check("""
        t1 = torch.tensor([1, 2, 3], dtype=torch.float32)
        print("t1:", t1, t1.shape, t1.dtype, t1.device, t1.requires_grad, t1.grad, t1.grad_fn)
        t2 = t1 * 2
        print("t2:", t2.requires_grad, t2.grad, t2.grad_fn)
        try:
            t2[0].backward()
        except RuntimeError as e:
            print(e)
        t1 = torch.tensor([1, 2, 3], dtype=torch.float32, requires_grad=True)
        t2 = t1 * 2
        print(t1, t1.requires_grad, t1.grad, t1.grad_fn, t2.requires_grad, t2.grad_fn)
        t2[0].backward()
        print(t1.grad, t1.grad_fn)
        a = torch.tensor([[1., 2.]], requires_grad=True)
        w = torch.tensor([[3.], [4.]], requires_grad=True)
        b = torch.tensor([6.], requires_grad=True)
        z = torch.mm(a, w) + b
        print(z)
        z.backward()
        print(a.grad, w.grad, b.grad)
        a = torch.tensor([[1., 2.]], requires_grad=True)
        w = torch.tensor([[10.], [20.]], requires_grad=True)
        a.requires_grad_(False)
        z = torch.mm(a, w) + b
        print(z)
        z.backward()
        print(a.grad, w.grad, b.grad)
    """)


def test_next_functions_of_common_ops():
    check("""
        x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)
        y = torch.tensor([[1., 2.], [3., 4.]])
        def nf(t):
            return [(None if f is None else f.name(), n) for f, n in t.grad_fn.next_functions]
        for name, f in [("add", lambda: x + 2), ("radd", lambda: 2 + x), ("add_t", lambda: x + y),
                        ("add_alpha", lambda: torch.add(x, 2, alpha=3)), ("sub", lambda: x - 2),
                        ("rsub", lambda: 2 - x), ("mul", lambda: x * 2), ("div", lambda: x / 2),
                        ("pow", lambda: x ** 2), ("sum", lambda: x.sum()), ("sum_dim", lambda: x.sum(0)),
                        ("mean", lambda: x.mean()), ("matmul", lambda: x @ y), ("view", lambda: x.view(4)),
                        ("cat", lambda: torch.cat([x, y])), ("where", lambda: torch.where(y > 2, x, y)),
                        ("masked_fill", lambda: x.masked_fill(y > 2, 0.)), ("mul_xy", lambda: x * y),
                        ("div_yx", lambda: y / x), ("x_x", lambda: x * x)]:
            r = f()
            print(name, r.grad_fn.name(), nf(r))
    """)


def test_invalid_gradient_index_counts_tensor_inputs_only():
    out = check("""
        class F(torch.autograd.Function):
            @staticmethod
            def forward(ctx, k, idx, x, y):
                return x * k * y

            @staticmethod
            def backward(ctx, g):
                return None, None, torch.ones(3), torch.ones(5)

        x = torch.ones(3, requires_grad=True)
        y = torch.ones(3, requires_grad=True)
        z = F.apply(2.0, torch.tensor([1]), x, y)
        print(len(z.grad_fn.next_functions))
        try:
            z.sum().backward()
        except RuntimeError as e:
            print(e)
    """)
    assert "invalid gradient at index 2 " in out
