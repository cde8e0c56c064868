"""The `cuda` device, exercised on every commit through a fake CUDA backend.

CI has no GPU: `fake_cupy.installed()` makes huoba see two GPUs whose arrays live
in host memory but behave like CuPy's (no silent mixing with NumPy arrays, kernels
on the current device only, see tests/fake_cupy.py), so the device bookkeeping,
transfers, errors and the `xp` code path of every op are tested here.  Without the
fake, `huoba.cuda` must answer exactly as a CPU-only PyTorch build does.

What the fake cannot show (real kernels, cuDNN/cuBLAS numerics, asynchronous
execution, memory statistics, speed) is left to benchmarks/bench_gpu.py on a GPU.
"""
import os
import pickletools
import sys
import types
import warnings
import zipfile

import numpy as np
import pytest

import huoba
import huoba.nn.functional as F
import fake_cupy

torch = pytest.importorskip("torch")

OPS_TESTS = os.path.join(os.path.dirname(__file__), "ops")


@pytest.fixture
def gpu():
    with fake_cupy.installed() as cp:
        # the first tensor put on a GPU switches the device guards on (huoba._devices); an op
        # looked up before that, in the same expression, runs unguarded (see test_first_gpu_use)
        huoba.zeros(1, device="cuda")
        yield cp


def test_first_gpu_use_switches_device_guards_on():
    with fake_cupy.installed():
        assert not huoba._backend.gpu_used[0] and not hasattr(huoba.add, "__wrapped_by_device_guard__")
        x = huoba.ones(2, device="cuda:1")
        assert huoba._backend.gpu_used[0] and hasattr(huoba.add, "__wrapped_by_device_guard__")
        assert hasattr(huoba.Tensor.add, "__wrapped_by_device_guard__")
        assert (huoba.add(x, 1) * x).device.index == 1
    # a CPU-only process never pays for them
    assert not hasattr(huoba.add, "__wrapped_by_device_guard__")
    assert not hasattr(huoba.Tensor.__add__, "__wrapped_by_device_guard__")
    assert not hasattr(huoba.nn.Module.__call__, "__wrapped_by_device_guard__")


def _np(t):
    return t.detach().cpu().numpy()


# ---- without a GPU: PyTorch's CPU-build answers -------------------------------
@pytest.mark.parametrize("call", ["current_device", "get_device_name", "synchronize", "get_device_capability",
                                  "get_device_properties", "mem_get_info", "init", "initial_seed"])
def test_no_gpu_errors_match_torch(call):
    with pytest.raises(AssertionError) as h:
        getattr(huoba.cuda, call)()
    with pytest.raises(AssertionError) as t:
        getattr(torch.cuda, call)()
    assert str(h.value) == str(t.value)


def test_no_gpu_queries_match_torch():
    assert huoba.cuda.is_available() is torch.cuda.is_available() is False
    assert huoba.cuda.device_count() == torch.cuda.device_count() == 0
    assert huoba.cuda.memory_allocated() == torch.cuda.memory_allocated() == 0
    assert huoba.cuda.max_memory_allocated() == torch.cuda.max_memory_allocated() == 0
    assert huoba.cuda.is_initialized() is torch.cuda.is_initialized() is False
    huoba.cuda.manual_seed(3), huoba.cuda.manual_seed_all(3), huoba.cuda.empty_cache()  # accepted, as in torch
    assert huoba.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert huoba.accelerator.is_available() is torch.accelerator.is_available() is False
    assert huoba.accelerator.device_count() == torch.accelerator.device_count() == 0
    for make in (lambda m: m.zeros(2, device="cuda"), lambda m: m.zeros(2).cuda(), lambda m: m.ones(2).to("cuda"),
                 lambda m: m.randn(2, device="cuda:0"), lambda m: m.tensor([1.0], device="cuda")):
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            make(huoba)
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            make(torch)


@pytest.mark.parametrize("call", ["current_device_index", "synchronize", "empty_cache", "memory_allocated",
                                  "get_memory_info", "get_device_capability", "current_stream"])
def test_no_accelerator_errors_match_torch(call):
    with pytest.raises(RuntimeError) as h:
        getattr(huoba.accelerator, call)()
    with pytest.raises(RuntimeError) as t:
        getattr(torch.accelerator, call)()
    assert str(h.value) == str(t.value)


def test_legacy_cuda_types_without_gpu_match_torch():
    assert repr(huoba.cuda.FloatTensor) == repr(torch.cuda.FloatTensor)
    with pytest.raises(TypeError) as h:
        huoba.cuda.LongTensor([1])
    with pytest.raises(TypeError) as t:
        torch.cuda.LongTensor([1])
    assert str(h.value) == str(t.value)
    assert not isinstance(huoba.ones(1), huoba.cuda.FloatTensor)


