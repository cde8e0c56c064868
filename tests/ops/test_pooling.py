"""huoba.ops.pooling (max/avg/adaptive/lp pooling, interpolate) against torch: values, indices, dtypes,
gradients, grad_fn names, error types and messages, float64 gradcheck and double backward."""
import importlib
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = torch.nn.functional

import huoba  # noqa: E402
import huoba.nn.functional as HF  # noqa: E402

_gc = importlib.import_module("huoba.autograd.gradcheck")
gradcheck, gradgradcheck = _gc.gradcheck, _gc.gradgradcheck

torch.set_num_threads(1)
RNG = np.random.default_rng(11)
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def rand(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def to_np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def chain(node):
    names = []
    while node is not None:
        names.append(node.name())
        node = node.next_functions[0][0] if node.next_functions else None
    return names


def check(fname, x, kwargs=None, dtype=np.float64, tol=None):
    """Same call in huoba and torch: outputs (and indices), grad_fn chain, input gradient."""
    kwargs = kwargs or {}
    x = np.asarray(x).astype(dtype)
    hx = huoba.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ho = getattr(HF, fname)(hx, **kwargs)
    to = getattr(TF, fname)(tx, **kwargs)
    tol = tol or TOL[dtype]
    if isinstance(to, tuple):
        assert isinstance(ho, tuple) and len(ho) == len(to)
        np.testing.assert_array_equal(to_np(ho[1]), to_np(to[1]))
        assert ho[1].dtype == huoba.int64 and not ho[1].requires_grad
        ho, to = ho[0], to[0]
    assert tuple(ho.shape) == tuple(to.shape)
    assert str(ho.dtype) == str(to.dtype)
    np.testing.assert_allclose(to_np(ho), to_np(to), **tol)
    assert chain(ho.grad_fn) == chain(to.grad_fn)
    g = rand(tuple(to.shape), dtype)
    ho.backward(huoba.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(to_np(hx.grad), to_np(tx.grad), **tol)
    return ho, to


def err(fn, lib):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(lib)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def same_error(fn):
    expected = err(fn, torch)
    assert expected is not None
    assert err(fn, huoba) == expected


# ---- max pooling ------------------------------------------------------------------------------------------
MAX2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 9, 7), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 9, 7), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1))),
    ((1, 2, 7, 8), dict(kernel_size=(2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)),
    ((2, 3, 10, 10), dict(kernel_size=3, stride=3, ceil_mode=True)),
    ((2, 3, 10, 11), dict(kernel_size=2, stride=3, padding=1, ceil_mode=True)),
    ((3, 6, 6), dict(kernel_size=2, stride=1)),                           # unbatched, overlapping windows
    ((2, 3, 8, 8), dict(kernel_size=3, stride=1, return_indices=True)),
    ((2, 3, 9, 9), dict(kernel_size=2, return_indices=True, ceil_mode=True)),
    ((2, 12, 8, 8), dict(kernel_size=2, stride=2)),                       # LeNet
]


@pytest.mark.parametrize("xs,kw", MAX2D)
def test_max_pool2d(xs, kw):
    check("max_pool2d", rand(xs), kw)


@pytest.mark.parametrize("xs,kw", MAX2D[:4])
def test_max_pool2d_float32(xs, kw):
    check("max_pool2d", rand(xs, np.float32), kw, np.float32)


def test_max_pool2d_ties_and_int():
    x = RNG.integers(0, 3, (2, 2, 6, 6))
    check("max_pool2d", x, dict(kernel_size=3, stride=1, return_indices=True))
    hy = HF.max_pool2d(huoba.tensor(x), 2)
    assert hy.dtype == huoba.int64
    np.testing.assert_array_equal(hy.numpy(), TF.max_pool2d(torch.tensor(x), 2).numpy())


