"""Built-in 2-D loss landscapes: specs, Numba kernels and a NumPy convenience.

- :mod:`.spec`: ``ParamSpec``, ``Minimum``, ``LandscapeSpec``, ``MAX_LANDSCAPE_PARAMS``.
- :mod:`.registry`: ``LANDSCAPES`` (ids in order) and ``get_landscape``.
- :mod:`.functions`: the scalar ``f(x, y, ...) -> (f, df/dx, df/dy)`` Numba functions.
- :mod:`.fastmath`: vectorizable ``sin``/``cos`` for the kernels.
- :mod:`.minima`: known minima and saddle points.
- :mod:`.evaluate`: ``POINT_CALLS`` (how kernels call each landscape), ``evaluate_points``, ``evaluate_grid``,
  ``value_and_grad``.
"""

from optviz.core.landscapes.evaluate import POINT_CALLS, evaluate_grid, evaluate_points, value_and_grad
from optviz.core.landscapes.registry import LANDSCAPES, get_landscape
from optviz.core.landscapes.spec import MAX_LANDSCAPE_PARAMS, LandscapeSpec, Minimum, ParamSpec

__all__ = [
    "LandscapeSpec",
    "ParamSpec",
    "Minimum",
    "LANDSCAPES",
    "get_landscape",
    "MAX_LANDSCAPE_PARAMS",
    "POINT_CALLS",
    "evaluate_points",
    "evaluate_grid",
    "value_and_grad",
]
