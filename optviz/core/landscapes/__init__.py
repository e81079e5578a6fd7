"""Built-in 2-D loss landscapes: specs, Numba kernels and a NumPy convenience.

- :mod:`.spec`: ``ParamSpec``, ``Minimum``, ``LandscapeSpec``, ``MAX_LANDSCAPE_PARAMS``.
- :mod:`.registry`: ``LANDSCAPES`` (ids in order) and ``get_landscape``.
- :mod:`.functions`: the scalar ``f(x, y, ...) -> (f, df/dx, df/dy)`` Numba functions.
- :mod:`.fastmath`: vectorizable ``sin``/``cos`` for the kernels.
- :mod:`.minima`: known minima and saddle points.
- :mod:`.evaluate`: ``evaluate_landscape_tile``, ``evaluate_grid``, ``value_and_grad``.
"""

from optviz.core.landscapes.evaluate import evaluate_grid, evaluate_landscape_tile, value_and_grad
from optviz.core.landscapes.registry import LANDSCAPES, get_landscape
from optviz.core.landscapes.spec import MAX_LANDSCAPE_PARAMS, LandscapeSpec, Minimum, ParamSpec

__all__ = [
    "LandscapeSpec",
    "ParamSpec",
    "Minimum",
    "LANDSCAPES",
    "get_landscape",
    "MAX_LANDSCAPE_PARAMS",
    "evaluate_landscape_tile",
    "evaluate_grid",
    "value_and_grad",
]
