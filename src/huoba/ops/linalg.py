"""Matrix products: matmul/@, mm, bmm, addmm, dot, mv, outer, einsum, ...

`matmul` follows PyTorch's dispatch step by step (dot, mv, mm, folding a batch into
the rows of one mm, or expanding to a batched bmm), so results, gradients, grad_fn
names and error messages come out as PyTorch's.
"""
import math

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from ._util import array_module, check_same_device

_LABEL = dtypes.LABEL
_CPP = dtypes.CPP_NAME


def _shape_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _require_tensor(name, arg, pos, value):
    if not isinstance(value, Tensor):
        t = type(value)
        tname = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {tname}")


def _check_kernel(a, name="addmm_impl_cpu_"):
    if a._data.dtype.kind == "b":
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")


def _recording(*ts):
    if not GradMode.enabled:
        return False
    for t in ts:
        if t._requires_grad:
            return True
    return False


def _out(out, result):
    if out is None:
        return result
    from .pointwise import _out as pw_out
    return pw_out(out, result)


# ---- mm -----------------------------------------------------------------------------------
class Mm(Function):
    _name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g.mm(b.t()) if need[0] else None, a.t().mm(g) if need[1] else None)


def _mm_checks(input, mat2):
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    s1, s2 = input._data.shape, mat2._data.shape
    if s1[1] != s2[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({s1[0]}x{s1[1]} and {s2[0]}x{s2[1]})")
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_CPP[input._data.dtype]} != "
                           f"{_CPP[mat2._data.dtype]}")
    if type(input._data) is not type(mat2._data):
        check_same_device(input, mat2)
    _check_kernel(input)


def mm(input, mat2, *, out=None):
    _require_tensor("mm", "input", 1, input)
    _require_tensor("mm", "mat2", 2, mat2)
    _mm_checks(input, mat2)
    if GradMode.enabled and (input._requires_grad or mat2._requires_grad):
        return _out(out, Mm.apply(input, mat2))
    return _out(out, _wrap(input._data @ mat2._data))


# ---- bmm ----------------------------------------------------------------------------------
class Bmm(Function):
    _name = "BmmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g.bmm(b.transpose(1, 2)) if need[0] else None, a.transpose(1, 2).bmm(g) if need[1] else None)


def bmm(input, mat2, *, out=None):
    _require_tensor("bmm", "input", 1, input)
    _require_tensor("bmm", "mat2", 2, mat2)
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    a, b = input._data.shape, mat2._data.shape
    if a[0] != b[0] or a[2] != b[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a[0]}, {a[2]}] but "
                           f"got: [{b[0]}, {b[1]}].")
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"expected scalar type {_LABEL[input._data.dtype]} but found {_LABEL[mat2._data.dtype]}")
    check_same_device(input, mat2)
    _check_kernel(input, "bmm")
    if _recording(input, mat2):
        return _out(out, Bmm.apply(input, mat2))
    return _out(out, _wrap(array_module(input._data).matmul(input._data, mat2._data)))


