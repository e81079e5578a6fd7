"""The names every layer uses for how a run is drawn, each said once, in display order.

The view model (:class:`~optviz.models.playback.ViewOptions`), the render options
(``[render]``), the scene, the window's menus and the command's help all take them from
here. Each maps a name to the title a menu shows.
"""

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
