"""Custom `torch.autograd.Function`s and the op-level Function contract, against PyTorch.

Snippets run once with `torch` bound to real PyTorch and once to huoba; what they
print (values, grad_fn names and reprs, errors) must be identical.
"""
import contextlib
import io
import re
import textwrap
import warnings

import numpy as np
import pytest

import huoba
from huoba.autograd.function import Function as OpFunction

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
        if "reference cycle between the parameter" not in str(w.message):
            print("WARN", w.category.__name__, w.message, file=out)
    return re.sub(r"0x[0-9a-f]+", "0x?", out.getvalue())


def check(code):
    expected = _run(code, torch)
    got = _run(code, huoba)
    assert got == expected
    assert "EXC" not in got, got
    return got


def test_custom_function_basics():
    out = check("""
        class MyExp(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                print("forward", ctx.needs_input_grad, type(ctx).__name__, torch.is_grad_enabled(),
                      type(x).__name__, x.requires_grad)
                r = x.exp() * k
                ctx.save_for_backward(r)
                ctx.k = k
                return r

            @staticmethod
            def backward(ctx, g):
                r, = ctx.saved_tensors
                print("backward", torch.is_grad_enabled(), r.requires_grad, r.grad_fn)
                return g * r, None

        x = torch.tensor([0.5, 1.0], requires_grad=True)
        y = MyExp.apply(x, 2.0)
        print(y, y.grad_fn, y.grad_fn.name(), y.grad_fn.next_functions, type(y.grad_fn).__name__)
        print(y.is_leaf, y.requires_grad, y.grad_fn._forward_cls is MyExp)
        y.sum().backward()
        print(x.grad)
        for f in (lambda: y.sum().backward(), lambda: y.grad_fn.saved_tensors):
            try:
                f()
            except RuntimeError as e:
                print(e)
        z = MyExp.apply(torch.ones(2), 1.0)
        print(z, z.grad_fn, z.requires_grad)
        with torch.no_grad():
            z = MyExp.apply(x, 1.0)
        print(z, z.requires_grad)
    """)
    assert "grad_fn=<MyExpBackward>" in out and "<torch.autograd.function.MyExpBackward object at" in out


def test_multiple_outputs_and_non_tensor_outputs():
    check("""
        class Two(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a + b, a * b, 3

            @staticmethod
            def backward(ctx, g1, g2, g3):
                print("g", g1, g2, g3)
                return g1, g2

        a = torch.ones(2, requires_grad=True)
        b = torch.full((2,), 2.0)
        p, q, n = Two.apply(a, b)
        print(p, q, n, p.grad_fn is q.grad_fn, p.grad_fn.next_functions, p.output_nr, q.output_nr)
        p.sum().backward()
        print(a.grad)
    """)


def test_mark_non_differentiable():
    check("""
        class Sort(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                s, i = a.sort()
                ctx.mark_non_differentiable(i)
                ctx.save_for_backward(i)
                return s, i

            @staticmethod
            def backward(ctx, g, gi):
                i, = ctx.saved_tensors
                print("gi", gi)
                out = torch.zeros_like(g)
                out[i] = g
                return out

        x = torch.tensor([3., 1., 2.], requires_grad=True)
        v, i = Sort.apply(x)
        print(v, i, i.requires_grad, i.is_leaf, i.grad_fn)
        (v * torch.tensor([1., 2., 3.])).sum().backward()
        print(x.grad)
    """)


def test_materialize_grads():
    check("""
        class NoMat(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                print("got", g1, g2)
                return g1 * 2 if g2 is None else g1 * 2 + g2 * 3

        class Mat(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                print("got", g1, g2)
                return g1 * 2 + g2 * 3

        x = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
        a, b = NoMat.apply(x)
        a.sum().backward()
        a, b = Mat.apply(x)
        b.sum().backward()
        print(x.grad)
    """)


def test_needs_input_grad_and_non_tensor_arguments():
    check("""
        class Scale(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, k, name="s", flag=True):
                print("needs", ctx.needs_input_grad, name, flag)
                ctx.k = k
                return x * k

            @staticmethod
            def backward(ctx, g):
                print("needs in backward", ctx.needs_input_grad)
                return g * ctx.k, (g * 0).sum() if ctx.needs_input_grad[1] else None, None, None

        x = torch.tensor([1., 2.], requires_grad=True)
        with torch.no_grad():
            r = Scale.apply(x, 2.0, "a", False)
        print(r.requires_grad)
        r = Scale.apply(x, 2.0, "a", False)
        print(r, r.grad_fn.next_functions)
        r.sum().backward()
        k = torch.tensor(3.0, requires_grad=True)
        r2 = Scale.apply(torch.ones(2), k, "b")
        print(r2.grad_fn.next_functions)
        r2.sum().backward()
        print(x.grad, k.grad)
        r3 = Scale.apply(x, 5.0, name="kw")
        print(r3)
    """)


