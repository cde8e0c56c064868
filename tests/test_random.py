"""huoba.random against PyTorch's CPU generator: same seed, same bits."""
import pickle
import time
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from huoba import dtypes as hd  # noqa: E402
from huoba import random as R  # noqa: E402

F = torch.nn.functional
SEEDS = [0, 1, 42, 2**32 + 5, 2**63 + 12345]
SHAPES = [(), (1,), (7,), (15,), (16,), (17,), (100,), (3, 5), (1000,)]
FLOATS = [(torch.float32, hd.float32), (torch.float64, hd.float64), (torch.float16, hd.float16)]
INTS = [(torch.int64, hd.int64), (torch.int32, hd.int32), (torch.int16, hd.int16), (torch.int8, hd.int8),
        (torch.uint8, hd.uint8)]


def seed_both(s):
    torch.manual_seed(s)
    R.manual_seed(s)


def same(t, a):
    """Bit-identical values, same dtype and shape, and the generators in the same state afterwards."""
    t = t.numpy() if hasattr(t, "numpy") else np.asarray(t)
    assert a.dtype == t.dtype, (a.dtype, t.dtype)
    assert a.shape == t.shape, (a.shape, t.shape)
    assert np.array_equal(t, a, equal_nan=True), (t.ravel()[:6], a.ravel()[:6])
    assert np.array_equal(torch.get_rng_state().numpy(), R.get_rng_state())


# ----------------------------------------------------------------------------------------- floats

@pytest.mark.parametrize("s", SEEDS)
@pytest.mark.parametrize("tdt,hdt", FLOATS)
def test_rand_randn(s, tdt, hdt):
    for shape in SHAPES:
        seed_both(s)
        same(torch.rand(shape, dtype=tdt), R.uniform(shape, hdt))
        seed_both(s)
        same(torch.randn(shape, dtype=tdt), R.normal(shape, hdt))


@pytest.mark.parametrize("s", SEEDS[:3])
@pytest.mark.parametrize("tdt,hdt", FLOATS)
def test_uniform_normal_with_parameters(s, tdt, hdt):
    for shape in [(5,), (16,), (33,), (4, 50)]:
        seed_both(s)
        same(torch.empty(shape, dtype=tdt).uniform_(-3, 5.1), R.uniform(shape, hdt, -3, 5.1))
        seed_both(s)
        same(torch.empty(shape, dtype=tdt).normal_(123.456, 7.89), R.normal(shape, hdt, 123.456, 7.89))
        seed_both(s)
        same(torch.empty(shape, dtype=tdt).normal_(-1e-3, 1e-2), R.normal(shape, hdt, -1e-3, 1e-2))


def test_normal_on_non_contiguous_tensor():
    # PyTorch fills a non-contiguous tensor element by element, in memory order
    base = torch.empty(8, 4)
    seed_both(0)
    base.t().normal_(0.5, 2.0)
    same(base, R.normal((8, 4), hd.float32, 0.5, 2.0, contiguous=False))


def test_large_normals():
    for s in (0, 3):
        seed_both(s)
        same(torch.randn(100003), R.normal(100003, hd.float32))
        seed_both(s)
        same(torch.randn(20011, dtype=torch.float64), R.normal(20011, hd.float64))
        seed_both(s)
        same(torch.randn(20011, dtype=torch.float16), R.normal(20011, hd.float16))


@pytest.mark.parametrize("tdt,hdt,lo,hi", [
    (torch.float16, hd.float16, -3, 5.099), (torch.float16, hd.float16, 1000, 1001),
    (torch.float16, hd.float16, 0.1, 0.2), (torch.float32, hd.float32, 1000, 1001),
    (torch.float32, hd.float32, -1e10, 1e10), (torch.float64, hd.float64, 0.1, 0.7),
    (torch.float64, hd.float64, -1e300, 1e300)])
def test_uniform_rounding_edges(tdt, hdt, lo, hi):
    # results that round up to `to` become `from`; fused multiply-add rounding
    seed_both(2)
    same(torch.empty(20000, dtype=tdt).uniform_(lo, hi), R.uniform(20000, hdt, lo, hi))


