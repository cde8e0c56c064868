"""huoba.ops.conv (conv1d/2d/3d, conv_transpose1d/2d/3d, unfold, fold, pixel_shuffle) against torch:
values, dtypes, every gradient, grad_fn names and graph shape, error types and messages, float64 gradcheck."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = torch.nn.functional

import huoba  # noqa: E402
import huoba.nn.functional as HF  # noqa: E402
import importlib  # noqa: E402

# (imported as a module: `from huoba.autograd import gradcheck` recurses in autograd.__getattr__)
_gc = importlib.import_module("huoba.autograd.gradcheck")
gradcheck, gradgradcheck = _gc.gradcheck, _gc.gradgradcheck

torch.set_num_threads(1)
RNG = np.random.default_rng(7)
TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-11)}


def rand(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def to_np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def fn_names(node):
    """grad_fn name and the names of its next functions (None for an empty edge)."""
    return node.name(), [None if f is None else f.name() for f, _ in node.next_functions]


def check(fname, arrays, kwargs=None, dtype=np.float64, grad=(True, True, True), hlib=HF, tlib=TF, chain=True):
    """Run fname on the same inputs in huoba and torch; compare output, grad_fn, and all gradients."""
    kwargs = kwargs or {}
    hin, tin = [], []
    for i, a in enumerate(arrays):
        if a is None:
            hin.append(None)
            tin.append(None)
            continue
        a = np.asarray(a).astype(dtype)
        rg = i < len(grad) and grad[i]
        hin.append(huoba.tensor(a, requires_grad=rg))
        tin.append(torch.tensor(a, requires_grad=rg))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ho = getattr(hlib, fname)(*hin, **kwargs)
        to = getattr(tlib, fname)(*tin, **kwargs)
    assert tuple(ho.shape) == tuple(to.shape)
    assert str(ho.dtype) == str(to.dtype)
    np.testing.assert_allclose(to_np(ho), to_np(to), **TOL[dtype])
    if not any(grad):
        return ho, to
    assert ho.grad_fn.name() == to.grad_fn.name()
    if chain:
        assert fn_names(ho.grad_fn) == fn_names(to.grad_fn)
    g = rand(tuple(to.shape), dtype)
    ho.backward(huoba.tensor(g))
    to.backward(torch.tensor(g))
    for h, t in zip(hin, tin):
        if t is None:
            continue
        if t.grad is None:
            assert h.grad is None
        else:
            assert h.grad is not None
            np.testing.assert_allclose(to_np(h.grad), to_np(t.grad), **TOL[dtype])
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


# ---- conv2d --------------------------------------------------------------------------------------------
# (x shape, w shape, kwargs)
CONV2D = [
    ((2, 3, 9, 10), (4, 3, 3, 3), {}),
    ((2, 3, 9, 10), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ((2, 3, 9, 10), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
    ((2, 4, 8, 8), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 4, 8, 8), (8, 1, 3, 3), dict(groups=4, padding=2, dilation=2)),      # depthwise
    ((2, 3, 7, 7), (5, 3, 1, 1), {}),                                         # 1x1
    ((2, 4, 7, 9), (6, 2, 1, 1), dict(stride=2, groups=2)),
    ((1, 2, 8, 9), (3, 2, 3, 3), dict(padding="same")),
    ((1, 2, 8, 9), (3, 2, 4, 4), dict(padding="same")),                       # even kernel: pad node + warning
    ((1, 2, 8, 9), (3, 2, 3, 4), dict(padding="same", dilation=(2, 1))),
    ((1, 2, 8, 9), (3, 2, 3, 3), dict(padding="valid", stride=2)),
    ((3, 8, 8), (4, 3, 3, 3), {}),                                            # unbatched
    ((2, 1, 12, 12), (6, 1, 5, 5), {}),                                       # LeNet
    ((0, 3, 6, 6), (4, 3, 3, 3), {}),                                         # empty batch
]


@pytest.mark.parametrize("xs,ws,kw", CONV2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(xs, ws, kw, bias):
    b = rand(ws[0]) if bias else None
    check("conv2d", [rand(xs), rand(ws), b], kw)


@pytest.mark.parametrize("xs,ws,kw", CONV2D[:5])
def test_conv2d_float32(xs, ws, kw):
    check("conv2d", [rand(xs), rand(ws), rand(ws[0])], kw, dtype=np.float32)


def test_conv2d_first_layer_skips_input_grad():
    x, w, b = rand((2, 1, 8, 8), np.float32), rand((3, 1, 3, 3), np.float32), rand(3, np.float32)
    ho, to = check("conv2d", [x, w, b], dtype=np.float32, grad=(False, True, True))
    assert fn_names(ho.grad_fn) == ("ConvolutionBackward0", [None, "torch::autograd::AccumulateGrad",
                                                            "torch::autograd::AccumulateGrad"])


def test_conv2d_bias_none_edge_and_names():
    hx = huoba.tensor(rand((1, 2, 5, 5)), requires_grad=True)
    hw = huoba.tensor(rand((3, 2, 3, 3)), requires_grad=True)
    y = HF.conv2d(hx, hw)
    assert len(y.grad_fn.next_functions) == 3 and y.grad_fn.next_functions[2] == (None, 0)
    # a weight that does not require grad: only the input gradient
    hw2 = huoba.tensor(rand((3, 2, 3, 3)))
    y = HF.conv2d(hx, hw2)
    y.sum().backward()
    tx = torch.tensor(hx.detach().numpy(), requires_grad=True)
    TF.conv2d(tx, torch.tensor(hw2.numpy())).sum().backward()
    np.testing.assert_allclose(hx.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    assert hw2.grad is None


def test_conv2d_same_even_kernel_warns_like_torch():
    x = huoba.tensor(rand((1, 2, 6, 6)))
    w = huoba.tensor(rand((3, 2, 2, 2)))
    with pytest.warns(UserWarning, match="Using padding='same' with even kernel lengths"):
        HF.conv2d(x, w, padding="same")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HF.conv2d(x, huoba.tensor(rand((3, 2, 3, 3))), padding="same")


def test_conv2d_unbatched_chain():
    ho, to = check("conv2d", [rand((2, 5, 5)), rand((3, 2, 3, 3)), None], grad=(True, True))
    names = []
    node = ho.grad_fn
    while node is not None:
        names.append(node.name())
        node = node.next_functions[0][0] if node.next_functions else None
    assert names == ["SqueezeBackward1", "ConvolutionBackward0", "UnsqueezeBackward0",
                     "torch::autograd::AccumulateGrad"]


def test_conv_integer_and_double_precision():
    x = RNG.integers(-5, 5, (1, 2, 5, 5))
    w = RNG.integers(-3, 3, (2, 2, 3, 3))
    hy = HF.conv2d(huoba.tensor(x), huoba.tensor(w))
    ty = TF.conv2d(torch.tensor(x), torch.tensor(w))
    assert hy.dtype == huoba.int64
    np.testing.assert_array_equal(hy.numpy(), ty.numpy())


def test_conv_second_backward_error():
    x = huoba.tensor(rand((1, 2, 5, 5)), requires_grad=True)
    w = huoba.tensor(rand((3, 2, 3, 3)), requires_grad=True)
    y = HF.conv2d(x, w).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


@pytest.mark.parametrize("fname,xs,ws,kw", [
    ("conv2d", (2, 4, 6, 5), (4, 2, 3, 2), dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
    ("conv1d", (2, 3, 7), (2, 3, 3), dict(stride=2, padding=1)),
    ("conv3d", (1, 2, 3, 4, 4), (2, 2, 2, 2, 3), dict(padding=(1, 0, 1))),
    ("conv_transpose2d", (1, 4, 3, 4), (4, 1, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
])
def test_conv_double_backward_matches_torch(fname, xs, ws, kw):
    # a gradient penalty: d/d(x, w, b) of |d(sum(y * r))/dx|^2 + |d(...)/dw|^2
    x, w = rand(xs), rand(ws)
    b = rand(ws[1] * kw.get("groups", 1) if "transpose" in fname else ws[0])
    r = None
    grads = []
    for lib in (huoba, torch):
        tx, tw, tb = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = getattr(lib.nn.functional, fname)(tx, tw, tb, **kw)
        if r is None:
            r = rand(tuple(y.shape))
        gx, gw = lib.autograd.grad((y * lib.tensor(r)).sum(), (tx, tw), create_graph=True)
        ((gx ** 2).sum() + (gw ** 2).sum()).backward()
        grads.append([to_np(a.grad) for a in (tx, tw)])
    for a, c in zip(*grads):
        np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-10)


def test_conv_gradgradcheck_and_third_order():
    args = [huoba.tensor(rand(s), requires_grad=True) for s in ((1, 2, 4, 5), (2, 2, 2, 3), (2,))]
    assert gradgradcheck(lambda a, c, d: HF.conv2d(a, c, d, padding=1, stride=(1, 2)), args)
    assert gradgradcheck(lambda a, c, d: HF.conv_transpose2d(a, c, d, stride=2), [
        huoba.tensor(rand(s), requires_grad=True) for s in ((1, 2, 3, 3), (2, 2, 2, 3), (2,))])
    x0, w0 = rand((1, 2, 4, 5)), rand((2, 2, 2, 3))
    out = []
    for lib in (huoba, torch):
        x, w = lib.tensor(x0, requires_grad=True), lib.tensor(w0, requires_grad=True)
        gx, = lib.autograd.grad(lib.nn.functional.conv2d(x, w).pow(2).sum(), x, create_graph=True)
        gw, = lib.autograd.grad(gx.pow(2).sum(), w, create_graph=True)
        assert gw.grad_fn is not None
        out.append(to_np(lib.autograd.grad(gw.sum(), x)[0]))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-9, atol=1e-10)


def test_conv_retain_graph_twice():
    # the cached column matrix is consumed by the first backward; the second rebuilds it
    x = huoba.tensor(rand((2, 2, 6, 6), np.float32), requires_grad=True)
    w = huoba.tensor(rand((3, 2, 3, 3), np.float32), requires_grad=True)
    y = HF.conv2d(x, w, padding=1).sum()
    y.backward(retain_graph=True)
    g1 = w.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * g1, rtol=1e-5)


def test_conv2d_gradcheck():
    x = huoba.tensor(rand((2, 4, 5, 6)), requires_grad=True)
    w = huoba.tensor(rand((4, 2, 3, 2)), requires_grad=True)
    b = huoba.tensor(rand(4), requires_grad=True)
    assert gradcheck(lambda a, c, d: HF.conv2d(a, c, d, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
                     (x, w, b))


# ---- conv1d / conv3d -----------------------------------------------------------------------------------
CONV1D = [
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 4, 11), (6, 2, 3), dict(stride=2, padding=2, dilation=2, groups=2)),
    ((2, 3, 8), (4, 3, 4), dict(padding="same")),
    ((2, 3, 8), (4, 3, 5), dict(padding="valid")),
    ((3, 9), (4, 3, 3), dict(padding=1)),
    ((2, 3, 9), (4, 3, 3), dict(padding=(2,), stride=[3])),
]


@pytest.mark.parametrize("xs,ws,kw", CONV1D)
def test_conv1d(xs, ws, kw):
    check("conv1d", [rand(xs), rand(ws), rand(ws[0])], kw)


def test_conv1d_gradcheck():
    args = [huoba.tensor(rand(s), requires_grad=True) for s in ((2, 4, 7), (2, 2, 3), (2,))]
    assert gradcheck(lambda a, c, d: HF.conv1d(a, c, d, stride=2, padding=1, groups=2), args)


CONV3D = [
    ((1, 2, 4, 5, 5), (3, 2, 2, 3, 3), {}),
    ((2, 4, 5, 4, 6), (4, 2, 3, 2, 3), dict(stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2), groups=2)),
    ((2, 4, 4, 4), (3, 2, 3, 3, 3), dict(padding="same")),
]


@pytest.mark.parametrize("xs,ws,kw", CONV3D)
def test_conv3d(xs, ws, kw):
    check("conv3d", [rand(xs), rand(ws), rand(ws[0])], kw)


def test_conv3d_gradcheck():
    args = [huoba.tensor(rand(s), requires_grad=True) for s in ((1, 2, 3, 4, 4), (2, 1, 2, 2, 3), (2,))]
    assert gradcheck(lambda a, c, d: HF.conv3d(a, c, d, stride=(1, 2, 1), padding=1, groups=2), args)


# ---- transposed convolutions -----------------------------------------------------------------------------
CONVT2D = [
    ((2, 4, 5, 5), (4, 3, 3, 3), {}),
    ((2, 4, 5, 6), (4, 2, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 5, 5), (4, 1, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(0, 2), groups=2,
                                      dilation=(1, 2))),
    ((4, 5, 5), (4, 3, 3, 3), dict(stride=2)),
    ((1, 2, 3, 3), (2, 3, 1, 1), dict(stride=2)),
]


@pytest.mark.parametrize("xs,ws,kw", CONVT2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose2d(xs, ws, kw, bias):
    b = rand(ws[1] * kw.get("groups", 1)) if bias else None
    check("conv_transpose2d", [rand(xs), rand(ws), b], kw)


@pytest.mark.parametrize("xs,ws,kw", [((2, 4, 7), (4, 3, 3), {}),
                                      ((2, 4, 7), (4, 1, 3), dict(stride=2, padding=1, output_padding=1, groups=2,
                                                                  dilation=2)),
                                      ((4, 6), (4, 2, 2), dict(stride=3))])
def test_conv_transpose1d(xs, ws, kw):
    check("conv_transpose1d", [rand(xs), rand(ws), rand(ws[1] * kw.get("groups", 1))], kw)


def test_conv_transpose3d():
    check("conv_transpose3d", [rand((1, 4, 3, 3, 4)), rand((4, 1, 2, 3, 2)), rand(2)],
          dict(stride=(2, 1, 2), padding=(0, 1, 1), output_padding=(1, 0, 0), groups=2))


def test_conv_transpose_gradcheck():
    args = [huoba.tensor(rand(s), requires_grad=True) for s in ((1, 4, 3, 4), (4, 1, 3, 2), (2,))]
    assert gradcheck(lambda a, c, d: HF.conv_transpose2d(a, c, d, stride=2, padding=1, output_padding=1, groups=2),
                     args)
    args = [huoba.tensor(rand(s), requires_grad=True) for s in ((1, 2, 5), (2, 2, 3), (2,))]
    assert gradcheck(lambda a, c, d: HF.conv_transpose1d(a, c, d, stride=2, dilation=2), args)


# ---- errors ---------------------------------------------------------------------------------------------
X4 = rand((2, 4, 8, 8), np.float32)
W4 = rand((6, 4, 3, 3), np.float32)


def _t(lib, a):
    return lib.tensor(a)


CONV_ERRORS = [
    lambda L: L.nn.functional.conv2d(_t(L, X4[0, 0]), _t(L, W4)),
    lambda L: L.nn.functional.conv2d(_t(L, X4[None]), _t(L, W4)),
    lambda L: L.nn.functional.conv2d(_t(L, X4[:, :3]), _t(L, W4)),
    lambda L: L.nn.functional.conv2d(_t(L, X4[0, :3]), _t(L, W4)),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4[:, :2]), groups=3),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4[:5, :2]), groups=2),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4[:2, :1]), groups=4),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), groups=0),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4[..., 0])),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4[:, :, 0, 0])),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), stride=2, padding="same"),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), padding="foo"),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), padding=-1),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), padding=(1, 1, 1)),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), stride=0),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), stride=(1, 2, 3)),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), dilation=0),
    lambda L: L.nn.functional.conv2d(_t(L, X4[:, :, :2, :2]), _t(L, W4)),
    lambda L: L.nn.functional.conv2d(_t(L, X4[:, :, :4, :4]), _t(L, W4), dilation=2),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), _t(L, W4[:5, 0, 0, 0])),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), _t(L, W4[:, :1, 0, 0])),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4.astype(np.float64))),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4.astype(np.int64))),
    lambda L: L.nn.functional.conv2d(_t(L, X4.astype(np.float64)), _t(L, W4)),
    lambda L: L.nn.functional.conv2d(_t(L, X4.astype(np.int64)), _t(L, W4)),
    lambda L: L.nn.functional.conv2d(_t(L, X4.astype(np.float64)), _t(L, W4.astype(np.float64)),
                                     _t(L, W4[:, 0, 0, 0])),
    lambda L: L.nn.functional.conv2d(_t(L, X4), _t(L, W4), _t(L, W4[:, 0, 0, 0].astype(np.float64))),
    lambda L: L.nn.functional.conv1d(_t(L, X4), _t(L, W4[..., 0])),
    lambda L: L.nn.functional.conv1d(_t(L, X4[0]), _t(L, W4[:, :3, :, 0])),
    lambda L: L.nn.functional.conv1d(_t(L, X4[0]), _t(L, rand((3, 8, 9), np.float32))),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4), _t(L, W4[:3, :2])),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4), _t(L, W4[:4, :2]), output_padding=1),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4), _t(L, W4[:4, :2]), stride=2, output_padding=2),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4), _t(L, W4[:4, :2]), output_padding=-1),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4), _t(L, W4[:4, :2]), padding="same"),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4), _t(L, W4[:4, :3]), groups=3),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4), _t(L, W4[:4, :2]), groups=0),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4), _t(L, W4[:4, :3].astype(np.float64))),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4), _t(L, W4[:4, :3]), _t(L, W4[:3, 0, 0, 0]
                                                                                 .astype(np.float64))),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4), _t(L, W4[:4, :3]), _t(L, W4[:4, 0, 0, 0])),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4[:1, :, :1, :1]), _t(L, W4[:4, :3]), padding=2),
    lambda L: L.nn.functional.conv_transpose2d(_t(L, X4[0, 0]), _t(L, W4[:4, :3])),
    lambda L: L.nn.functional.conv_transpose1d(_t(L, X4), _t(L, W4[:4, :3, 0])),
]


@pytest.mark.parametrize("i", range(len(CONV_ERRORS)))
def test_conv_errors(i):
    same_error(CONV_ERRORS[i])


# ---- unfold / fold --------------------------------------------------------------------------------------
@pytest.mark.parametrize("xs,kw", [
    ((2, 3, 6, 7), dict(kernel_size=2)),
    ((2, 3, 6, 7), dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))),
    ((3, 5, 5), dict(kernel_size=3, padding=(1, 0))),
])
def test_unfold(xs, kw):
    ho, to = check("unfold", [rand(xs)], kw)
    # fold(unfold(x)) with the same geometry
    hf = HF.fold(ho, xs[-2:], **kw)
    tf = TF.fold(to, xs[-2:], **kw)
    assert fn_names(hf.grad_fn) == fn_names(tf.grad_fn)
    np.testing.assert_allclose(to_np(hf), to_np(tf), rtol=1e-10)


@pytest.mark.parametrize("xs,out,kw", [
    ((2, 12, 12), (4, 5), dict(kernel_size=2)),
    ((2, 12, 6), (5, 4), dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 1))),
    ((8, 9), (4, 4), dict(kernel_size=2)),
])
def test_fold(xs, out, kw):
    check("fold", [rand(xs)], dict(output_size=out, **kw))


def test_unfold_fold_gradcheck():
    x = huoba.tensor(rand((1, 2, 5, 4)), requires_grad=True)
    assert gradcheck(lambda a: HF.unfold(a, (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)), (x,))
    c = huoba.tensor(rand((1, 8, 9)), requires_grad=True)
    assert gradcheck(lambda a: HF.fold(a, (4, 4), 2), (c,))


UNFOLD_ERRORS = [
    lambda L: L.nn.functional.unfold(_t(L, X4[0, 0]), 2),
    lambda L: L.nn.functional.unfold(_t(L, X4[None]), 2),
    lambda L: L.nn.functional.unfold(_t(L, X4), 9),
    lambda L: L.nn.functional.unfold(_t(L, X4[:, :, :, :5]), 7),
    lambda L: L.nn.functional.unfold(_t(L, X4), (2, 2, 2)),
    lambda L: L.nn.functional.unfold(_t(L, X4), 2, stride=0),
    lambda L: L.nn.functional.unfold(_t(L, X4), 2, padding=-1),
    lambda L: L.nn.functional.unfold(_t(L, X4), 2, dilation=0),
    lambda L: L.nn.functional.unfold(_t(L, X4), 0),
    lambda L: L.nn.functional.unfold(_t(L, X4.astype(np.int64)), 2),
    lambda L: L.nn.functional.fold(_t(L, rand((1, 8, 10), np.float32)), (4, 4), 2),
    lambda L: L.nn.functional.fold(_t(L, rand((1, 7, 9), np.float32)), (4, 4), 2),
    lambda L: L.nn.functional.fold(_t(L, X4), (4, 4), 2),
    lambda L: L.nn.functional.fold(_t(L, rand(8, np.float32)), (4, 4), 2),
    lambda L: L.nn.functional.fold(_t(L, rand((1, 8, 0), np.float32)), (1, 1), 2),
    lambda L: L.nn.functional.fold(_t(L, rand((1, 8, 1), np.float32)), (1, 1), 2),
    lambda L: L.nn.functional.fold(_t(L, rand((1, 8, 9), np.float32)), (4, 4), 2, stride=0),
]


@pytest.mark.parametrize("i", range(len(UNFOLD_ERRORS)))
def test_unfold_fold_errors(i):
    same_error(UNFOLD_ERRORS[i])


# ---- pixel shuffle ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("xs,r", [((2, 8, 3, 4), 2), ((9, 2, 2), 3), ((2, 1, 4, 3, 2), 1)])
def test_pixel_shuffle(xs, r):
    check("pixel_shuffle", [rand(xs)], dict(upscale_factor=r))


@pytest.mark.parametrize("xs,r", [((2, 2, 4, 6), 2), ((1, 6, 6), 3)])
def test_pixel_unshuffle(xs, r):
    check("pixel_unshuffle", [rand(xs)], dict(downscale_factor=r))


def test_pixel_shuffle_gradcheck_and_double_backward():
    x = huoba.tensor(rand((1, 8, 2, 3)), requires_grad=True)
    assert gradcheck(lambda a: HF.pixel_shuffle(a, 2), (x,))
    assert gradgradcheck(lambda a: HF.pixel_unshuffle(a, 2) ** 2, (huoba.tensor(
        rand((1, 2, 4, 4)), requires_grad=True),))


@pytest.mark.parametrize("fn", [
    lambda L: L.nn.functional.pixel_shuffle(_t(L, X4), 3),
    lambda L: L.nn.functional.pixel_shuffle(_t(L, X4[0, 0]), 2),
    lambda L: L.nn.functional.pixel_shuffle(_t(L, X4), 0),
    lambda L: L.nn.functional.pixel_unshuffle(_t(L, X4), 3),
    lambda L: L.nn.functional.pixel_unshuffle(_t(L, X4[0, 0]), 2),
    lambda L: L.nn.functional.pixel_unshuffle(_t(L, rand((1, 1, 4, 6), np.float32)), 4),
    lambda L: L.nn.functional.pixel_unshuffle(_t(L, X4), -1),
])
def test_pixel_shuffle_errors(fn):
    same_error(fn)


# ---- the torch namespace ---------------------------------------------------------------------------------
def test_torch_namespace_functions():
    x, w = rand((1, 2, 5, 5)), rand((3, 2, 3, 3))
    for name in ("conv2d", "conv_transpose2d"):
        ww = w if name == "conv2d" else rand((2, 3, 3, 3))
        np.testing.assert_allclose(getattr(huoba, name)(huoba.tensor(x), huoba.tensor(ww), None, 1, 1).numpy(),
                                   getattr(torch, name)(torch.tensor(x), torch.tensor(ww), None, 1, 1).numpy(),
                                   rtol=1e-10)
    np.testing.assert_allclose(huoba.conv1d(huoba.tensor(x[:, :, 0]), huoba.tensor(w[..., 0])).numpy(),
                               torch.conv1d(torch.tensor(x[:, :, 0]), torch.tensor(w[..., 0])).numpy(), rtol=1e-10)
    np.testing.assert_allclose(huoba.pixel_shuffle(huoba.tensor(rand((1, 4, 2, 2))), 2).shape, (1, 1, 4, 4))
    y = huoba.convolution(huoba.tensor(x), huoba.tensor(w), None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)
    ty = torch.convolution(torch.tensor(x), torch.tensor(w), None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-10)


def test_conv_module_training_matches_torch():
    # a few SGD steps of a small conv net in both libraries stay together
    def net(nn):
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, groups=2),
                             nn.AvgPool2d(2, ceil_mode=True), nn.Flatten(), nn.Linear(6, 3))
    torch.manual_seed(0)
    tn = net(torch.nn)
    hn = net(huoba.nn)
    hn.load_state_dict({k: huoba.tensor(v.detach().numpy()) for k, v in tn.state_dict().items()})
    to = torch.optim.SGD(tn.parameters(), lr=0.1)
    ho = huoba.optim.SGD(hn.parameters(), lr=0.1)
    x = rand((5, 1, 8, 8), np.float32)
    y = RNG.integers(0, 3, 5)
    for _ in range(3):
        for lib, n, o in ((huoba, hn, ho), (torch, tn, to)):
            loss = lib.nn.functional.cross_entropy(n(lib.tensor(x)), lib.tensor(y))
            o.zero_grad()
            loss.backward()
            o.step()
    for (k, a), (_, b) in zip(hn.state_dict().items(), tn.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=k)
