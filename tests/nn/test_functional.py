"""huoba.nn.functional against torch.nn.functional: values, dtypes, gradients, errors and warnings."""
import warnings

import numpy as np
import pytest

import huoba
import huoba.nn.functional as HF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from nn_helpers import check_function, gradcheck, to_np  # noqa: E402

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5)) * 2
X4 = rng.standard_normal((2, 3, 4, 5))
DTYPES = [np.float64, np.float32]

ACTIVATIONS = [
    ("relu", {}), ("relu6", {}), ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {"alpha": 1.3}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.3}), ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("silu", {}), ("mish", {}), ("hardswish", {}), ("hardsigmoid", {}), ("logsigmoid", {}), ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 1.0}), ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("softsign", {}), ("tanhshrink", {}), ("softshrink", {"lambd": 0.7}), ("hardshrink", {"lambd": 0.7}),
    ("sigmoid", {}), ("tanh", {}), ("threshold", {"threshold": 0.2, "value": -1.0}), ("glu", {"dim": 0}),
    ("rrelu", {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kw", ACTIVATIONS, ids=[f"{n}{i}" for i, (n, _) in enumerate(ACTIVATIONS)])
def test_activation_functions(name, kw, dtype):
    check_function(lambda a: getattr(HF, name)(a, **kw), lambda a: getattr(TF, name)(a, **kw), [X.astype(dtype)],
                   dtype)


@pytest.mark.parametrize("name,kw", [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("elu", {"alpha": 0.7}), ("celu", {}),
    ("selu", {}), ("softplus", {"beta": 1.5}), ("mish", {}), ("logsigmoid", {}), ("leaky_relu", {}),
    ("hardswish", {}), ("hardtanh", {}), ("softshrink", {}), ("hardshrink", {}),
])
def test_activation_gradcheck_and_double_backward(name, kw):
    fn = getattr(HF, name)
    gradcheck(lambda a: fn(a, **kw), [X + 0.013])  # keep away from the kinks
    # second derivative against torch (through x * x, so that piecewise-linear ones have one too)
    hx = huoba.tensor(X + 0.013, requires_grad=True)
    tx = torch.tensor(X + 0.013, requires_grad=True)
    (hg,) = huoba.autograd.grad(fn(hx * hx, **kw).sum(), hx, create_graph=True)
    (tg,) = torch.autograd.grad(getattr(TF, name)(tx * tx, **kw).sum(), tx, create_graph=True)
    (hg * hg).sum().backward()
    (tg * tg).sum().backward()
    np.testing.assert_allclose(to_np(hx.grad), to_np(tx.grad), rtol=1e-7, atol=1e-10)


def test_hardsigmoid_gradcheck():
    gradcheck(HF.hardsigmoid, [X + 0.013])


def test_activation_grad_fn_names():
    x = huoba.tensor(X, requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    for name in ("gelu", "silu", "elu", "leaky_relu", "softplus", "hardtanh", "relu6", "mish", "hardswish",
                 "hardsigmoid", "relu", "logsigmoid", "selu", "celu"):
        assert getattr(HF, name)(x).grad_fn.name() == getattr(TF, name)(tx).grad_fn.name(), name
    for name in ("softmax", "log_softmax"):
        assert getattr(HF, name)(x, 1).grad_fn.name() == getattr(TF, name)(tx, 1).grad_fn.name()


@pytest.mark.parametrize("name", ["relu", "elu", "selu", "celu", "leaky_relu", "hardtanh", "relu6", "silu",
                                  "hardswish", "hardsigmoid", "mish", "rrelu", "threshold"])
def test_inplace_functional(name):
    args = (0.1, 2.0) if name == "threshold" else ()
    ha, ta = huoba.tensor(X.copy()), torch.tensor(X.copy())
    ho = getattr(HF, name)(ha, *args, inplace=True)
    to = getattr(TF, name)(ta, *args, inplace=True)
    assert ho is ha
    np.testing.assert_allclose(to_np(ha), to_np(ta))
    if hasattr(HF, name + "_"):
        hb = huoba.tensor(X.copy())
        assert getattr(HF, name + "_")(hb, *args) is hb
        np.testing.assert_allclose(to_np(hb), to_np(ta))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dim", [0, 1, -1, 3])
def test_softmax_family(name, dim, dtype):
    x = X4.astype(dtype)
    check_function(lambda a: getattr(HF, name)(a, dim), lambda a: getattr(TF, name)(a, dim), [x], dtype)


def test_softmax_dtype_argument_and_tensor_method():
    x = X.astype(np.float32)
    check_function(lambda a: HF.softmax(a, 1, dtype=huoba.float64), lambda a: TF.softmax(a, 1, dtype=torch.float64),
                   [x], np.float64)
    check_function(lambda a: HF.log_softmax(a, 0, dtype=huoba.float64),
                   lambda a: TF.log_softmax(a, 0, dtype=torch.float64), [x], np.float64)
    check_function(lambda a: a.softmax(1), lambda a: a.softmax(1), [X])
    check_function(lambda a: a.log_softmax(-1), lambda a: a.log_softmax(-1), [X])
    check_function(lambda a: huoba.softmax(a, 0), lambda a: torch.softmax(a, 0), [X])


def test_softmax_extremes():
    x = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0], [3.0, 3.0, 3.0]], dtype=np.float32)
    for name in ("softmax", "log_softmax"):
        a = to_np(getattr(HF, name)(huoba.tensor(x), 1))
        b = to_np(getattr(TF, name)(torch.tensor(x), 1))
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert HF.softmax(huoba.tensor(2.0), 0).item() == 1.0


