"""Branch-free sine, cosine and exponential that LLVM can vectorize.

Numba here has no vector ``sin``/``cos``/``exp`` (pip's llvmlite ships without SVML),
so a loop that calls ``math.sin`` or ``math.exp`` runs one element at a time (PLATFORM.md, "Kernel
costs"). These functions use only multiplications, additions and ``floor``, which
LLVM turns into SIMD instructions inside the tile loops of the kernels.

Method (as fdlibm's ``__ieee754_rem_pio2`` medium path and ``__kernel_sin`` /
``__kernel_cos``):

1. Cody-Waite reduction: ``k = round(x * 2/pi)`` and ``r = x - k * pi/2`` with pi/2
   split into three 33-bit pieces and a tail, so that ``k * piece`` is exact for
   ``|k| < 2**20`` and the subtractions lose nothing where cancellation happens.
2. fdlibm's minimax polynomials for sin and cos on ``[-pi/4, pi/4]`` (error below
   one ulp there).
3. Branch-free quadrant selection from ``k mod 4`` by multiplying with 0/1 and
   +-1 factors.

Accuracy: within 2 ulp of ``math.sin``/``math.cos`` for ``|x| <= 1.6e6``
(``|k| < 2**20``; tested over ``|x| <= 1e6``); beyond, the absolute error is about
``|x| * 2**-53``, one ulp of the argument itself, and for ``|x| >= 2**51`` the
result is meaningless. ``inf`` and ``nan`` give ``nan``.

``fast_sincospi(t)`` returns ``(sin(pi t), cos(pi t))``: the reduction
``t - k/2`` is exact, so it is exact at (half-)integers and accurate for any
``|t| < 2**51``. Landscapes whose frequencies are multiples of pi use it.

``fast_exp(x)``: ``x = k ln2 + r`` (Cody-Waite, two-piece ln2), a degree-13 Taylor
polynomial for ``exp(r)`` on ``|r| <= ln2/2`` and scaling by ``2**k`` built from the
exponent bits (in two factors, so that subnormal results are rounded once). Within
2 ulp of ``math.exp`` over the whole double range; overflows to ``inf`` above 709.78,
underflows to 0 below -745.1, and propagates ``nan``.
"""

import math

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit

__all__ = ["fast_sin", "fast_cos", "fast_sincos", "fast_sincospi", "fast_exp", "sin", "cos", "exp"]

_TWO_OVER_PI = 6.36619772367581382433e-01
_PI = 3.14159265358979311600e00
# pi/2 = _PIO2_1 + _PIO2_2 + _PIO2_3 + _PIO2_3T; the first three have 33 significant bits.
_PIO2_1 = 1.57079632673412561417e00
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_3 = 2.02226624871116645580e-21
_PIO2_3T = 8.47842766036889956997e-32
# Adding and subtracting 1.5 * 2**52 rounds a double to the nearest integer (|v| < 2**51).
_ROUND = 6755399441055744.0

# fdlibm k_sin.c: sin(r) ~ r + r^3 (S1 + r^2 S2 + ... + r^10 S6) on [-pi/4, pi/4].
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
# fdlibm k_cos.c: cos(r) ~ 1 - r^2/2 + r^4 (C1 + r^2 C2 + ... + r^10 C6) on [-pi/4, pi/4].
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11


@njit(**INLINE_OPTIONS)
def _sincos_quadrant(r, k):
    """sin and cos of ``r + k pi/2`` for ``|r| <= pi/4`` (slightly more is fine), integer ``k``."""
    z = r * r
    # sin(r), fdlibm __kernel_sin with no tail.
    s = r + (r * z) * (_S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))))
    # cos(r), fdlibm __kernel_cos with no tail: 1 - z/2 evaluated with its rounding error.
    w = z * z
    p = z * (_C1 + z * (_C2 + z * _C3)) + w * w * (_C4 + z * (_C5 + z * _C6))
    hz = 0.5 * z
    one_minus_hz = 1.0 - hz
    c = one_minus_hz + (((1.0 - one_minus_hz) - hz) + z * p)
    # Quadrant q = k mod 4 in {0, 1, 2, 3}; exact in floating point.
    q = k - 4.0 * math.floor(0.25 * k)
    half = math.floor(0.5 * q)  # 0 for q in {0, 1}, 1 for q in {2, 3}
    odd = q - 2.0 * half  # 1 for q in {1, 3}
    even = 1.0 - odd
    sign = 1.0 - 2.0 * half
    # q: sin, cos = (s, c), (c, -s), (-s, -c), (-c, s)
    sin_x = sign * (even * s + odd * c)
    cos_x = sign * (even * c - odd * s)
    return sin_x, cos_x


@njit(**INLINE_OPTIONS)
def fast_sincos(x):
    """Return ``(sin(x), cos(x))``, vectorizable, within 2 ulp for ``|x| <= 1.6e6``."""
    k = (x * _TWO_OVER_PI + _ROUND) - _ROUND
    r = x - k * _PIO2_1  # exact: k * _PIO2_1 is exact and close to x
    r = r - k * _PIO2_2  # exact whenever cancellation makes r small
    r = r - k * _PIO2_3
    r = r - k * _PIO2_3T
    return _sincos_quadrant(r, k)


@njit(**INLINE_OPTIONS)
def fast_sin(x):
    """``sin(x)``, vectorizable; see :func:`fast_sincos`."""
    return fast_sincos(x)[0]


@njit(**INLINE_OPTIONS)
def fast_cos(x):
    """``cos(x)``, vectorizable; see :func:`fast_sincos`."""
    return fast_sincos(x)[1]


@njit(**INLINE_OPTIONS)
def fast_sincospi(t):
    """Return ``(sin(pi t), cos(pi t))``, vectorizable, exact reduction for ``|t| < 2**51``."""
    k = (2.0 * t + _ROUND) - _ROUND
    r = t - 0.5 * k  # exact, |r| <= 1/4
    return _sincos_quadrant(_PI * r, k)


_INV_LN2 = 1.44269504088896338700e00
# ln2 = _LN2_HI + _LN2_LO, _LN2_HI with its low 32 bits zero (fdlibm e_exp.c).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# 1/n! for the Taylor polynomial of exp(r), |r| <= ln2/2: truncation error < 2**-60.
_E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13 = (1.0 / math.factorial(n) for n in range(2, 14))


@njit(**INLINE_OPTIONS)
def fast_exp(x):
    """``exp(x)``, vectorizable, within 2 ulp of ``math.exp``; inf/0 out of range, nan kept."""
    # Clamp to where exp over/underflows anyway; written so that nan passes through.
    xc = 760.0 if x > 760.0 else x
    xc = -760.0 if xc < -760.0 else xc
    k = (xc * _INV_LN2 + _ROUND) - _ROUND
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    p = _E11 + r * (_E12 + r * _E13)
    p = _E7 + r * (_E8 + r * (_E9 + r * (_E10 + r * p)))
    p = _E3 + r * (_E4 + r * (_E5 + r * (_E6 + r * p)))
    p = 1.0 + r * (1.0 + r * (_E2 + r * p))
    # 2**k = 2**k1 * 2**k2 with both factors normal for |k| <= 1097.
    ki = np.int64(k)
    k1 = ki >> 1
    k2 = ki - k1
    s1 = np.int64((k1 + 1023) << 52).view(np.float64)
    s2 = np.int64((k2 + 1023) << 52).view(np.float64)
    return (p * s1) * s2


#: Drop-in names for generated code (``from ...fastmath import sin, cos, exp``).
sin = fast_sin
cos = fast_cos
exp = fast_exp