def test_pin_memory_without_gpu_matches_torch():
    with pytest.raises(RuntimeError) as h:
        huoba.ones(2).pin_memory()
    with pytest.raises(RuntimeError) as t:
        torch.ones(2).pin_memory()
    assert str(h.value) == str(t.value)
    assert huoba.ones(2).is_pinned() is torch.ones(2).is_pinned() is False
    assert huoba.ones(2).get_device() == torch.ones(2).get_device() == -1
    from huoba.utils.data import DataLoader, TensorDataset
    from torch.utils.data import DataLoader as TDataLoader, TensorDataset as TTensorDataset
    for lib, loader, ds in ((huoba, DataLoader, TensorDataset), (torch, TDataLoader, TTensorDataset)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batches = [b[0].tolist() for b in loader(ds(lib.arange(4.)), batch_size=2, pin_memory=True)]
        assert batches == [[0, 1], [2, 3]]
        assert [str(w.message) for w in caught] == ["'pin_memory' argument is set as true but no accelerator is "
                                                    "found, then device pinned memory won't be used."]


def test_device_strings_parse_like_torch():
    for s in ["cpu", "cuda", "cuda:0", "cuda:1"]:
        assert repr(huoba.device(s)) == repr(torch.device(s))
        assert str(huoba.device(s)) == str(torch.device(s))
    assert repr(huoba.device("cuda", 1)) == repr(torch.device("cuda", 1))
    with pytest.raises(RuntimeError) as h:
        huoba.device("gpu")
    with pytest.raises(RuntimeError) as t:
        torch.device("gpu")
    assert str(h.value).split(":")[0] == str(t.value).split(":")[0]


# ---- with the fake GPU: the huoba.cuda and huoba.accelerator API ------------------------------
def test_cuda_queries(gpu):
    assert huoba.cuda.is_available() and huoba.accelerator.is_available()
    assert huoba.cuda.device_count() == huoba.accelerator.device_count() == 2
    assert huoba.cuda.current_device() == huoba.accelerator.current_device_index() == 0
    assert huoba.cuda.get_device_name(0) == huoba.cuda.get_device_name("cuda:1") == "Fake CUDA Device"
    assert huoba.cuda.get_device_capability() == (8, 0)
    assert huoba.cuda.get_arch_list() == ["sm_80"]
    props = huoba.cuda.get_device_properties(huoba.device("cuda", 1))
    assert (props.name, props.major, props.minor, props.total_memory, props.multi_processor_count) == \
        ("Fake CUDA Device", 8, 0, 16 * 1024 ** 3, 108)
    assert repr(props).startswith("_CudaDeviceProperties(name='Fake CUDA Device', major=8, minor=0, "
                                  "total_memory=16384MB, multi_processor_count=108, uuid=")
    assert repr(props).endswith("L2_cache_size=40MB)")
    assert huoba.accelerator.current_accelerator() == huoba.device("cuda")
    assert huoba.accelerator.get_device_capability()["supported_dtypes"] >= {huoba.float32, huoba.int64}
    huoba.cuda.synchronize(), huoba.cuda.synchronize(1), huoba.accelerator.synchronize()
    huoba.cuda.empty_cache()
    assert huoba.cuda.memory_allocated() >= 0 and huoba.cuda.max_memory_allocated() >= 0
    assert huoba.cuda.memory_reserved() >= 0 and huoba.cuda.mem_get_info() == (15 * 1024 ** 3, 16 * 1024 ** 3)
    huoba.cuda.reset_peak_memory_stats()
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        huoba.cuda.set_device(5)
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        huoba.cuda.get_device_name(2)
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        huoba.cuda.set_device("cpu")
    start, end = huoba.cuda.Event(enable_timing=True), huoba.cuda.Event(enable_timing=True)
    start.record(), end.record()
    assert start.elapsed_time(end) >= 0
    huoba.cuda.current_stream().synchronize()


def test_current_device_selects_where_cuda_allocates(gpu):
    with huoba.cuda.device(1):
        assert huoba.cuda.current_device() == 1
        assert huoba.zeros(2, device="cuda").device == huoba.device("cuda:1")
        assert huoba.ones(2).cuda().device == huoba.device("cuda:1")
        assert huoba.ones(2).to("cuda").device == huoba.device("cuda:1")
        with huoba.cuda.device("cuda:0"):
            assert huoba.zeros(2, device="cuda").device.index == 0
        assert huoba.cuda.current_device() == 1
    assert huoba.cuda.current_device() == 0
    huoba.cuda.set_device(1)
    try:
        assert huoba.tensor([1.0], device="cuda").device.index == 1
        assert huoba.accelerator.current_device_index() == 1
    finally:
        huoba.cuda.set_device(0)
    with huoba.accelerator.device_index(1):
        assert huoba.cuda.current_device() == 1
    x = huoba.ones(2, device="cuda:1")
    with huoba.cuda.device_of(x):
        assert huoba.cuda.current_device() == 1
    # "cuda" in .to() is the current device (PyTorch resolves the index)
    assert x.to("cuda").device == huoba.device("cuda:0")
    assert x.to("cuda:1") is x


# ---- transfers and factories ---------------------------------------------------------------------
def test_transfers(gpu):
    x = huoba.arange(6.).view(2, 3)
    g = x.cuda()
    assert g.device == huoba.device("cuda:0") and g.is_cuda and not g.is_cpu and not x.is_cuda
    assert g.get_device() == 0 and x.get_device() == -1
    assert g.type() == "torch.cuda.FloatTensor" and g.long().type() == "torch.cuda.LongTensor"
    assert x.to("cuda").device.type == "cuda" and x.to("cuda:1").device.index == 1
    assert x.cuda(1).device.index == 1 and x.cuda("cuda:1").device.index == 1
    assert x.to(huoba.device("cuda", 1), huoba.float64).dtype == huoba.float64
    assert x.to(device="cuda:1", dtype=huoba.int32).device.index == 1
    assert g.to(x).device.type == "cpu" and x.to(g).device == g.device
    assert g.cuda() is g and g.to("cuda:0") is g and x.cpu() is x
    assert g.to("cuda:0", copy=True) is not g
    assert g.cuda(1).cuda(0).tolist() == x.tolist()                 # GPU to GPU
    back = g.cpu()
    assert back.device.type == "cpu"
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    assert g.to(huoba.float64).device == g.device and g.double().dtype == huoba.float64
    assert g[0, 1:].device == g.device and g.t().device == g.device and g.view(-1).device == g.device
    assert g.tolist() == x.tolist() and g[1, 2].item() == 5.0 and float(g.sum()) == 15.0
    assert g.clone().device == g.device and g.detach().device == g.device
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        assert huoba.tensor(g).device == g.device          # PyTorch keeps the source's device
    assert x.type("torch.cuda.DoubleTensor").device.type == "cuda" and g.type("torch.IntTensor").is_cpu
    assert x.type(huoba.cuda.LongTensor).type() == "torch.cuda.LongTensor"
    assert isinstance(g, huoba.cuda.FloatTensor) and not isinstance(g, huoba.FloatTensor)
    assert huoba.cuda.FloatTensor([1, 2]).device == huoba.device("cuda:0")
    import copy
    h = copy.deepcopy(huoba.ones(2, device="cuda:1"))
    assert h.device.index == 1


def test_transfers_are_differentiable(gpu):
    w = huoba.tensor([1.0, 2.0], requires_grad=True)
    y = (w.cuda(1) * 3).cpu().sum()
    assert w.cuda().grad_fn is not None and w.cuda().grad_fn.name() == "ToCopyBackward0"
    y.backward()
    assert w.grad.device.type == "cpu" and w.grad.tolist() == [3.0, 3.0]
    v = huoba.tensor([1.0, 2.0], device="cuda:1", requires_grad=True)
    (v.to("cuda:0") ** 2).sum().backward()
    assert v.grad.device == v.device and v.grad.tolist() == [2.0, 4.0]


FACTORIES = [
    ("zeros", lambda m, d: m.zeros(2, 3, device=d)), ("ones", lambda m, d: m.ones(2, device=d)),
    ("empty", lambda m, d: m.empty(2, device=d).fill_(1)), ("full", lambda m, d: m.full((2,), 7, device=d)),
    ("arange", lambda m, d: m.arange(5, device=d)), ("arange_f", lambda m, d: m.arange(0, 1, 0.25, device=d)),
    ("linspace", lambda m, d: m.linspace(0, 1, 5, device=d)), ("logspace", lambda m, d: m.logspace(0, 2, 3, device=d)),
    ("eye", lambda m, d: m.eye(3, device=d)), ("tensor", lambda m, d: m.tensor([[1, 2], [3, 4]], device=d)),
    ("as_tensor", lambda m, d: m.as_tensor([1.5, 2.5], device=d)),
    ("scalar", lambda m, d: m.scalar_tensor(2, device=d)),
    ("empty_strided", lambda m, d: m.empty_strided((2, 2), (2, 1), device=d).zero_()),
    ("rand", lambda m, d: m.rand(3, device=d)), ("randn", lambda m, d: m.randn(2, 2, device=d)),
    ("randint", lambda m, d: m.randint(0, 10, (4,), device=d)), ("randperm", lambda m, d: m.randperm(6, device=d)),
    ("normal", lambda m, d: m.normal(1.0, 2.0, (3,), device=d)),
    ("zeros_like", lambda m, d: m.zeros_like(m.ones(2), device=d)), ("full_like", lambda m, d: m.full_like(
        m.ones(2, device=d), 3)), ("ones_like", lambda m, d: m.ones_like(m.ones(2, device=d))),
    ("rand_like", lambda m, d: m.rand_like(m.ones(2, device=d))), ("randn_like", lambda m, d: m.randn_like(
        m.ones(2, device=d))), ("randint_like", lambda m, d: m.randint_like(m.ones(2, device=d), 5)),
    ("new_zeros", lambda m, d: m.ones(1, device=d).new_zeros(2)),
    ("new_ones", lambda m, d: m.ones(1, device=d).new_ones(2)),
    ("new_full", lambda m, d: m.ones(1, device=d).new_full((2,), 4.0)),
    ("new_tensor", lambda m, d: m.ones(1, device=d).new_tensor([1, 2])),
    ("new_empty", lambda m, d: m.ones(1, device=d).new_empty(2).zero_()),
    ("bernoulli", lambda m, d: m.bernoulli(m.full((5,), 0.5, device=d))),
    ("multinomial", lambda m, d: m.multinomial(m.tensor([0.2, 0.3, 0.5], device=d), 2)),
    ("normal_t", lambda m, d: m.normal(m.zeros(3, device=d), m.ones(3, device=d))),
    ("uniform_", lambda m, d: m.empty(4, device=d).uniform_(-1, 1)),
    ("normal_", lambda m, d: m.empty(4, device=d).normal_()),
    ("bernoulli_", lambda m, d: m.empty(4, device=d).bernoulli_(0.3)),
    ("random_", lambda m, d: m.empty(4, device=d).random_(0, 9)),
    ("exponential_", lambda m, d: m.empty(4, device=d).exponential_()),
]


@pytest.mark.parametrize("name,make", FACTORIES, ids=[f[0] for f in FACTORIES])
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_factories_take_device(gpu, name, make, device):
    huoba.manual_seed(0)
    ref = make(huoba, "cpu")
    huoba.manual_seed(0)
    out = make(huoba, device)
    assert out.device == huoba.device(device if device != "cuda" else "cuda:0")
    assert out.dtype == ref.dtype and out.shape == ref.shape
    # GPU random numbers come from the GPU's own generator, seeded alike by manual_seed
    np.testing.assert_array_equal(_np(out), _np(ref))


def test_factories_match_torch_values_and_dtypes(gpu):
    for name, make in FACTORIES:
        if name in ("empty", "new_empty", "empty_strided"):
            continue
        huoba.manual_seed(1)
        torch.manual_seed(1)
        h, t = make(huoba, "cuda"), make(torch, "cpu")
        assert str(h.dtype) == str(t.dtype), name
        if "rand" not in name and name not in ("normal", "normal_t", "normal_", "bernoulli", "multinomial",
                                                 "bernoulli_", "uniform_", "exponential_"):
            np.testing.assert_allclose(_np(h), t.numpy(), rtol=1e-6, err_msg=name)


# ---- random numbers --------------------------------------------------------------------------------
def test_gpu_random_stream_is_its_own(gpu):
    huoba.manual_seed(0)
    torch.manual_seed(0)
    huoba.randn(5, device="cuda")      # draws from the GPU's generator...
    huoba.rand(3, device="cuda:1")
    huoba.nn.functional.dropout(huoba.ones(8, device="cuda"), 0.5)
    np.testing.assert_array_equal(huoba.randn(4).numpy(), torch.randn(4).numpy())  # ...not the CPU's
    huoba.cuda.manual_seed_all(7)
    np.testing.assert_array_equal(huoba.randn(4).numpy(), torch.randn(4).numpy())
    huoba.cuda.manual_seed(7)
    a = huoba.randn(3, device="cuda")
    huoba.cuda.manual_seed(7)
    assert huoba.randn(3, device="cuda").tolist() == a.tolist()
    state = huoba.cuda.get_rng_state()
    b = huoba.rand(3, device="cuda")
    huoba.cuda.set_rng_state(state)
    assert huoba.rand(3, device="cuda").tolist() == b.tolist()
    assert len(huoba.cuda.default_generators) == 2 and len(huoba.cuda.get_rng_state_all()) == 2
    huoba.manual_seed(3)
    assert huoba.cuda.initial_seed() == 3


def test_dropout_on_gpu_is_reproducible(gpu):
    x = huoba.ones(4, 6, device="cuda")
    huoba.manual_seed(5)
    a = F.dropout(x, 0.5)
    huoba.manual_seed(5)
    b = F.dropout(x, 0.5)
    huoba.manual_seed(5)
    c = F.dropout(huoba.ones(4, 6), 0.5)
    assert a.device == x.device and a.tolist() == b.tolist() == c.tolist()
    assert set(np.unique(_np(a))) <= {0.0, 2.0}


# ---- printing, .numpy(), .item() ---------------------------------------------------------------
def _torch_repr_on(t, device):
    """torch's repr of CPU tensor `t` as it prints on `device` (the device comes first among the suffixes)."""
    r = repr(t)
    for key in (", dtype=", ", requires_grad=", ", grad_fn="):
        i = r.find(key)
        if i >= 0:
            return r[:i] + f", device='{device}'" + r[i:]
    return r[:-1] + f", device='{device}')"


@pytest.mark.parametrize("make", [lambda m: m.arange(6.).view(2, 3), lambda m: m.tensor([1, 2], dtype=m.int32),
                                  lambda m: m.tensor(3.5), lambda m: m.zeros(0), lambda m: m.tensor([True, False]),
                                  lambda m: m.linspace(-1e5, 1e5, 7, dtype=m.float64)])
def test_repr_matches_torch(gpu, make):
    assert repr(make(huoba).cuda()) == _torch_repr_on(make(torch), "cuda:0")
    assert str(make(huoba).cuda(1)) == _torch_repr_on(make(torch), "cuda:1")


def test_repr_with_autograd_suffixes(gpu):
    w = huoba.ones(2, device="cuda", requires_grad=True)
    tw = torch.ones(2, requires_grad=True)
    assert repr(w) == _torch_repr_on(tw, "cuda:0")
    assert repr(w * 2) == _torch_repr_on(tw * 2, "cuda:0")


def test_numpy_on_cuda_tensor_raises_torch_error(gpu):
    g = huoba.ones(2).cuda()
    with pytest.raises(TypeError) as err:
        g.numpy()
    assert str(err.value) == ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the "
                              "tensor to host memory first.")
    with pytest.raises(TypeError, match="can't convert cuda:1 device type tensor"):
        huoba.ones(2, device="cuda:1").numpy()
    assert np.asarray(g).tolist() == [1.0, 1.0]   # __array__ copies to the host (what torch does too)
    assert g.numpy(force=True).tolist() == [1.0, 1.0]
    assert huoba.tensor(2.5, device="cuda").item() == 2.5 and f"{huoba.tensor(2.5, device='cuda'):.2f}" == "2.50"
    assert bool(huoba.tensor([1], device="cuda")) and int(huoba.tensor(3, device="cuda:1")) == 3