@pytest.mark.parametrize("xs,kw", [
    ((2, 3, 9), dict(kernel_size=2)),
    ((2, 3, 9), dict(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)),
    ((3, 10), dict(kernel_size=2, stride=1, dilation=3)),
    ((2, 3, 9), dict(kernel_size=3, stride=2, return_indices=True)),
])
def test_max_pool1d(xs, kw):
    check("max_pool1d", rand(xs), kw)


def test_max_pool_gradcheck_and_double_backward():
    x = huoba.tensor(rand((1, 2, 5, 6)), requires_grad=True)
    f = lambda a: HF.max_pool2d(a, (2, 3), stride=1, padding=1)  # noqa: E731
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))
    g = lambda a: HF.max_pool1d(a, 3, 2, 1, ceil_mode=True)  # noqa: E731
    assert gradcheck(g, (huoba.tensor(rand((2, 7)), requires_grad=True),))


def test_max_pool2d_double_backward_node_name():
    for lib in (huoba, torch):
        x = lib.tensor(rand((1, 1, 4, 4)), requires_grad=True)
        y = lib.nn.functional.max_pool2d(x, 2)
        g = lib.ones(y.shape, dtype=lib.float64, requires_grad=True)
        gx, = lib.autograd.grad(y, x, g, create_graph=True)
        assert gx.grad_fn.name() == "MaxPool2DWithIndicesBackwardBackward0"


# ---- average pooling --------------------------------------------------------------------------------------
AVG2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 9, 7), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 9, 7), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((2, 3, 9, 7), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True)),
    ((2, 3, 10, 10), dict(kernel_size=3, stride=3, padding=1, ceil_mode=True, count_include_pad=False)),
    ((2, 3, 8, 8), dict(kernel_size=3, stride=2, padding=1, divisor_override=5)),
    ((3, 7, 7), dict(kernel_size=2, stride=1)),
]


@pytest.mark.parametrize("xs,kw", AVG2D)
def test_avg_pool2d(xs, kw):
    check("avg_pool2d", rand(xs), kw)


def test_avg_pool2d_int():
    x = RNG.integers(-20, 20, (1, 2, 7, 7))
    for kw in (dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, ceil_mode=True, count_include_pad=False)):
        hy = HF.avg_pool2d(huoba.tensor(x), **kw)
        ty = TF.avg_pool2d(torch.tensor(x), **kw)
        assert hy.dtype == huoba.int64
        np.testing.assert_array_equal(hy.numpy(), ty.numpy())


@pytest.mark.parametrize("xs,kw", [
    ((2, 3, 9), dict(kernel_size=2)),
    ((2, 3, 9), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True)),
    ((3, 10), dict(kernel_size=4, stride=(3,))),
])
def test_avg_pool1d(xs, kw):
    check("avg_pool1d", rand(xs), kw)


def test_avg_pool_gradcheck_and_double_backward():
    x = huoba.tensor(rand((1, 2, 5, 6)), requires_grad=True)
    f = lambda a: HF.avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False)  # noqa: E731
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


# ---- adaptive pooling -------------------------------------------------------------------------------------
@pytest.mark.parametrize("xs,out", [((2, 3, 8, 8), 4), ((2, 3, 7, 9), (3, 4)), ((2, 3, 7, 9), (None, 2)),
                                    ((2, 3, 5, 5), 1), ((3, 5, 6), (2, 5)), ((2, 3, 5, 7), (7, 9))])
def test_adaptive_avg_pool2d(xs, out):
    check("adaptive_avg_pool2d", rand(xs), dict(output_size=out))


@pytest.mark.parametrize("xs,out", [((2, 3, 9), 4), ((3, 9), 1), ((2, 3, 5), 7)])
def test_adaptive_avg_pool1d(xs, out):
    check("adaptive_avg_pool1d", rand(xs), dict(output_size=out))


@pytest.mark.parametrize("xs,out", [((2, 3, 4, 5, 6), (2, 3, 4)), ((3, 4, 5, 6), (None, 1, 4)),
                                    ((1, 2, 3, 3, 3), 1)])
