"""Known minima (and saddle points) of the built-in landscapes.

Each function takes the packed parameter array and returns a tuple of
:class:`~optviz.core.landscapes.spec.Minimum`. Points without a closed form were
solved to 50 digits (mpmath ``findroot`` on the gradient, Hessian checked
positive definite) and rounded to float64.
"""

from __future__ import annotations

import math

import numpy as np

from optviz.core.landscapes.functions import PLATEAU_CENTER_X
from optviz.core.landscapes.spec import Minimum

__all__ = [
    "rosenbrock_minima",
    "beale_minima",
    "himmelblau_minima",
    "rastrigin_minima",
    "ackley_minima",
    "booth_minima",
    "goldstein_price_minima",
    "six_hump_camel_minima",
    "three_hump_camel_minima",
    "matyas_minima",
    "styblinski_tang_minima",
    "levy13_minima",
    "saddle_minima",
    "monkey_saddle_minima",
    "ravine_minima",
    "plateau_minima",
]


def rosenbrock_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    """(a, a^2), value 0."""
    a = float(p[0])
    return (Minimum(a, a * a, 0.0, "global"),)


def beale_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (Minimum(3.0, 0.5, 0.0, "global"),)


def himmelblau_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (
        Minimum(3.0, 2.0, 0.0, "global"),
        Minimum(-2.805118086952745, 3.131312518250573, 0.0, "global"),
        Minimum(-3.779310253377747, -3.2831859912861696, 0.0, "global"),
        Minimum(3.5844283403304917, -1.8481265269644036, 0.0, "global"),
    )


def _rastrigin_1d_minimum(a: float, n: int) -> float | None:
    """The local minimum of g(x) = x^2 + A (1 - cos(2 pi x)) near the integer n, if any."""
    two_pi = 2.0 * math.pi
    x = float(n)
    for _ in range(100):
        g1 = 2.0 * x + two_pi * a * math.sin(two_pi * x)
        g2 = 2.0 + two_pi * two_pi * a * math.cos(two_pi * x)
        if g2 <= 0.0:
            return None
        step = g1 / g2
        x -= step
        if abs(step) <= 1e-15 * max(1.0, abs(x)):
            break
    g2 = 2.0 + two_pi * two_pi * a * math.cos(two_pi * x)
    if g2 <= 0.0 or abs(x - n) >= 0.5:
        return None
    return x


def rastrigin_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    """Global minimum 0 at (0, 0) and the eight nearest local minima (near (+-1, 0), ...)."""
    a = float(p[0])
    out = [Minimum(0.0, 0.0, 0.0, "global")]
    m = _rastrigin_1d_minimum(a, 1)
    if m is None or a == 0.0:
        return tuple(out)

    def g(x: float) -> float:
        return x * x + a * (1.0 - math.cos(2.0 * math.pi * x))

    for i in (-1, 0, 1):
        for j in (-1, 0, 1):
            if i == 0 and j == 0:
                continue
            x = i * m
            y = j * m
            out.append(Minimum(x, y, g(x) + g(y), "local"))
    return tuple(out)


def ackley_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    """Global minimum 0 at the origin (for any a, b, c)."""
    return (Minimum(0.0, 0.0, 0.0, "global"),)


def booth_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (Minimum(1.0, 3.0, 0.0, "global"),)


def goldstein_price_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    """Global minimum 3 at (0, -1); local minima 30, 84 and 840 (exact stationary points)."""
    return (
        Minimum(0.0, -1.0, 3.0, "global"),
        Minimum(-0.6, -0.4, 30.0, "local"),
        Minimum(1.8, 0.2, 84.0, "local"),
        Minimum(1.2, 0.8, 840.0, "local"),
    )


def six_hump_camel_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (
        Minimum(0.08984201310031806, -0.7126564030207396, -1.0316284534898774, "global"),
        Minimum(-0.08984201310031806, 0.7126564030207396, -1.0316284534898774, "global"),
        Minimum(1.703606714969981, -0.7960835686726251, -0.21546382438371764, "local"),
        Minimum(-1.703606714969981, 0.7960835686726251, -0.21546382438371764, "local"),
        Minimum(1.6071047529201972, 0.5686514548841314, 2.1042503103112584, "local"),
        Minimum(-1.6071047529201972, -0.5686514548841314, 2.1042503103112584, "local"),
    )


def three_hump_camel_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (
        Minimum(0.0, 0.0, 0.0, "global"),
        Minimum(1.7475523458302888, -0.8737761729151444, 0.2986384422368598, "local"),
        Minimum(-1.7475523458302888, 0.8737761729151444, 0.2986384422368598, "local"),
    )


def matyas_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (Minimum(0.0, 0.0, 0.0, "global"),)


# Roots of g'(x) = 2 x^3 - 16 x + 2.5 for g(x) = 0.5 (x^4 - 16 x^2 + 5 x): minima only.
_ST_LOW = -2.903534027771177  # g = -39.16616570377141 (global in 1-D)
_ST_HIGH = 2.746802770990837  # g = -25.02944665528394
_ST_G_LOW = -39.16616570377141
_ST_G_HIGH = -25.02944665528394


def styblinski_tang_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    """Global minimum -78.332 at (-2.9035, -2.9035); local minima at the other three corners."""
    lo, hi, glo, ghi = _ST_LOW, _ST_HIGH, _ST_G_LOW, _ST_G_HIGH
    return (
        Minimum(lo, lo, glo + glo, "global"),
        Minimum(lo, hi, glo + ghi, "local"),
        Minimum(hi, lo, ghi + glo, "local"),
        Minimum(hi, hi, ghi + ghi, "local"),
    )


def levy13_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (Minimum(1.0, 1.0, 0.0, "global"),)


def saddle_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (Minimum(0.0, 0.0, 0.0, "saddle"),)


def monkey_saddle_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (Minimum(0.0, 0.0, 0.0, "saddle"),)


def ravine_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (Minimum(0.0, 0.0, 0.0, "global"),)


def plateau_minima(p: np.ndarray) -> tuple[Minimum, ...]:
    return (Minimum(PLATEAU_CENTER_X, 0.0, 0.0, "global"),)