# ---- mixed devices: PyTorch's errors ---------------------------------------------------------------
def _mixed_cases():
    c, g, g1 = "cpu", "cuda:0", "cuda:1"
    iter_msg = "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"

    def same(name, dev, common, method):
        return (f"Expected all tensors to be on the same device, but got {name} is on {dev}, different from other "
                f"tensors on {common} (when checking argument in method {method})")

    def t(dev, *shape, **kw):
        return lambda: huoba.ones(*shape, **kw).to(dev)

    return [
        ("add_cpu_cuda", lambda a, b: a + b, (t(c, 3), t(g, 3)), iter_msg.format(g, c)),
        ("mul_cuda_cpu", lambda a, b: a * b, (t(g, 3), t(c, 3)), iter_msg.format(g, c)),
        ("sub_two_gpus", lambda a, b: a - b, (t(g, 3), t(g1, 3)), iter_msg.format(g, g1)),
        ("iadd", lambda a, b: a.add_(b), (t(g, 3), t(c, 3)), iter_msg.format(g, c)),
        ("pow", lambda a, b: a ** b, (t(c, 3), t(g, 3)), iter_msg.format(g, c)),
        ("eq", lambda a, b: a == b, (t(g, 3), t(c, 3)), iter_msg.format(g, c)),
        ("maximum", lambda a, b: huoba.maximum(a, b), (t(g, 3), t(c, 3)), iter_msg.format(g, c)),
        ("where", lambda a, b: huoba.where(a > 0, a, b), (t(g, 3), t(c, 3)), iter_msg.format(g, c)),
        ("where_cond", lambda a, b: huoba.where(b > 0, a, a), (t(g, 3), t(c, 3)), iter_msg.format(g, c)),
        ("lerp", lambda a, b: huoba.lerp(a, b, 0.5), (t(g, 3), t(c, 3)), iter_msg.format(g, c)),
        ("addcmul", lambda a, b: huoba.addcmul(a, a, b), (t(g, 3), t(c, 3)), iter_msg.format(g, c)),
        ("mse_loss", lambda a, b: F.mse_loss(a, b), (t(g, 3), t(c, 3)), iter_msg.format(g, c)),
        ("l1_loss", lambda a, b: F.l1_loss(a, b), (t(c, 3), t(g, 3)), iter_msg.format(g, c)),
        ("cat", lambda a, b: huoba.cat([a, b]), (t(c, 3), t(g, 3)), same("tensors", g, c, "wrapper_CUDA_cat")),
        ("cat_rev", lambda a, b: huoba.cat([a, b]), (t(g, 3), t(c, 3)), same("tensors", c, g, "wrapper_CUDA_cat")),
        ("stack", lambda a, b: huoba.stack([a, b]), (t(g, 3), t(g1, 3)), same("tensors", g1, g, "wrapper_CUDA_cat")),
        ("dot", lambda a, b: a @ b, (t(c, 3), t(g, 3)), same("tensor", g, c, "wrapper_CUDA__dot")),
        ("mm", lambda a, b: a @ b, (t(g, 2, 3), t(c, 3, 2)), same("mat2", c, g, "wrapper_CUDA_mm")),
        ("mm_fn", lambda a, b: huoba.mm(a, b), (t(c, 2, 3), t(g, 3, 2)), same("mat2", g, c, "wrapper_CUDA_mm")),
        ("mv", lambda a, b: a @ b, (t(g, 2, 3), t(c, 3)), same("mat", g, c, "wrapper_CUDA_addmv_")),
        ("bmm", lambda a, b: huoba.bmm(a, b), (t(g, 2, 2, 3), t(c, 2, 3, 2)), same("mat2", c, g, "wrapper_CUDA_bmm")),
        ("matmul_3d", lambda a, b: a @ b, (t(g, 2, 2, 3), t(c, 2, 3, 2)), same("mat2", c, g, "wrapper_CUDA_bmm")),
        ("addmm", lambda a, b: huoba.addmm(a, b, b.t()), (t(g, 2, 2), t(c, 2, 3)),
         same("mat1", c, g, "wrapper_CUDA_addmm")),
        ("linear", lambda a, b: F.linear(a, b, b[:, 0]), (t(c, 4, 3), t(g, 2, 3)),
         same("mat1", c, g, "wrapper_CUDA_addmm")),
        ("linear_nobias", lambda a, b: F.linear(a, b), (t(c, 4, 3), t(g, 2, 3)), same("mat2", g, c, "wrapper_CUDA_mm")),
        ("index_select", lambda a, b: a.index_select(0, b.long()), (t(g, 3), t(c, 2)),
         same("index", c, g, "wrapper_CUDA__index_select")),
        ("gather", lambda a, b: a.gather(0, b.long()), (t(g, 3), t(c, 2)), same("index", c, g, "wrapper_CUDA_gather")),
        ("scatter_add", lambda a, b: a.scatter_add(0, b.long(), b), (t(g, 3), t(c, 2)),
         same("index", c, g, "wrapper_CUDA_scatter_add")),
        ("index_add", lambda a, b: a.index_add(0, b.long(), b), (t(g, 3), t(c, 2)),
         same("index", c, g, "wrapper_CUDA_index_add")),
        ("embedding", lambda a, b: F.embedding(b.long(), a), (t(g, 3, 4), t(c, 2)),
         same("index", c, g, "wrapper_CUDA__index_select")),
        ("cross_entropy", lambda a, b: F.cross_entropy(a, b.long()), (t(g, 2, 3), t(c, 2)),
         same("target", c, g, "wrapper_CUDA_nll_loss_forward")),
        ("nll_loss", lambda a, b: F.nll_loss(a, b.long()), (t(c, 2, 3), t(g, 2)),
         same("target", g, c, "wrapper_CUDA_nll_loss_forward")),
        ("bce", lambda a, b: F.binary_cross_entropy(a * 0.5, b * 0.5), (t(g, 3), t(c, 3)),
         same("target", c, g, "wrapper_CUDA__binary_cross_entropy")),
        ("masked_fill", lambda a, b: a.masked_fill(b > 0, 0.0), (t(g, 3), t(c, 3)),
         "expected self and mask to be on the same device, but got mask on cpu and self on cuda:0"),
        ("index_with_gpu_indices", lambda a, b: a[b.long()], (t(c, 3), t(g, 2)),
         "indices should be either on cpu or on the same device as the indexed tensor (cpu)"),
        ("conv2d_cpu_input", lambda a, b: F.conv2d(a, b), (t(c, 1, 1, 4, 4), t(g, 2, 1, 3, 3)),
         "Input type (torch.FloatTensor) and weight type (torch.cuda.FloatTensor) should be the same or input "
         "should be a MKLDNN tensor and weight is a dense tensor"),
        ("conv2d_cpu_weight", lambda a, b: F.conv2d(a, b), (t(g, 1, 1, 4, 4), t(c, 2, 1, 3, 3)),
         "Input type (torch.cuda.FloatTensor) and weight type (torch.FloatTensor) should be the same"),
        ("conv2d_cpu_bias", lambda a, b: F.conv2d(a, b, b[:, 0, 0, 0].cpu()), (t(g, 1, 1, 4, 4), t(g, 2, 1, 3, 3)),
         "Input type (torch.cuda.FloatTensor) and bias type (torch.FloatTensor) should be the same"),
        ("batch_norm", lambda a, b: F.batch_norm(a, b, b + 1, training=True), (t(c, 2, 3), t(g, 3)),
         same("running_mean", g, c, "wrapper_CUDA___batch_norm_with_update")),
        ("layer_norm", lambda a, b: F.layer_norm(a, (3,), b), (t(g, 2, 3), t(c, 3)),
         same("weight", c, g, "wrapper_CUDA__native_layer_norm")),
    ]


