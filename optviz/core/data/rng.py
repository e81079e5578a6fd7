"""A counter-based, stateless random number generator for the particle kernels.

Every random number is a pure function of integers: ``hash64(seed, a, b, c)``
(by convention a = particle, b = step, c = a draw index within the step). There is
no generator state, so the numbers do not depend on how particles are tiled or on
which thread runs a tile, and loops that draw them stay vectorizable (only 64-bit
integer multiplies, xors and shifts).

Construction: the SplitMix64 finalizer (Stafford's "Mix13") absorbs the inputs
one at a time, ``h = mix(mix(mix(mix(seed + G) ^ a) ^ b) ^ c)`` with G the 64-bit
golden ratio. ``mix`` is a bijection of 64-bit words with full avalanche, so
different input tuples give independent-looking outputs. Kernels that draw many
numbers for the same (seed, a, b) compute the prefix ``hash_prefix(seed, a, b)``
once and finish each draw with ``hash_finish(prefix, c)`` (same value).

Distributions:

- ``uniform``: the top 53 bits of the hash as ``(k + 0.5) / 2**53``, in (0, 1)
  (never 0 or 1, so logarithms and powers of it are finite).
- ``normal``: Box-Muller, ``sqrt(-2 ln u1) cos(2 pi u2)`` with u1, u2 the
  uniforms of draws ``2c`` and ``2c + 1``.
- ``student_t``: the heavy-tailed option, Student's t with ``dof`` degrees of
  freedom (any real dof > 0) by Bailey's polar method in its trigonometric,
  rejection-free form (Bailey 1994, Math. Comp. 62), the t analogue of Box-Muller:
  ``sqrt(dof (u1**(-2/dof) - 1)) cos(2 pi u2)``. Its variance is ``dof/(dof-2)`` for
  dof > 2 and infinite otherwise; as dof grows it tends to ``normal``.
"""

import math

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit

__all__ = ["hash64", "hash_prefix", "hash_finish", "uniform", "normal", "student_t",
           "to_unit", "bounded"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S32 = np.uint64(32)
_MASK32 = np.uint64(0xFFFFFFFF)
_TWO_M53 = 2.0 ** -53
_TWO_PI = 2.0 * math.pi


@njit(**INLINE_OPTIONS)
def mix(z):
    """SplitMix64's finalizer: a bijection of uint64 with full avalanche."""
    z = np.uint64(z)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(**INLINE_OPTIONS)
def hash_prefix(seed, a, b):
    """The state of ``hash64(seed, a, b, .)`` after absorbing seed, a and b."""
    h = mix(np.uint64(seed) + _GOLDEN)
    h = mix(h ^ np.uint64(a))
    return mix(h ^ np.uint64(b))


@njit(**INLINE_OPTIONS)
def hash_finish(prefix, c):
    """``hash64(seed, a, b, c)`` from ``prefix = hash_prefix(seed, a, b)``."""
    return mix(prefix ^ np.uint64(c))


@njit(**INLINE_OPTIONS)
def hash64(seed, a, b, c):
    """A uint64 that is a fixed pseudo-random function of the four integers."""
    return hash_finish(hash_prefix(seed, a, b), c)


@njit(**INLINE_OPTIONS)
def to_unit(h):
    """A uint64 hash as a float64 in (0, 1): ``((h >> 11) + 0.5) / 2**53``."""
    return (np.float64(np.int64(h >> _S11)) + 0.5) * _TWO_M53


@njit(**INLINE_OPTIONS)
def bounded(h, n):
    """A uint64 hash mapped to ``0 .. n-1`` (n < 2**32): ``((h >> 32) * n) >> 32``.

    Lemire's multiply-shift reduction: like ``h % n`` but without a division
    (which has no SIMD instruction); the bias is below n / 2**32.
    """
    return ((h >> _S32) * np.uint64(n)) >> _S32


@njit(**INLINE_OPTIONS)
def uniform(seed, a, b, c):
    """A uniform float64 in (0, 1) from ``hash64(seed, a, b, c)``."""
    return to_unit(hash64(seed, a, b, c))


@njit(**INLINE_OPTIONS)
def normal(seed, a, b, c):
    """A standard normal float64 (Box-Muller on draws 2c and 2c+1 of (seed, a, b))."""
    p = hash_prefix(seed, a, b)
    c2 = np.uint64(c) << np.uint64(1)
    u1 = to_unit(hash_finish(p, c2))
    u2 = to_unit(hash_finish(p, c2 | np.uint64(1)))
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * u2)


@njit(**INLINE_OPTIONS)
def student_t(seed, a, b, c, dof):
    """Student's t with ``dof`` > 0 degrees of freedom (Bailey's polar method, trig form)."""
    p = hash_prefix(seed, a, b)
    c2 = np.uint64(c) << np.uint64(1)
    u1 = to_unit(hash_finish(p, c2))
    u2 = to_unit(hash_finish(p, c2 | np.uint64(1)))
    r2 = dof * (u1 ** (-2.0 / dof) - 1.0)
    return math.sqrt(r2) * math.cos(_TWO_PI * u2)