def test_setup_context_style():
    check("""
        class Mul(torch.autograd.Function):
            @staticmethod
            def forward(x, k):
                print("forward", torch.is_grad_enabled())
                return x * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, k = inputs
                print("setup", torch.is_grad_enabled(), type(ctx).__name__, ctx.needs_input_grad, output)
                ctx.k = k
                ctx.save_for_backward(x, output)

            @staticmethod
            def backward(ctx, g):
                x, out = ctx.saved_tensors
                print("saved", x.requires_grad, out.grad_fn)
                return g * ctx.k, None

        a = torch.tensor([1., 2.], requires_grad=True)
        y = Mul.apply(a, 3.0)
        print(y)
        y.sum().backward()
        print(a.grad)
    """)


def test_higher_order_through_custom_functions():
    check("""
        class Cube(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * 3 * x ** 2

        class Exp(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                r = x.exp()
                ctx.save_for_backward(r)
                return r

            @staticmethod
            def backward(ctx, g):
                r, = ctx.saved_tensors
                return g * r

        x = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
        g, = torch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
        print(g, torch.autograd.grad(g.sum(), x))
        g, = torch.autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
        print(g, torch.autograd.grad(g.sum(), x))
    """)


def test_once_differentiable():
    out = check("""
        once_differentiable = torch.autograd.function.once_differentiable

        class Once(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @once_differentiable
            def backward(ctx, g):
                x, = ctx.saved_tensors
                print("grad mode in backward", torch.is_grad_enabled())
                return 2 * x * g

        x = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
        g, = torch.autograd.grad(Once.apply(x).sum(), x, create_graph=True)
        print(g, g.requires_grad)
        v = torch.ones(2, dtype=torch.float64, requires_grad=True)
        g, = torch.autograd.grad(Once.apply(x), x, grad_outputs=v, create_graph=True)
        print(g, g.grad_fn, g.grad_fn.name())
        try:
            g.sum().backward()
        except RuntimeError as e:
            print(e)
    """)
    assert "trying to differentiate twice" in out
    assert huoba.autograd.once_differentiable is huoba.autograd.function.once_differentiable


def test_identity_and_mark_dirty():
    check("""
        class Id(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a

            @staticmethod
            def backward(ctx, g):
                return g * 2

        a = torch.ones(2, requires_grad=True)
        o = Id.apply(a)
        print(o is a, o.grad_fn, o._base is a, o.is_leaf)
        o.sum().backward()
        print(a.grad)
        o = Id.apply(torch.ones(2))
        print(o.requires_grad, o._base)
        with torch.no_grad():
            o = Id.apply(a)
        print(o is a, o._base is a, o.requires_grad)

        class Dirty(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                a.copy_(a * 2)
                ctx.mark_dirty(a)
                return a

            @staticmethod
            def backward(ctx, g):
                return g * 2

        a = torch.ones(2, requires_grad=True)
        b = a.clone()
        o = Dirty.apply(b)
        print(o is b, o.grad_fn, b.grad_fn, b, b._version)
        o.sum().backward()
        print(a.grad)
        try:
            Dirty.apply(a)
        except RuntimeError as e:
            print(e)
    """)


def test_saved_tensor_modified_in_place():
    check("""
        class F(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * x

        class G(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x * 2
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, g):
                y, = ctx.saved_tensors
                return g * y

        a = torch.ones(3, requires_grad=True)
        b = a * 1
        y = F.apply(b)
        b.copy_(torch.zeros(3))
        try:
            y.sum().backward()
        except RuntimeError as e:
            print(e)
        y = G.apply(a * 1)
        y.copy_(torch.zeros(3))
        try:
            y.sum().backward()
        except RuntimeError as e:
            print(e)
    """)


def test_backward_errors():
    check("""
        class Bad(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, g):
                return g

        class Bad2(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a, k):
                return a * k

            @staticmethod
            def backward(ctx, g):
                return g, g

        class Bad3(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return torch.ones(3)

        class Extra(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g, None, None

        class Legacy(torch.autograd.Function):
            def forward(self, x):
                return x

            def backward(self, g):
                return g

        x = torch.ones(2, requires_grad=True)
        for f in (lambda: Bad.apply(x, torch.ones(2)).sum().backward(),
                  lambda: Bad2.apply(x, 2).sum().backward(),
                  lambda: Bad3.apply(x).sum().backward(),
                  lambda: Extra.apply(x).sum().backward(),
                  lambda: Legacy.apply(x),
                  lambda: Legacy()(x)):
            try:
                f()
                print("ok", x.grad)
            except RuntimeError as e:
                print(type(e).__name__, e)
    """)


def test_broadcast_gradient_from_custom_backward_is_reduced():
    check("""
        class AddB(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a + b

            @staticmethod
            def backward(ctx, g):
                return g, g

        a = torch.ones(2, 3, requires_grad=True)
        b = torch.ones(3, dtype=torch.float64, requires_grad=True)
        AddB.apply(a, b).sum().backward()
        print(a.grad, b.grad)
    """)