@pytest.mark.parametrize("tdt,hdt", FLOATS)
def test_normal_tensor_mean_std(tdt, hdt):
    for shape in [(3,), (20,), (4, 5)]:
        n = int(np.prod(shape))
        m = torch.linspace(-2, 2, n, dtype=tdt).reshape(shape)
        sd = torch.linspace(0.1, 3, n, dtype=tdt).reshape(shape)
        seed_both(7)
        same(torch.normal(m, sd), R.normal(None, None, m.numpy(), sd.numpy()))
        seed_both(7)
        same(torch.normal(m, 0.7), R.normal(None, None, m.numpy(), 0.7))
        seed_both(7)
        same(torch.normal(0.3, sd), R.normal(None, None, 0.3, sd.numpy()))
        seed_both(7)
        same(torch.normal(0.3, 1.7, shape, dtype=tdt), R.normal(shape, hdt, 0.3, 1.7))
    seed_both(1)
    same(torch.normal(torch.zeros(3, 1), torch.ones(1, 4)),
         R.normal(None, None, np.zeros((3, 1), np.float32), np.ones((1, 4), np.float32)))


@pytest.mark.parametrize("tdt,hdt", FLOATS)
def test_other_float_distributions(tdt, hdt):
    for shape in [(), (7,), (16,), (40,)]:
        seed_both(6)
        same(torch.empty(shape, dtype=tdt).exponential_(1.7), R.exponential(shape, hdt, 1.7))
        seed_both(6)
        same(torch.empty(shape, dtype=tdt).cauchy_(0.5, 2.0), R.cauchy(shape, hdt, 0.5, 2.0))
        seed_both(6)
        same(torch.empty(shape, dtype=tdt).log_normal_(0.5, 0.7), R.log_normal(shape, hdt, 0.5, 0.7))
        seed_both(6)
        same(torch.empty(shape, dtype=tdt).geometric_(0.3), R.geometric(shape, hdt, 0.3))


# ----------------------------------------------------------------------------------------- integers

@pytest.mark.parametrize("s", SEEDS)
def test_randint(s):
    for shape in SHAPES:
        for tdt, hdt in INTS + FLOATS:
            seed_both(s)
            same(torch.randint(0, 10, shape, dtype=tdt), R.randint(0, 10, shape, hdt))
            lo = 3 if tdt == torch.uint8 else -5
            seed_both(s)
            same(torch.randint(lo, 100, shape, dtype=tdt), R.randint(lo, 100, shape, hdt))
        seed_both(s)
        same(torch.randint(-2**40, 2**40, shape), R.randint(-2**40, 2**40, shape))


def test_randint_wide_ranges():
    # PyTorch 2.13 switches to 64-bit draws from a range of 2**28 on
    for tdt, hdt in [(torch.int64, hd.int64), (torch.int32, hd.int32), (torch.float64, hd.float64)]:
        for lo, hi in [(0, 2**28 - 1), (0, 2**28), (-2**30, 2**30), (3, 2**31 - 1)]:
            seed_both(0)
            same(torch.empty(50, dtype=tdt).random_(lo, hi), R.randint(lo, hi, 50, hdt))
    seed_both(1)
    same(torch.empty(30, dtype=torch.int64).random_(-2**63, None), R.randint(-2**63, None, 30))
    for tdt, hdt in [(torch.int32, hd.int32), (torch.int16, hd.int16), (torch.float32, hd.float32)]:
        seed_both(1)
        same(torch.empty(30, dtype=tdt).random_(5, None), R.randint(5, None, 30, hdt))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_randint_float_bounds_moved_to_representable_values():
    cases = [(torch.float32, hd.float32, 0, 2**25), (torch.float32, hd.float32, 0, 2**24 + 2),
             (torch.float32, hd.float32, -2**25 - 3, 2**25 + 7), (torch.float16, hd.float16, 0, 4096),
             (torch.float16, hd.float16, -3000, 3000), (torch.float64, hd.float64, 0, 2**55),
             (torch.float16, hd.float16, 1001, None), (torch.float32, hd.float32, -2**63, None)]
    for tdt, hdt, lo, hi in cases:
        seed_both(0)
        same(torch.empty(300, dtype=tdt).random_(lo, hi), R.randint(lo, hi, 300, hdt))
    with pytest.raises(RuntimeError, match="out of bounds"):
        R.randint(0, 2**24, 3, hd.float16)
    with pytest.raises(RuntimeError, match="out of bounds"):
        R.randint(-5, 3, 3, hd.uint8)


