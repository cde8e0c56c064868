"""huoba.set_num_threads / get_num_threads: they set the threads of the BLAS NumPy runs on."""
import pytest

import huoba


def test_set_num_threads_round_trip():
    before = huoba.get_num_threads()
    assert isinstance(before, int) and before >= 1
    try:
        huoba.set_num_threads(1)
        assert huoba.get_num_threads() == 1
        huoba.set_num_threads(2)
        assert huoba.get_num_threads() == 2
    finally:
        huoba.set_num_threads(before)
    assert huoba.get_num_threads() == before


def test_set_num_threads_argument_errors():
    torch = pytest.importorskip("torch")
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(RuntimeError) as h:
            huoba.set_num_threads(bad)
        with pytest.raises(RuntimeError) as t:
            torch.set_num_threads(bad)
        assert str(h.value) == str(t.value)
