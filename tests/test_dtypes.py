"""dtypes against PyTorch: names and reprs, properties, promote_types for every pair,
result_type with 0-d tensors and Python scalars, can_cast, the default dtype, finfo/iinfo."""
import itertools
import pickle

import pytest

torch = pytest.importorskip("torch")
import huoba  # noqa: E402

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
ALIASES = ["half", "float", "double", "short", "int", "long"]


@pytest.mark.parametrize("name", NAMES + ALIASES)
def test_dtype_objects(name):
    h, t = getattr(huoba, name), getattr(torch, name)
    assert repr(h) == repr(t) and str(h) == str(t)
    assert h.is_floating_point == t.is_floating_point
    assert h.is_signed == t.is_signed
    assert h.itemsize == t.itemsize
    assert h.is_complex == t.is_complex
    assert pickle.loads(pickle.dumps(h)) is h


def test_aliases_are_the_same_objects():
    assert huoba.float is huoba.float32 and huoba.double is huoba.float64 and huoba.half is huoba.float16
    assert huoba.long is huoba.int64 and huoba.int is huoba.int32 and huoba.short is huoba.int16
    assert huoba.float32 == huoba.float and hash(huoba.float32) == hash(huoba.float)
    assert huoba.float32 != huoba.float64


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promote_types(a, b):
    assert str(huoba.promote_types(getattr(huoba, a), getattr(huoba, b))) == \
        str(torch.promote_types(getattr(torch, a), getattr(torch, b)))


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_can_cast(a, b):
    assert huoba.can_cast(getattr(huoba, a), getattr(huoba, b)) == torch.can_cast(getattr(torch, a), getattr(torch, b))


def _operand(lib, kind, name):
    if kind == "dim":
        return lib.ones(2, dtype=getattr(lib, name))
    if kind == "zero":
        return lib.ones((), dtype=getattr(lib, name))
    return {"bool": True, "int": 2, "float": 2.5}[name]


@pytest.mark.parametrize("k1,k2", [("dim", "dim"), ("dim", "zero"), ("zero", "dim"), ("zero", "zero"),
                                   ("dim", "scalar"), ("zero", "scalar"), ("scalar", "dim")])
def test_result_type_tiers(k1, k2):
    names1 = ["bool", "int", "float"] if k1 == "scalar" else NAMES
    names2 = ["bool", "int", "float"] if k2 == "scalar" else NAMES
    for n1 in names1:
        for n2 in names2:
            h = huoba.result_type(_operand(huoba, k1, n1), _operand(huoba, k2, n2))
            t = torch.result_type(_operand(torch, k1, n1), _operand(torch, k2, n2))
            assert str(h) == str(t), (k1, n1, k2, n2)


def test_default_dtype():
    assert huoba.get_default_dtype() is huoba.float32
    huoba.set_default_dtype(huoba.float64)
    try:
        assert huoba.get_default_dtype() is huoba.float64
        assert huoba.tensor([1.5]).dtype is huoba.float64 and huoba.ones(2).dtype is huoba.float64
        assert huoba.result_type(huoba.ones(2, dtype=huoba.int64), 1.5) is huoba.float64
    finally:
        huoba.set_default_dtype(huoba.float32)
    for bad in ("int64", "bool"):
        with pytest.raises(TypeError) as h:
            huoba.set_default_dtype(getattr(huoba, bad))
        with pytest.raises(TypeError) as t:
            torch.set_default_dtype(getattr(torch, bad))
        assert str(h.value) == str(t.value)


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo(name):
    h, t = huoba.finfo(getattr(huoba, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(h, attr) == getattr(t, attr), attr
    assert repr(h) == repr(t)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    h, t = huoba.iinfo(getattr(huoba, name)), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(h, attr) == getattr(t, attr), attr
    assert repr(h) == repr(t)


def test_info_errors_and_default():
    assert huoba.finfo().dtype == torch.finfo().dtype
    for h_call, t_call in ((lambda: huoba.finfo(huoba.int64), lambda: torch.finfo(torch.int64)),
                           (lambda: huoba.iinfo(huoba.float32), lambda: torch.iinfo(torch.float32))):
        with pytest.raises(TypeError) as h:
            h_call()
        with pytest.raises(TypeError) as t:
            t_call()
        assert str(h.value) == str(t.value)


def test_tensor_dtype_queries():
    for name in NAMES:
        h = huoba.ones(2, dtype=getattr(huoba, name))
        t = torch.ones(2, dtype=getattr(torch, name))
        assert str(h.dtype) == str(t.dtype) and h.type() == t.type()
        assert h.is_floating_point() == t.is_floating_point() and h.element_size() == t.element_size()
        assert huoba.is_floating_point(h) == torch.is_floating_point(t)