# ---- addmm --------------------------------------------------------------------------------
class Addmm(Function):
    _name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, bias, a, b, beta, alpha):
        ctx.save_for_backward(a, b)
        ctx.beta, ctx.alpha = beta, alpha
        prod = a @ b
        if alpha != 1:
            prod *= alpha
        if beta == 0:
            return prod
        prod += bias if beta == 1 else bias * beta
        return prod

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = g.mm(b.t()) if need[1] else None
        gb = a.t().mm(g) if need[2] else None
        if ctx.alpha != 1:
            ga = ga * ctx.alpha if ga is not None else None
            gb = gb * ctx.alpha if gb is not None else None
        g_bias = None
        if need[0] and ctx.beta != 0:
            g_bias = g if ctx.beta == 1 else g * ctx.beta
        return g_bias, ga, gb, None, None


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    _require_tensor("addmm", "input", 1, input)
    _require_tensor("addmm", "mat1", 2, mat1)
    _require_tensor("addmm", "mat2", 3, mat2)
    if mat1._data.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1._data.ndim}-D tensor")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2._data.ndim}-D tensor")
    s1, s2 = mat1._data.shape, mat2._data.shape
    if s1[1] != s2[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({s1[0]}x{s1[1]} and {s2[0]}x{s2[1]})")
    from .shape import expand_shape
    expand_shape(input._data.shape, (s1[0], s2[1]), input)
    if not (mat1._data.dtype == mat2._data.dtype == input._data.dtype):
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_CPP[mat1._data.dtype]} != "
                           f"{_CPP[mat2._data.dtype]}" if mat1._data.dtype != mat2._data.dtype else
                           f"self and mat2 must have the same dtype, but got {_CPP[input._data.dtype]} and "
                           f"{_CPP[mat2._data.dtype]}")
    _check_kernel(mat1)
    if _recording(input, mat1, mat2):
        return _out(out, Addmm.apply(input, mat1, mat2, beta, alpha))
    return _out(out, _wrap(Addmm.forward(_SCRATCH, input._data, mat1._data, mat2._data, beta, alpha)))


class _Scratch:
    def save_for_backward(self, *args):
        pass

    def __setattr__(self, name, value):
        pass


_SCRATCH = _Scratch()


# ---- dot / mv / outer ------------------------------------------------------------------------
class Dot(Function):
    _name = "DotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).asarray(a @ b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * b if need[0] else None, g * a if need[1] else None)


def dot(input, other, *, out=None):
    _require_tensor("dot", "input", 1, input)
    _require_tensor("dot", "tensor", 2, other)
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_LABEL[input._data.dtype]} "
                           f"and {_LABEL[other._data.dtype]}")
    check_same_device(input, other)
    n1, n2 = input._data.shape[0], other._data.shape[0]
    if n1 != n2:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n1}] and src [{n2}] to have the same number "
                           f"of elements, but got {n1} and {n2} elements respectively")
    _check_kernel(input, "dot")
    if _recording(input, other):
        return _out(out, Dot.apply(input, other))
    return _out(out, _wrap(array_module(input._data).asarray(input._data @ other._data)))


inner = dot


def vdot(input, other, *, out=None):
    return dot(input, other, out=out)


class Mv(Function):
    _name = "MvBackward0"

    @staticmethod
    def forward(ctx, a, v):
        ctx.save_for_backward(a, v)
        return a @ v

    @staticmethod
    def backward(ctx, g):
        a, v = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g.unsqueeze(1) * v.unsqueeze(0) if need[0] else None, a.t().mv(g) if need[1] else None)


def mv(input, vec, *, out=None):
    _mv_checks(input, vec)
    if _recording(input, vec):
        return _out(out, Mv.apply(input, vec))
    return _out(out, _wrap(input._data @ vec._data))


def _mv_checks(input, vec):
    _require_tensor("mv", "input", 1, input)
    _require_tensor("mv", "vec", 2, vec)
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    s, n = input._data.shape, vec._data.shape[0]
    if s[1] != n:
        raise RuntimeError(f"size mismatch, got input ({s[0]}), mat ({s[0]}x{s[1]}), vec ({n})")
    if input._data.dtype != vec._data.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_LABEL[vec._data.dtype]}, "
                           f"{_LABEL[input._data.dtype]}, and {_LABEL[vec._data.dtype]}")
    check_same_device(input, vec)
    _check_kernel(input, "addmv_impl_cpu")


def outer(input, vec2, *, out=None):
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return _out(out, input.reshape(-1, 1) * vec2)


ger = outer