MIXED = _mixed_cases()


@pytest.mark.parametrize("grad", [False, True], ids=["nograd", "grad"])
@pytest.mark.parametrize("name,fn,makers,message", MIXED, ids=[m[0] for m in MIXED])
def test_mixed_devices_raise_torch_errors(gpu, name, fn, makers, message, grad):
    a, b = (m() for m in makers)
    if grad:
        a.requires_grad_()
    with pytest.raises(RuntimeError) as err:
        fn(a, b)
    assert str(err.value) == message


def test_modules_on_the_wrong_device_raise_torch_errors(gpu):
    lin = huoba.nn.Linear(3, 2).cuda()
    with pytest.raises(RuntimeError) as err:
        lin(huoba.ones(4, 3))
    assert str(err.value) == ("Expected all tensors to be on the same device, but got mat1 is on cpu, different from "
                              "other tensors on cuda:0 (when checking argument in method wrapper_CUDA_addmm)")
    conv = huoba.nn.Conv2d(1, 2, 3).cuda()
    with pytest.raises(RuntimeError, match=r"^Input type \(torch.FloatTensor\) and weight type "
                                           r"\(torch.cuda.FloatTensor\) should be the same"):
        conv(huoba.ones(1, 1, 5, 5))


def test_cpu_scalar_tensors_mix_with_gpu_tensors(gpu):
    """Like PyTorch's TensorIterator, a 0-d CPU tensor is a scalar to a GPU op (and gets its gradient)."""
    x = huoba.tensor([1.0, 2.0], device="cuda:1", requires_grad=True)
    s = huoba.tensor(3.0, requires_grad=True)
    for out in (x * s, s * x, huoba.where(x > 1, x, s), x.add(s, alpha=2), huoba.maximum(x, s)):
        assert out.device == x.device
    y = (x * s).sum()
    y.backward()
    assert x.grad.tolist() == [3.0, 3.0] and s.grad.device.type == "cpu" and s.grad.item() == 3.0
    with huoba.no_grad():
        assert (x + huoba.tensor(1.0)).tolist() == [2.0, 3.0]
        assert huoba.tensor([1.0, 2.0], device="cuda")[huoba.tensor([1])].tolist() == [2.0]  # CPU indices
    v = huoba.zeros(3, device="cuda")
    v[huoba.tensor([0, 2])] = huoba.tensor(5.0)          # a CPU scalar value
    v[1:] = huoba.tensor([7.0, 6.0])                      # basic indexing: copy_ across devices
    assert v.tolist() == [5.0, 7.0, 6.0]
    with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cpu!"):
        v[huoba.tensor([0, 2])] = huoba.tensor([5.0, 6.0])
    v.copy_(huoba.tensor([1.0, 2.0, 3.0]))
    assert v.device.type == "cuda" and v.tolist() == [1.0, 2.0, 3.0]


