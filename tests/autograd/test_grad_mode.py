"""no_grad / enable_grad / set_grad_enabled / inference_mode, against PyTorch."""
import contextlib
import io
import re
import textwrap
import warnings

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
        finally:
            module.set_grad_enabled(True)
    for w in caught:
        print("WARN", w.category.__name__, w.message, file=out)
    return re.sub(r"0x[0-9a-f]+", "0x?", out.getvalue())


def check(code):
    expected = _run(code, torch)
    got = _run(code, huoba)
    assert got == expected
    assert "EXC" not in got, got
    return got


def test_context_managers_and_nesting():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)
        print(torch.is_grad_enabled(), (x * 2).requires_grad)
        with torch.no_grad():
            print(torch.is_grad_enabled(), (x * 2).requires_grad, (x * 2).grad_fn)
            with torch.enable_grad():
                print(torch.is_grad_enabled(), (x * 2).grad_fn)
                with torch.no_grad():
                    print(torch.is_grad_enabled())
                print(torch.is_grad_enabled())
            with torch.set_grad_enabled(True):
                print(torch.is_grad_enabled())
            print(torch.is_grad_enabled())
        print(torch.is_grad_enabled())
        with torch.no_grad() as r1, torch.enable_grad() as r2, torch.set_grad_enabled(False) as r3:
            print(r1, r2, r3, torch.is_grad_enabled())
        try:
            with torch.no_grad():
                raise ValueError("boom")
        except ValueError as e:
            print(e, torch.is_grad_enabled())
    """)


def test_set_grad_enabled_switches_immediately():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)
        torch.set_grad_enabled(False)
        print(torch.is_grad_enabled(), (x * 2).requires_grad)
        torch.set_grad_enabled(True)
        print(torch.is_grad_enabled(), (x * 2).requires_grad)
        with torch.set_grad_enabled(False):
            print(torch.is_grad_enabled())
        print(torch.is_grad_enabled())
        torch.set_grad_enabled(False)
        with torch.set_grad_enabled(True):
            print(torch.is_grad_enabled())
        print(torch.is_grad_enabled())
        torch.set_grad_enabled(True)
        print(torch.set_grad_enabled(True), torch.autograd.set_grad_enabled is torch.set_grad_enabled)
        try:
            torch.set_grad_enabled("yes")
        except TypeError as e:
            print(e)
    """)


def test_decorators():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)

        @torch.no_grad()
        def f(t):
            return t * 2

        @torch.no_grad
        def f2(t):
            "doc of f2"
            return t * 2

        @torch.enable_grad()
        def f3(t):
            return t * 2

        @torch.enable_grad
        def f4(t):
            return t * 2

        @torch.set_grad_enabled(False)
        def f5(t):
            return t * 2

        print(torch.is_grad_enabled())
        print(f(x).requires_grad, f2(x).requires_grad, f.__name__, f2.__name__, f2.__doc__)
        with torch.no_grad():
            print(f3(x).requires_grad, f4(x).requires_grad, torch.is_grad_enabled())
        print(f5(x).requires_grad, torch.is_grad_enabled())

        class M:
            @torch.no_grad()
            def method(self, t):
                return (t * 2).requires_grad
        print(M().method(x))
    """)


def test_decorated_generator_keeps_mode_across_yields():
    check("""
        def gen():
            yield torch.is_grad_enabled()
            got = yield torch.is_grad_enabled()
            yield got, torch.is_grad_enabled()

        g = torch.no_grad()(gen)()
        print(next(g), torch.is_grad_enabled(), next(g), torch.is_grad_enabled(), g.send(5))
        with torch.no_grad():
            e = torch.enable_grad()(gen)()
            print(next(e), torch.is_grad_enabled())
    """)


def test_decorating_a_class_warns():
    check("""
        @torch.no_grad()
        class A:
            def __init__(self):
                print("init", torch.is_grad_enabled())
        a = A()
        print(torch.is_grad_enabled())
    """)


def test_inference_mode():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)
        with torch.inference_mode():
            print(torch.is_inference_mode_enabled(), torch.is_grad_enabled(), (x * 2).requires_grad)
            with torch.inference_mode(False):
                print(torch.is_inference_mode_enabled(), torch.is_grad_enabled())
        print(torch.is_inference_mode_enabled(), torch.is_grad_enabled())

        @torch.inference_mode
        def i():
            return torch.is_grad_enabled(), torch.is_inference_mode_enabled()

        @torch.inference_mode()
        def i2():
            return torch.is_grad_enabled(), torch.is_inference_mode_enabled()

        @torch.inference_mode(False)
        def j():
            return torch.is_grad_enabled(), torch.is_inference_mode_enabled()

        print(i(), i2(), j())
        with torch.inference_mode() as r:
            print(r)
    """)


def test_grad_mode_is_respected_by_backward_and_functions():
    check("""
        x = torch.tensor([1., 2.], requires_grad=True)
        y = (x * x).sum()
        with torch.no_grad():
            y.backward()
        print(x.grad)
        y = (x ** 3).sum()
        with torch.no_grad():
            g, = torch.autograd.grad(y, x, create_graph=True)
        print(g.requires_grad, g.grad_fn is not None)
        with torch.no_grad():
            z = (x ** 3).sum()
        try:
            torch.autograd.grad(z, x)
        except RuntimeError as e:
            print(e)
    """)


def test_reprs():
    assert repr(huoba.set_grad_enabled(True)) == "torch.autograd.grad_mode.set_grad_enabled(mode=True)"
    assert re.fullmatch(r"<torch\.autograd\.grad_mode\.no_grad object at 0x[0-9a-f]+>", repr(huoba.no_grad()))
    assert huoba.no_grad is huoba.autograd.no_grad and huoba.enable_grad is huoba.autograd.grad_mode.enable_grad