class Addmv(Function):
    _name = "AddmvBackward0"

    @staticmethod
    def forward(ctx, bias, mat, vec, beta, alpha):
        ctx.save_for_backward(mat, vec)
        ctx.beta, ctx.alpha = beta, alpha
        prod = mat @ vec
        if alpha != 1:
            prod = prod * alpha
        return prod if beta == 0 else prod + (bias if beta == 1 else bias * beta)

    @staticmethod
    def backward(ctx, g):
        mat, vec = ctx.saved_tensors
        need = ctx.needs_input_grad
        a, b = ctx.alpha, ctx.beta
        g_bias = (g if b == 1 else g * b) if need[0] and b != 0 else None
        g_mat = g.unsqueeze(1) * vec.unsqueeze(0) * a if need[1] else None
        g_vec = mat.t().mv(g) * a if need[2] else None
        return g_bias, g_mat, g_vec, None, None


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    _mv_checks(mat, vec)
    from .shape import expand_shape
    expand_shape(input._data.shape, (mat._data.shape[0],), input)
    if _recording(input, mat, vec):
        return _out(out, Addmv.apply(input, mat, vec, beta, alpha))
    return _out(out, _wrap(Addmv.forward(_SCRATCH, input._data, mat._data, vec._data, beta, alpha)))


class Baddbmm(Function):
    _name = "BaddbmmBackward0"

    @staticmethod
    def forward(ctx, bias, b1, b2, beta, alpha):
        ctx.save_for_backward(b1, b2)
        ctx.beta, ctx.alpha = beta, alpha
        prod = array_module(b1).matmul(b1, b2)
        if alpha != 1:
            prod = prod * alpha
        return prod if beta == 0 else prod + (bias if beta == 1 else bias * beta)

    @staticmethod
    def backward(ctx, g):
        b1, b2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        a, b = ctx.alpha, ctx.beta
        g_bias = (g if b == 1 else g * b) if need[0] and b != 0 else None
        g1 = g.bmm(b2.transpose(1, 2)) * a if need[1] else None
        g2 = b1.transpose(1, 2).bmm(g) * a if need[2] else None
        return g_bias, g1, g2, None, None


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    bmm(batch1, batch2)  # bmm's shape and dtype checks
    if _recording(input, batch1, batch2):
        return _out(out, Baddbmm.apply(input, batch1, batch2, beta, alpha))
    return _out(out, _wrap(Baddbmm.forward(_SCRATCH, input._data, batch1._data, batch2._data, beta, alpha)))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    prod = bmm(batch1, batch2).sum(0)
    return _out(out, (input * beta if beta != 1 else input) + (prod * alpha if alpha != 1 else prod))


