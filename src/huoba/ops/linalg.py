"""Matrix products: matmul/@, mm, bmm, addmm, dot, mv, outer, einsum."""
import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import GradMode
from ..tensor import Tensor, _wrap
from ._util import array_module, check_same_device


def _type_check(a, b, name):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}"
                           if name in ("mm", "addmm", "matmul") else
                           f"expected scalar type {_label(a)} but found {_label(b)}")
    check_same_device(a, b)


def _label(t):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[t.dtype.name]


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


def mm(input, mat2, *, out=None):
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _type_check(input, mat2, "mm")
    if input._data.shape[1] != mat2._data.shape[0]:
        s1, s2 = input._data.shape, mat2._data.shape
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({s1[0]}x{s1[1]} and {s2[0]}x{s2[1]})")
    if GradMode.enabled and (input._requires_grad or mat2._requires_grad):
        return _out(out, Mm.apply(input, mat2))
    return _out(out, _wrap(input._data @ mat2._data))


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
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _type_check(input, mat2, "bmm")
    a, b = input._data.shape, mat2._data.shape
    if a[0] != b[0] or a[2] != b[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a[0]}, {a[2]}] but "
                           f"got: [{b[0]}, {b[1]}].")
    return _out(out, Bmm.apply(input, mat2))


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
        prod += bias if beta == 1 else beta * bias
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
        g_bias = (g if ctx.beta == 1 else g * ctx.beta) if need[0] else None
        return g_bias, ga, gb, None, None


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if mat1._data.shape[1] != mat2._data.shape[0]:
        s1, s2 = mat1._data.shape, mat2._data.shape
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({s1[0]}x{s1[1]} and {s2[0]}x{s2[1]})")
    _type_check(mat1, mat2, "addmm")
    return _out(out, Addmm.apply(input, mat1, mat2, beta, alpha))


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
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_label(input)} and "
                           f"{_label(other)}")
    if input._data.shape[0] != other._data.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src "
                           f"[{other._data.shape[0]}] to have the same number of elements, but got "
                           f"{input._data.shape[0]} and {other._data.shape[0]} elements respectively")
    return _out(out, Dot.apply(input, other))


inner = dot
vdot = dot


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
    _type_check(input, vec, "mv")
    return _out(out, Mv.apply(input, vec))


class Matmul(Function):
    """Batched / broadcast matmul for >2-d operands."""
    _name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        ga = g.matmul(b.transpose(-1, -2)) if need[0] else None
        gb = a.transpose(-1, -2).matmul(g) if need[1] else None
        return ga, gb  # the engine sums broadcast batch dims away


def matmul(input, other, *, out=None):
    """`a @ b` with PyTorch's rules for 1-d, 2-d and batched operands."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other if isinstance(input, Tensor) else input).__name__}")
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    _type_check(input, other, "matmul")
    if da == 1 and db == 1:
        return dot(input, other, out=out)
    if da == 2 and db == 1:
        return mv(input, other, out=out)
    if da == 1 and db == 2:
        return _out(out, mm(input.unsqueeze(0), other).squeeze(0))
    if da == 2 and db == 2:
        return mm(input, other, out=out)
    sa, sb = input._data.shape, other._data.shape
    k_a = sa[-1]
    k_b = sb[-2] if db > 1 else sb[0]
    if k_a != k_b:
        if db == 1:
            raise RuntimeError(f"size mismatch, got input ({sa[0]}), mat ({'x'.join(map(str, sa))}), vec ({sb[0]})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sb[0] if db > 2 else 1}, {k_a}] but got: [{sb[0] if db > 2 else 1}, {k_b}].")
    if db == 1:
        return _out(out, Matmul.apply(input, other.unsqueeze(-1)).squeeze(-1))
    if da == 1:
        return _out(out, Matmul.apply(input.unsqueeze(0), other).squeeze(-2))
    if db == 2 and GradMode.enabled:
        # fold the batch into rows so that one GEMM (and a clean gradient) does it
        flat = input.reshape(-1, k_a)
        return _out(out, mm(flat, other).view(*sa[:-1], sb[-1]))
    return _out(out, Matmul.apply(input, other))


def outer(input, vec2, *, out=None):
    return _out(out, input.unsqueeze(1) * vec2.unsqueeze(0))


ger = outer


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return input * beta + mv(mat, vec) * alpha


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return input * beta + bmm(batch1, batch2).sum(0) * alpha


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return input * beta + bmm(batch1, batch2) * alpha


class Einsum(Function):
    _name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        return array_module(operands[0]).asarray(np.einsum(equation, *operands, optimize=True))

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
            # letters of the target that appear nowhere else are summed out: re-expand via ones
            eq = ",".join([out] + others) + "->" + "".join(c for c in dict.fromkeys(target))
            grad = einsum(eq, g, *other_ts)
            if len(set(target)) != len(target) or grad.shape != t.shape:
                grad = _expand_repeated(grad, target, t)
            grads.append(grad)
        return tuple(grads)


def _expand_repeated(grad, target, t):
    letters = "".join(dict.fromkeys(target))
    from .creation import ones
    eq = letters + "," + target + "->" + target
    return einsum(eq, grad, ones(t.shape, dtype=t.dtype))


def _normalize_equation(equation, operands):
    equation = equation.replace(" ", "")
    if "->" not in equation:
        lhs = equation
        letters = [c for c in lhs if c.isalpha()]
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        equation = lhs + "->" + out
    if "..." in equation:
        lhs, out = equation.split("->")
        ins = lhs.split(",")
        used = set(c for c in equation if c.isalpha())
        spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
        n_ell = max(t._data.ndim - (len(s) - 3) for s, t in zip(ins, operands) if "..." in s)
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


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = _normalize_equation(equation, operands)
    return Einsum.apply(equation, *operands)


def _out(out, result):
    if out is None:
        return result
    out._data = result._data.astype(out._data.dtype, copy=True) if out.shape != result.shape else out._data
    if out.shape == result.shape:
        out._data[...] = result._data
    out._bump_version()
    return out


methods = dict(matmul=matmul, mm=mm, bmm=bmm, addmm=addmm, dot=dot, inner=dot, vdot=dot, mv=mv, outer=outer,
               ger=outer, addmv=addmv, addbmm=addbmm, baddbmm=baddbmm)
