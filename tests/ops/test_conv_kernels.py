"""Array-level conv / pool kernels against torch (forward values and autograd grads)."""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from huoba.ops import _conv_kernels as K  # noqa: E402

RNG = np.random.default_rng(1234)
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}


def rand(shape, dtype):
    return RNG.standard_normal(shape).astype(dtype)


def close(ours, theirs, dtype, scale=1.0):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    tol = TOL[dtype]
    np.testing.assert_allclose(ours, theirs, rtol=tol["rtol"], atol=tol["atol"] * scale)


def t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def pads_of(padding):
    """Normalise to ((top, bottom), (left, right))."""
    if isinstance(padding, int):
        return (padding, padding), (padding, padding)
    if isinstance(padding[0], int):
        return (padding[0], padding[0]), (padding[1], padding[1])
    return tuple(padding)


# ---------------------------------------------------------------------------
# conv2d
# ---------------------------------------------------------------------------

# (N, C, H, W, O, groups, (kh, kw), stride, padding, dilation)
CONV2D_CASES = [
    (1, 1, 7, 9, 2, 1, (3, 3), 1, 0, 1),
    (3, 4, 9, 11, 6, 2, (3, 3), 1, 1, 1),
    (3, 4, 9, 11, 8, 4, (3, 3), 1, 1, 1),          # depthwise, multiplier 2
    (2, 3, 10, 10, 4, 1, (5, 5), 2, 2, 1),
    (2, 3, 11, 13, 5, 1, (5, 5), 3, 1, 1),
    (2, 4, 7, 9, 4, 4, (3, 3), 1, 1, 2),
    (3, 2, 9, 8, 3, 1, (3, 2), (2, 1), (1, 0), (2, 1)),
    (2, 3, 8, 8, 4, 1, (1, 1), 1, 0, 1),           # 1x1
    (2, 4, 9, 7, 6, 2, (1, 1), 2, 0, 1),           # 1x1 strided, grouped
    (2, 3, 8, 8, 4, 1, (1, 1), 1, 1, 1),           # 1x1 with padding
    (1, 2, 8, 9, 3, 1, (4, 4), 1, ((1, 2), (1, 2)), 1),   # 'same' even kernel
    (2, 2, 9, 9, 3, 1, (2, 4), 1, ((0, 1), (1, 2)), 1),
    (2, 2, 9, 9, 3, 1, (4, 3), 1, ((3, 3), (2, 2)), 2),   # 'same' dilated
    (3, 6, 12, 12, 12, 1, (5, 5), 1, 0, 1),        # LeNet conv2 shape (small batch)
    (1, 3, 5, 40, 2, 1, (5, 11), 1, 0, 1),         # wide kernel -> exact layout
    (2, 3, 13, 13, 4, 1, (3, 3), 2, 1, 1),
    (2, 2, 6, 6, 2, 2, (3, 3), (1, 3), 2, (2, 1)),
]


def torch_conv2d(x, w, b, stride, padding, dilation, groups):
    (pt, pb), (pl, pr) = pads_of(padding)
    if pt == pb and pl == pr:
        return F.conv2d(x, w, b, stride, (pt, pl), dilation, groups)
    return F.conv2d(F.pad(x, (pl, pr, pt, pb)), w, b, stride, 0, dilation, groups)


