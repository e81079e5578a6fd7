"""The built-in landscapes as scalar Numba functions.

Each function takes a point ``(x, y)`` and the landscape's hyperparameters as
plain scalars and returns ``(f, df/dx, df/dy)``. They are compiled with
``inline="always"`` and are meant to be called inside the SIMD tile loops of
:mod:`optviz.core.landscapes.evaluate`, so they are branch-free, use only plain
arithmetic, ``abs``/``min``/``max``/``math.sqrt`` and the vectorizable sine, cosine
and exponential of :mod:`optviz.core.landscapes.fastmath`.

Derived constants (for example the sine and cosine of the ravine's angle) are
computed once per tile by the caller and passed in, never read from module
globals (Numba freezes globals at compile time).
"""

import math

from optviz.core.jit import INLINE_OPTIONS, njit
from optviz.core.landscapes.fastmath import fast_exp, fast_sincos, fast_sincospi

_TWO_PI = 2.0 * math.pi
_THREE_PI = 3.0 * math.pi
_E = math.e


@njit(**INLINE_OPTIONS)
def rosenbrock(x, y, a, b):
    """f(x, y) = (a - x)^2 + b (y - x^2)^2; global minimum 0 at (a, a^2)."""
    d = a - x
    e = y - x * x
    f = d * d + b * e * e
    gx = -2.0 * d - 4.0 * b * x * e
    gy = 2.0 * b * e
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def beale(x, y):
    """f(x, y) = (1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2.

    Global minimum 0 at (3, 0.5).
    """
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    f = t1 * t1 + t2 * t2 + t3 * t3
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * t2 * y + 3.0 * t3 * y2)
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def himmelblau(x, y):
    """f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2; four global minima of value 0."""
    t1 = x * x + y - 11.0
    t2 = x + y * y - 7.0
    f = t1 * t1 + t2 * t2
    gx = 4.0 * x * t1 + 2.0 * t2
    gy = 2.0 * t1 + 4.0 * y * t2
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def rastrigin(x, y, a):
    """f(x, y) = 2 A + x^2 - A cos(2 pi x) + y^2 - A cos(2 pi y); global minimum 0 at (0, 0)."""
    sx, cx = fast_sincospi(2.0 * x)
    sy, cy = fast_sincospi(2.0 * y)
    f = (x * x + a * (1.0 - cx)) + (y * y + a * (1.0 - cy))
    gx = 2.0 * x + _TWO_PI * a * sx
    gy = 2.0 * y + _TWO_PI * a * sy
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def ackley(x, y, a, b, c):
    """f(x, y) = -a exp(-b sqrt((x^2 + y^2) / 2)) - exp((cos(c x) + cos(c y)) / 2) + a + e.

    Global minimum 0 at (0, 0), a cone tip where the gradient is taken as 0.
    """
    rho = math.sqrt(0.5 * (x * x + y * y))
    e1 = fast_exp(-b * rho)
    sx, cx = fast_sincos(c * x)
    sy, cy = fast_sincos(c * y)
    e2 = fast_exp(0.5 * (cx + cy))
    f = (a - a * e1) + (_E - e2)
    # d rho / dx = x / (2 rho), which lies in [-1/sqrt(2), 1/sqrt(2)]: the clamp keeps it
    # there when x*x underflows, and makes it 0 at the origin (0 / tiny).
    inv = 0.5 / max(rho, 1e-300)
    dx = min(max(x * inv, -0.7071067811865476), 0.7071067811865476)
    dy = min(max(y * inv, -0.7071067811865476), 0.7071067811865476)
    k1 = a * b * e1
    k2 = 0.5 * c * e2
    gx = k1 * dx + k2 * sx
    gy = k1 * dy + k2 * sy
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def booth(x, y):
    """f(x, y) = (x + 2 y - 7)^2 + (2 x + y - 5)^2; global minimum 0 at (1, 3)."""
    t1 = x + 2.0 * y - 7.0
    t2 = 2.0 * x + y - 5.0
    f = t1 * t1 + t2 * t2
    gx = 2.0 * t1 + 4.0 * t2
    gy = 4.0 * t1 + 2.0 * t2
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def goldstein_price(x, y):
    """f(x, y) = [1 + (x + y + 1)^2 (19 - 14 x + 3 x^2 - 14 y + 6 x y + 3 y^2)]
               * [30 + (2 x - 3 y)^2 (18 - 32 x + 12 x^2 + 48 y - 36 x y + 27 y^2)].

    Global minimum 3 at (0, -1).
    """
    s = x + y + 1.0
    p = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    t = 2.0 * x - 3.0 * y
    q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    s2 = s * s
    t2 = t * t
    u = 1.0 + s2 * p
    v = 30.0 + t2 * q
    # du/dx = 2 s p + s^2 dp/dx, dp/dx = -14 + 6 x + 6 y = dp/dy
    dp = -14.0 + 6.0 * x + 6.0 * y
    ux = 2.0 * s * p + s2 * dp
    uy = ux
    # dv/dx = 4 t q + t^2 dq/dx, dv/dy = -6 t q + t^2 dq/dy
    vx = 4.0 * t * q + t2 * (-32.0 + 24.0 * x - 36.0 * y)
    vy = -6.0 * t * q + t2 * (48.0 - 36.0 * x + 54.0 * y)
    f = u * v
    gx = ux * v + u * vx
    gy = uy * v + u * vy
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def six_hump_camel(x, y):
    """f(x, y) = (4 - 2.1 x^2 + x^4 / 3) x^2 + x y + (-4 + 4 y^2) y^2.

    Global minima -1.0316 at (0.0898, -0.7126) and (-0.0898, 0.7126); four local minima.
    """
    x2 = x * x
    y2 = y * y
    f = (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2
    gx = 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y
    gy = x - 8.0 * y + 16.0 * y2 * y
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def three_hump_camel(x, y):
    """f(x, y) = 2 x^2 - 1.05 x^4 + x^6 / 6 + x y + y^2; global minimum 0 at (0, 0)."""
    x2 = x * x
    x4 = x2 * x2
    f = 2.0 * x2 - 1.05 * x4 + x4 * x2 / 6.0 + x * y + y * y
    gx = 4.0 * x - 4.2 * x2 * x + x4 * x + y
    gy = x + 2.0 * y
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def matyas(x, y):
    """f(x, y) = 0.26 (x^2 + y^2) - 0.48 x y; global minimum 0 at (0, 0)."""
    f = 0.26 * (x * x + y * y) - 0.48 * x * y
    gx = 0.52 * x - 0.48 * y
    gy = 0.52 * y - 0.48 * x
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def styblinski_tang(x, y):
    """f(x, y) = 0.5 (x^4 - 16 x^2 + 5 x + y^4 - 16 y^2 + 5 y).

    Global minimum -78.332 at (-2.9035, -2.9035); three local minima.
    """
    x2 = x * x
    y2 = y * y
    f = 0.5 * ((x2 * x2 - 16.0 * x2 + 5.0 * x) + (y2 * y2 - 16.0 * y2 + 5.0 * y))
    gx = 2.0 * x2 * x - 16.0 * x + 2.5
    gy = 2.0 * y2 * y - 16.0 * y + 2.5
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def levy13(x, y):
    """f(x, y) = sin^2(3 pi x) + (x - 1)^2 (1 + sin^2(3 pi y)) + (y - 1)^2 (1 + sin^2(2 pi y)).

    Levy function N.13; global minimum 0 at (1, 1).
    """
    s3x, c3x = fast_sincospi(3.0 * x)
    s3y, c3y = fast_sincospi(3.0 * y)
    s2y, c2y = fast_sincospi(2.0 * y)
    dx = x - 1.0
    dy = y - 1.0
    ax = 1.0 + s3y * s3y
    ay = 1.0 + s2y * s2y
    f = s3x * s3x + dx * dx * ax + dy * dy * ay
    gx = 2.0 * _THREE_PI * s3x * c3x + 2.0 * dx * ax
    gy = 2.0 * _THREE_PI * dx * dx * s3y * c3y + 2.0 * dy * ay + 2.0 * _TWO_PI * dy * dy * s2y * c2y
    return f, gx, gy


@njit(**INLINE_OPTIONS)
def saddle(x, y):
    """f(x, y) = x^2 - y^2; a saddle point at (0, 0), unbounded below."""
    return x * x - y * y, 2.0 * x, -2.0 * y


@njit(**INLINE_OPTIONS)
def monkey_saddle(x, y):
    """f(x, y) = x^3 - 3 x y^2; a degenerate (monkey) saddle at (0, 0), unbounded below."""
    x2 = x * x
    y2 = y * y
    return x * (x2 - 3.0 * y2), 3.0 * (x2 - y2), -6.0 * x * y


@njit(**INLINE_OPTIONS)
def ravine(x, y, condition, cos_phi, sin_phi):
    """f(x, y) = 0.5 (u^2 + condition v^2); u, v are x, y rotated by phi.

    u = cos(phi) x + sin(phi) y, v = -sin(phi) x + cos(phi) y.

    Evaluated as 0.5 (x^2 + y^2) + 0.5 (condition - 1) v^2 (since u^2 + v^2 = x^2 + y^2),
    so that condition = 1 gives exactly 0.5 (x^2 + y^2) and gradient (x, y) for any angle.
    Global minimum 0 at (0, 0).
    """
    v = cos_phi * y - sin_phi * x
    k = condition - 1.0
    f = 0.5 * (x * x + y * y) + 0.5 * k * (v * v)
    gx = x - k * v * sin_phi
    gy = y + k * v * cos_phi
    return f, gx, gy


#: Centre of the plateau landscape's basin.
PLATEAU_CENTER_X = 2.0


@njit(**INLINE_OPTIONS)
def plateau(x, y, height, steepness, width):
    """f(x, y) = B(x, y) C(x), a flat plateau, a cliff and a basin.

    B = 1 - exp(-((x - 2)^2 + y^2) / (2 width^2)) is a Gaussian well: 0 at its centre
    (2, 0) and nearly flat (-> 1) far from it.
    C = 1 + height / (1 + exp(steepness x)) is a smooth step: 1 + height for x << 0
    (the plateau), 1 for x >> 0, with a cliff of slope about height * steepness / 4 at x = 0.

    Global minimum 0 at (2, 0) (B = 0 and grad B = 0 there, C > 0). On the plateau
    (x < -1) the gradient decays like exp(-(x - 2)^2 / (2 width^2)): plain gradient descent
    stalls there while sign- or scale-adaptive methods keep moving, and the cliff's steep
    gradient then throws non-adaptive methods far across the basin.
    """
    dx = x - PLATEAU_CENTER_X
    inv_w2 = 1.0 / (width * width)  # loop-invariant: hoisted, so no division per particle
    e = fast_exp(-0.5 * (dx * dx + y * y) * inv_w2)
    bw = 1.0 - e
    s = 1.0 / (1.0 + fast_exp(steepness * x))  # logistic(-steepness x), overflow-safe
    c = 1.0 + height * s
    f = bw * c
    gx = (e * dx * inv_w2) * c - bw * height * steepness * s * (1.0 - s)
    gy = (e * y * inv_w2) * c
    return f, gx, gy