def test_softmax_gradcheck():
    gradcheck(lambda a: HF.softmax(a, 1), [X])
    gradcheck(lambda a: HF.log_softmax(a, 0), [X])
    gradcheck(lambda a: HF.softmin(a, 1), [X])


@pytest.mark.parametrize("name,ndim", [("softmax", 1), ("softmax", 2), ("log_softmax", 3), ("softmin", 4),
                                       ("softmax", 0)])
def test_implicit_softmax_dim_warns_like_torch(name, ndim):
    x = rng.standard_normal((2, 3, 4, 5)[:ndim])

    def run(F, lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = getattr(F, name)(lib.tensor(x))
        return [str(m.message) for m in w], to_np(out)
    hw, ho = run(HF, huoba)
    tw, to = run(TF, torch)
    assert hw == tw
    np.testing.assert_allclose(ho, to, rtol=1e-12)


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


ERRORS = [
    lambda F, lib: F.one_hot(lib.tensor([1.0, 2.0])),
    lambda F, lib: F.one_hot(lib.tensor([1, -2])),
    lambda F, lib: F.one_hot(lib.tensor([1, 5]), 3),
    lambda F, lib: F.one_hot(lib.tensor([], dtype=lib.long)),
    lambda F, lib: F.one_hot(lib.tensor([1, 2], dtype=lib.int32)),
    lambda F, lib: F.softmax(lib.ones(4, 5), 2),
    lambda F, lib: F.gelu(lib.tensor([1, -2])),
    lambda F, lib: F.silu(lib.tensor([1, -2])),
    lambda F, lib: F.softmax(lib.tensor([1, -2]), 0),
    lambda F, lib: F.gelu(lib.ones(3), approximate="foo"),
    lambda F, lib: F.pad(lib.ones(4, 5), (1,)),
    lambda F, lib: F.pad(lib.ones(4, 5), (1, 1, 1, 1, 1, 1)),
    lambda F, lib: F.pad(lib.ones(1, 4, 5), (5, 5), mode="reflect"),
    lambda F, lib: F.pad(lib.ones(2, 1, 4, 5), (1, 1), mode="reflect"),
    lambda F, lib: F.pad(lib.ones(1, 4, 5), (1, 1), mode="foo"),
    lambda F, lib: F.pad(lib.ones(1, 4, 5), (6, 6), mode="circular"),
    lambda F, lib: F.pad(lib.ones(5), (1, 1), mode="replicate"),
    lambda F, lib: F.linear(lib.ones(4, 5), lib.ones(3, 4)),
    lambda F, lib: F.dropout(lib.ones(3), -0.5),
    lambda F, lib: F.cosine_similarity(lib.ones(3, 4), lib.ones(2, 4)),
    lambda F, lib: F.embedding(lib.tensor([3]), lib.ones(3, 2)),
    lambda F, lib: F.prelu(lib.ones(2, 4), lib.ones(3)),
    lambda F, lib: F.glu(lib.ones(3, 5)),
    lambda F, lib: F.batch_norm(lib.ones(1, 3), lib.zeros(3), lib.ones(3), training=True),
    lambda F, lib: F.layer_norm(lib.ones(2, 3), (4,)),
    lambda F, lib: F.group_norm(lib.ones(2, 6), 4),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_functional_errors_match_torch(i):
    case = ERRORS[i]
    b = _err(lambda: case(TF, torch))
    assert b is not None
    assert _err(lambda: case(HF, huoba)) == b


# ---- one_hot, pad, normalize, distances ---------------------------------------------------------------
def test_one_hot():
    for data, n in (([0, 2, 1], -1), ([[1, 2], [0, 1]], -1), ([0, 1], 5), (3, 4)):
        a = HF.one_hot(huoba.tensor(data), n)
        b = TF.one_hot(torch.tensor(data), n)
        assert a.dtype == huoba.int64 and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(to_np(a), to_np(b))


PAD_CASES = [
    ((2, 3, 4), (1, 2), "constant", 0.0),
    ((2, 3, 4), (1, 2, 0, 1), "constant", 1.5),
    ((2, 3, 4), (-1, 2), "constant", 0.0),
    ((2, 3, 4, 5), (1, 1, 2, 2, 1, 0), "constant", -2.0),
    ((3, 6), (2, 3), "reflect", None),
    ((2, 3, 6), (2, 3), "reflect", None),
    ((2, 3, 4, 5), (1, 2, 3, 1), "reflect", None),
    ((1, 3, 4, 5), (1, 2, 3, 1), "replicate", None),
    ((2, 3, 4), (4, 1), "replicate", None),
    ((1, 2, 3, 4, 5), (1, 2, 1, 1, 2, 0), "replicate", None),
    ((2, 3, 4), (2, 3), "circular", None),
    ((1, 2, 4, 5), (1, 2, 3, 1), "circular", None),
    ((1, 2, 3, 4, 5), (1, 2, 1, 1, 2, 0), "reflect", None),
    ((1, 2, 3, 4, 5), (1, 0, 1, 1, 0, 2), "circular", None),
]


@pytest.mark.parametrize("shape,pad,mode,value", PAD_CASES)
def test_pad(shape, pad, mode, value):
    x = rng.standard_normal(shape)
    kw = {"mode": mode} if value is None else {"mode": mode, "value": value}
    check_function(lambda a: HF.pad(a, pad, **kw), lambda a: TF.pad(a, pad, **kw), [x])
    check_function(lambda a: HF.pad(a, pad, **kw), lambda a: TF.pad(a, pad, **kw), [x.astype(np.float32)],
                   np.float32)
    if mode != "constant":
        gradcheck(lambda a: HF.pad(a, pad, mode=mode), [x])


def test_pad_grad_fn_names():
    x = huoba.ones(1, 3, 4, requires_grad=True)
    assert HF.pad(x, (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"
    assert HF.pad(x, (1, 1), mode="reflect").grad_fn.name() == "ReflectionPad1DBackward0"
    assert HF.pad(x.unsqueeze(0), (1, 1, 1, 1), mode="replicate").grad_fn.name() == "ReplicationPad2DBackward0"


@pytest.mark.parametrize("p,dim", [(2, 1), (1, 0), (3, -1), (float("inf"), 1)])
def test_normalize(p, dim):
    check_function(lambda a: HF.normalize(a, p, dim), lambda a: TF.normalize(a, p, dim), [X])
    check_function(lambda a: HF.normalize(a, p, dim), lambda a: TF.normalize(a, p, dim), [X.astype(np.float32)],
                   np.float32)


def test_normalize_zero_vector():
    x = np.zeros((2, 3))
    x[1] = [3, 4, 0]
    check_function(HF.normalize, TF.normalize, [x])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity_and_pairwise_distance(dtype):
    a, b = rng.standard_normal((4, 5)).astype(dtype), rng.standard_normal((4, 5)).astype(dtype)
    check_function(HF.cosine_similarity, TF.cosine_similarity, [a, b], dtype)
    check_function(lambda x, y: HF.cosine_similarity(x, y, dim=0), lambda x, y: TF.cosine_similarity(x, y, dim=0),
                   [a, b], dtype)
    check_function(HF.cosine_similarity, TF.cosine_similarity, [a, b[:1]], dtype)
    check_function(HF.pairwise_distance, TF.pairwise_distance, [a, b], dtype)
    check_function(lambda x, y: HF.pairwise_distance(x, y, 1.0, keepdim=True),
                   lambda x, y: TF.pairwise_distance(x, y, 1.0, keepdim=True), [a, b], dtype)
    check_function(lambda x, y: HF.pairwise_distance(x, y, 3), lambda x, y: TF.pairwise_distance(x, y, 3),
                   [a, b], dtype)
    check_function(lambda x: HF.pdist(x), lambda x: TF.pdist(x), [a], dtype)


def test_cosine_similarity_zero_vector():
    a = np.zeros((2, 3))
    b = rng.standard_normal((2, 3))
    check_function(HF.cosine_similarity, TF.cosine_similarity, [a, b])


# ---- normalisation functionals -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_functional(dtype):
    x = X4.astype(dtype)
    rm, rv = rng.standard_normal(3).astype(dtype), rng.random(3).astype(dtype) + 0.5
    w, b = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    for training in (True, False):
        hrm, hrv = huoba.tensor(rm.copy()), huoba.tensor(rv.copy())
        trm, trv = torch.tensor(rm.copy()), torch.tensor(rv.copy())
        check_function(lambda a, ww, bb: HF.batch_norm(a, hrm, hrv, ww, bb, training, 0.2, 1e-3),
                       lambda a, ww, bb: TF.batch_norm(a, trm, trv, ww, bb, training, 0.2, 1e-3), [x, w, b], dtype)
        np.testing.assert_allclose(to_np(hrm), to_np(trm), rtol=1e-5)
        np.testing.assert_allclose(to_np(hrv), to_np(trv), rtol=1e-5)
    check_function(lambda a: HF.batch_norm(a, None, None, training=True),
                   lambda a: TF.batch_norm(a, None, None, training=True), [x], dtype)


def test_norm_gradchecks():
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    gradcheck(lambda a, ww, bb: HF.batch_norm(a, None, None, ww, bb, True), [X4, w, b])
    rm, rv = huoba.zeros(3, dtype=huoba.float64), huoba.ones(3, dtype=huoba.float64)
    gradcheck(lambda a, ww, bb: HF.batch_norm(a, rm, rv, ww, bb, False), [X4, w, b])
    gradcheck(lambda a, ww, bb: HF.layer_norm(a, (5,), ww, bb), [X4, rng.standard_normal(5),
                                                                   rng.standard_normal(5)])
    gradcheck(lambda a: HF.layer_norm(a, (4, 5)), [X4])
    gradcheck(lambda a, ww, bb: HF.group_norm(a, 3, ww, bb), [X4, w, b])
    gradcheck(lambda a: HF.group_norm(a, 1), [X4])


def test_norm_double_backward_matches_torch():
    for hf, tf in ((lambda a: HF.batch_norm(a, None, None, training=True),
                    lambda a: TF.batch_norm(a, None, None, training=True)),
                   (lambda a: HF.layer_norm(a, (5,)), lambda a: TF.layer_norm(a, (5,))),
                   (lambda a: HF.group_norm(a, 3), lambda a: TF.group_norm(a, 3))):
        hx = huoba.tensor(X4, requires_grad=True)
        tx = torch.tensor(X4, requires_grad=True)
        g = rng.standard_normal(X4.shape)
        (hg,) = huoba.autograd.grad((hf(hx) * huoba.tensor(g)).sum(), hx, create_graph=True)
        (tg,) = torch.autograd.grad((tf(tx) * torch.tensor(g)).sum(), tx, create_graph=True)
        (hg * hg).sum().backward()
        (tg * tg).sum().backward()
        np.testing.assert_allclose(to_np(hx.grad), to_np(tx.grad), rtol=1e-6, atol=1e-9)


def test_instance_norm_and_local_response_norm():
    check_function(lambda a: HF.instance_norm(a), lambda a: TF.instance_norm(a), [X4])
    check_function(lambda a: HF.local_response_norm(a, 3), lambda a: TF.local_response_norm(a, 3), [X4])
    check_function(lambda a: HF.local_response_norm(a, 2, 0.01, 0.5, 2.0),
                   lambda a: TF.local_response_norm(a, 2, 0.01, 0.5, 2.0), [X4])


# ---- linear, bilinear, embedding, misc --------------------------------------------------------------------
def test_linear_bilinear_functional():
    w, b = rng.standard_normal((3, 5)), rng.standard_normal(3)
    check_function(HF.linear, TF.linear, [X, w, b])
    check_function(HF.linear, TF.linear, [X, w])
    check_function(HF.linear, TF.linear, [X4, w, b])
    check_function(HF.linear, TF.linear, [X[0], w, b])
    bw, bb = rng.standard_normal((2, 5, 4)), rng.standard_normal(2)
    check_function(HF.bilinear, TF.bilinear, [X, rng.standard_normal((4, 4)), bw, bb])
    check_function(HF.bilinear, TF.bilinear, [X4[..., :5].reshape(2, 12, 5), rng.standard_normal((2, 12, 4)), bw])
    gradcheck(lambda a, ww, bb_: HF.linear(a, ww, bb_), [X, w, b])


def test_embedding_functional_gradcheck():
    idx = huoba.tensor(rng.integers(0, 6, (3, 4)))
    gradcheck(lambda w: HF.embedding(idx, w), [rng.standard_normal((6, 3))])


def test_vector_norm_gradcheck():
    from huoba.ops import nn_ops
    for p in (1, 2, 3.5):
        gradcheck(lambda a: nn_ops.vector_norm(a, p, 1), [X])
    gradcheck(lambda a: nn_ops.vector_norm(a, float("inf"), 0), [X])


def test_prelu_functional_gradcheck():
    gradcheck(lambda a, w: HF.prelu(a, w), [X4, rng.standard_normal(3)])
    gradcheck(lambda a, w: HF.prelu(a, w), [X4, rng.standard_normal(1)])


def test_dropout_functional_eval_identity():
    x = huoba.tensor(X)
    assert HF.dropout(x, 0.5, training=False) is x
    assert HF.dropout2d(huoba.ones(2, 3, 4, 4), training=False).shape == (2, 3, 4, 4)
    assert HF.alpha_dropout(x, 0.5, training=False) is x
    y = HF.alpha_dropout(huoba.tensor(rng.standard_normal((200, 100))), 0.3, training=True)
    assert abs(to_np(y).mean()) < 0.1


def test_scaled_dot_product_attention():
    q, k, v = (rng.standard_normal((2, 3, 4, 8)) for _ in range(3))
    check_function(HF.scaled_dot_product_attention, TF.scaled_dot_product_attention, [q, k, v])
    check_function(lambda a, b, c: HF.scaled_dot_product_attention(a, b, c, is_causal=True),
                   lambda a, b, c: TF.scaled_dot_product_attention(a, b, c, is_causal=True), [q, k, v])


def test_channel_shuffle():
    check_function(lambda a: HF.channel_shuffle(a, 3), lambda a: TF.channel_shuffle(a, 3),
                   [rng.standard_normal((2, 6, 2, 2))])


def test_conv_names_exist():
    for name in ("conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
                 "adaptive_avg_pool2d", "adaptive_max_pool2d", "unfold", "fold", "interpolate"):
        assert callable(getattr(HF, name))


def test_gumbel_softmax_matches_torch_with_seed():
    for hard in (False, True):
        huoba.manual_seed(3)
        torch.manual_seed(3)
        hx = huoba.tensor(X.astype(np.float32), requires_grad=True)
        tx = torch.tensor(X.astype(np.float32), requires_grad=True)
        a = HF.gumbel_softmax(hx, tau=0.5, hard=hard)
        b = TF.gumbel_softmax(tx, tau=0.5, hard=hard)
        np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-5, atol=1e-6)
        g = rng.standard_normal(X.shape).astype(np.float32)
        (a * huoba.tensor(g)).sum().backward()
        (b * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(to_np(hx.grad), to_np(tx.grad), rtol=1e-4, atol=1e-6)
