"""Reductions, scans, sorting and counting ops, compared with PyTorch.

One table (`OPS`) drives the forward tests (values, dtypes, shapes, named tuples) over
shapes (0-d, 1-d, 2-d, 3-d, size-1 dims), dims (None, int, negative, tuples), keepdim
and dtypes, and the gradient tests (grad_fn names, first and second order gradients
against torch.autograd, and a float64 central-difference check).
"""
import math
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import huoba  # noqa: E402
from hypothesis import given, settings, strategies as st, HealthCheck  # noqa: E402

# NaN/inf test data make NumPy warn inside other families' ops (torch is silent there)
pytestmark = pytest.mark.filterwarnings("ignore:(invalid value|divide by zero|overflow) encountered:RuntimeWarning")

SHAPES = [(), (5,), (3, 4), (2, 3, 4), (1, 3, 1)]
F32, F64, I64, BOOL = "float32", "float64", "int64", "bool"
FLOATS = (F32, F64)
NUMERIC = (F32, F64, I64)
ALL = (F32, F64, I64, BOOL)


# ---- data and comparison helpers -------------------------------------------------------------
def make_data(shape, dtype, seed=0, distinct=True):
    """Distinct values (no ties: indices are well defined), away from 0 for floats."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if dtype == BOOL:
        return rng.random(shape) > 0.4
    if dtype == I64:
        return (rng.permutation(n) - n // 2).reshape(shape).astype(np.int64)
    if not distinct:
        return rng.standard_normal(shape).astype(dtype)
    vals = (rng.permutation(n) + 1.0) * 0.37 * np.where(rng.random(n) > 0.3, 1, -1)
    return vals.reshape(shape).astype(dtype)


def pair(a, requires_grad=False):
    return (huoba.tensor(a.copy(), requires_grad=requires_grad), torch.tensor(a.copy(), requires_grad=requires_grad))


def to_np(t):
    return np.asarray(t.detach().numpy(force=True))


def assert_same(h, t, rtol=1e-5, atol=1e-6, where=""):
    if isinstance(t, torch.Tensor):
        assert isinstance(h, huoba.Tensor), f"{where}: expected a Tensor, got {type(h)}"
        assert str(h.dtype) == str(t.dtype), f"{where}: dtype {h.dtype} != {t.dtype}"
        assert tuple(h.shape) == tuple(t.shape), f"{where}: shape {tuple(h.shape)} != {tuple(t.shape)}"
        a, b = to_np(h), to_np(t)
        if b.dtype.kind in "biu":
            np.testing.assert_array_equal(a, b, err_msg=where)
        else:
            floor = {np.float32: 1e-5, np.float16: 1e-3}.get(b.dtype.type, 0.0)
            np.testing.assert_allclose(a, b, rtol=max(rtol, floor), atol=max(atol, floor), equal_nan=True,
                                       err_msg=where)
    elif isinstance(t, tuple):
        assert isinstance(h, tuple), where
        assert type(h).__name__ == type(t).__name__, f"{where}: {type(h).__name__} != {type(t).__name__}"
        assert len(h) == len(t), where
        for i, (x, y) in enumerate(zip(h, t)):
            assert_same(x, y, rtol, atol, f"{where}[{i}]")
        if hasattr(t, "n_fields") and type(t).__module__ == "torch.return_types":
            assert type(h).__module__ == "huoba.return_types"
    else:
        assert h == t, where


# ---- the op table --------------------------------------------------------------------------------
def dims_for(nd, tuples=True, none=True):
    ds = [None] if none else []
    ds += [0, -1] if nd <= 1 else [0, -1, nd - 1 if nd == 2 else 1]
    if tuples and nd >= 2:
        ds += [(0, -1), (-1, 0)] if nd == 2 else [(0, 2), (-1, 0, 1)]
    if tuples and nd >= 1:
        ds += [()]
    return ds


def multi_dim(name, **kw):
    """f(x, dim, keepdim) for dim in None/int/tuple/()."""
    def variants(nd):
        out = []
        for d in dims_for(nd):
            for keep in (False, True):
                if d is None:
                    if keep:
                        continue
                    out.append((f"dim=None", lambda lib, x: getattr(lib, name)(x, **kw)))
                else:
                    out.append((f"dim={d},keep={keep}",
                                (lambda d, keep: lambda lib, x: getattr(lib, name)(x, d, keepdim=keep, **kw))(d, keep)))
        return out
    return variants


def single_dim(name, none=True, method=False, kwdim=False, extra=(), **kw):
    """f(x, [extra...], dim, keepdim) for dim None or int."""
    def variants(nd):
        out = []
        for d in dims_for(nd, tuples=False, none=none):
            for keep in (False, True):
                if d is None and keep:
                    continue
                def call(lib, x, d=d, keep=keep):
                    fn = getattr(x, name) if method else (lambda *a, **k: getattr(lib, name)(x, *a, **k))
                    if d is None:
                        return fn(*extra, **kw)
                    if kwdim:
                        return fn(*extra, dim=d, keepdim=keep, **kw)
                    return fn(*extra, d, keep, **kw)
                out.append((f"dim={d},keep={keep}", call))
        return out
    return variants


def scan(name, **kw):
    def variants(nd):
        return [(f"dim={d}", (lambda d: lambda lib, x: getattr(lib, name)(x, d, **kw))(d))
                for d in dims_for(nd, tuples=False, none=False)]
    return variants


def custom(*calls):
    def variants(nd):
        return [(label, fn) for label, fn, ok in calls if ok(nd)]
    return variants


ANY_ND = (lambda nd: True)
ND1 = (lambda nd: nd >= 1)

# (name, variants(nd), dtypes, differentiable, twice-differentiable)
OPS = [
    ("sum", multi_dim("sum"), ALL, True, False),
    ("sum_dtype", custom(("dtype=f64", lambda lib, x: lib.sum(x, dtype=lib.float64), ANY_ND),
                         ("dim0,dtype=f64", lambda lib, x: lib.sum(x, -1, dtype=lib.float64), ANY_ND)),
     ALL, True, False),
    ("mean", multi_dim("mean"), FLOATS, True, False),
    ("nansum", multi_dim("nansum"), ALL, True, False),
    ("nanmean", multi_dim("nanmean"), FLOATS, True, False),
    ("prod", single_dim("prod"), ALL, True, True),
    ("max", single_dim("max"), NUMERIC + (BOOL,), True, False),
    ("min", single_dim("min"), NUMERIC + (BOOL,), True, False),
    ("amax", multi_dim("amax"), NUMERIC + (BOOL,), True, False),
    ("amin", multi_dim("amin"), NUMERIC + (BOOL,), True, False),
    ("argmax", single_dim("argmax"), NUMERIC, False, False),
    ("argmin", single_dim("argmin"), NUMERIC, False, False),
    ("aminmax", single_dim("aminmax", kwdim=True), NUMERIC + (BOOL,), True, False),
    ("var", multi_dim("var"), FLOATS, True, True),
    ("var_corr0", multi_dim("var", correction=0), FLOATS, True, True),
    ("std", multi_dim("std"), FLOATS, True, True),
    ("std_unbiased_false", multi_dim("std", unbiased=False), FLOATS, True, True),
    ("var_mean", multi_dim("var_mean"), FLOATS, True, True),
    ("std_mean", multi_dim("std_mean", correction=2), FLOATS, True, True),
    ("logsumexp", custom(*[(f"dim={d},keep={k}", (lambda d, k: lambda lib, x: lib.logsumexp(x, d, k))(d, k),
                            (lambda d: lambda nd: (nd >= 1 or d in (0, -1))
                             and (not isinstance(d, tuple) or nd >= 2))(d))
                           for d in (0, -1, (0, 1)) for k in (False, True)]), NUMERIC + (BOOL,), True, True),
    ("norm", custom(("p=fro", lambda lib, x: lib.norm(x), ANY_ND),
                    ("p=2,dim=-1", lambda lib, x: lib.norm(x, 2, -1), ANY_ND),
                    ("p=1,keep", lambda lib, x: lib.norm(x, 1, 0, True), ANY_ND),
                    ("p=3", lambda lib, x: lib.norm(x, 3), ANY_ND),
                    ("p=1.5,dim", lambda lib, x: x.norm(p=1.5, dim=-1), ANY_ND),
                    ("p=0.5", lambda lib, x: lib.norm(x, 0.5), ANY_ND),
                    ("p=inf", lambda lib, x: lib.norm(x, float("inf")), ANY_ND),
                    ("p=-inf,dim", lambda lib, x: lib.norm(x, float("-inf"), -1), ANY_ND),
                    ("p=0", lambda lib, x: lib.norm(x, 0), ANY_ND),
                    ("p=-1", lambda lib, x: lib.norm(x, -1), ANY_ND),
                    ("fro,dims", lambda lib, x: lib.norm(x, "fro", (0, -1)), lambda nd: nd >= 2),
                    ("dtype", lambda lib, x: lib.norm(x, dtype=lib.float64), ANY_ND)),
     FLOATS, True, True),
    ("all", multi_dim("all"), ALL + ("uint8",), False, False),
    ("any", multi_dim("any"), ALL + ("uint8",), False, False),
    ("cumsum", scan("cumsum"), ALL, True, False),
    ("cumsum_dtype", custom(("dim=0", lambda lib, x: lib.cumsum(x, 0, dtype=lib.float64), ANY_ND),
                            ("dim=-1", lambda lib, x: x.cumsum(-1, dtype=lib.float32), ANY_ND)), ALL, True, False),
    ("cumprod", scan("cumprod"), ALL, True, True),
    ("cummax", scan("cummax"), NUMERIC + (BOOL,), True, False),
    ("cummin", scan("cummin"), NUMERIC + (BOOL,), True, False),
    ("sort", custom(*[(f"dim={d},desc={s}", (lambda d, s: lambda lib, x: lib.sort(x, d, s))(d, s), ANY_ND)
                      for d in (0, -1) for s in (False, True)],
                    ("stable", lambda lib, x: lib.sort(x, stable=True, descending=True), ANY_ND)),
     NUMERIC + (BOOL,), True, False),
    ("argsort", custom(*[(f"dim={d},desc={s}", (lambda d, s: lambda lib, x: lib.argsort(x, d, s))(d, s), ANY_ND)
                         for d in (0, -1) for s in (False, True)]), NUMERIC, False, False),
    ("msort", custom(("", lambda lib, x: lib.msort(x), ND1)), NUMERIC, True, False),
    ("topk", custom(("k=1", lambda lib, x: lib.topk(x, 1), ANY_ND),
                    ("k=2,dim0,smallest", lambda lib, x: lib.topk(x, min(2, x.shape[0]), 0, False), ND1),
                    ("k=all,method", lambda lib, x: x.topk(x.shape[-1]), ND1)), NUMERIC, True, False),
    ("kthvalue", custom(("k=1", lambda lib, x: lib.kthvalue(x, 1), ANY_ND),
                        ("k=last,dim0,keep", lambda lib, x: lib.kthvalue(x, x.shape[0], 0, True), ND1),
                        ("k=2", lambda lib, x: x.kthvalue(min(2, x.shape[-1])), ND1)), NUMERIC, True, False),
    ("median", single_dim("median"), NUMERIC, True, False),
    ("nanmedian", single_dim("nanmedian"), NUMERIC, True, False),
    ("mode", single_dim("mode", none=False), NUMERIC, True, False),
    ("diff", custom(("", lambda lib, x: lib.diff(x), ND1),
                    ("n=2,dim0", lambda lib, x: lib.diff(x, 2, 0), ND1),
                    ("append", lambda lib, x: lib.diff(x, append=x[..., :1] if x.dim() else x),
                     ND1)), ALL, True, False),
    ("trace", custom(("", lambda lib, x: lib.trace(x), lambda nd: nd == 2)), NUMERIC, True, False),
    ("dist", custom(("p=2", lambda lib, x: lib.dist(x, (x.flip(-1) if x.dim() else x) * 0.5 + 0.1), ANY_ND),
                    ("p=1", lambda lib, x: lib.dist(x, x * 0.3, 1), ANY_ND),
                    ("p=inf", lambda lib, x: lib.dist(x, x * 0.3, float("inf")), ANY_ND),
                    ("p=3", lambda lib, x: lib.dist(x, x * 0.3 + 1, 3), ANY_ND)), FLOATS, True, True),
    ("cdist", custom(("p=2", lambda lib, x: lib.cdist(x, x * 0.5 + 1), lambda nd: nd >= 2),
                     ("p=1", lambda lib, x: lib.cdist(x, x.flip(-2) + 0.25, p=1), lambda nd: nd >= 2),
                     ("p=3", lambda lib, x: lib.cdist(x, x * -0.5, p=3), lambda nd: nd >= 2),
                     ("p=inf", lambda lib, x: lib.cdist(x, x * 0.1, p=float("inf")), lambda nd: nd >= 2)),
     FLOATS, True, False),  # torch has no double backward for cdist
]
OP_NAMES = [o[0] for o in OPS]
OP_BY_NAME = {o[0]: o for o in OPS}


def _dtype_tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == F32 else dict(rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", OP_NAMES)
def test_forward_matches_torch(name, shape):
    _, variants, dts, _, _ = OP_BY_NAME[name]
    cases = variants(len(shape))
    for dt in dts:
        xh, xt = pair(make_data(shape, dt))
        for label, call in cases:
            where = f"{name}[{label}] {dt} {shape}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    expected = call(torch, xt)
                except Exception as e:  # torch refuses: huoba must refuse the same way
                    with pytest.raises(type(e)):
                        call(huoba, xh)
                    continue
                got = call(huoba, xh)
            assert_same(got, expected, where=where, **_dtype_tol(dt))


def _float_outputs(y):
    if isinstance(y, torch.Tensor) or isinstance(y, huoba.Tensor):
        y = (y,)
    return [o for o in y if o.dtype in (torch.float32, torch.float64, huoba.float32, huoba.float64)]


GRAD_OPS = [o[0] for o in OPS if o[3]]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", GRAD_OPS)
def test_gradients_match_torch(name, shape):
    _, variants, _, _, twice = OP_BY_NAME[name]
    rng = np.random.default_rng(7)
    data = make_data(shape, F64, seed=3)
    for label, call in variants(len(shape)):
        where = f"{name}[{label}] {shape}"
        if name.startswith(("var", "std")) and "dim=()" in label:
            continue  # torch's backward reads dim=() as "no dims" (inf gradients): a torch bug
        xh, xt = pair(data, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                yt = call(torch, xt)
            except Exception:
                continue
            yh = call(huoba, xh)
        outs_t, outs_h = _float_outputs(yt), _float_outputs(yh)
        assert len(outs_t) == len(outs_h), where
        for oh, ot in zip(outs_h, outs_t):
            got = oh.grad_fn.name() if oh.grad_fn is not None else None
            exp = ot.grad_fn.name() if ot.grad_fn is not None else None
            assert got == exp, f"{where}: grad_fn {got} != {exp}"
        if not any(o.requires_grad for o in outs_t):
            continue
        weights = [rng.standard_normal(tuple(o.shape)) for o in outs_t]
        lt = sum((o * torch.tensor(w)).sum() for o, w in zip(outs_t, weights))
        lh = sum((o * huoba.tensor(w)).sum() for o, w in zip(outs_h, weights))
        gt, = torch.autograd.grad(lt, xt, create_graph=twice, allow_unused=True)
        gh, = huoba.autograd.grad(lh, xh, create_graph=twice, allow_unused=True)
        if gt is None:  # e.g. the 0-norm: piecewise constant
            assert gh is None or not np.any(to_np(gh))
            continue
        tol = dict(rtol=1e-5, atol=1e-6) if name.endswith("_dtype") else dict(rtol=1e-7, atol=1e-9)
        assert_same(gh, gt, where=where + " grad", **tol)
        if twice and gt.requires_grad:
            v = rng.standard_normal(shape)
            ggt, = torch.autograd.grad((gt * torch.tensor(v)).sum(), xt, allow_unused=True)
            ggh, = huoba.autograd.grad((gh * huoba.tensor(v)).sum(), xh, allow_unused=True)
            if ggt is None:
                ggt = torch.zeros_like(xt)
            if ggh is None:
                ggh = huoba.zeros_like(xh)
            assert_same(ggh, ggt, rtol=1e-6, atol=1e-8, where=where + " double backward")


def _central_difference_check(fn, x, seed=0, eps=1e-6):
    """d/dt L(x + t v) at t=0, by finite differences, against <grad L(x), v> (float64)."""
    rng = np.random.default_rng(seed)
    xa = x.detach().numpy().copy()
    v = rng.standard_normal(xa.shape)
    xt = huoba.tensor(xa, requires_grad=True)
    outs = _float_outputs(fn(xt))
    if not all(np.isfinite(to_np(o)).all() for o in outs):
        return  # e.g. a variance with no degrees of freedom left
    ws = [rng.standard_normal(tuple(o.shape)) for o in outs]

    def loss(a):
        with huoba.no_grad():
            return sum(float((o * huoba.tensor(w)).sum()) for o, w in zip(_float_outputs(fn(huoba.tensor(a))), ws))
    lh = sum((o * huoba.tensor(w)).sum() for o, w in zip(outs, ws))
    g, = huoba.autograd.grad(lh, xt)
    analytic = float((g.detach().numpy() * v).sum())
    numeric = (loss(xa + eps * v) - loss(xa - eps * v)) / (2 * eps)
    assert abs(analytic - numeric) <= 1e-5 * (1 + abs(numeric)), (analytic, numeric)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("name", GRAD_OPS)
def test_gradients_finite_difference(name, shape):
    _, variants, _, _, _ = OP_BY_NAME[name]
    if name.endswith("_dtype"):
        pytest.skip("float32 intermediates are too coarse for finite differences")
    x = huoba.tensor(make_data(shape, F64, seed=5))
    for label, call in variants(len(shape)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                call(torch, torch.tensor(x.numpy()))
            except Exception:
                continue
            _central_difference_check(lambda t: call(huoba, t), x)


# ---- hypothesis: random shapes on the core reductions --------------------------------------------
@st.composite
def shape_and_dims(draw):
    nd = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    if nd == 0:
        dim = draw(st.sampled_from([None, 0, -1]))
    else:
        dims = draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd))
        dim = draw(st.sampled_from([None, dims[0], tuple(dims)]))
    return shape, dim, draw(st.booleans()), draw(st.integers(0, 2 ** 16))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape_and_dims())
def test_hypothesis_core_reductions(case):
    shape, dim, keepdim, seed = case
    data = np.random.default_rng(seed).standard_normal(shape)
    xh, xt = pair(data, requires_grad=True)
    single = dim if not isinstance(dim, tuple) else dim[0]
    ops = [
        lambda lib, x: x.sum() if dim is None else x.sum(dim, keepdim),
        lambda lib, x: x.mean() if dim is None else x.mean(dim, keepdim),
        lambda lib, x: x.amax() if dim is None else x.amax(dim, keepdim),
        lambda lib, x: x.var() if dim is None else x.var(dim, keepdim=keepdim, correction=0),
        lambda lib, x: lib.logsumexp(x, () if dim is None else dim, keepdim) if dim is not None else x.logsumexp(0),
        lambda lib, x: x.max() if single is None else x.max(single, keepdim).values,
        lambda lib, x: x.cumsum(0 if single is None else single),
        lambda lib, x: x.sort(-1 if single is None else single).values,
        lambda lib, x: x.norm(2, dim=dim, keepdim=keepdim) if dim is not None else x.norm(),
    ]
    for i, op in enumerate(ops):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yt = op(torch, xt)
            yh = op(huoba, xh)
        assert_same(yh, yt, rtol=1e-9, atol=1e-12, where=f"op {i} {shape} {dim} {keepdim}")
        w = np.random.default_rng(i).standard_normal(tuple(yt.shape))
        gt, = torch.autograd.grad((yt * torch.tensor(w)).sum(), xt)
        gh, = huoba.autograd.grad((yh * huoba.tensor(w)).sum(), xh)
        assert_same(gh, gt, rtol=1e-8, atol=1e-10, where=f"grad op {i} {shape} {dim} {keepdim}")


# ---- named tuples ------------------------------------------------------------------------------------
def test_return_types_print_like_torch():
    data = np.array([[1.5, 3.0, -2.0], [2.0, 0.5, 5.0]], dtype=np.float32)
    xh, xt = pair(data, requires_grad=True)
    calls = [
        lambda lib, x: lib.max(x, 1), lambda lib, x: x.min(0, keepdim=True), lambda lib, x: lib.sort(x, 1),
        lambda lib, x: lib.topk(x, 2), lambda lib, x: lib.kthvalue(x, 2, 0), lambda lib, x: lib.median(x, 1),
        lambda lib, x: lib.nanmedian(x, 0), lambda lib, x: lib.mode(x), lambda lib, x: lib.cummax(x, 1),
        lambda lib, x: lib.cummin(x, 0), lambda lib, x: lib.aminmax(x), lambda lib, x: lib.aminmax(x, dim=0),
        lambda lib, x: lib.max(x.detach().long(), 1), lambda lib, x: lib.sort(x.detach()[0, :0]),
    ]
    for call in calls:
        t, h = call(torch, xt), call(huoba, xh)
        assert str(h) == str(t)
        assert repr(h) == repr(t)


def test_return_types_behave_like_structseq():
    x = huoba.tensor([[1.0, 3.0], [4.0, 2.0]])
    r = huoba.max(x, 1)
    values, indices = r
    assert isinstance(r, tuple) and len(r) == 2
    assert r[0] is values and r.values is values and r.indices is indices and r[1] is indices
    assert type(r) is huoba.return_types.max
    assert type(r).__name__ == "max" and type(r).__module__ == "huoba.return_types"
    assert huoba.aminmax(x).min.item() == 1.0 and huoba.aminmax(x).max.item() == 4.0
    assert r.n_fields == 2 and r.n_sequence_fields == 2
    import huoba.return_types as rt
    assert rt.sort is huoba.return_types.sort
    made = rt.topk((1, 2))
    assert made == (1, 2) and made.values == 1 and made.indices == 2
    assert pickle.loads(pickle.dumps(made)) == made
    assert type(pickle.loads(pickle.dumps(made))) is rt.topk
    with pytest.raises(TypeError):
        rt.max((1, 2, 3))
    assert isinstance(r[:1], tuple)


def test_var_mean_returns_plain_tuple():
    x = np.arange(6.0).reshape(2, 3)
    h, t = huoba.var_mean(huoba.tensor(x), 1), torch.var_mean(torch.tensor(x), 1)
    assert type(h) is tuple and type(t) is tuple
    assert_same(h, t)


# ---- semantics worth a test of their own ----------------------------------------------------------------
def test_sum_dtypes_and_out():
    for dt in (np.int32, np.uint8, np.bool_, np.int64, np.float32):
        a = (np.arange(6) % 3).astype(dt).reshape(2, 3)
        xh, xt = pair(a)
        assert_same(huoba.sum(xh), torch.sum(xt))
        assert_same(xh.sum(1, dtype=huoba.float16), xt.sum(1, dtype=torch.float16), rtol=1e-3)
        assert_same(xh.sum(dtype=huoba.int32), xt.sum(dtype=torch.int32))
        assert_same(xh.prod(1, dtype=huoba.float64), xt.prod(1, dtype=torch.float64))
    xh, xt = pair(np.ones((2, 3), dtype=np.float32))
    oh, ot = huoba.empty(3), torch.empty(3)
    assert huoba.sum(xh, 0, out=oh) is oh
    torch.sum(xt, 0, out=ot)
    assert_same(oh, ot)
    assert_same(huoba.sum(huoba.tensor([1, 2])), torch.sum(torch.tensor([1, 2])))


def test_mean_dtype_argument():
    a = np.arange(6).reshape(2, 3)
    xh, xt = pair(a)
    assert_same(xh.mean(dtype=huoba.float64), xt.mean(dtype=torch.float64))
    assert_same(xh.mean(1, dtype=huoba.float32), xt.mean(1, dtype=torch.float32))
    xh, xt = pair(a.astype(np.float64), requires_grad=True)
    yh, yt = xh.mean(0, dtype=huoba.float32), xt.mean(0, dtype=torch.float32)
    assert_same(yh, yt)
    yh.sum().backward()
    yt.sum().backward()
    assert_same(xh.grad, xt.grad)


def test_empty_reductions():
    for shape in [(0,), (0, 3), (2, 0)]:
        xh, xt = pair(np.zeros(shape, dtype=np.float32))
        for call in [lambda lib, x: x.sum(), lambda lib, x: x.sum(0), lambda lib, x: x.mean(),
                     lambda lib, x: x.mean(-1), lambda lib, x: x.prod(), lambda lib, x: x.prod(0),
                     lambda lib, x: x.norm(), lambda lib, x: x.all(), lambda lib, x: x.any(0),
                     lambda lib, x: x.nansum(0), lambda lib, x: x.cumsum(0), lambda lib, x: x.cumprod(-1),
                     lambda lib, x: x.sort(0), lambda lib, x: lib.logsumexp(x, 0), lambda lib, x: x.median(),
                     lambda lib, x: x.amax(-1) if x.shape[-1] else x.amax(0) if x.dim() > 1 else x.sum(),
                     lambda lib, x: x.var(0), lambda lib, x: x.std(), lambda lib, x: x.cummax(0)]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    expected = call(torch, xt)
                except Exception as e:
                    with pytest.raises(type(e)):
                        call(huoba, xh)
                    continue
                assert_same(call(huoba, xh), expected, where=str(shape))


def _same_error(call, data=None):
    """`call(lib, x)` raises the same exception type and message in huoba and torch."""
    xh, xt = data if data is not None else (huoba.zeros(0, 3), torch.zeros(0, 3))
    with pytest.raises(Exception) as et:
        call(torch, xt)
    with pytest.raises(type(et.value)) as eh:
        call(huoba, xh)
    assert str(eh.value) == str(et.value)


ERROR_CASES = {
    "max_empty": lambda lib, x: x.max(),
    "min_empty_dim": lambda lib, x: x.min(-2),
    "amax_empty": lambda lib, x: x.amax(),
    "amin_empty_dims": lambda lib, x: x.amin((1, 0)),
    "argmax_empty": lambda lib, x: x.argmax(),
    "argmin_empty_dim": lambda lib, x: x.argmin(0),
    "aminmax_empty": lambda lib, x: lib.aminmax(x),
    "aminmax_empty_dim": lambda lib, x: lib.aminmax(x, dim=0),
    "median_empty_dim": lambda lib, x: x.median(0),
    "mode_empty_dim": lambda lib, x: x.mode(0),
    "kthvalue_empty_dim": lambda lib, x: x.kthvalue(1, 0),
    "kthvalue_k": lambda lib, x: x.kthvalue(4, 1),
    "topk_k": lambda lib, x: x.topk(4),
    "norm_inf_empty": lambda lib, x: x.norm(float("inf")),
    "norm_ninf_empty": lambda lib, x: x.norm(float("-inf")),
    "norm_inf_empty_dim": lambda lib, x: x.norm(float("inf"), dim=0),
    "dim_out_of_range": lambda lib, x: x.sum(2),
    "dim_out_of_range_neg": lambda lib, x: x.mean(-3),
    "dim_repeated": lambda lib, x: x.sum((0, -2)),
    "dim_out_of_range_max": lambda lib, x: x.max(5),
    "cumsum_dim": lambda lib, x: x.cumsum(2),
    "sort_dim": lambda lib, x: x.sort(-3),
    "mean_int": lambda lib, x: x.long().mean(),
    "mean_bool_dim": lambda lib, x: x.bool().mean(0),
    "mean_dtype_int": lambda lib, x: x.mean(dtype=lib.int64),
    "nanmean_int": lambda lib, x: x.int().nanmean(),
    "var_int": lambda lib, x: x.long().var(),
    "std_int": lambda lib, x: x.long().std(0),
    "var_mean_int": lambda lib, x: lib.var_mean(x.long()),
    "std_mean_int": lambda lib, x: lib.std_mean(x.byte()),
    "norm_int": lambda lib, x: x.long().norm(),
    "argmax_bool": lambda lib, x: x.bool().argmax(),
    "median_bool": lambda lib, x: lib.ones(2, 3).bool().median(),
    "matrix_norm_dims": lambda lib, x: lib.norm(lib.ones(2, 2, 2), "fro", (0, 1, 2)),
    "matrix_norm_order": lambda lib, x: lib.norm(x, "abc"),
    "dist_int": lambda lib, x: lib.dist(x.long(), x.long()),
    "cdist_1d": lambda lib, x: lib.cdist(lib.zeros(3), lib.zeros(3)),
    "cdist_int": lambda lib, x: lib.cdist(lib.zeros(2, 3).long(), lib.zeros(2, 3)),
    "cdist_cols": lambda lib, x: lib.cdist(lib.zeros(2, 3), lib.zeros(2, 4)),
    "cdist_neg_p": lambda lib, x: lib.cdist(lib.zeros(2, 3), lib.zeros(2, 3), p=-1.0),
    "trace_1d": lambda lib, x: lib.trace(lib.zeros(3)),
    "trace_bool": lambda lib, x: lib.trace(lib.zeros(2, 2).bool()),
    "diff_0d": lambda lib, x: lib.diff(lib.tensor(1.0)),
    "bincount_neg": lambda lib, x: lib.bincount(lib.tensor([-1, 2])),
    "bincount_2d": lambda lib, x: lib.bincount(lib.tensor([[1, 2]])),
    "bincount_float": lambda lib, x: lib.bincount(lib.tensor([1.0])),
    "histc_int": lambda lib, x: lib.histc(lib.tensor([1, 2]), bins=3),
    "histc_range": lambda lib, x: lib.histc(lib.tensor([1.0, 2.0]), bins=3, min=3, max=0),
    "searchsorted_shapes": lambda lib, x: lib.searchsorted(lib.tensor([[1.0, 3.0, 5.0]]), lib.tensor([4.0])),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_match_torch(case):
    _same_error(ERROR_CASES[case])


def test_degrees_of_freedom_warning():
    for fn in ("var", "std", "var_mean", "std_mean"):
        with warnings.catch_warnings(record=True) as wt:
            warnings.simplefilter("always")
            getattr(torch, fn)(torch.tensor([1.0]))
        with warnings.catch_warnings(record=True) as wh:
            warnings.simplefilter("always")
            rh = getattr(huoba, fn)(huoba.tensor([1.0]))
        assert len(wh) == 1 and wh[0].category is UserWarning
        assert str(wt[0].message).startswith(str(wh[0].message))
        assert math.isnan((rh[0] if isinstance(rh, tuple) else rh).item())


def test_var_std_signatures():
    a = np.arange(12.0).reshape(3, 4) ** 1.5
    xh, xt = pair(a)
    for call in [lambda lib, x: x.var(False), lambda lib, x: x.var(1, False), lambda lib, x: x.std(0, True, True),
                 lambda lib, x: x.var(dim=1, unbiased=False, keepdim=True), lambda lib, x: x.std(correction=2),
                 lambda lib, x: x.var(1, correction=0.5), lambda lib, x: lib.std_mean(x, (0, 1), correction=0),
                 lambda lib, x: x.var(dim=None, keepdim=True)]:
        assert_same(call(huoba, xh), call(torch, xt))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(xh.var(1, correction=4), xt.var(1, correction=4))
        assert_same(xh.var(1, correction=5), xt.var(1, correction=5))


def test_nan_handling():
    nan = float("nan")
    data = np.array([[1.0, nan, 3.0, nan], [2.0, 0.5, -1.0, 4.0]], dtype=np.float32)
    xh, xt = pair(data)
    calls = [lambda lib, x: x.max(), lambda lib, x: x.max(1), lambda lib, x: x.amin(1), lambda lib, x: x.argmax(1),
             lambda lib, x: x.argmin(), lambda lib, x: x.sort(1), lambda lib, x: x.sort(1, descending=True),
             lambda lib, x: x.median(), lambda lib, x: x.median(1), lambda lib, x: x.nanmedian(),
             lambda lib, x: x.nanmedian(1), lambda lib, x: x.nansum(1), lambda lib, x: x.nanmean(),
             lambda lib, x: x.nanmean(1), lambda lib, x: x.cummax(1), lambda lib, x: x.cummin(1),
             lambda lib, x: lib.logsumexp(x, 1), lambda lib, x: x.topk(2), lambda lib, x: x.kthvalue(4, 1).values,
             lambda lib, x: x.kthvalue(2, 1),
             lambda lib, x: x.sum(), lambda lib, x: x.norm(dim=1), lambda lib, x: lib.aminmax(x, dim=1),
             lambda lib, x: lib.nanmedian(x[:1, 1::2]), lambda lib, x: x[:1, 1::2].nanmedian(1),
             lambda lib, x: lib.histc(x, bins=4, min=-1, max=4)]
    for i, call in enumerate(calls):
        assert_same(call(huoba, xh), call(torch, xt), where=str(i))


def test_cummax_ties_and_nans():
    data = np.array([1.0, 3.0, 2.0, 3.0, 5.0, float("nan"), 7.0, float("nan"), 1.0])
    xh, xt = pair(data, requires_grad=True)
    for fn in ("cummax", "cummin"):
        rh, rt = getattr(xh, fn)(0), getattr(xt, fn)(0)
        assert_same(rh, rt)
    xh, xt = pair(data[:5], requires_grad=True)
    xh.cummax(0).values.sum().backward()
    xt.cummax(0).values.sum().backward()
    assert_same(xh.grad, xt.grad)


def test_logsumexp_stability():
    inf = float("inf")
    for row in ([1000.0, 1000.0], [-1000.0, -1000.0], [-inf, -inf], [inf, 1.0], [-inf, 2.0], [float("nan"), 1.0]):
        xh, xt = pair(np.array(row, dtype=np.float32))
        assert_same(huoba.logsumexp(xh, 0), torch.logsumexp(xt, 0))
    xh, xt = pair(np.array([[1000.0, 999.0], [-1000.0, -1001.0]]), requires_grad=True)
    huoba.logsumexp(xh, 1).sum().backward()
    torch.logsumexp(xt, 1).sum().backward()
    assert_same(xh.grad, xt.grad)
    assert_same(huoba.logsumexp(huoba.tensor([[1, 2], [3, 4]]), 1), torch.logsumexp(torch.tensor([[1, 2], [3, 4]]), 1))


@pytest.mark.parametrize("data", [
    [[0.0, 3.0, 0.0, 2.0], [1.0, 0.0, 2.0, 3.0]],
    [[2.0, 3.0, 0.0, 2.0], [1.0, 5.0, 2.0, 0.0]],
    [[0.0, 3.0, 1.5, 2.0], [1.0, 0.5, 2.0, 3.0]],
    [[0.0, 0.0, 0.0, 0.0], [1.0, 0.5, 2.0, 3.0]],
])
def test_prod_cumprod_gradients_with_zeros(data):
    a = np.array(data)
    calls = [lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.prod(0, True), lambda x: x.cumprod(1),
             lambda x: x.cumprod(0)]
    for i, call in enumerate(calls):
        xh, xt = pair(a, requires_grad=True)
        w = np.random.default_rng(i).standard_normal(tuple(call(torch.tensor(a)).shape))
        gt, = torch.autograd.grad((call(xt) * torch.tensor(w)).sum(), xt, create_graph=True)
        gh, = huoba.autograd.grad((call(xh) * huoba.tensor(w)).sum(), xh, create_graph=True)
        assert_same(gh, gt, where=f"call {i}")
        v = np.random.default_rng(10 + i).standard_normal(a.shape)
        ggt, = torch.autograd.grad((gt * torch.tensor(v)).sum(), xt)
        ggh, = huoba.autograd.grad((gh * huoba.tensor(v)).sum(), xh)
        assert_same(ggh, ggt, where=f"double {i}")


def test_gradient_ties_and_zeros():
    t3 = [3.0, 1.0, 3.0, 3.0]
    cases = [
        (t3, lambda lib, x: x.max()), (t3, lambda lib, x: x.min()), (t3, lambda lib, x: x.median()),
        (t3, lambda lib, x: x.amax()), ([[3.0, 1.0, 3.0], [2.0, 2.0, 0.0]], lambda lib, x: x.amax(1)),
        ([[3.0, 1.0, 3.0], [2.0, 2.0, 0.0]], lambda lib, x: x.amin(0)),
        (t3, lambda lib, x: lib.aminmax(x).max), ([[3.0, 1.0, 3.0], [2.0, 2.0, 0.0]],
                                                  lambda lib, x: sum(lib.aminmax(x, dim=1))),
        ([[3.0, 1.0, 3.0], [2.0, 2.0, 0.0]], lambda lib, x: x.max(1).values),
        ([1.0, -3.0, 3.0], lambda lib, x: x.norm(float("inf"))),
        ([0.0, 0.0, 0.0], lambda lib, x: x.norm()), ([0.0, 0.0, 0.0], lambda lib, x: x.std()),
        ([0.0, -2.0, 3.0], lambda lib, x: x.norm(1)), ([0.0, -2.0, 3.0], lambda lib, x: x.norm(0.5)),
        ([0.0, -2.0, 3.0], lambda lib, x: x.norm(1.5)), ([0.0, -2.0, 3.0], lambda lib, x: x.norm(3)),
        ([0.0, 0.0], lambda lib, x: lib.dist(x, x * 2)),
        ([[0.0, 1.0], [0.0, 1.0]], lambda lib, x: lib.cdist(x, x)),
        ([float("nan"), 1.0, 2.0], lambda lib, x: x.nanmedian()),
        ([4.0, 1.0, float("nan"), 2.0, 3.0], lambda lib, x: x.nanmedian(0).values),
    ]
    for i, (data, call) in enumerate(cases):
        xh, xt = pair(np.array(data), requires_grad=True)
        call(torch, xt).sum().backward()
        call(huoba, xh).sum().backward()
        assert_same(xh.grad, xt.grad, where=f"case {i}")


def test_cdist_large_and_batched():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 1, 30, 4)), rng.standard_normal((3, 40, 4))
    (ah, at), (bh, bt) = pair(a, True), pair(b, True)
    for p in (2.0, 1.0):
        yh, yt = huoba.cdist(ah, bh, p=p), torch.cdist(at, bt, p=p)
        assert_same(yh, yt, rtol=1e-9, atol=1e-9)
        w = rng.standard_normal(tuple(yt.shape))
        gt = torch.autograd.grad((yt * torch.tensor(w)).sum(), (at, bt))
        gh = huoba.autograd.grad((yh * huoba.tensor(w)).sum(), (ah, bh))
        assert_same(gh[0], gt[0], rtol=1e-8, atol=1e-9)
        assert_same(gh[1], gt[1], rtol=1e-8, atol=1e-9)


def test_max_min_binary_forms():
    a = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    b = np.array([2.0, 2.0, 7.0])
    (ah, at), (bh, bt) = pair(a, True), pair(b, True)
    for fn in ("max", "min"):
        assert_same(getattr(huoba, fn)(ah, bh), getattr(torch, fn)(at, bt))
        assert_same(getattr(ah, fn)(bh), getattr(at, fn)(bt))
        assert_same(getattr(huoba, fn)(ah, other=bh), getattr(torch, fn)(at, other=bt))
    assert huoba.max(ah, bh).grad_fn.name() == "MaximumBackward0"
    assert_same(huoba.max(huoba.tensor([[1, 5]]), huoba.tensor([2.5, 2])),
                torch.max(torch.tensor([[1, 5]]), torch.tensor([2.5, 2])))


def test_argmax_keepdim_and_ties():
    a = np.array([[1, 3, 3], [2, 2, 0]])
    xh, xt = pair(a)
    for call in [lambda x: x.argmax(), lambda x: x.argmax(keepdim=True), lambda x: x.argmin(1, True),
                 lambda x: x.argmax(0), lambda x: x.max(1), lambda x: x.min(1), lambda x: x.mode(1),
                 lambda x: x.mode(0), lambda x: x.sort(1, descending=True), lambda x: x.argsort(1, True),
                 lambda x: x.argsort(stable=True, dim=1), lambda x: x.sort(stable=True, dim=0)]:
        assert_same(call(xh), call(xt))


def test_mode_matches_torch():
    rng = np.random.default_rng(3)
    for shape, dim in [((4, 9), 1), ((9, 3), 0), ((2, 3, 7), -1), ((5,), 0)]:
        xh, xt = pair(rng.integers(0, 4, shape))
        assert_same(xh.mode(dim), xt.mode(dim))
        assert_same(huoba.mode(xh, dim, True), torch.mode(xt, dim, True))
        fh, ft = pair(rng.integers(0, 4, shape).astype(np.float32) / 2)
        assert_same(fh.mode(dim), ft.mode(dim))


def test_all_any_forms():
    a = np.array([[0, 1, 2], [3, 4, 5]])
    for dt in (np.int64, np.float32, np.uint8, np.bool_):
        xh, xt = pair(a.astype(dt))
        for call in [lambda x: x.all(), lambda x: x.any(), lambda x: x.all(1), lambda x: x.any(0, True),
                     lambda x: x.all((0, 1)), lambda x: x.any(dim=[0]), lambda x: x.all(dim=()),
                     lambda x: x.any(-1, keepdim=True)]:
            assert_same(call(xh), call(xt))
    assert_same(huoba.all(huoba.tensor(0.0)), torch.all(torch.tensor(0.0)))


def test_unique():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, (4, 6))
    xh, xt = pair(a)
    for kw in [{}, dict(return_inverse=True), dict(return_counts=True), dict(return_inverse=True, return_counts=True),
               dict(sorted=False), dict(dim=0, return_inverse=True, return_counts=True), dict(dim=1),
               dict(dim=-1, return_counts=True)]:
        assert_same(huoba.unique(xh, **kw), torch.unique(xt, **kw), where=str(kw))
        assert_same(xh.unique(**kw), xt.unique(**kw), where=str(kw))
    rows = np.array([[1, 2], [1, 2], [0, 3], [1, 2]])
    assert_same(huoba.unique(huoba.tensor(rows), dim=0, return_inverse=True, return_counts=True),
                torch.unique(torch.tensor(rows), dim=0, return_inverse=True, return_counts=True))
    for data in ([1.0, float("nan"), float("nan"), 1.0], [True, False, True], 3, []):
        xh, xt = pair(np.array(data, dtype=np.float32 if data == [] else None))
        assert_same(huoba.unique(xh, return_inverse=True, return_counts=True),
                    torch.unique(xt, return_inverse=True, return_counts=True), where=str(data))


def test_unique_consecutive():
    data = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    xh, xt = pair(data)
    for kw in [{}, dict(return_inverse=True), dict(return_counts=True), dict(return_inverse=True, return_counts=True)]:
        assert_same(huoba.unique_consecutive(xh, **kw), torch.unique_consecutive(xt, **kw))
        assert_same(xh.unique_consecutive(**kw), xt.unique_consecutive(**kw))
    rows = np.array([[1, 2], [1, 2], [0, 3], [1, 2]])
    for d in (0, 1):
        assert_same(huoba.unique_consecutive(huoba.tensor(rows), return_inverse=True, return_counts=True, dim=d),
                    torch.unique_consecutive(torch.tensor(rows), return_inverse=True, return_counts=True, dim=d))
    for data in (np.array(3), np.array([[1, 1], [2, 2]]), np.zeros(0)):
        xh, xt = pair(data)
        assert_same(huoba.unique_consecutive(xh, return_inverse=True, return_counts=True),
                    torch.unique_consecutive(xt, return_inverse=True, return_counts=True))


def test_bincount():
    x = np.array([1, 1, 3, 0, 7])
    w32, w64, wi = np.linspace(0, 1, 5).astype(np.float32), np.linspace(0, 1, 5), np.arange(5)
    for kw in [{}, dict(minlength=10), dict(minlength=2)]:
        assert_same(huoba.bincount(huoba.tensor(x), **kw), torch.bincount(torch.tensor(x), **kw))
        for w in (w32, w64, wi):
            assert_same(huoba.bincount(huoba.tensor(x), huoba.tensor(w), **kw),
                        torch.bincount(torch.tensor(x), torch.tensor(w), **kw))
    assert_same(huoba.tensor(x.astype(np.int32)).bincount(), torch.tensor(x.astype(np.int32)).bincount())
    assert_same(huoba.bincount(huoba.tensor([], dtype=huoba.int64)),
                torch.bincount(torch.tensor([], dtype=torch.int64)))


def test_histc():
    rng = np.random.default_rng(1)
    x = (rng.random(1000) * 3.7 - 0.3).astype(np.float32)
    xh, xt = pair(x)
    for kw in [dict(), dict(bins=7), dict(bins=13, min=-0.2, max=3.1), dict(bins=4, min=0, max=3),
               dict(bins=5, min=2, max=2)]:
        assert_same(huoba.histc(xh, **kw), torch.histc(xt, **kw), where=str(kw))
        assert_same(xh.histc(**kw), xt.histc(**kw))
    for data in ([1.0, 1.0, 1.0], np.linspace(0, 1, 1001)):
        xh, xt = pair(np.array(data))
        assert_same(huoba.histc(xh, bins=7), torch.histc(xt, bins=7))
    assert_same(huoba.histc(huoba.zeros(0), bins=3), torch.histc(torch.zeros(0), bins=3))


def test_searchsorted_and_bucketize():
    seq = np.array([1, 3, 5, 5, 7, 9])
    vals = np.array([[3, 6, 9], [0, 5, 10]])
    for kw in [{}, dict(right=True), dict(side="right"), dict(side="left"), dict(out_int32=True)]:
        assert_same(huoba.searchsorted(huoba.tensor(seq), huoba.tensor(vals), **kw),
                    torch.searchsorted(torch.tensor(seq), torch.tensor(vals), **kw))
    seq2 = np.array([[1, 3, 5, 7, 9], [2, 4, 4, 8, 10]])
    for kw in [{}, dict(right=True)]:
        assert_same(huoba.searchsorted(huoba.tensor(seq2), huoba.tensor(vals), **kw),
                    torch.searchsorted(torch.tensor(seq2), torch.tensor(vals), **kw))
    seq3 = np.sort(np.random.default_rng(0).standard_normal((2, 3, 8)), -1)
    v3 = np.random.default_rng(1).standard_normal((2, 3, 5))
    assert_same(huoba.searchsorted(huoba.tensor(seq3), huoba.tensor(v3)),
                torch.searchsorted(torch.tensor(seq3), torch.tensor(v3)))
    assert_same(huoba.searchsorted(huoba.tensor([1.0, 3.0, 5.0]), 4),
                torch.searchsorted(torch.tensor([1.0, 3.0, 5.0]), 4))
    assert_same(huoba.searchsorted(huoba.tensor([5, 1, 3]), huoba.tensor([3]), sorter=huoba.tensor([1, 2, 0])),
                torch.searchsorted(torch.tensor([5, 1, 3]), torch.tensor([3]), sorter=torch.tensor([1, 2, 0])))
    for kw in [{}, dict(right=True), dict(out_int32=True)]:
        assert_same(huoba.bucketize(huoba.tensor(vals), huoba.tensor(seq), **kw),
                    torch.bucketize(torch.tensor(vals), torch.tensor(seq), **kw))
    assert_same(huoba.bucketize(3, huoba.tensor(seq)), torch.bucketize(3, torch.tensor(seq)))


def test_diff_forms():
    a = np.array([[1, 3, 6, 10], [2, 2, 5, 1]])
    for dt in (np.int64, np.float32, np.bool_):
        xh, xt = pair(a.astype(dt))
        for kw in [{}, dict(n=2), dict(n=0), dict(n=5), dict(dim=0), dict(prepend=None)]:
            assert_same(huoba.diff(xh, **kw), torch.diff(xt, **kw), where=str(kw))
    xh, xt = pair(np.array([1.0, 3.0]), requires_grad=True)
    ph, pt = pair(np.array([0.0]))
    yh = huoba.diff(xh, prepend=ph, append=huoba.tensor([9.0, 10.0]))
    yt = torch.diff(xt, prepend=pt, append=torch.tensor([9.0, 10.0]))
    assert_same(yh, yt)
    (yh * huoba.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    (yt * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert_same(xh.grad, xt.grad)


def test_nuclear_norm():
    a = np.random.default_rng(0).standard_normal((3, 4))
    (xh, xt) = pair(a, requires_grad=True)
    yh, yt = xh.norm("nuc"), xt.norm("nuc")
    assert_same(yh, yt, rtol=1e-9)
    yh.backward()
    yt.backward()
    assert_same(xh.grad, xt.grad, rtol=1e-8, atol=1e-10)
    b = np.random.default_rng(1).standard_normal((2, 3, 4))
    assert_same(huoba.norm(huoba.tensor(b), "nuc", (0, 2), True), torch.norm(torch.tensor(b), "nuc", (0, 2), True),
                rtol=1e-9)


def test_no_graph_when_not_needed():
    xh = huoba.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with huoba.no_grad():
        for y in (xh.sum(), xh.mean(1), xh.max(1).values, xh.sort(1).values, xh.var(), xh.cumsum(0), xh.norm()):
            assert y.grad_fn is None and not y.requires_grad
    assert xh.max(1).indices.grad_fn is None and not xh.max(1).indices.requires_grad
    assert not huoba.tensor([1.0, 2.0]).sum().requires_grad


def test_tensor_methods_exist_like_torch():
    from huoba.ops import reduction
    for name in reduction.methods:
        assert hasattr(torch.Tensor, name), name
        assert hasattr(huoba.Tensor, name), name
    for name in reduction.__all__:
        if name != "return_types":
            assert hasattr(torch, name), name
            assert getattr(huoba, name) is getattr(reduction, name), name
    import builtins
    assert huoba.max is reduction.max and huoba.all is reduction.all and builtins.max(1, 2) == 2


def test_saved_input_modified_in_place_is_detected():
    xh = huoba.tensor([1.0, 2.0, 3.0], requires_grad=True)
    yh = xh * 1
    zh = yh.prod()
    with huoba.no_grad():
        yh.fill_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        zh.backward()