def test_random_no_bounds():
    for tdt, hdt in INTS + FLOATS + [(torch.bool, hd.bool)]:
        for shape in [(), (9,), (3, 5)]:
            seed_both(11)
            same(torch.empty(shape, dtype=tdt).random_(), R.random_(shape, hdt))


@pytest.mark.parametrize("n", [0, 1, 2, 10, 100, 2047, 2048, 5000, 60000])
def test_randperm(n):
    for s in (0, 42):
        seed_both(s)
        same(torch.randperm(n), R.randperm(n))
    seed_both(3)
    if n <= 2049:
        same(torch.randperm(n, dtype=torch.float16), R.randperm(n, hd.float16))


# ----------------------------------------------------------------------------------------- bernoulli, dropout

@pytest.mark.parametrize("s", SEEDS[:3])
def test_bernoulli(s):
    for shape in SHAPES:
        for tdt, hdt in FLOATS + [(torch.int64, hd.int64), (torch.bool, hd.bool)]:
            seed_both(s)
            same(torch.empty(shape, dtype=tdt).bernoulli_(0.3), R.bernoulli(0.3, shape, hdt))
        for tdt, _ in FLOATS:
            p = torch.rand(shape, dtype=tdt, generator=torch.Generator().manual_seed(9))
            seed_both(s)
            same(torch.bernoulli(p), R.bernoulli(p.numpy()))


def test_dropout_mask_matches_functional_dropout():
    for p in [0.01, 0.1, 0.2, 0.3, 0.5, 0.77, 0.9, 0.99]:
        for tdt, hdt in FLOATS:
            seed_both(1)
            same(F.dropout(torch.ones(50, dtype=tdt), p, True), R.dropout_mask(50, hdt, p))
    x = torch.randn(4, 6, 3, 3)
    seed_both(5)
    out = F.dropout(x, 0.4, True)
    same(out, x.numpy() * R.dropout_mask((4, 6, 3, 3), hd.float32, 0.4))
    seed_both(5)
    out = F.dropout2d(x, 0.5, True)
    same(out, x.numpy() * R.dropout_mask((4, 6, 1, 1), hd.float32, 0.5))
    for p in (0.0, 1.0):            # no draws at all
        seed_both(5)
        same(F.dropout(torch.ones(40), p, True), R.dropout_mask(40, hd.float32, p))


def test_multinomial():
    for s in (0, 3):
        for tdt, _ in FLOATS:
            p = torch.tensor([[0.1, 0.2, 0.3, 0.4, 0.0], [1, 1, 1, 1, 1], [5, 0, 0, 1, 2]], dtype=tdt)
            for n, rep in [(1, False), (1, True), (3, False), (10, True)]:
                seed_both(s)
                same(torch.multinomial(p, n, rep), R.multinomial(p.numpy(), n, rep))
            seed_both(s)
            same(torch.multinomial(p[0], 7, True), R.multinomial(p[0].numpy(), 7, True))
        w = torch.rand(1000, generator=torch.Generator().manual_seed(3)).double()
        seed_both(s)
        same(torch.multinomial(w, 1000, True), R.multinomial(w.numpy(), 1000, True))
        seed_both(s)
        same(torch.multinomial(w, 500, False), R.multinomial(w.numpy(), 500, False))


# ----------------------------------------------------------------------------------------- streams and state

@pytest.mark.parametrize("s", SEEDS)
def test_sequence_of_calls(s):
    seed_both(s)
    calls = [
        (lambda: torch.randn(5), lambda: R.normal(5, hd.float32)),
        (lambda: torch.rand(3), lambda: R.uniform(3, hd.float32)),
        (lambda: torch.randint(0, 10, (4,)), lambda: R.randint(0, 10, (4,))),
        (lambda: torch.randn(20), lambda: R.normal(20, hd.float32)),
        (lambda: torch.randn(3, dtype=torch.float64), lambda: R.normal(3, hd.float64)),
        (lambda: torch.randn(1), lambda: R.normal(1, hd.float32)),     # uses the cached spare normal
        (lambda: torch.rand(2, dtype=torch.float64), lambda: R.uniform(2, hd.float64)),
        (lambda: torch.randperm(7), lambda: R.randperm(7)),
        (lambda: torch.empty(9).bernoulli_(0.5), lambda: R.bernoulli(0.5, 9, hd.float32)),
        (lambda: torch.randn(700), lambda: R.normal(700, hd.float32)),
        (lambda: torch.randn(1), lambda: R.normal(1, hd.float32)),
    ]
    for tf, hf in calls:
        same(tf(), hf())