@pytest.fixture(params=["auto", "exact", "ext", "scratch"])
def layout(request, monkeypatch):
    """Run a test with the automatic im2col layout choice, forced to each
    layout, and with every temporary in the reused scratch/pool buffers."""
    if request.param == "exact":
        monkeypatch.setattr(K, "_EXT_MAX_WASTE", 0.0)
    elif request.param == "ext":
        monkeypatch.setattr(K, "_EXT_MAX_WASTE", 1e9)
    elif request.param == "scratch":
        monkeypatch.setattr(K, "_SCRATCH_MIN_BYTES", 0)
    yield request.param
    K.clear_scratch()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d(case, dtype, layout):
    N, C, H, W, O, G, (kh, kw), s, p, d = case
    x, w, b = rand((N, C, H, W), dtype), rand((O, C // G, kh, kw), dtype), rand((O,), dtype)
    tx, tw, tb = t(x, True), t(w, True), t(b, True)
    ty = torch_conv2d(tx, tw, tb, s, p, d, G)
    y, cache = K.conv2d_forward(x, w, b, s, p, d, G, keep_cols=True)
    close(y, ty, dtype)
    close(K.conv2d_forward(x, w, None, s, p, d, G), torch_conv2d(t(x), t(w), None, s, p, d, G), dtype)
    gy = rand(y.shape, dtype)
    ty.backward(t(gy))
    for c in (cache, None):
        gx, gw, gb = K.conv2d_backward(gy, x, w, s, p, d, G, cache=c)
        close(gx, tx.grad, dtype)
        close(gw, tw.grad, dtype, scale=4)
        close(gb, tb.grad, dtype, scale=4)
    gx, gw, gb = K.conv2d_backward(gy, x, w, s, p, d, G, need_x=False, need_w=True, need_b=False)
    assert gx is None and gb is None
    close(gw, tw.grad, dtype, scale=4)
    gx, gw, gb = K.conv2d_backward(gy, x, w, s, p, d, G, need_x=True, need_w=False, need_b=False)
    assert gw is None and gb is None
    close(gx, tx.grad, dtype)


def test_conv2d_noncontiguous_and_unbatched():
    x = rand((3, 9, 10, 4), np.float64).transpose(0, 3, 1, 2)     # NHWC memory
    w = rand((5, 4, 3, 3), np.float64)
    y = K.conv2d_forward(x, w, None, 1, 1, 1, 1)
    close(y, F.conv2d(t(np.ascontiguousarray(x)), t(w), None, 1, 1), np.float64)
    y1 = K.conv2d_forward(x[0], w, None, 2, 1, 1, 1)
    close(y1, F.conv2d(t(np.ascontiguousarray(x[0])), t(w), None, 2, 1), np.float64)
    gx, gw, _ = K.conv2d_backward(np.ones_like(y1), x[0], w, 2, 1, 1, 1, need_b=False)
    tx = t(np.ascontiguousarray(x[0]), True)
    tw = t(w, True)
    F.conv2d(tx, tw, None, 2, 1).sum().backward()
    close(gx, tx.grad, np.float64)
    close(gw, tw.grad, np.float64)


def test_conv2d_float32_stays_float32_and_cache_mismatch_ignored():
    x, w = rand((2, 3, 8, 8), np.float32), rand((4, 3, 3, 3), np.float32)
    y, cache = K.conv2d_forward(x, w, None, 1, 1, 1, 1, keep_cols=True)
    assert y.dtype == np.float32
    # a cache from another geometry must not be used
    _, other = K.conv2d_forward(x, w, None, 2, 1, 1, 1, keep_cols=True)
    gy = rand(y.shape, np.float32)
    _, gw1, _ = K.conv2d_backward(gy, x, w, 1, 1, 1, 1, cache=other)
    _, gw2, _ = K.conv2d_backward(gy, x, w, 1, 1, 1, 1, cache=cache)
    assert gw1.dtype == np.float32
    np.testing.assert_allclose(gw1, gw2, rtol=1e-5, atol=1e-5)


def test_conv2d_lenet_shapes(layout):
    for (xs, ws) in [((10, 1, 28, 28), (6, 1, 5, 5)), ((10, 6, 12, 12), (12, 6, 5, 5))]:
        x, w, b = rand(xs, np.float32), rand(ws, np.float32), rand(ws[:1], np.float32)
        tx, tw, tb = t(x, True), t(w, True), t(b, True)
        ty = F.conv2d(tx, tw, tb)
        y, cache = K.conv2d_forward(x, w, b, 1, 0, 1, 1, keep_cols=True)
        close(y, ty, np.float32, scale=2)
        gy = rand(y.shape, np.float32)
        ty.backward(t(gy))
        gx, gw, gb = K.conv2d_backward(gy, x, w, 1, 0, 1, 1, cache=cache)
        close(gx, tx.grad, np.float32, scale=2)
        close(gw, tw.grad, np.float32, scale=20)
        close(gb, tb.grad, np.float32, scale=20)


def test_conv2d_errors():
    x, w = rand((1, 3, 4, 4), np.float32), rand((2, 2, 3, 3), np.float32)
    with pytest.raises(RuntimeError):
        K.conv2d_forward(x, w, None, 1, 0, 1, 1)            # channel mismatch
    with pytest.raises(RuntimeError):
        K.conv2d_forward(x, rand((2, 3, 5, 5), np.float32), None, 1, 0, 1, 1)   # kernel too large


def test_conv2d_interleaved_caches_and_double_backward(monkeypatch):
    """Recycled column buffers and scratch memory must never alias live data."""
    monkeypatch.setattr(K, "_SCRATCH_MIN_BYTES", 0)
    layers = [((4, 3, 13, 11), (5, 3, 3, 3), 1, 1), ((4, 5, 13, 11), (6, 5, 5, 5), 1, 2),
              ((4, 6, 13, 11), (4, 6, 3, 3), 2, 1)]
    xs = [rand(xs, np.float64) for xs, _, _, _ in layers]
    ws = [rand(ws, np.float64) for _, ws, _, _ in layers]
    outs = []
    for x, w, (_, _, s, p) in zip(xs, ws, layers):
        y, cache = K.conv2d_forward(x, w, None, s, p, 1, 1, keep_cols=True)
        outs.append((y.copy(), y, cache))
    for (x, w, (_, _, s, p)), (y0, y, cache) in zip(reversed(list(zip(xs, ws, layers))), reversed(outs)):
        np.testing.assert_array_equal(y, y0)          # outputs untouched by later calls
        gy = rand(y.shape, np.float64)
        tx, tw = t(x, True), t(w, True)
        F.conv2d(tx, tw, None, s, p).backward(t(gy))
        first = K.conv2d_backward(gy, x, w, s, p, 1, 1, cache=cache, need_b=False)
        again = K.conv2d_backward(gy, x, w, s, p, 1, 1, cache=cache, need_b=False)   # consumed cache
        for ours in (first, again):
            close(ours[0], tx.grad, np.float64)
            close(ours[1], tw.grad, np.float64)
    K.clear_scratch()


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kernel,dilation", [(1, 1), (2, 1), (3, 1), (4, 1), (5, 2), ((4, 3), (1, 2)), ((2, 5), 3)])
def test_same_padding_matches_torch(kernel, dilation):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    pad = K.same_padding((kh, kw), dilation)
    assert len(pad) == 2
    x, w = rand((2, 2, 9, 10), np.float64), rand((3, 2, kh, kw), np.float64)
    tx, tw = t(x, True), t(w, True)
    ty = F.conv2d(tx, tw, None, 1, "same", dilation)
    y = K.conv2d_forward(x, w, None, 1, pad, dilation, 1)
    close(y, ty, np.float64)
    gy = rand(y.shape, np.float64)
    ty.backward(t(gy))
    gx, gw, _ = K.conv2d_backward(gy, x, w, 1, pad, dilation, 1, need_b=False)
    close(gx, tx.grad, np.float64)
    close(gw, tw.grad, np.float64)
    assert K.same_padding(4) == ((1, 2),)


# ---------------------------------------------------------------------------
# conv1d
# ---------------------------------------------------------------------------

# (N, C, L, O, groups, k, stride, padding, dilation)
CONV1D_CASES = [
    (3, 4, 17, 6, 2, 3, 1, 1, 1),
    (2, 3, 20, 4, 1, 5, 2, 2, 1),
    (1, 2, 9, 2, 2, 3, 3, 0, 2),
    (2, 3, 12, 5, 1, 4, 1, (1, 2), 1),     # 'same' even kernel
    (2, 3, 12, 5, 1, 1, 2, 0, 1),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV1D_CASES)
def test_conv1d(case, dtype, layout):
    N, C, L, O, G, k, s, p, d = case
    x, w, b = rand((N, C, L), dtype), rand((O, C // G, k), dtype), rand((O,), dtype)
    tx, tw, tb = t(x, True), t(w, True), t(b, True)
    if isinstance(p, tuple):
        ty = F.conv1d(F.pad(tx, p), tw, tb, s, 0, d, G)
    else:
        ty = F.conv1d(tx, tw, tb, s, p, d, G)
    y, cache = K.conv1d_forward(x, w, b, s, p, d, G, keep_cols=True)
    close(y, ty, dtype)
    gy = rand(y.shape, dtype)
    ty.backward(t(gy))
    gx, gw, gb = K.conv1d_backward(gy, x, w, s, p, d, G, cache=cache)
    close(gx, tx.grad, dtype)
    close(gw, tw.grad, dtype, scale=4)
    close(gb, tb.grad, dtype, scale=4)


def test_conv1d_same_and_unbatched():
    x, w = rand((3, 11), np.float64), rand((2, 3, 4), np.float64)
    (pad,) = K.same_padding(4)
    y = K.conv1d_forward(x, w, None, 1, pad, 1, 1)
    close(y, F.conv1d(t(x), t(w), None, 1, "same"), np.float64)


# ---------------------------------------------------------------------------
# conv_transpose
# ---------------------------------------------------------------------------

# (N, Cin, H, W, Cout, groups, (kh, kw), stride, padding, output_padding, dilation)
CONVT2D_CASES = [
    (2, 4, 5, 6, 6, 2, (3, 3), 2, 1, 1, 1),
    (1, 3, 4, 4, 2, 1, (4, 4), 2, 1, 0, 1),
    (2, 2, 5, 5, 3, 1, (3, 3), 1, 0, 0, 2),
    (2, 3, 4, 5, 2, 1, (2, 3), (3, 2), (1, 0), (2, 1), 1),
    (2, 4, 3, 3, 4, 4, (3, 3), 2, 1, 1, 2),    # depthwise
    (2, 3, 5, 5, 4, 1, (1, 1), 2, 0, 1, 1),    # 1x1
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONVT2D_CASES)
def test_conv_transpose2d(case, dtype, layout):
    N, Cin, H, W, Cout, G, (kh, kw), s, p, op, d = case
    x, w, b = rand((N, Cin, H, W), dtype), rand((Cin, Cout // G, kh, kw), dtype), rand((Cout,), dtype)
    tx, tw, tb = t(x, True), t(w, True), t(b, True)
    ty = F.conv_transpose2d(tx, tw, tb, s, p, op, G, d)
    y = K.conv_transpose2d_forward(x, w, b, s, p, op, G, d)
    close(y, ty, dtype)
    gy = rand(y.shape, dtype)
    ty.backward(t(gy))
    gx, gw, gb = K.conv_transpose2d_backward(gy, x, w, s, p, op, G, d)
    close(gx, tx.grad, dtype)
    close(gw, tw.grad, dtype, scale=4)
    close(gb, tb.grad, dtype, scale=4)
    gx, gw, gb = K.conv_transpose2d_backward(gy, x, w, s, p, op, G, d, need_x=False, need_b=False)
    assert gx is None and gb is None
    close(gw, tw.grad, dtype, scale=4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_transpose1d(dtype):
    for (N, Cin, L, Cout, G, k, s, p, op, d) in [(2, 4, 7, 6, 2, 3, 2, 1, 1, 1), (1, 2, 5, 3, 1, 4, 3, 2, 0, 2)]:
        x, w, b = rand((N, Cin, L), dtype), rand((Cin, Cout // G, k), dtype), rand((Cout,), dtype)
        tx, tw, tb = t(x, True), t(w, True), t(b, True)
        ty = F.conv_transpose1d(tx, tw, tb, s, p, op, G, d)
        y = K.conv_transpose1d_forward(x, w, b, s, p, op, G, d)
        close(y, ty, dtype)
        gy = rand(y.shape, dtype)
        ty.backward(t(gy))
        gx, gw, gb = K.conv_transpose1d_backward(gy, x, w, s, p, op, G, d)
        close(gx, tx.grad, dtype)
        close(gw, tw.grad, dtype, scale=4)
        close(gb, tb.grad, dtype, scale=4)


# ---------------------------------------------------------------------------
# max pooling
# ---------------------------------------------------------------------------

# (shape, kernel, stride, padding, dilation, ceil_mode)
MAXPOOL2D_CASES = [
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 9, 11), 2, None, 0, 1, False),
    ((2, 3, 9, 11), 2, None, 0, 1, True),
    ((1, 2, 10, 9), 3, 2, 1, 1, False),
    ((1, 2, 10, 9), 3, 2, 1, 1, True),
    ((2, 2, 11, 12), 3, 1, 1, 2, False),
    ((2, 2, 11, 12), (2, 3), (1, 2), (1, 1), (2, 1), True),
    ((1, 1, 7, 7), 3, 3, 1, 1, True),
    ((3, 5, 7), 3, 2, 0, 1, True),                 # unbatched
    ((2, 1, 5, 5), 5, 1, 2, 1, False),
    ((2, 3, 24, 24), 2, 2, 0, 1, False),
    ((1, 2, 6, 9), (1, 3), (1, 3), 0, 1, False),
]


def torch_maxpool(x, kernel, stride, padding, dilation, ceil_mode):
    return F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True)


def maxpool_inputs(shape, dtype):
    yield rand(shape, dtype)
    yield RNG.integers(0, 3, size=shape).astype(dtype)           # many ties
    x = rand(shape, dtype)
    x[..., ::3, 1::2] = -np.inf                                   # -inf (all -inf windows too)
    yield x
    x = RNG.integers(0, 3, size=shape).astype(dtype)
    x.reshape(-1)[::7] = np.nan                                   # NaN: last NaN wins
    yield x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", MAXPOOL2D_CASES)
def test_max_pool2d(case, dtype):
    shape, k, s, p, d, ceil = case
    for x in maxpool_inputs(shape, dtype):
        tx = t(x, True)
        ty, ti = torch_maxpool(tx, k, s, p, d, ceil)
        y, idx = K.max_pool2d_forward(x, k, s, p, d, ceil)
        assert idx.dtype == np.int64
        np.testing.assert_array_equal(idx, ti.numpy())
        np.testing.assert_array_equal(y, ty.detach().numpy())
        gy = rand(y.shape, dtype)
        ty.backward(t(gy))
        gx = K.max_pool2d_backward(gy, idx, x.shape)
        close(gx, tx.grad, dtype)


def test_max_pool2d_all_neg_inf_window():
    x = np.full((1, 1, 4, 4), -np.inf, np.float32)
    for args in [(2, 2, 0, 1, False), (3, 2, 1, 1, True), (2, 1, 1, 2, False)]:
        y, idx = K.max_pool2d_forward(x, *args)
        ty, ti = torch_maxpool(t(x), *args)
        np.testing.assert_array_equal(idx, ti.numpy())
        np.testing.assert_array_equal(y, ty.numpy())


def test_max_pool2d_bad_padding():
    with pytest.raises(RuntimeError):
        K.max_pool2d_forward(rand((1, 1, 5, 5), np.float32), 2, 1, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool1d(dtype):
    for (shape, k, s, p, d, ceil) in [((2, 3, 11), 2, None, 0, 1, False), ((2, 3, 11), 3, 2, 1, 2, True),
                                      ((3, 10), 4, 3, 2, 1, True), ((1, 2, 9), 1, 2, 0, 1, False)]:
        for x in maxpool_inputs(shape, dtype):
            tx = t(x, True)
            ty, ti = F.max_pool1d(tx, k, s, p, d, ceil, return_indices=True)
            y, idx = K.max_pool1d_forward(x, k, s, p, d, ceil)
            np.testing.assert_array_equal(idx, ti.numpy())
            np.testing.assert_array_equal(y, ty.detach().numpy())
            gy = rand(y.shape, dtype)
            ty.backward(t(gy))
            close(K.max_pool1d_backward(gy, idx, x.shape), tx.grad, dtype)


def test_pool_output_size_ceil_rule():
    # the last window must start inside the input or the left padding
    for n, k, s, p in itertools.product(range(1, 12), range(1, 5), range(1, 4), range(0, 3)):
        if p > k // 2:
            continue
        for ceil in (False, True):
            out = K.pool_output_size(n, k, s, p, 1, ceil)
            if out < 1:
                continue
            ty = F.max_pool1d(torch.zeros(1, 1, n), k, s, p, 1, ceil)
            assert out == ty.shape[-1], (n, k, s, p, ceil)


# ---------------------------------------------------------------------------
# average pooling
# ---------------------------------------------------------------------------

# (shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVGPOOL2D_CASES = [
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 9, 11), 3, 2, 1, False, True, None),
    ((2, 3, 9, 11), 3, 2, 1, False, False, None),
    ((2, 3, 9, 11), 3, 2, 1, True, True, None),
    ((2, 3, 9, 11), 3, 2, 1, True, False, None),
    ((1, 2, 10, 7), (2, 3), (3, 2), (1, 1), True, True, None),
    ((1, 2, 10, 7), (2, 3), (3, 2), (1, 1), True, False, 5),
    ((2, 2, 7, 7), 3, 1, 1, False, True, 4),
    ((3, 7, 6), 2, 2, 1, True, False, None),       # unbatched
    ((1, 1, 5, 5), 5, 3, 2, True, True, None),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", AVGPOOL2D_CASES)
def test_avg_pool2d(case, dtype):
    shape, k, s, p, ceil, cip, div = case
    x = rand(shape, dtype)
    tx = t(x, True)
    ty = F.avg_pool2d(tx, k, s, p, ceil, cip, div)
    y = K.avg_pool2d_forward(x, k, s, p, ceil, cip, div)
    close(y, ty, dtype)
    gy = rand(y.shape, dtype)
    ty.backward(t(gy))
    close(K.avg_pool2d_backward(gy, x.shape, k, s, p, ceil, cip, div), tx.grad, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool1d(dtype):
    for (shape, k, s, p, ceil, cip) in [((2, 3, 11), 3, 2, 1, True, False), ((2, 3, 11), 2, None, 0, False, True),
                                        ((3, 10), 4, 3, 2, True, True)]:
        x = rand(shape, dtype)
        tx = t(x, True)
        ty = F.avg_pool1d(tx, k, s, p, ceil, cip)
        y = K.avg_pool1d_forward(x, k, s, p, ceil, cip)
        close(y, ty, dtype)
        gy = rand(y.shape, dtype)
        ty.backward(t(gy))
        close(K.avg_pool1d_backward(gy, x.shape, k, s, p, ceil, cip), tx.grad, dtype)


# ---------------------------------------------------------------------------
# adaptive pooling
# ---------------------------------------------------------------------------

ADAPTIVE2D_CASES = [
    ((2, 3, 8, 8), (4, 4)),
    ((2, 3, 9, 11), (4, 3)),
    ((2, 3, 9, 11), 1),
    ((2, 3, 5, 7), (7, 9)),        # larger than the input
    ((3, 10, 6), (None, 4)),       # unbatched, None keeps the size
    ((1, 2, 13, 5), (5, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ADAPTIVE2D_CASES)
def test_adaptive_avg_pool2d(case, dtype):
    shape, out = case
    x = rand(shape, dtype)
    tx = t(x, True)
    ty = F.adaptive_avg_pool2d(tx, out)
    y = K.adaptive_avg_pool2d_forward(x, out)
    close(y, ty, dtype)
    gy = rand(y.shape, dtype)
    ty.backward(t(gy))
    close(K.adaptive_avg_pool2d_backward(gy, x.shape), tx.grad, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ADAPTIVE2D_CASES)
def test_adaptive_max_pool2d(case, dtype):
    shape, out = case
    for x in maxpool_inputs(shape, dtype):
        tx = t(x, True)
        ty, ti = F.adaptive_max_pool2d(tx, out, return_indices=True)
        y, idx = K.adaptive_max_pool2d_forward(x, out)
        np.testing.assert_array_equal(idx, ti.numpy())
        np.testing.assert_array_equal(y, ty.detach().numpy())
        gy = rand(y.shape, dtype)
        ty.backward(t(gy))
        close(K.adaptive_max_pool2d_backward(gy, idx, x.shape), tx.grad, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adaptive_pool1d(dtype):
    for shape, out in [((2, 3, 11), 4), ((2, 3, 12), 3), ((3, 5), 8), ((2, 2, 9), 1)]:
        x = rand(shape, dtype)
        tx = t(x, True)
        ty = F.adaptive_avg_pool1d(tx, out)
        close(K.adaptive_avg_pool1d_forward(x, out), ty, dtype)
        gy = rand(ty.shape, dtype)
        ty.backward(t(gy))
        close(K.adaptive_avg_pool1d_backward(gy, x.shape), tx.grad, dtype)
        for xm in maxpool_inputs(shape, dtype):
            tx = t(xm, True)
            ty, ti = F.adaptive_max_pool1d(tx, out, return_indices=True)
            y, idx = K.adaptive_max_pool1d_forward(xm, out)
            np.testing.assert_array_equal(idx, ti.numpy())
            np.testing.assert_array_equal(y, ty.detach().numpy())
            ty.backward(t(gy))
            close(K.adaptive_max_pool1d_backward(gy, idx, xm.shape), tx.grad, dtype)


# ---------------------------------------------------------------------------
# unfold / fold
# ---------------------------------------------------------------------------

UNFOLD_CASES = [
    ((2, 3, 8, 9), (3, 3), 1, 1, 1),
    ((1, 2, 10, 7), (2, 3), (2, 1), (1, 0), (2, 2)),
    ((3, 7, 7), 2, 1, 0, 2),                     # unbatched
    ((2, 1, 5, 5), 1, 1, 0, 1),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", UNFOLD_CASES)
def test_unfold_fold(case, dtype):
    shape, k, d, p, s = case
    x = rand(shape, dtype)
    cols = K.im2col(x, k, d, p, s)
    tcols = F.unfold(t(x), k, d, p, s)
    close(cols, tcols, dtype)
    c = rand(cols.shape, dtype)
    out = K.col2im(c, shape[-2:], k, d, p, s)
    close(out, F.fold(t(c), shape[-2:], k, d, p, s), dtype)