# ---- every op on a GPU that is not the current one ---------------------------------------------------
def _seq(t, dev):
    return huoba.tensor(t).to(dev)


OPS = {
    "arith": lambda a, b: (a + b) * (a - b) / (b.abs() + 1) + a ** 2 - (-b) % 3 + a.abs() ** b.sigmoid(),
    "compare": lambda a, b: (a > b).float() + (a <= b).float() * a + (a == a).float() * b,
    "unary": lambda a, b: a.exp() + b.tanh() + a.sin() + b.cos() + a.sigmoid() + b.relu() + (a.abs() + 1).log()
    + (b.abs() + 1).sqrt() + a.floor() + b.round() + a.sign() * b.frac() + a.erf() + b.clamp(-1, 1),
    "special": lambda a, b: huoba.erfinv(a.tanh() * 0.9) + huoba.lgamma(b.abs() + 1) + huoba.digamma(a.abs() + 1),
    "matmul": lambda a, b: a @ b.t() + huoba.mm(a, b.t()) + huoba.addmm(a @ b.t(), a, b.t()),
    "bmm": lambda a, b: huoba.bmm(a.unsqueeze(0), b.t().unsqueeze(0)) + huoba.einsum("ij,kj->ik", a, b),
    "mv_dot": lambda a, b: huoba.mv(a, b[0]).sum() + huoba.dot(a[0], b[0]) + huoba.outer(a[0], b[1]).sum() + a,
    "reductions": lambda a, b: a.sum(0) + b.mean(0) + a.max(0)[0] + b.min(0).values + a.prod(0) + b.var(0)
    + a.std(0) + b.logsumexp(0) + a.norm(dim=0) + b.amax(0) + a.median(0)[0] + b.cumsum(0)[-1],
    "indices": lambda a, b: a.argmax(1).float() + b.argsort(1)[:, 0].float() + a.sort(1)[0][:, 0]
    + b.topk(2, 1)[0][:, 1] + a.kthvalue(2, 1)[0],
    "shape": lambda a, b: huoba.cat([a, b]).view(2, 3, 4).permute(1, 0, 2).reshape(3, 8)[:, :4] + huoba.stack(
        [a, b]).sum(0) + a.flip(0) + b.roll(1, 1) + a.t().t() + b.tril() + a.repeat(1, 2)[:, :4]
    + a.unsqueeze(0).squeeze(0) + F.pad(b, (1, 1))[:, 1:-1] + a.expand(2, 3, 4)[1],
    "index": lambda a, b: a[_seq([0, 2], a.device)].sum(0) + a[b > 0].sum() + a.index_select(1, _seq(
        [1, 0, 3, 2], a.device)) + a.gather(1, _seq([[0], [1], [2]], a.device)) + a.masked_fill(b > 1, 0.5)
    + a.scatter_add(1, _seq([[0, 1, 1, 0]] * 3, a.device), b) + a.index_add(0, _seq([0, 2], a.device), b[:2])[0]
    + huoba.where(a > 0, a, b),
    "setitem": lambda a, b: _setitem(a, b),
    "losses": lambda a, b: F.mse_loss(a, b) + F.l1_loss(a, b) + F.smooth_l1_loss(a, b) + F.huber_loss(a, b)
    + F.cross_entropy(a, _seq([0, 3, 1], a.device)) + F.nll_loss(b.log_softmax(1), _seq([1, 1, 2], a.device))
    + F.binary_cross_entropy(a.sigmoid(), b.sigmoid()) + F.binary_cross_entropy_with_logits(a, b.sigmoid())
    + F.kl_div(a.log_softmax(1), b.softmax(1), reduction="batchmean") + F.cross_entropy(a, b.softmax(1)),
    "activations": lambda a, b: F.gelu(a) + F.silu(b) + F.elu(a) + F.leaky_relu(b) + F.softplus(a) + F.hardtanh(b)
    + F.selu(a) + F.mish(b) + F.softmax(a, 1) + F.log_softmax(b, 1) + F.normalize(a) + F.layer_norm(b, (4,)),
    "embedding": lambda a, b: F.embedding(_seq([[0, 2], [1, 1]], a.device), a).sum((0, 1)) + F.one_hot(
        _seq([0, 3, 1], a.device), 4).float() + b,
    "creation_like": lambda a, b: huoba.zeros_like(a) + huoba.ones_like(b) + a.new_zeros(3, 4)
    + a.new_tensor([1.0, 2.0, 3.0, 4.0]) + huoba.full_like(a, 2.0) + b,
    "conv_pool": lambda a, b: _conv_pool(a, b),
    "batch_norm": lambda a, b: F.batch_norm(a, b[0] * 0, b[1].abs() + 1, a[0], b[2], training=True) + F.batch_norm(
        b, a[1], a[2].abs() + 1),
    "misc": lambda a, b: huoba.unique(a.round()).sum() + (a > 0).nonzero().float().sum() + H_histc(a) + b
    + huoba.bucketize(a, _seq([-1.0, 0.0, 1.0], a.device)).float() + huoba.searchsorted(a.sort(1)[0], b).float(),
}


