"""Matrix products against PyTorch: matmul's dispatch for every combination of 1-d, 2-d and
batched operands (values, grad_fn names, gradients, which of them require grad), mm, bmm,
addmm, dot, mv, outer, einsum, and PyTorch's error messages for mismatched shapes and dtypes."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _optable import array, check_op, check_same, check_error  # noqa: E402

# NumPy's floating-point warnings (log(0), 1/0, ...) are silenced inside huoba, but pytest
# resets warning filters around each test
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)),
         ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)),
         ((6, 1, 2, 3), (5, 3, 4)), ((2, 2, 3), (1, 3, 4)), ((4, 2, 3), (3,)), ((2, 1, 2, 3), (3, 1)),
         ((3,), (2, 2, 3, 4)), ((0, 2, 3), (3, 4)), ((2, 3, 0), (0, 4))]


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)], ids=str)
def test_matmul_dispatch(shapes, needs):
    a = array(shapes[0], seed=1)
    b = array(shapes[1], seed=2)

    def fn(lib, x, y):
        x.requires_grad_(needs[0])
        y.requires_grad_(needs[1])
        return x @ y

    check_op(fn, a, b, rtol=1e-5, atol=1e-5, gradcheck_=needs == (True, True))
    check_op(lambda lib, x, y: lib.matmul(x, y), a, b, grad=False, rtol=1e-5, atol=1e-5)


def test_matmul_noncontiguous_batches_and_dtypes():
    a = array((3, 2, 4), seed=1)
    b = array((4, 5), seed=2)
    check_op(lambda lib, x, y: x.transpose(0, 1) @ y, a, b, rtol=1e-5, atol=1e-5)
    check_op(lambda lib, x, y: x @ y.t().contiguous().t(), a, b, rtol=1e-5, atol=1e-5)
    check_same(lambda lib: lib.arange(6).view(2, 3) @ lib.arange(3))
    check_same(lambda lib: lib.ones(2, 3, dtype=lib.int64) @ lib.ones(3, 4, dtype=lib.int64))
    check_same(lambda lib: lib.ones(2, 3, dtype=lib.float64) @ lib.ones(3, 4, dtype=lib.float64))
    check_same(lambda lib: lib.ones(2, 3, dtype=lib.float16) @ lib.ones(3, 4, dtype=lib.float16))


PRODUCTS = {
    "mm": lambda lib, a, b, c: a.mm(b),
    "mm_fn": lambda lib, a, b, c: lib.mm(a, b),
    "mm_transposed": lambda lib, a, b, c: a.mm(c.t()),
    "x_at_yT": lambda lib, a, b, c: a @ c.T,
    "addmm": lambda lib, a, b, c: lib.addmm(c[0], a, b),
    "addmm_matrix_bias": lambda lib, a, b, c: lib.addmm(a.mm(b), a, b),
    "addmm_beta_alpha": lambda lib, a, b, c: lib.addmm(c[:1, :4], a, b, beta=0.5, alpha=2.0),
    "addmm_beta0": lambda lib, a, b, c: a.addmm(a, b, beta=0, alpha=-1),
    "dot": lambda lib, a, b, c: lib.dot(a[0], c[0, :3]),
    "inner": lambda lib, a, b, c: a[1].dot(b[:, 0]),
    "mv": lambda lib, a, b, c: lib.mv(a, b[:, 1]),
    "mv_method": lambda lib, a, b, c: c.mv(b[0]),
    "outer": lambda lib, a, b, c: lib.outer(a[0], b[0]),
    "ger": lambda lib, a, b, c: a[1].ger(c[0]),
    "bmm": lambda lib, a, b, c: lib.bmm(a.unsqueeze(0).expand(2, 2, 3), b.unsqueeze(0).expand(2, 3, 4)),
    "baddbmm": lambda lib, a, b, c: lib.baddbmm(c[:2].unsqueeze(0), a.unsqueeze(0), b.unsqueeze(0)),
    "addmv": lambda lib, a, b, c: lib.addmv(a[0, :2], a, b[:, 0], beta=2),
    "einsum_mm": lambda lib, a, b, c: lib.einsum("ij,jk->ik", a, b),
    "einsum_implicit": lambda lib, a, b, c: lib.einsum("ij,jk", a, b),
    "einsum_trace": lambda lib, a, b, c: lib.einsum("ii->", a[:, :2]),
    "einsum_diag": lambda lib, a, b, c: lib.einsum("ii->i", b[:3, :3]),
    "einsum_outer": lambda lib, a, b, c: lib.einsum("i,j->ij", a[0], c[1]),
    "einsum_sum": lambda lib, a, b, c: lib.einsum("ij->", a),
    "einsum_transpose": lambda lib, a, b, c: lib.einsum("ij->ji", c),
    "einsum_batch": lambda lib, a, b, c: lib.einsum("bij,bjk->bik", a.unsqueeze(0), b.unsqueeze(0)),
    "einsum_ellipsis": lambda lib, a, b, c: lib.einsum("...ij,jk->...ik", a.unsqueeze(0), b),
    "einsum_list": lambda lib, a, b, c: lib.einsum("ij,kj->ik", [a, c]),
    "einsum_three": lambda lib, a, b, c: lib.einsum("ij,jk,lk->il", a, b, c),
}


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_products(name):
    a, b, c = array((2, 3), seed=1), array((3, 4), seed=2), array((3, 4), seed=3)
    # einsum's node names depend on how PyTorch decomposes the contraction; values and
    # gradients must agree, the names are not compared
    check_op(PRODUCTS[name], a, b, c, rtol=1e-5, atol=1e-5, check_grad_fn=not name.startswith("einsum"))


def test_second_order_through_products():
    a, b = array((2, 3), seed=1), array((3, 4), seed=2)
    for f in (lambda lib, x, y: x.mm(y), lambda lib, x, y: x @ y, lambda lib, x, y: lib.einsum("ij,jk->ik", x, y),
              lambda lib, x, y: lib.addmm(y[0], x, y), lambda lib, x, y: x.unsqueeze(0) @ y.unsqueeze(0)):
        check_op(f, a, b, rtol=1e-5, atol=1e-5, check_grad_fn=False, gradgradcheck_=True)


LINALG_ERRORS = [
    lambda lib: lib.mm(lib.ones(2, 3), lib.ones(4, 5)),
    lambda lib: lib.mm(lib.ones(3), lib.ones(3, 3)),
    lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3)),
    lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3, 2, dtype=lib.float64)),
    lambda lib: lib.mm(lib.ones(2, 3, dtype=lib.bool), lib.ones(3, 4, dtype=lib.bool)),
    lambda lib: lib.bmm(lib.ones(2, 3, 4), lib.ones(3, 4, 5)),
    lambda lib: lib.bmm(lib.ones(2, 3, 4), lib.ones(2, 5, 5)),
    lambda lib: lib.bmm(lib.ones(3, 4), lib.ones(2, 4, 5)),
    lambda lib: lib.bmm(lib.ones(2, 3, 4), lib.ones(4, 5)),
    lambda lib: lib.bmm(lib.ones(2, 3, 4), lib.ones(2, 4, 5, dtype=lib.float64)),
    lambda lib: lib.dot(lib.ones(3), lib.ones(4)),
    lambda lib: lib.dot(lib.ones(3), lib.ones(3, 1)),
    lambda lib: lib.dot(lib.ones(3), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.mv(lib.ones(2, 3), lib.ones(4)),
    lambda lib: lib.mv(lib.ones(2, 3), lib.ones(3, 1)),
    lambda lib: lib.mv(lib.ones(2, 3), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.addmm(lib.ones(2, 5), lib.ones(2, 3), lib.ones(4, 5)),
    lambda lib: lib.addmm(lib.ones(3), lib.ones(2, 3), lib.ones(3, 5)),
    lambda lib: lib.outer(lib.ones(3), lib.ones(2, 2)),
    lambda lib: lib.einsum("ij,jk->ik", lib.ones(2, 3), lib.ones(4, 5)),
    lambda lib: lib.einsum("ij,jk", lib.ones(2, 3)),
    lambda lib: lib.einsum("i,i->", lib.ones(3), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.matmul(lib.ones(2, 3), lib.ones(3, 4, dtype=lib.float64)),
    lambda lib: lib.matmul(lib.ones(3), lib.tensor(2.0)),
    lambda lib: lib.ones(2, 3) @ lib.ones(4),
    lambda lib: lib.ones(3) @ lib.ones(4),
    lambda lib: lib.ones(2, 3) @ lib.ones(2, 3),
    lambda lib: lib.ones(5, 2, 3) @ lib.ones(5, 4, 4),
    lambda lib: lib.ones(5, 2, 3) @ lib.ones(4, 3, 4),
    lambda lib: lib.ones(3) @ lib.ones(2, 5, 4),
    lambda lib: lib.ones(2, 5, 3) @ lib.ones(2),
    lambda lib: lib.ones(5, 2, 3) @ lib.ones(5, 3, 4, dtype=lib.float64),
    lambda lib: lib.matmul(lib.ones(2, 3), [1, 2, 3]),
]


@pytest.mark.parametrize("i", range(len(LINALG_ERRORS)))
def test_linalg_errors(i):
    check_error(LINALG_ERRORS[i])


def test_seed_lab_patterns():
    """The products the tutorials use, with their printed results."""
    def fn(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        y = lib.tensor([[0.5, -1.0], [2.0, 0.0]])
        return x.mm(y), x @ y.T, x * y, lib.matmul(x, y), x.mm(y).sum().item(), repr(x @ y)

    check_same(fn)