def test_generator_objects():
    for s in (5, 2**40):
        tg = torch.Generator().manual_seed(s)
        hg = R.Generator().manual_seed(s)
        for _ in range(3):
            same_gen = [
                (torch.randn(7, generator=tg), R.normal(7, hd.float32, generator=hg)),
                (torch.rand(30, generator=tg, dtype=torch.float64), R.uniform(30, hd.float64, generator=hg)),
                (torch.randint(0, 5, (9,), generator=tg), R.randint(0, 5, (9,), generator=hg)),
                (torch.randperm(50, generator=tg), R.randperm(50, generator=hg)),
                (torch.randn(40, generator=tg), R.normal(40, hd.float32, generator=hg)),
            ]
            for t, a in same_gen:
                assert np.array_equal(t.numpy(), a)
        assert np.array_equal(tg.get_state().numpy(), hg.get_state())
        assert tg.initial_seed() == hg.initial_seed() == s
    # a fresh generator starts from PyTorch's default seed; the default generator doesn't touch it
    assert R.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721
    assert np.array_equal(R.Generator().get_state(), torch.Generator().get_state().numpy())
    assert str(R.Generator().device) == "cpu"
    g = R.Generator().manual_seed(9)
    R.uniform(5, hd.float32, generator=g)
    g2 = pickle.loads(pickle.dumps(g))
    assert np.array_equal(g2.get_state(), g.get_state())
    assert np.array_equal(R.uniform(5, hd.float32, generator=g), R.uniform(5, hd.float32, generator=g2))
    g3 = g.clone_state()
    assert np.array_equal(R.normal(3, hd.float64, generator=g), R.normal(3, hd.float64, generator=g3))


def test_state_round_trips():
    # torch -> huoba, with a cached spare normal in the state
    seed_both(11)
    torch.randn(3, dtype=torch.float64)
    R.normal(3, hd.float64)
    st = torch.get_rng_state()
    assert np.array_equal(st.numpy(), R.get_rng_state())
    R.set_rng_state(st.numpy())
    same(torch.randn(5), R.normal(5, hd.float32))
    # huoba -> torch, mid-stream
    R.manual_seed(77)
    R.uniform(700, hd.float32)
    R.normal(1, hd.float64)
    torch.set_rng_state(torch.from_numpy(R.get_rng_state().numpy()))
    same(torch.randn(1001), R.normal(1001, hd.float32))
    # a cached float sample survives the round trip
    b = R.get_rng_state().numpy()
    b[5048:5052] = np.frombuffer(np.float32(1.25).tobytes(), np.uint8)
    b[5052] = 1
    torch.set_rng_state(torch.from_numpy(b.copy()))
    R.set_rng_state(b)
    same(torch.zeros(1), np.zeros(1, np.float32))
    # a state whose `left` and `next` disagree (legal for PyTorch)
    seed_both(3)
    torch.rand(100)
    R.uniform(100, hd.float32)
    b = R.get_rng_state().numpy()
    b[8:12] = np.frombuffer(np.int32(50).tobytes(), np.uint8)
    b[16:24] = np.frombuffer(np.uint64(10).tobytes(), np.uint8)
    torch.set_rng_state(torch.from_numpy(b.copy()))
    R.set_rng_state(b)
    same(torch.zeros(1), np.zeros(1, np.float32))
    for n in (20, 100, 1000):
        same(torch.rand(n), R.uniform(n, hd.float32))
    # the 624th draw ends a block; seeding alone leaves left=1, next=0
    seed_both(4)
    same(torch.zeros(1), np.zeros(1, np.float32))
    torch.rand(624)
    R.uniform(624, hd.float32)
    same(torch.rand(3), R.uniform(3, hd.float32))


def test_state_errors():
    with pytest.raises(RuntimeError, match="size"):
        R.set_rng_state(np.zeros(10, np.uint8))
    with pytest.raises(TypeError):
        R.set_rng_state(np.zeros(5056, np.int32))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        R.set_rng_state(np.zeros(5056, np.uint8))