def test_adaptive_avg_pool3d(xs, out):
    check("adaptive_avg_pool3d", rand(xs), dict(output_size=out))


@pytest.mark.parametrize("xs,kw", [((2, 3, 8, 8), dict(output_size=4)),
                                   ((2, 3, 7, 9), dict(output_size=(3, 4), return_indices=True)),
                                   ((3, 7, 9), dict(output_size=(None, 2), return_indices=True)),
                                   ((2, 3, 5, 5), dict(output_size=1))])
def test_adaptive_max_pool2d(xs, kw):
    check("adaptive_max_pool2d", rand(xs), kw)


@pytest.mark.parametrize("xs,kw", [((2, 3, 9), dict(output_size=4)), ((3, 9), dict(output_size=2,
                                                                                   return_indices=True))])
def test_adaptive_max_pool1d(xs, kw):
    check("adaptive_max_pool1d", rand(xs), kw)


def test_adaptive_gradcheck():
    x = huoba.tensor(rand((1, 2, 5, 7)), requires_grad=True)
    assert gradcheck(lambda a: HF.adaptive_avg_pool2d(a, (3, 4)), (x,))
    assert gradgradcheck(lambda a: HF.adaptive_avg_pool2d(a, (3, 4)), (x,))
    assert gradcheck(lambda a: HF.adaptive_max_pool2d(a, (3, 4)), (x,))
    assert gradcheck(lambda a: HF.adaptive_avg_pool3d(a, (2, 3, 2)),
                     (huoba.tensor(rand((1, 3, 4, 5)), requires_grad=True),))


# ---- power-average pooling ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fname,xs,args,kw", [
    ("lp_pool2d", (2, 3, 8, 8), (2, 2), {}),
    ("lp_pool2d", (2, 3, 9, 8), (3, (3, 2)), dict(stride=(2, 1), ceil_mode=True)),
    ("lp_pool2d", (2, 3, 8, 8), (float("inf"), 2), {}),
    ("lp_pool1d", (2, 3, 9), (2, 3), dict(stride=2)),
    ("lp_pool1d", (2, 3, 9), (1.5, 2), {}),
])
def test_lp_pool(fname, xs, args, kw):
    x = np.abs(rand(xs)) + 0.1
    hx = huoba.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ho = getattr(HF, fname)(hx, *args, **kw)
    to = getattr(TF, fname)(tx, *args, **kw)
    np.testing.assert_allclose(to_np(ho), to_np(to), rtol=1e-10)
    assert chain(ho.grad_fn) == chain(to.grad_fn)
    ho.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(to_np(hx.grad), to_np(tx.grad), rtol=1e-9)


# ---- pooling errors ----------------------------------------------------------------------------------------
X4 = rand((2, 4, 8, 8), np.float32)
X3 = rand((2, 4, 8), np.float32)


def _t(lib, a, grad=False):
    return lib.tensor(a, requires_grad=grad)


