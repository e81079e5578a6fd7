"""The table of built-in landscapes: ``LANDSCAPES`` and ``get_landscape``.

Ids are the position in this table and are stable: kernels dispatch on them and
saved runs record them, so new landscapes are appended, never inserted.
"""

from __future__ import annotations

import math

from optviz.core.inputs import shown
from optviz.core.landscapes import minima as _m
from optviz.core.landscapes.spec import LandscapeSpec, ParamSpec

__all__ = ["LANDSCAPES", "get_landscape"]

_INF = math.inf


def _table() -> dict[str, LandscapeSpec]:
    specs = [
        dict(
            name="rosenbrock",
            title="Rosenbrock",
            formula="f(x, y) = (a - x)^2 + b (y - x^2)^2",
            description=(
                "A long curved banana valley: easy to reach, slow to follow to the minimum "
                "at (a, a^2)."
            ),
            params=(
                ParamSpec("a", 1.0, -_INF, _INF, "x of the minimum (a, a^2)"),
                ParamSpec("b", 100.0, 0.0, _INF, "steepness of the valley walls"),
            ),
            bounds=((-2.0, 2.0), (-1.0, 3.0)),
            log_scale=True,
            minima_fn=_m.rosenbrock_minima,
            expression="(a - x)**2 + b*(y - x**2)**2",
        ),
        dict(
            name="beale",
            title="Beale",
            formula="f(x, y) = (1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2",
            description=(
                "Flat valleys and sharp ridges that meet at corners: tests step-size "
                "adaptation over wildly varying gradient scales."
            ),
            params=(),
            bounds=((-4.5, 4.5), (-4.5, 4.5)),
            log_scale=True,
            minima_fn=_m.beale_minima,
            expression="(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        ),
        dict(
            name="himmelblau",
            title="Himmelblau",
            formula="f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            description=(
                "Four equal global minima: which one a particle finds depends on where it "
                "starts and on the optimizer's momentum."
            ),
            params=(),
            bounds=((-5.0, 5.0), (-5.0, 5.0)),
            log_scale=True,
            minima_fn=_m.himmelblau_minima,
            expression="(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        ),
        dict(
            name="rastrigin",
            title="Rastrigin",
            formula="f(x, y) = 2 A + x^2 - A cos(2 pi x) + y^2 - A cos(2 pi y)",
            description=(
                "A bowl covered in a regular grid of local minima: gradient methods get "
                "trapped, momentum and noise help escape."
            ),
            params=(ParamSpec("A", 10.0, 0.0, _INF, "amplitude of the cosine ripples"),),
            bounds=((-5.12, 5.12), (-5.12, 5.12)),
            log_scale=False,
            minima_fn=_m.rastrigin_minima,
            expression="2*A + x**2 - A*cos(2*pi*x) + y**2 - A*cos(2*pi*y)",
        ),
        dict(
            name="ackley",
            title="Ackley",
            formula=(
                "f(x, y) = -a exp(-b sqrt((x^2 + y^2) / 2)) - exp((cos(c x) + cos(c y)) / 2)"
                " + a + e"
            ),
            description=(
                "A nearly flat, rippled outer region around one deep narrow funnel: "
                "local minima everywhere and a weak global signal."
            ),
            params=(
                ParamSpec("a", 20.0, 0.0, _INF, "depth of the central funnel"),
                ParamSpec("b", 0.2, 0.0, _INF, "decay rate of the funnel"),
                ParamSpec("c", 2.0 * math.pi, 0.0, _INF, "angular frequency of the ripples"),
            ),
            bounds=((-5.0, 5.0), (-5.0, 5.0)),
            log_scale=False,
            minima_fn=_m.ackley_minima,
            expression="-a*exp(-b*sqrt((x**2 + y**2)/2)) - exp((cos(c*x) + cos(c*y))/2) + a + e",
        ),
        dict(
            name="booth",
            title="Booth",
            formula="f(x, y) = (x + 2 y - 7)^2 + (2 x + y - 5)^2",
            description=(
                "A mildly ill-conditioned quadratic bowl (condition number 9) with its "
                "minimum at (1, 3)."
            ),
            params=(),
            bounds=((-10.0, 10.0), (-10.0, 10.0)),
            log_scale=True,
            minima_fn=_m.booth_minima,
            expression="(x + 2*y - 7)**2 + (2*x + y - 5)**2",
        ),
        dict(
            name="goldstein_price",
            title="Goldstein-Price",
            formula=(
                "f(x, y) = [1 + (x + y + 1)^2 (19 - 14 x + 3 x^2 - 14 y + 6 x y + 3 y^2)]"
                " [30 + (2 x - 3 y)^2 (18 - 32 x + 12 x^2 + 48 y - 36 x y + 27 y^2)]"
            ),
            description=(
                "Values spanning six orders of magnitude with several local minima: "
                "raw gradient steps explode where adaptive ones cope."
            ),
            params=(),
            bounds=((-2.0, 2.0), (-2.0, 2.0)),
            log_scale=True,
            minima_fn=_m.goldstein_price_minima,
            expression=(
                "(1 + (x + y + 1)**2*(19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2))"
                "*(30 + (2*x - 3*y)**2*(18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))"
            ),
        ),
        dict(
            name="six_hump_camel",
            title="Six-hump camel",
            formula="f(x, y) = (4 - 2.1 x^2 + x^4 / 3) x^2 + x y + (-4 + 4 y^2) y^2",
            description=(
                "Two symmetric global minima and four local ones: a map of the basins of "
                "attraction of each optimizer."
            ),
            params=(),
            bounds=((-2.5, 2.5), (-1.5, 1.5)),
            log_scale=True,
            minima_fn=_m.six_hump_camel_minima,
            expression="(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2",
        ),
        dict(
            name="three_hump_camel",
            title="Three-hump camel",
            formula="f(x, y) = 2 x^2 - 1.05 x^4 + x^6 / 6 + x y + y^2",
            description=(
                "A global minimum flanked by two shallow local minima that catch "
                "particles without momentum."
            ),
            params=(),
            bounds=((-2.5, 2.5), (-2.5, 2.5)),
            log_scale=True,
            minima_fn=_m.three_hump_camel_minima,
            expression="2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2",
        ),
        dict(
            name="matyas",
            title="Matyas",
            formula="f(x, y) = 0.26 (x^2 + y^2) - 0.48 x y",
            description=(
                "A flat, tilted quadratic (condition number 25) whose diagonal valley "
                "makes plain gradient descent zig-zag and crawl."
            ),
            params=(),
            bounds=((-10.0, 10.0), (-10.0, 10.0)),
            log_scale=True,
            minima_fn=_m.matyas_minima,
            expression="0.26*(x**2 + y**2) - 0.48*x*y",
        ),
        dict(
            name="styblinski_tang",
            title="Styblinski-Tang",
            formula="f(x, y) = 0.5 (x^4 - 16 x^2 + 5 x + y^4 - 16 y^2 + 5 y)",
            description=(
                "Four basins of different depth, one per quadrant: the global one is only "
                "slightly deeper than its neighbours."
            ),
            params=(),
            bounds=((-5.0, 5.0), (-5.0, 5.0)),
            log_scale=False,
            minima_fn=_m.styblinski_tang_minima,
            expression="0.5*(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y)",
        ),
        dict(
            name="levy13",
            title="Levy N.13",
            formula=(
                "f(x, y) = sin^2(3 pi x) + (x - 1)^2 (1 + sin^2(3 pi y))"
                " + (y - 1)^2 (1 + sin^2(2 pi y))"
            ),
            description=(
                "A bowl with dense ripples of unequal frequency in x and y: local minima "
                "in rows, a single global minimum at (1, 1)."
            ),
            params=(),
            bounds=((-4.0, 6.0), (-4.0, 6.0)),
            log_scale=True,
            minima_fn=_m.levy13_minima,
            expression="sin(3*pi*x)**2 + (x - 1)**2*(1 + sin(3*pi*y)**2) + (y - 1)**2*(1 + sin(2*pi*y)**2)",
        ),
        dict(
            name="saddle",
            title="Saddle",
            formula="f(x, y) = x^2 - y^2",
            description=(
                "A saddle point at the origin: particles started on the x axis stall "
                "there; noise and momentum escape along y."
            ),
            params=(),
            bounds=((-2.0, 2.0), (-2.0, 2.0)),
            log_scale=False,
            minima_fn=_m.saddle_minima,
            expression="x**2 - y**2",
        ),
        dict(
            name="monkey_saddle",
            title="Monkey saddle",
            formula="f(x, y) = x^3 - 3 x y^2",
            description=(
                "A degenerate saddle with three downhill valleys and a vanishing Hessian: "
                "second-order information cannot see the way out."
            ),
            params=(),
            bounds=((-2.0, 2.0), (-2.0, 2.0)),
            log_scale=False,
            minima_fn=_m.monkey_saddle_minima,
            expression="x**3 - 3*x*y**2",
        ),
        dict(
            name="ravine",
            title="Ravine",
            formula=(
                "f(x, y) = 0.5 (u^2 + condition v^2), u = cos(phi) x + sin(phi) y, "
                "v = -sin(phi) x + cos(phi) y, phi = angle in degrees"
            ),
            description=(
                "An ill-conditioned rotated quadratic: gradient descent zig-zags across "
                "the ravine, momentum and diagonal preconditioning differ with the angle."
            ),
            params=(
                ParamSpec(
                    "condition", 20.0, 1.0, _INF, "ratio of the largest to the smallest curvature"
                ),
                ParamSpec("angle", 30.0, -360.0, 360.0, "rotation of the ravine, degrees"),
            ),
            bounds=((-3.0, 3.0), (-3.0, 3.0)),
            log_scale=False,
            minima_fn=_m.ravine_minima,
            expression="0.5*(x**2 + y**2) + 0.5*(condition - 1)*(cos(angle*pi/180)*y - sin(angle*pi/180)*x)**2",
        ),
        dict(
            name="plateau",
            title="Plateau and cliff",
            formula=(
                "f(x, y) = (1 - exp(-((x - 2)^2 + y^2) / (2 width^2)))"
                " (1 + height / (1 + exp(steepness x)))"
            ),
            description=(
                "A nearly flat plateau with vanishing gradient, a steep cliff and a basin: "
                "adaptive methods cross the plateau, plain gradient steps stall, then "
                "overshoot at the cliff."
            ),
            params=(
                ParamSpec("height", 3.0, 0.0, _INF, "height of the cliff above the basin rim"),
                ParamSpec("steepness", 10.0, 0.0, _INF, "steepness of the cliff at x = 0"),
                ParamSpec("width", 1.0, 0.01, _INF, "width of the Gaussian basin at (2, 0)"),
            ),
            bounds=((-4.0, 4.0), (-3.0, 3.0)),
            log_scale=False,
            minima_fn=_m.plateau_minima,
            expression="(1 - exp(-((x - 2)**2 + y**2)/(2*width**2)))*(1 + height*(1 - tanh(steepness*x/2))/2)",
        ),
    ]
    return {s["name"]: LandscapeSpec(id=i, **s) for i, s in enumerate(specs)}


#: The built-in landscapes by name, in id order.
LANDSCAPES: dict[str, LandscapeSpec] = _table()


def get_landscape(name: str) -> LandscapeSpec:
    """The landscape called ``name``; an unknown name raises ``ValueError`` listing the known."""
    try:
        return LANDSCAPES[name]
    except (KeyError, TypeError):
        known = ", ".join(LANDSCAPES)
        raise ValueError(
            f"landscape.name = {shown(name)} is not a known landscape; known: {known}"
        ) from None