def H_histc(a):
    return huoba.histc(a, 4).sum() + huoba.bincount(_seq([0, 1, 1], a.device)).float().sum()


def _setitem(a, b):
    c = a.clone()
    c[0] = b[1]
    c[1:, 2] = 3.0
    c[_seq([2], a.device)] = b[0]
    c[c > 1.5] = 0.0
    return c


def _conv_pool(a, b):
    x = a.reshape(1, 1, 3, 4).repeat(2, 2, 2, 2)                          # (2, 2, 6, 8)
    w = b.reshape(-1)[:9].reshape(1, 1, 3, 3).repeat(2, 2, 1, 1)           # (2, 2, 3, 3)
    y = F.conv2d(x, w, b[0, :2], padding=1)
    y = F.max_pool2d(y, 2) + F.avg_pool2d(y, 2)
    z = F.adaptive_avg_pool2d(y, 1).flatten() + F.conv_transpose2d(x, w.transpose(0, 1)).mean()
    return z.sum() + a


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("device", ["cuda:0", "cuda:1"])
def test_ops_on_gpu_match_cpu(gpu, name, device):
    """Forward and backward of a broad set of ops on a GPU (cuda:1 while the current device is 0,
    as PyTorch allows) equal the CPU's, with results and gradients on the tensors' device."""
    fn = OPS[name]
    r = np.random.default_rng(0)
    a0 = r.uniform(-2, 2, (3, 4)).astype(np.float32)
    b0 = r.uniform(-2, 2, (3, 4)).astype(np.float32)
    results = {}
    for dev in ("cpu", device):
        for grad in (False, True):
            a = huoba.tensor(a0, device=dev, requires_grad=grad)
            b = huoba.tensor(b0, device=dev, requires_grad=grad)
            out = fn(a, b)
            assert out.device == huoba.device(dev)
            grads = None
            if grad:
                out.sum().backward()
                assert all(t.grad is None or t.grad.device == t.device for t in (a, b))
                grads = tuple(None if t.grad is None else _np(t.grad) for t in (a, b))
            results[dev, grad] = (_np(out), grads)
    assert huoba.cuda.current_device() == 0
    for grad in (False, True):
        ref, got = results["cpu", grad], results[device, grad]
        np.testing.assert_allclose(got[0], ref[0], rtol=1e-5, atol=1e-5)
        if grad:
            for g, r in zip(got[1], ref[1]):
                assert (g is None) == (r is None)
                if r is not None:
                    np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5)


def test_no_grad_and_inplace_on_other_gpu(gpu):
    x = huoba.arange(6.0, device="cuda:1").view(2, 3)
    with huoba.no_grad():
        x.mul_(2).add_(1).clamp_(max=9.0)
        x[0].fill_(-1)
        x.div_(huoba.tensor(2.0, device="cuda:1"))
        y = x.exp().sum(1).max()
    assert x.tolist() == [[-0.5, -0.5, -0.5], [3.5, 4.5, 4.5]] and y.device.index == 1
    assert huoba.cuda.current_device() == 0


# ---- modules, training, optimizers -----------------------------------------------------------------
def lenet(nn):
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 12, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(192, 120), nn.ReLU(), nn.Linear(120, 60),
                         nn.ReLU(), nn.Linear(60, 10))


def test_module_cuda_and_to_move_in_place(gpu):
    net = huoba.nn.Sequential(huoba.nn.Linear(3, 4), huoba.nn.BatchNorm1d(4), huoba.nn.Dropout(0.2))
    params = list(net.parameters())
    assert net.cuda() is net
    assert [p for p in net.parameters()] == params and all(a is b for a, b in zip(net.parameters(), params))
    assert all(p.is_cuda and isinstance(p, huoba.nn.Parameter) and p.requires_grad for p in net.parameters())
    assert all(b.is_cuda for b in net.buffers())
    assert net.to("cuda:1") is net and all(t.device.index == 1 for t in list(net.parameters()) + list(net.buffers()))
    assert net[1].num_batches_tracked.device.index == 1 and net[1].num_batches_tracked.dtype == huoba.int64
    net.to(huoba.device("cuda", 0), huoba.float64)
    assert all(p.dtype == huoba.float64 and p.device.index == 0 for p in net.parameters())
    net.float().cpu()
    assert all(p.device.type == "cpu" and p.dtype == huoba.float32 for p in net.parameters())
    assert all(a is b for a, b in zip(net.parameters(), params))
    net.cuda(1)
    out = net(huoba.randn(5, 3, device="cuda:1"))
    out.sum().backward()
    assert out.device.index == 1 and all(p.grad.device.index == 1 for p in net.parameters())
    net.cpu()   # gradients move along with their parameters
    assert all(p.grad.device.type == "cpu" for p in net.parameters())
    sd = net.cuda().state_dict()
    assert all(v.is_cuda for v in sd.values())
    cpu_net = huoba.nn.Sequential(huoba.nn.Linear(3, 4), huoba.nn.BatchNorm1d(4), huoba.nn.Dropout(0.2))
    cpu_net.load_state_dict(sd)   # copies across devices, the module stays where it is
    assert all(p.device.type == "cpu" for p in cpu_net.parameters())
    np.testing.assert_array_equal(cpu_net[0].weight.detach().numpy(), _np(net[0].weight))