def _error(fn, *args):
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def test_state_is_a_uint8_tensor_like_torch():
    import huoba
    seed_both(5)
    for h, t in [(huoba.get_rng_state(), torch.get_rng_state()), (R.get_rng_state(), torch.random.get_rng_state()),
                 (huoba.Generator().get_state(), torch.Generator().get_state()),
                 (huoba.default_generator.get_state(), torch.default_generator.get_state())]:
        assert isinstance(h, huoba.Tensor)
        assert str(h.dtype) == str(t.dtype) == "torch.uint8"
        assert h.shape == t.shape and not h.requires_grad and h.is_contiguous()
        assert h.type() == t.type() == "torch.ByteTensor"
        assert np.array_equal(h.numpy(), t.numpy())
    # a fresh copy each time
    a, b = huoba.get_rng_state(), huoba.get_rng_state()
    assert a.data_ptr() != b.data_ptr()
    # Tensors (and NumPy arrays) go back in
    st = huoba.get_rng_state()
    x = huoba.rand(4)
    huoba.set_rng_state(st)
    assert huoba.equal(huoba.rand(4), x)
    huoba.set_rng_state(st.numpy())
    assert huoba.equal(huoba.rand(4), x)
    g = huoba.Generator().manual_seed(3)
    gs = g.get_state()
    y = huoba.rand(3, generator=g)
    assert huoba.equal(huoba.rand(3, generator=g.set_state(gs)), y)
    # a state from real PyTorch works, and the other way round
    torch.manual_seed(8)
    huoba.set_rng_state(huoba.from_numpy(torch.get_rng_state().numpy()))
    assert np.array_equal(huoba.rand(5).numpy(), torch.rand(5).numpy())
    torch.set_rng_state(torch.from_numpy(huoba.get_rng_state().numpy()))
    assert np.array_equal(huoba.randn(20).numpy(), torch.randn(20).numpy())
    # errors as PyTorch words them
    for fn_h, fn_t in [(huoba.set_rng_state, torch.set_rng_state),
                       (huoba.Generator().set_state, torch.Generator().set_state)]:
        assert _error(fn_h, [0] * 5056) == _error(fn_t, [0] * 5056)
        assert _error(fn_h, huoba.zeros(5056, dtype=huoba.int32)) == _error(fn_t, torch.zeros(5056, dtype=torch.int32))
        assert _error(fn_h, huoba.zeros(10, dtype=huoba.uint8)) == _error(fn_t, torch.zeros(10, dtype=torch.uint8))
        assert _error(fn_h, huoba.zeros(5056, dtype=huoba.uint8)) == _error(fn_t, torch.zeros(5056, dtype=torch.uint8))


def test_fork_rng_restores_state():
    import huoba
    huoba.manual_seed(2)
    before = huoba.get_rng_state()
    with huoba.random.fork_rng():
        huoba.rand(10)
    assert huoba.equal(huoba.get_rng_state(), before)


def test_seeds_and_initial_seed():
    for sd in [-1, -2**63, 2**64 - 1, 0, 123456789012345]:
        torch.manual_seed(sd)
        R.manual_seed(sd)
        assert R.initial_seed() == torch.initial_seed()
        same(torch.rand(3), R.uniform(3, hd.float32))
    with pytest.raises(ValueError):
        R.manual_seed(2**64)
    with pytest.raises(RuntimeError):
        R.Generator().manual_seed(1.5)
    assert R.manual_seed(3) is R.default_generator
    s = R.seed()
    assert R.initial_seed() == s and 0 <= s < 2**64


def test_fork_rng():
    R.manual_seed(8)
    with R.fork_rng():
        a = R.uniform(4, hd.float32)
    assert np.array_equal(a, R.uniform(4, hd.float32))


def test_errors():
    with pytest.raises(RuntimeError):
        R.randint(5, 5, 3)
    with pytest.raises(RuntimeError):
        R.uniform(3, hd.float32, 2, 1)
    with pytest.raises(RuntimeError):
        R.normal(3, hd.float32, 0, -1)
    with pytest.raises(RuntimeError):
        R.bernoulli(1.5, 3)
    with pytest.raises(RuntimeError):
        R.uniform(3, hd.int64)


def test_speed():
    R.manual_seed(0)
    t0 = time.perf_counter()
    x = R.uniform(10**6, hd.float32)
    assert time.perf_counter() - t0 < 0.25 and x.dtype == np.float32 and x.shape == (10**6,)