POOL_ERRORS = [
    lambda L: L.nn.functional.max_pool2d(_t(L, X4), 2, padding=2),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4), 3, padding=2, dilation=2),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4[:1, :1, :2, :2]), 3),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4), 0),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4), 2, 0),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4), 2, dilation=0),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4), 2, padding=-1),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4[0, 0]), 2),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4[None]), 2),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4), (2, 2, 2)),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4[:, :0]), 2),
    lambda L: L.nn.functional.max_pool2d(_t(L, X4 > 0), 2),
    lambda L: L.nn.functional.max_pool1d(_t(L, X4), 2),
    lambda L: L.nn.functional.max_pool1d(_t(L, X3), 2, padding=2),
    lambda L: L.nn.functional.max_pool1d(_t(L, X3, True), 2, padding=2),
    lambda L: L.nn.functional.max_pool1d(_t(L, X3), 9),
    lambda L: L.nn.functional.max_pool1d(_t(L, X3), 2, 0),
    lambda L: L.nn.functional.max_pool1d(_t(L, X3), 0),
    lambda L: L.nn.functional.max_pool1d(_t(L, X3), 2, dilation=0),
    lambda L: L.nn.functional.max_pool1d(_t(L, X3[0, 0]), 2),
    lambda L: L.nn.functional.avg_pool2d(_t(L, X4), 2, padding=2),
    lambda L: L.nn.functional.avg_pool2d(_t(L, X4[:1, :1, :2, :2]), 3),
    lambda L: L.nn.functional.avg_pool2d(_t(L, X4), 2, divisor_override=0),
    lambda L: L.nn.functional.avg_pool2d(_t(L, X4[0, 0]), 2),
    lambda L: L.nn.functional.avg_pool2d(_t(L, X4[None]), 2),
    lambda L: L.nn.functional.avg_pool2d(_t(L, X4), 0),
    lambda L: L.nn.functional.avg_pool2d(_t(L, X4), (2, 2, 2)),
    lambda L: L.nn.functional.avg_pool2d(_t(L, X4), 2, padding=-1),
    lambda L: L.nn.functional.avg_pool1d(_t(L, X3), 2, padding=2),
    lambda L: L.nn.functional.avg_pool1d(_t(L, X4), 2),
    lambda L: L.nn.functional.avg_pool1d(_t(L, X3[0, 0]), 2),
    lambda L: L.nn.functional.avg_pool1d(_t(L, X3), 9),
    lambda L: L.nn.functional.avg_pool1d(_t(L, X3), (2, 2)),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_t(L, X4), -1),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_t(L, X4[0, 0]), 2),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_t(L, X4), (1, 2, 3)),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_t(L, X4[:, :, :0]), 2),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_t(L, X4.astype(np.int64)), 2),
    lambda L: L.nn.functional.adaptive_avg_pool2d(_t(L, X4[0, 0]), (None, 2, 3)),
    lambda L: L.nn.functional.adaptive_max_pool2d(_t(L, X4[0, 0]), 2),
    lambda L: L.nn.functional.adaptive_max_pool2d(_t(L, X4), (1, 2, 3)),
    lambda L: L.nn.functional.adaptive_max_pool2d(_t(L, X4), -1),
    lambda L: L.nn.functional.adaptive_max_pool2d(_t(L, X4[:, :, :0]), 2),
    lambda L: L.nn.functional.adaptive_max_pool2d(_t(L, X4.astype(np.int64)), 2),
    lambda L: L.nn.functional.adaptive_avg_pool1d(_t(L, X4), 2),
    lambda L: L.nn.functional.adaptive_avg_pool1d(_t(L, X3), -1),
    lambda L: L.nn.functional.adaptive_avg_pool1d(_t(L, X3), (2, 2)),
    lambda L: L.nn.functional.adaptive_max_pool1d(_t(L, X4), 2),
    lambda L: L.nn.functional.adaptive_max_pool1d(_t(L, X3), -1),
    lambda L: L.nn.functional.adaptive_max_pool1d(_t(L, X3), (2, 2)),
]


@pytest.mark.parametrize("i", range(len(POOL_ERRORS)))
def test_pooling_errors(i):
    same_error(POOL_ERRORS[i])