@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_lenet_training_matches_cpu(gpu, device, opt_name):
    huoba.manual_seed(0)
    cpu_net = lenet(huoba.nn)
    gpu_net = lenet(huoba.nn)
    gpu_net.load_state_dict(cpu_net.state_dict())
    same = gpu_net.to(device)
    assert same is gpu_net and all(p.is_cuda for p in gpu_net.parameters())
    x, y = huoba.randn(8, 1, 28, 28), huoba.randint(0, 10, (8,))
    results = []
    for net, dev in ((cpu_net, "cpu"), (gpu_net, device)):
        opt = (huoba.optim.SGD(net.parameters(), lr=0.1, momentum=0.9) if opt_name == "SGD"
               else huoba.optim.Adam(net.parameters(), lr=1e-3))
        for _ in range(2):
            loss = F.cross_entropy(net(x.to(dev)), y.to(dev))
            opt.zero_grad()
            loss.backward()
            opt.step()
        results.append({k: _np(v) for k, v in net.state_dict().items()})
        assert loss.device.type == huoba.device(dev).type
        for state in opt.state.values():   # optimizer state lives with its parameter
            for k, v in state.items():
                if isinstance(v, huoba.Tensor) and v.dim():
                    assert v.device.type == huoba.device(dev).type, k
    assert huoba.cuda.current_device() == 0
    for k in results[0]:
        np.testing.assert_allclose(results[0][k], results[1][k], rtol=1e-5, atol=1e-6)


def test_optimizer_state_dict_follows_params(gpu, tmp_path):
    w = huoba.nn.Parameter(huoba.randn(3, device="cuda:1"))
    opt = huoba.optim.Adam([w], lr=0.1)
    (w ** 2).sum().backward()
    opt.step()
    huoba.save(opt.state_dict(), tmp_path / "opt.pth")
    sd = huoba.load(tmp_path / "opt.pth", map_location="cpu")
    assert sd["state"][0]["exp_avg"].device.type == "cpu"
    w2 = huoba.nn.Parameter(w.detach().clone())
    opt2 = huoba.optim.Adam([w2], lr=0.1)
    opt2.load_state_dict(sd)     # state is moved to the parameter's device, as in PyTorch
    assert opt2.state[w2]["exp_avg"].device == w2.device
    (w2 ** 2).sum().backward()
    opt2.step()