# ---- matmul --------------------------------------------------------------------------------------
class _UnsafeView(Function):
    """A reshape that PyTorch does not count as a view (at::_unsafe_view)."""
    _name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class _SqueezeInPlace(Function):
    """matmul(1-D, 2-D) squeezes its mm result in place: PyTorch's SqueezeBackward4."""
    _name = "SqueezeBackward4"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.in_shape = x.shape
        return array_module(x).squeeze(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


def _unsafe_view(t, shape):
    if _recording(t):
        return _UnsafeView.apply(t, tuple(shape))
    return _wrap(t._data.reshape(shape))


def _should_fold(t1, t2):
    """PyTorch's test for doing a batched matmul as one mm on folded rows (no copy needed)."""
    d1, d2 = t1._data.ndim, t2._data.ndim
    larger_first = d1 >= d2
    big = t1._data if larger_first else array_module(t2._data).swapaxes(t2._data, -1, -2)
    small_dim = d2 if larger_first else d1
    if not (big.ndim >= 3 and small_dim <= 2):
        return False
    small_requires = t2._requires_grad if larger_first else t1._requires_grad
    if small_requires:
        return True
    if d1 == 2:
        return False
    if big.size == 0:
        return True
    shape, strides = big.shape, big.strides
    for i in range(big.ndim - 2):
        if strides[i] != strides[i + 1] * shape[i + 1]:
            return False
    return True


def matmul(input, other, *, out=None):
    """`a @ b` with PyTorch's rules for 1-d, 2-d and batched operands."""
    _require_tensor("matmul", "input", 1, input)
    _require_tensor("matmul", "other", 2, other)
    d1, d2 = input._data.ndim, other._data.ndim
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {d1}D and {d2}D")
    if d1 == 2 and d2 == 2:
        return mm(input, other, out=out)
    if d1 == 1 and d2 == 1:
        return dot(input, other, out=out)
    if d1 == 2 and d2 == 1:
        return mv(input, other, out=out)
    if d1 == 1 and d2 == 2:
        r = mm(input.unsqueeze(0), other)
        if _recording(r):
            return _out(out, _SqueezeInPlace.apply(r, 0))
        return _out(out, _wrap(r._data.reshape(r._data.shape[1:])))
    if _should_fold(input, other):
        transpose = d2 > d1
        t1 = other.mT if transpose else input
        t2 = other if not transpose else (input.t() if d1 == 2 else input)
        sizes = t1._data.shape
        out_shape = sizes[:-1] + ((t2._data.shape[-1],) if t2._data.ndim == 2 else ())
        folded = t1.reshape(math.prod(sizes[:-1]), sizes[-1])
        if t2._data.ndim == 2:
            result = _unsafe_view(folded.mm(t2), out_shape)
            if transpose:
                result = result.mT.contiguous()
        else:
            result = _unsafe_view(folded.mv(t2), out_shape)
        return _out(out, result)
    return _out(out, _batched_matmul(input, other))


def _batched_matmul(t1, t2):
    s1, s2 = t1._data.shape, t2._data.shape
    d1, d2 = len(s1), len(s2)
    if d1 == 3 and d2 == 3 and s1[0] != s2[0]:
        # a batch of one that requires grad is squeezed away (PyTorch saves a copy in backward)
        if s1[0] == 1 and t1._requires_grad:
            return matmul(t1.squeeze(0), t2)
        if s2[0] == 1 and t2._requires_grad:
            return matmul(t1, t2.squeeze(0))
    n = s1[-2] if d1 > 1 else 1
    m1 = s1[-1]
    batch1 = s1[:max(d1 - 2, 0)]
    m2 = s2[-2] if d2 > 1 else s2[0]
    p = s2[-1] if d2 > 1 else 1
    batch2 = s2[:max(d2 - 2, 0)]
    try:
        batch = tuple(np.broadcast_shapes(batch1, batch2))
    except ValueError:
        from .pointwise import _broadcast_error
        raise _broadcast_error(batch1, batch2) from None
    count = math.prod(batch) if batch else 1
    e1 = t1.expand(*batch, n, m1).reshape(count, n, m1) if d1 > 1 else \
        t1.expand(*batch, m1).reshape(count, 1, m1)
    if d2 == 1:
        e2 = t2.expand(*batch, m2).reshape(count, m2).unsqueeze(2)
    else:
        e2 = t2.expand(*batch, m2, p).reshape(count, m2, p)
    out_shape = batch + ((n,) if d1 > 1 else ()) + ((p,) if d2 > 1 else ())
    prod = bmm(e1, e2)
    if d2 == 1:
        prod = prod.squeeze(-1)
    return _unsafe_view(prod, out_shape)


# ---- einsum ---------------------------------------------------------------------------------------
class Einsum(Function):
    _name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        return array_module(operands[0]).asarray(array_module(operands[0]).einsum(equation, *operands,
                                                                                  optimize=True))

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        lhs, out = ctx.equation.split("->")
        ins = lhs.split(",")
        grads = [None]
        for i, t in enumerate(ops):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [ins[j] for j in range(len(ops)) if j != i]
            other_ts = [ops[j] for j in range(len(ops)) if j != i]
            target = ins[i]
            letters = "".join(dict.fromkeys(target))
            # letters of the target that appear nowhere else were summed out: re-expand them
            known = set(out) | set("".join(others))
            missing = [c for c in letters if c not in known]
            eq = ",".join([out] + others) + "->" + "".join(c for c in letters if c in known)
            grad = einsum(eq, g, *other_ts) if others or out else g
            if missing:
                sizes = {c: t._data.shape[target.index(c)] for c in missing}
                grad = _insert_letters(grad, "".join(c for c in letters if c in known), letters, sizes)
            if len(letters) != len(target):
                grad = _expand_repeated(grad, letters, target, t)
            grads.append(grad)
        return tuple(grads)


def _insert_letters(grad, have, want, sizes):
    """Broadcast `grad` (subscripts `have`) to subscripts `want` (extra letters sized by `sizes`)."""
    for pos, c in enumerate(want):
        if c not in have:
            grad = grad.unsqueeze(pos)
    shape = [sizes[c] if c not in have else -1 for c in want]
    return grad.expand(*shape)


def _expand_repeated(grad, letters, target, t):
    """Gradient for an operand with a repeated subscript (a diagonal, e.g. 'ii'): each repeat
    gets a fresh letter tied to the first by an identity matrix."""
    from .creation import eye
    used = set(letters)
    spare = (c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used)
    seen = set()
    fresh_target = ""
    ties = []
    for c, n in zip(target, t._data.shape):
        if c in seen:
            f = next(spare)
            fresh_target += f
            ties.append((c + f, eye(n, dtype=t.dtype, device=t.device)))
        else:
            seen.add(c)
            fresh_target += c
    eq = ",".join([letters] + [sub for sub, _ in ties]) + "->" + fresh_target
    return einsum(eq, grad, *[m for _, m in ties])


def _normalize_equation(equation, operands):
    equation = equation.replace(" ", "")
    lhs = equation.split("->")[0]
    n_terms = len(lhs.split(","))
    if n_terms > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if n_terms < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if "->" not in equation:
        letters = [c for c in lhs if c.isalpha()]
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        if "..." in lhs:
            out = "..." + out
        equation = lhs + "->" + out
    if "..." in equation:
        lhs, out = equation.split("->")
        ins = lhs.split(",")
        used = set(c for c in equation if c.isalpha())
        spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
        n_ell = max((t._data.ndim - (len(s) - 3) for s, t in zip(ins, operands) if "..." in s), default=0)
        ell = "".join(spare[:n_ell])
        new_ins = []
        for s, t in zip(ins, operands):
            if "..." in s:
                k = t._data.ndim - (len(s) - 3)
                s = s.replace("...", ell[n_ell - k:])
            new_ins.append(s)
        out = out.replace("...", ell)
        equation = ",".join(new_ins) + "->" + out
    return equation


def _check_einsum_sizes(equation, operands):
    lhs = equation.split("->")[0].split(",")
    seen = {}
    for i, (subs, t) in enumerate(zip(lhs, operands)):
        for c, n in zip(subs, t._data.shape):
            if c in seen and seen[c] != n and n != 1 and seen[c] != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast "
                                   f"with previously seen size {seen[c]}")
            seen[c] = n if c not in seen or seen[c] == 1 else seen[c]


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = _normalize_equation(equation, operands)
    _check_einsum_sizes(equation, operands)
    first = operands[0]
    for t in operands[1:]:
        if t._data.dtype != first._data.dtype:
            raise RuntimeError(f"expected scalar type {_LABEL[first._data.dtype]} but found {_LABEL[t._data.dtype]}")
    if any(t._requires_grad for t in operands) and GradMode.enabled:
        return Einsum.apply(equation, *operands)
    return _wrap(Einsum.forward(_SCRATCH, equation, *[t._data for t in operands]))


methods = dict(matmul=matmul, mm=mm, bmm=bmm, addmm=addmm, dot=dot, inner=dot, vdot=vdot, mv=mv, outer=outer,
               ger=outer, addmv=addmv, addbmm=addbmm, baddbmm=baddbmm)