# ---- interpolate -------------------------------------------------------------------------------------------
INTERP = [
    ((2, 3, 5), dict(scale_factor=2)),
    ((2, 3, 5), dict(size=7)),
    ((2, 3, 5), dict(scale_factor=1.7, mode="nearest-exact")),
    ((2, 3, 4, 5), dict(scale_factor=2)),
    ((2, 3, 4, 5), dict(scale_factor=(1.5, 2.3))),
    ((2, 3, 4, 5), dict(size=(7, 3))),
    ((2, 3, 7, 9), dict(scale_factor=0.6)),
    ((2, 3, 4, 5), dict(scale_factor=1.7, mode="nearest-exact")),
    ((2, 3, 4, 5), dict(size=(9, 2), mode="nearest-exact")),
    ((2, 3, 4, 5), dict(scale_factor=1.5, recompute_scale_factor=True)),
    ((2, 3, 5), dict(scale_factor=2, mode="linear")),
    ((2, 3, 5), dict(size=8, mode="linear", align_corners=True)),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=(1.3, 2.6), mode="bilinear")),
    ((2, 3, 4, 5), dict(size=(7, 3), mode="bilinear", align_corners=True)),
    ((2, 3, 8, 9), dict(size=(3, 4), mode="bilinear")),
    ((2, 3, 8, 9), dict(scale_factor=0.45, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 4, 5), dict(size=(1, 1), mode="bilinear", align_corners=True)),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bicubic")),
    ((2, 3, 4, 5), dict(size=(7, 3), mode="bicubic", align_corners=True)),
    ((2, 3, 8, 9), dict(scale_factor=0.7, mode="bicubic")),
    ((1, 2, 3, 4, 5), dict(scale_factor=2)),
    ((1, 2, 3, 4, 5), dict(size=(4, 3, 6), mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(scale_factor=1.5, mode="trilinear", align_corners=True)),
    ((1, 2, 3, 4, 5), dict(scale_factor=(2, 1, 0.5), mode="nearest-exact")),
    ((2, 3, 8), dict(size=3, mode="area")),
    ((2, 3, 8, 9), dict(size=(3, 4), mode="area")),
    ((2, 3, 8, 9), dict(scale_factor=0.5, mode="area")),
    ((1, 2, 4, 6, 6), dict(size=(2, 3, 4), mode="area")),
    ((0, 3, 4, 4), dict(scale_factor=2)),
]


@pytest.mark.parametrize("xs,kw", INTERP)
def test_interpolate(xs, kw):
    check("interpolate", rand(xs), kw)


@pytest.mark.parametrize("xs,kw", [INTERP[4], INTERP[13], INTERP[18], INTERP[22]])
def test_interpolate_float32(xs, kw):
    check("interpolate", rand(xs, np.float32), kw, np.float32, tol=dict(rtol=1e-5, atol=1e-5))


@pytest.mark.parametrize("kw", [dict(scale_factor=(1.5, 2.0)), dict(size=(5, 3), mode="bilinear"),
                                dict(scale_factor=1.6, mode="bicubic", align_corners=True),
                                dict(size=(3, 3), mode="area")])
def test_interpolate_gradcheck(kw):
    x = huoba.tensor(rand((1, 2, 4, 5)), requires_grad=True)
    assert gradcheck(lambda a: HF.interpolate(a, **kw), (x,))
    assert gradgradcheck(lambda a: HF.interpolate(a, **kw), (x,))


def test_upsample_modules():
    x = rand((1, 2, 3, 4), np.float32)
    for make in (lambda nn: nn.Upsample(scale_factor=2, mode="bilinear"), lambda nn: nn.UpsamplingNearest2d((5, 5)),
                 lambda nn: nn.UpsamplingBilinear2d(scale_factor=2)):
        np.testing.assert_allclose(make(huoba.nn)(huoba.tensor(x)).numpy(), make(torch.nn)(torch.tensor(x)).numpy(),
                                   rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning):
        HF.upsample_bilinear(huoba.tensor(x), scale_factor=2)