def test_other_optimizers_on_gpu(gpu):
    for name, kw in (("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)), ("AdamW", {}),
                     ("RMSprop", dict(momentum=0.5)), ("Adagrad", {}), ("Adadelta", {})):
        ref = None
        for dev in ("cpu", "cuda:1"):
            huoba.manual_seed(0)
            w = huoba.nn.Parameter(huoba.randn(4, device=dev))
            opt = getattr(huoba.optim, name)([w], **kw)
            for _ in range(3):
                opt.zero_grad()
                ((w - 1) ** 2).sum().backward()
                opt.step()
            if ref is None:
                ref = _np(w)
            else:
                np.testing.assert_allclose(_np(w), ref, rtol=1e-6, err_msg=name)


def test_lr_scheduler_and_grad_clipping_on_gpu(gpu):
    net = huoba.nn.Linear(3, 2).cuda(1)
    opt = huoba.optim.SGD(net.parameters(), lr=0.5)
    sched = huoba.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    net(huoba.ones(2, 3, device="cuda:1")).sum().backward()
    total = huoba.nn.utils.clip_grad_norm_(net.parameters(), 0.1)
    assert total.device.index == 1
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.25


# ---- save / load --------------------------------------------------------------------------------
def _locations(path):
    with zipfile.ZipFile(path) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    return [arg for op, arg, _ in pickletools.genops(data) if op.name == "BINUNICODE" and
            arg.startswith(("cpu", "cuda"))]


def test_save_keeps_device_and_load_restores_it(gpu, tmp_path):
    path = tmp_path / "w.pth"
    huoba.save({"a": huoba.arange(4.).cuda(), "b": huoba.ones(2, device="cuda:1"), "c": huoba.zeros(1)}, path)
    assert _locations(path) == ["cuda:0", "cuda:1", "cpu"]
    loaded = huoba.load(path)
    assert [str(loaded[k].device) for k in "abc"] == ["cuda:0", "cuda:1", "cpu"]
    assert loaded["a"].tolist() == [0, 1, 2, 3]
    for loc in ("cpu", huoba.device("cpu"), {"cuda:0": "cpu", "cuda:1": "cpu"}, lambda storage, loc: storage):
        out = huoba.load(path, map_location=loc)
        assert [str(out[k].device) for k in "abc"] == ["cpu", "cpu", "cpu"], loc
    out = huoba.load(path, map_location="cuda:1")
    assert [str(out[k].device) for k in "abc"] == ["cuda:1", "cuda:1", "cuda:1"]
    out = huoba.load(path, map_location={"cuda:0": "cuda:1"})
    assert [str(out[k].device) for k in "abc"] == ["cuda:1", "cuda:1", "cpu"]
    out = huoba.load(path, map_location=lambda storage, loc: storage.cuda(0))
    assert [str(out[k].device) for k in "abc"] == ["cuda:0", "cuda:0", "cuda:0"]
    # a real PyTorch CPU build reads it with map_location too
    loaded = torch.load(path, map_location="cpu", weights_only=True)
    assert loaded["a"].tolist() == [0, 1, 2, 3] and loaded["b"].tolist() == [1, 1]


def test_gpu_checkpoint_without_gpu_raises_torch_error(tmp_path):
    path = tmp_path / "g.pth"
    with fake_cupy.installed():
        huoba.save(huoba.nn.Linear(2, 2).cuda().state_dict(), path)
    with pytest.raises(RuntimeError) as h:
        huoba.load(path)
    with pytest.raises(RuntimeError) as t:
        torch.load(path, weights_only=True)
    assert str(h.value) == str(t.value)
    sd = huoba.load(path, map_location="cpu")
    huoba.nn.Linear(2, 2).load_state_dict(sd)


def test_torch_cuda_pickle_reads_on_fake_gpu(gpu, tmp_path):
    """torch.save of CPU tensors loads onto the GPU with map_location, and module state goes there too."""
    path = tmp_path / "t.pth"
    torch.save({"w": torch.arange(3.0)}, path)
    out = huoba.load(path, map_location="cuda:1")
    assert out["w"].device == huoba.device("cuda:1") and out["w"].tolist() == [0.0, 1.0, 2.0]


# ---- data loading -------------------------------------------------------------------------------
def test_dataloader_pin_memory(gpu):
    from huoba.utils.data import DataLoader, TensorDataset
    ds = TensorDataset(huoba.arange(4.), huoba.tensor([0, 1, 0, 1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batches = list(DataLoader(ds, batch_size=2, pin_memory=True))
    assert [b[0].tolist() for b in batches] == [[0, 1], [2, 3]]
    assert all(t.is_pinned() and t.device.type == "cpu" for b in batches for t in b)
    x = huoba.ones(3)
    p = x.pin_memory()
    assert p.is_pinned() and not x.is_pinned() and p.tolist() == x.tolist() and p.data_ptr() != x.data_ptr()
    assert p.to("cuda", non_blocking=True).is_cuda
    with pytest.raises(RuntimeError, match="cannot pin 'torch.cuda.FloatTensor' only dense CPU tensors can be pinned"):
        huoba.ones(2, device="cuda").pin_memory()


# ---- the op table on the fake GPU (tests/ops/_optable.py drives tests/ops/test_*.py) ----------------
class _CudaByDefault(types.ModuleType):
    """huoba as seen by the op-table tests, with factories making tensors on the GPU."""

    FACTORIES = ("tensor", "as_tensor", "zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye",
                 "rand", "randn", "randint", "randperm", "scalar_tensor")

    def __init__(self):
        super().__init__("huoba_on_cuda")

    def __getattr__(self, name):
        obj = getattr(huoba, name)
        if name in self.FACTORIES:
            def make(*args, **kwargs):
                kwargs.setdefault("device", "cuda:1")
                if kwargs["device"] is None:
                    kwargs["device"] = "cuda:1"
                return obj(*args, **kwargs)
            return make
        return obj


@pytest.fixture
def optable_on_gpu(gpu, monkeypatch):
    """Run op-table tests with every huoba input on cuda:1 (current device 0), against PyTorch on the CPU."""
    monkeypatch.syspath_prepend(OPS_TESTS)
    pytest.importorskip("hypothesis")
    import _optable
    monkeypatch.setattr(_optable, "huoba", _CudaByDefault())
    yield


def _optable_cases():
    """(module, test function, kwargs): a representative part of tests/ops."""
    unary = ["abs", "exp", "log", "sqrt", "sin", "tanh", "sigmoid", "erf", "erfinv", "lgamma", "digamma", "floor",
             "round", "sign", "relu", "reciprocal", "logit", "nan_to_num", "frac"]
    binary = ["add", "sub", "mul", "div", "pow", "maximum", "atan2", "remainder", "fmod", "hypot"]
    cases = [("test_pointwise", "test_unary_function", dict(name=n, low=lo, high=hi))
             for n, lo, hi in [("abs", -2, 2), ("exp", -2, 2), ("log", 0.1, 3), ("sqrt", 0.1, 3), ("sin", -3, 3),
                               ("tanh", -2, 2), ("sigmoid", -4, 4), ("erf", -2, 2), ("erfinv", -0.9, 0.9),
                               ("lgamma", 0.2, 3), ("digamma", 0.2, 3), ("floor", -3, 3), ("round", -3, 3),
                               ("sign", -2, 2), ("relu", -2, 2), ("reciprocal", 0.3, 2), ("logit", 0.1, 0.9),
                               ("nan_to_num", -2, 2), ("frac", -3, 3)]]
    assert len(cases) == len(unary)
    cases += [("test_pointwise", "test_binary", dict(name=n, shapes=s)) for n in binary
              for s in (((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (3,)))]
    cases += [("test_pointwise", n, {}) for n in (
        "test_unary_special_values", "test_div_rounding_modes", "test_integer_division_by_zero",
        "test_float16_arithmetic", "test_uint8_int8_mixing_and_wraparound", "test_alpha_rules", "test_where",
        "test_clamp", "test_lerp_addcmul_addcdiv", "test_error_messages", "test_inplace_dtype_rules",
        "test_inplace_method_family", "test_second_order_gradients", "test_maximum_minimum_ties_split_the_gradient")]
    cases += [("test_pointwise", "test_dtype_promotion_matrix", dict(name=n)) for n in ("add", "mul", "truediv", "eq")]
    cases += [("test_pointwise", "test_comparisons", dict(name=n)) for n in ("eq", "lt", "ge")]
    for module in ("test_reduction", "test_shape", "test_indexing", "test_linalg", "test_inplace_views"):
        cases += [(module, None, {})]
    return cases


# known, expected differences when the inputs are CUDA tensors: printed types/reprs name the device,
# .numpy() refuses, NumPy memory cannot be shared with the GPU, errors name torch.cuda.* types
_OPTABLE_SKIP = {"test_shape_errors", "test_seed_lab_patterns", "test_numpy_shares_memory_both_ways",
                 "test_setitem_errors", "test_modified_error_message_exact", "test_setitem",
                 "test_view_and_base_grad_fn_after_in_place", "test_setitem_gradients",
                 "test_hypothesis_core_reductions", "test_tensor_methods_exist_like_torch"}


def _expand_optable():
    import importlib
    import inspect
    sys.path.insert(0, OPS_TESTS)
    try:
        pytest.importorskip("hypothesis")
    except BaseException:  # collection without hypothesis: nothing to expand
        return []
    out = []
    for module, fn, kw in _optable_cases():
        if fn is not None:
            out.append((module, fn, kw))
            continue
        mod = importlib.import_module(module)
        for name, obj in vars(mod).items():
            if not name.startswith("test_") or name in _OPTABLE_SKIP or not inspect.isfunction(obj):
                continue
            marks = getattr(obj, "pytestmark", [])
            params = [m for m in marks if m.name == "parametrize"]
            if getattr(obj, "is_hypothesis_test", False):
                continue
            if not params:
                if inspect.signature(obj).parameters:
                    continue
                out.append((module, name, {}))
            elif len(params) == 1 and isinstance(params[0].args[0], str) and "," not in params[0].args[0]:
                for value in list(params[0].args[1])[:4]:
                    if hasattr(value, "values") and not isinstance(value, dict):  # pytest.param(...)
                        value = value.values[0]
                    out.append((module, name, {params[0].args[0]: value}))
    return out


OPTABLE = _expand_optable()


@pytest.mark.parametrize("module,fn,kwargs", OPTABLE,
                         ids=[f"{m}.{f}[{','.join(map(str, k.values()))}]" if k else f"{m}.{f}"
                              for m, f, k in OPTABLE])
def test_optable_on_gpu(optable_on_gpu, module, fn, kwargs):
    import importlib
    mod = importlib.import_module(module)
    if fn in _OPTABLE_SKIP:
        pytest.skip("prints or compares the device")
    getattr(mod, fn)(**kwargs)


# ---- benchmarks/bench_gpu.py (it needs a real GPU for its figures: here only its code path) -----
def test_bench_gpu_runs_on_the_fake_gpu(gpu, monkeypatch, capsys):
    bench_dir = os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks")
    monkeypatch.syspath_prepend(bench_dir)
    import bench_gpu
    r = np.random.default_rng(0)
    x = r.standard_normal((30, 1, 28, 28)).astype(np.float32)
    y = r.integers(0, 10, 30).astype(np.int64)
    monkeypatch.setattr(bench_gpu, "load", lambda: ((x[:20], y[:20], x[20:], y[20:]), False))
    monkeypatch.setitem(sys.modules, "cupy", gpu)
    monkeypatch.setattr(sys, "argv", ["bench_gpu.py", "--epochs", "1", "--device", "cuda:1", "--threads", "0"])
    bench_gpu.main()
    out = capsys.readouterr().out
    assert "device: cuda:1 = Fake CUDA Device" in out and "PyTorch column skipped" in out
    assert "huoba cuda: median epoch" in out and "the lab's comparison: huoba on the GPU trains" in out


def test_bench_gpu_without_cupy_exits_cleanly():
    import subprocess
    script = os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks", "bench_gpu.py")
    proc = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "bench_gpu:" in proc.stderr and "nothing to measure" in proc.stderr