def test_custom_function_gradcheck_against_finite_differences():
    class Sigmoidish(huoba.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            y = (x * w).tanh()
            ctx.save_for_backward(x, w, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, w, y = ctx.saved_tensors
            d = g * (1 - y * y)
            return d * w, (d * x).sum(0)

    rng = np.random.default_rng(1)
    xs, ws = rng.normal(size=(4, 3)), rng.normal(size=3)
    x = huoba.tensor(xs, requires_grad=True)
    w = huoba.tensor(ws, requires_grad=True)
    Sigmoidish.apply(x, w).sum().backward()

    def f(xv, wv):
        return np.tanh(xv * wv).sum()

    eps = 1e-6
    num_x = np.zeros_like(xs)
    for i in np.ndindex(xs.shape):
        d = np.zeros_like(xs)
        d[i] = eps
        num_x[i] = (f(xs + d, ws) - f(xs - d, ws)) / (2 * eps)
    num_w = np.array([(f(xs, ws + e) - f(xs, ws - e)) / (2 * eps) for e in np.eye(3) * eps])
    np.testing.assert_allclose(x.grad.numpy(), num_x, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(w.grad.numpy(), num_w, rtol=1e-6, atol=1e-8)


# ---- the op-level contract (huoba's own ops) ------------------------------------------------
class _Square(OpFunction):
    _name = "SquareBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        return g * 2 * a


class _SplitHalves(OpFunction):
    _name = "SplitHalvesBackward0"

    @staticmethod
    def forward(ctx, a, n):
        ctx.n = n
        return a[:n].copy(), a[n:].copy()

    @staticmethod
    def backward(ctx, g1, g2):
        return huoba.cat([g1, g2]), None


class _ArgmaxAndMax(OpFunction):
    _name = "MaxBackward0"

    @staticmethod
    def forward(ctx, a):
        i = a.argmax()
        ctx.i, ctx.n = int(i), a.shape[0]
        return a.max(), np.asarray(i)

    @staticmethod
    def backward(ctx, g, gi):
        out = huoba.zeros(ctx.n, dtype=g.dtype)
        out[ctx.i] = g
        return out


def test_op_function_contract():
    x = huoba.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = _Square.apply(x)
    assert repr(y.grad_fn).startswith("<SquareBackward0 object at 0x")
    assert y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    assert x.grad.tolist() == [2.0, -4.0, 6.0]
    # nothing recorded without grad
    with huoba.no_grad():
        assert _Square.apply(x).grad_fn is None
    assert _Square.apply(huoba.ones(2)).grad_fn is None


def test_op_function_multiple_outputs_and_zero_materialization():
    x = huoba.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, b = _SplitHalves.apply(x, 1)
    assert a.grad_fn is b.grad_fn and (a.output_nr, b.output_nr) == (0, 1)
    (b * 2).sum().backward()  # a's gradient is materialized as zeros
    assert x.grad.tolist() == [0.0, 2.0, 2.0, 2.0]
    m, i = _ArgmaxAndMax.apply(x)
    assert m.requires_grad and not i.requires_grad and i.is_leaf and i.dtype == huoba.int64
    m.backward()
    assert x.grad.tolist() == [0.0, 2.0, 2.0, 3.0]


def test_op_function_saved_output_has_no_reference_cycle():
    import gc
    import weakref

    class _Exp(OpFunction):
        _name = "ExpBackward0"

        @staticmethod
        def forward(ctx, a):
            r = np.exp(a)
            ctx.save_for_backward(r)
            return r

        @staticmethod
        def backward(ctx, g):
            r, = ctx.saved_tensors
            assert r.grad_fn is ctx
            return g * r

    gc.disable()
    try:
        x = huoba.tensor([0.0, 1.0], requires_grad=True)
        y = _Exp.apply(x)
        ref = weakref.ref(y.grad_fn)
        g, = huoba.autograd.grad(y.sum(), x, create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), np.exp([0.0, 1.0]), rtol=1e-6)
        g2, = huoba.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(g2.numpy(), np.exp([0.0, 1.0]), rtol=1e-6)
        del y, g, g2
        assert ref() is None
    finally:
        gc.enable()


def test_vjp_alias_and_missing_methods():
    check("""
        class V(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def vjp(ctx, g):
                return g * 2

        class N(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

        class B(V):
            @staticmethod
            def backward(ctx, g):
                return g * 2

        class NF(torch.autograd.Function):
            pass

        x = torch.ones(2, requires_grad=True)
        V.apply(x).sum().backward()
        print(x.grad)
        for f in (lambda: N.apply(x).sum().backward(), lambda: B.apply(x).sum().backward(), lambda: NF.apply(x)):
            try:
                f()
            except Exception as e:
                print(type(e).__name__, e)
    """)
