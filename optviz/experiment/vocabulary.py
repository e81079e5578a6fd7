"""How a run is drawn: the names every layer uses, each said once, and the one validator of each
option that both the experiment's ``[view]`` table (the window) and its ``[render]`` table (figures,
animations) hold.

The window's view model (:class:`~optviz.models.playback.ViewOptions`), the render options
(:class:`~optviz.render.options.RenderOptions`), the scene, the window's menus and the command's
help take the names from here; each maps a name to the title a menu shows. The shared options
(:data:`LOOK_OPTIONS`) are validated by :func:`check_look` wherever they are read, so a value is
refused with the same message whether it came from ``[view]``, ``[render]`` or a command-line flag.
"""

from __future__ import annotations

from typing import Any

from optviz.core.inputs import shown

#: Side plots beside the landscape, in the order they are stacked.
SIDE_PLOTS = {
    "loss": "Loss",
    "converged": "Converged within ε (race)",
    "sharpness": "Sharpness vs stability threshold",
    "lr": "Effective learning rates",
    "schedule": "Learning-rate schedule",
    "bias_correction": "Bias correction and other step factors",
    "weight_decay": "Weight decay applied per step",
}
#: The side plots shown unless an experiment or the user chooses ("auto"): each appears only
#: for groups it applies to; the sharpness (a Hessian at every recorded point) and the race
#: (fraction converged within eps) only when asked.
DEFAULT_SIDE_PLOTS = tuple(name for name in SIDE_PLOTS if name not in ("sharpness", "converged"))

#: Perceptually uniform colormaps of the landscape image (pyqtgraph ships them).
COLORMAPS = {name: name for name in ("viridis", "cividis", "magma", "inferno", "plasma")}

#: How particles are drawn: "auto" switches to a density image above the scene's threshold.
PARTICLE_MODES = {
    "auto": "Automatic (density above 20,000)",
    "points": "Points",
    "density": "Density image",
}

#: Side plots after the time cursor: nothing ("hide", the default) or faint whole curves ("ghost").
FUTURE_MODES = {
    "hide": "Hide the future",
    "ghost": "Show the future in side plots (faint)",
}

#: Older names of the future modes, still read from saved preferences and experiments.
FUTURE_ALIASES = {"fade": "hide", "show": "ghost"}

#: Longest trail, in recorded frames (a run records at most this many steps).
MAX_TRAIL = 100_000_000

#: The options of how a run looks that both ``[view]`` and ``[render]`` hold.
LOOK_OPTIONS = ("trail_length", "particle_mode", "colormap", "side_plots")


class LookError(ValueError):
    """A look option has a bad value: ``"<name>: <value> is not allowed; <what is>"``."""


def _refuse(name: str, value: Any, allowed: str) -> LookError:
    return LookError(f"{name}: {shown(value)} is not allowed; {allowed}")


def _one_of(name: str, value: Any, choices) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        raise _refuse(name, value, "one of " + ", ".join(repr(c) for c in choices))
    return value.lower()


def _trail_length(value: Any) -> int | str:
    if value == "auto":
        return "auto"
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or (isinstance(value, float) and not value.is_integer()) or not -1 <= value <= MAX_TRAIL):
        raise _refuse("trail_length", value, f"an integer from -1 to {MAX_TRAIL} (-1: whole path, 0: none) "
                                             'or "auto"')
    return int(value)


def _side_plots(value: Any) -> tuple[str, ...] | str:
    if value is False or value is None:
        return ()
    if value is True or value == "auto":
        return "auto"
    if isinstance(value, str):
        value = [s for s in value.replace(" ", "").split(",") if s] if value not in ("none", "") else []
    if not isinstance(value, (list, tuple)):
        raise _refuse("side_plots", value, "a list drawn from " + ", ".join(SIDE_PLOTS) + ', "auto" or false')
    for name in value:
        if name not in SIDE_PLOTS:
            raise _refuse("side_plots", name, "each entry is one of " + ", ".join(repr(c) for c in SIDE_PLOTS))
    return tuple(name for name in SIDE_PLOTS if name in value)


_LOOK = {
    "trail_length": _trail_length,
    "particle_mode": lambda v: _one_of("particle_mode", v, PARTICLE_MODES),
    "colormap": lambda v: _one_of("colormap", v, COLORMAPS),
    "side_plots": _side_plots,
}


def check_look(name: str, value: Any) -> Any:
    """``value`` of look option ``name`` (one of :data:`LOOK_OPTIONS`), normalized: names lower-case,
    side plots in stacking order without repeats, ``"auto"`` kept where allowed (trail_length,
    side_plots). Raises :class:`LookError` naming the option, the value and what is allowed."""
    return _LOOK[name](value)