INTERP_ERRORS = [
    lambda L: L.nn.functional.interpolate(_t(L, X4), size=3, scale_factor=2),
    lambda L: L.nn.functional.interpolate(_t(L, X4)),
    lambda L: L.nn.functional.interpolate(_t(L, X4), scale_factor=2, mode="foo"),
    lambda L: L.nn.functional.interpolate(_t(L, X4), scale_factor=2, mode="nearest", align_corners=True),
    lambda L: L.nn.functional.interpolate(_t(L, X3), scale_factor=2, mode="bilinear"),
    lambda L: L.nn.functional.interpolate(_t(L, X4), scale_factor=2, mode="linear"),
    lambda L: L.nn.functional.interpolate(_t(L, X4), scale_factor=2, mode="trilinear"),
    lambda L: L.nn.functional.interpolate(_t(L, X4), size=(3, 3, 3)),
    lambda L: L.nn.functional.interpolate(_t(L, X4), scale_factor=(2, 2, 2)),
    lambda L: L.nn.functional.interpolate(_t(L, X4[0, 0]), scale_factor=2),
    lambda L: L.nn.functional.interpolate(_t(L, X3), scale_factor=2, mode="bicubic"),
    lambda L: L.nn.functional.interpolate(_t(L, X4), size=(3.0, 3)),
    lambda L: L.nn.functional.interpolate(_t(L, X4), size=3, recompute_scale_factor=True),
    lambda L: L.nn.functional.interpolate(_t(L, X4), scale_factor=2, antialias=True),
    lambda L: L.nn.functional.interpolate(_t(L, X4), size=-1),
    lambda L: L.nn.functional.interpolate(_t(L, X4), size=0),
    lambda L: L.nn.functional.interpolate(_t(L, X4), scale_factor=0.01),
    lambda L: L.nn.functional.interpolate(_t(L, X3), scale_factor=0.01),
    lambda L: L.nn.functional.interpolate(_t(L, X4[:, :, :0]), size=4),
    lambda L: L.nn.functional.interpolate(_t(L, X4.astype(np.int64)), scale_factor=2),
    lambda L: L.nn.functional.interpolate(_t(L, X4.astype(np.int64)), scale_factor=2, mode="bilinear"),
    lambda L: L.nn.functional.interpolate(_t(L, X3.astype(np.int64)), scale_factor=2),
    lambda L: L.nn.functional.interpolate(_t(L, X4.astype(np.int64)), scale_factor=2, mode="bicubic"),
    lambda L: L.nn.functional.interpolate(_t(L, X4), scale_factor=2, mode="lanczos"),
]


@pytest.mark.parametrize("i", range(len(INTERP_ERRORS)))
def test_interpolate_errors(i):
    same_error(INTERP_ERRORS[i])


# ---- torch namespace and modules ------------------------------------------------------------------------------
def test_torch_namespace_pooling():
    x = rand((2, 3, 8))
    hx, tx = huoba.tensor(x), torch.tensor(x)
    np.testing.assert_allclose(huoba.max_pool1d(hx, 2).numpy(), torch.max_pool1d(tx, 2).numpy())
    np.testing.assert_allclose(huoba.avg_pool1d(hx, 3, 2, 1).numpy(), torch.avg_pool1d(tx, 3, 2, 1).numpy())
    np.testing.assert_allclose(huoba.adaptive_avg_pool1d(hx, 3).numpy(), torch.adaptive_avg_pool1d(tx, 3).numpy())
    hy, hi = huoba.adaptive_max_pool1d(hx, 3)
    ty, ti = torch.adaptive_max_pool1d(tx, 3)
    np.testing.assert_allclose(hy.numpy(), ty.numpy())
    np.testing.assert_array_equal(hi.numpy(), ti.numpy())
    hy, hi = huoba.max_pool1d_with_indices(hx, 2)
    ty, ti = torch.max_pool1d_with_indices(tx, 2)
    np.testing.assert_array_equal(hi.numpy(), ti.numpy())
    x4 = rand((1, 2, 6, 6))
    np.testing.assert_allclose(huoba.max_pool2d(huoba.tensor(x4), 3, 2, 1).numpy(),
                               torch.max_pool2d(torch.tensor(x4), 3, 2, 1).numpy())


def test_max_unpool_roundtrip_indices_match_torch_module():
    x = rand((1, 2, 6, 6), np.float32)
    hm, tm = huoba.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2, return_indices=True)
    (hy, hi), (ty, ti) = hm(huoba.tensor(x)), tm(torch.tensor(x))
    np.testing.assert_array_equal(hi.numpy(), ti.numpy())
    np.testing.assert_allclose(hy.numpy(), ty.numpy())
