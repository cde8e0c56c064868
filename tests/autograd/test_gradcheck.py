"""huoba.autograd.gradcheck / gradgradcheck with PyTorch's semantics: the same verdicts on
correct and wrong gradients, GradcheckError (a RuntimeError) with PyTorch's message layout,
raise_exception=False, fast mode, the input checks and warnings."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import huoba  # noqa: E402
from huoba.autograd.gradcheck import gradcheck, gradgradcheck, GradcheckError  # noqa: E402


def _inputs(lib, *shapes, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    return tuple(lib.tensor(rng.uniform(0.5, 1.5, s), dtype=getattr(lib, dtype), requires_grad=True)
                 for s in shapes)


def _wrong(lib, scale):
    """A Function whose backward is off by `scale`: forward 2x, backward `2 * scale` x."""
    class Wrong(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2 * scale

    return Wrong


FUNCS = [
    lambda lib, a, b: (a * b).sin(),
    lambda lib, a, b: a @ b.t(),
    lambda lib, a, b: (a / b).exp().sum(1),
    lambda lib, a, b: (lib.maximum(a, b) + a ** 3, b.tanh()),
    lambda lib, a, b: lib.where(a > 1, a, b * 2).log(),
    lambda lib, a, b: a[0] * b[:, 1:].sum(),
]


@pytest.mark.parametrize("i", range(len(FUNCS)))
def test_correct_gradients_pass(i):
    f = FUNCS[i]
    h = _inputs(huoba, (2, 3), (2, 3))
    assert gradcheck(lambda a, b: f(huoba, a, b), h)
    assert gradcheck(lambda a, b: f(huoba, a, b), h, fast_mode=True)
    t = _inputs(torch, (2, 3), (2, 3))
    assert torch.autograd.gradcheck(lambda a, b: f(torch, a, b), t)


@pytest.mark.parametrize("i", [0, 1, 2, 4])
def test_second_order_pass(i):
    f = FUNCS[i]
    assert gradgradcheck(lambda a, b: f(huoba, a, b), _inputs(huoba, (2, 2), (2, 2)))
    assert gradgradcheck(lambda a, b: f(huoba, a, b), _inputs(huoba, (2, 2), (2, 2)), fast_mode=True)


def test_wrong_gradient_raises_like_pytorch():
    h_fn, t_fn = _wrong(huoba, 1.5), _wrong(torch, 1.5)
    x_h = huoba.tensor([[0.5, 1.0], [1.5, 2.0]], dtype=huoba.float64, requires_grad=True)
    x_t = torch.tensor([[0.5, 1.0], [1.5, 2.0]], dtype=torch.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as h:
        gradcheck(h_fn.apply, (x_h,))
    import importlib
    torch_error = importlib.import_module("torch.autograd.gradcheck").GradcheckError
    with pytest.raises(torch_error) as t:
        torch.autograd.gradcheck(t_fn.apply, (x_t,))
    assert isinstance(h.value, RuntimeError)
    hm, tm = str(h.value), str(t.value)
    # the header and the analytical Jacobian (exact numbers) match; the numerical one agrees
    # up to finite-difference noise
    assert hm.split("\n")[0] == tm.split("\n")[0] == "Jacobian mismatch for output 0 with respect to input 0,"
    assert hm.split("analytical:")[1] == tm.split("analytical:")[1]
    assert hm.split("\n")[1].startswith("numerical:tensor([[2.0000, 0.0000")
    assert gradcheck(h_fn.apply, (x_h,), raise_exception=False) is False
    assert torch.autograd.gradcheck(t_fn.apply, (x_t,), raise_exception=False) is False


def test_wrong_gradient_fast_mode_and_second_input():
    class Half(huoba.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x * 0.5

    x, y = _inputs(huoba, (3,), (3,))
    with pytest.raises(GradcheckError, match="with respect to input 1"):
        gradcheck(Half.apply, (x, y))
    with pytest.raises(GradcheckError, match="fast mode"):
        gradcheck(Half.apply, (x, y), fast_mode=True)


def test_input_checks():
    with pytest.raises(ValueError) as h:
        gradcheck(lambda a: a * 2, (huoba.ones(2, dtype=huoba.float64),))
    with pytest.raises(ValueError) as t:
        torch.autograd.gradcheck(lambda a: a * 2, (torch.ones(2, dtype=torch.float64),))
    assert str(h.value) == str(t.value)
    with pytest.raises(RuntimeError) as h:
        gradcheck(lambda a: a * 2, (huoba.ones(1, 3, dtype=huoba.float64, requires_grad=True).expand(2, 3),))
    with pytest.raises(RuntimeError) as t:
        torch.autograd.gradcheck(lambda a: a * 2, (torch.ones(1, 3, dtype=torch.float64,
                                                                   requires_grad=True).expand(2, 3),))
    assert str(h.value) == str(t.value)


def test_float32_inputs_warn():
    x = huoba.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision"):
        gradcheck(lambda a: a * 2, (x,), eps=1e-2, atol=1e-2, rtol=1e-2)


def test_single_tensor_input_and_non_tensor_arguments():
    x = huoba.tensor([0.3, 0.7], dtype=huoba.float64, requires_grad=True)
    assert gradcheck(lambda a: a.sigmoid(), x)
    assert gradcheck(lambda a, k: a ** k, (x, 3))


def test_no_differentiable_output():
    x = huoba.tensor([0.3, 0.7], dtype=huoba.float64, requires_grad=True)
    assert gradcheck(lambda a: (a > 0.5).float().detach(), (x,))
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
        gradcheck(lambda a: a.detach() * 2, (x,))


def test_backward_not_multiplied_by_grad_output():
    class Constant(huoba.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return huoba.ones_like(g)

    x = huoba.tensor([0.3, 0.7], dtype=huoba.float64, requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(Constant.apply, (x,))


def test_public_names():
    import importlib
    import types
    x = huoba.tensor([0.3, 0.7], dtype=huoba.float64, requires_grad=True)
    # the functions, as in PyTorch (not the module that defines them)
    for lib in (huoba, torch):
        assert isinstance(lib.autograd.gradcheck, types.FunctionType)
        assert isinstance(lib.autograd.gradgradcheck, types.FunctionType)
    assert huoba.autograd.gradcheck(lambda a: a * a, (x,))
    assert huoba.autograd.gradgradcheck(lambda a: a * a, (x,))
    from huoba.autograd import gradcheck as fn
    assert fn is huoba.autograd.gradcheck
    # the module stays importable under PyTorch's name, and importing it rebinds nothing
    module = importlib.import_module("huoba.autograd.gradcheck")
    assert module.gradcheck is huoba.autograd.gradcheck and module.gradgradcheck is huoba.autograd.gradgradcheck
    assert issubclass(module.GradcheckError, RuntimeError)
    __import__("huoba.autograd.gradcheck")  # `import huoba.autograd.gradcheck`
    assert isinstance(huoba.autograd.gradcheck, types.FunctionType)
    assert not hasattr(huoba.autograd.gradcheck, "GradcheckError")
