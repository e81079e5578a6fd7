"""Render options: the `[render]` table of an experiment file, validated.

One dataclass, :class:`RenderOptions`, holds every option of a figure or an
animation. It is built from three sources, later ones winning::

    defaults  <  the experiment's [render] table  <  keyword arguments / CLI flags

with :func:`resolve_options`. Every bad value raises :class:`RenderOptionError`
(a ``ValueError``) whose message names the option, the bad value and what is
allowed, e.g. ``size: 0x720 is not allowed; width and height must be
integers from 16 to 7680``. The CLI prints that message and exits with status 2.

Options (all optional in ``[render]``)::

    size = [1280, 720]          # pixels, also "1280x720"
    step = 250                  # figure: the step drawn (default: the last)
    fps = 30                    # animation frames per second
    frames = 300                # animation frame count ...
    duration = 10.0             # ... or its length in seconds (frames = duration * fps)
    steps_per_frame = 2         # optimizer steps advanced per animation frame
    side_plots = ["loss", "converged", "sharpness", "lr", "schedule", "bias_correction", "weight_decay"]
                                # [] / false: none; "auto": all but sharpness and converged, each only
                                # for the groups it applies to
    step_axis = "linear"        # the side plots' step axis: "linear" or "log" (log starts at step 1)
    trail_length = 30           # recorded frames of trail per particle; -1 = whole path; 0 = none
    particle_mode = "auto"      # "points", "density" or "auto" (density above 20,000 particles)
    colormap = "viridis"        # perceptually uniform: viridis, cividis, magma, inferno, plasma
    log_scale = "auto"          # colour scale of the landscape: true, false or "auto" (the landscape's hint)
    contours = 14               # contour line count, 0 for none
    theme = "light"             # "light" or "dark" page
    title = "..."               # overrides the experiment title; "" hides it
    view = { x = [-2, 2], y = [-1, 3] }   # landscape view (default: the landscape's bounds)
    legend = true
    point_size = 6
    crf = 20                    # MP4 quality (H.264 constant rate factor, 0-51, lower is better)
    gradient_flow = false       # each group's gradient flow (dθ/dt = −∇f from its mean start) as a faint
                                # dashed ghost under the trails, to flow time k·lr at step k
    language = "en"             # texts drawn: "en" or "zh" (Simplified Chinese: titles, legends, side plots,
                                # and the title, caption and labels as the experiment's [translations.zh] gives them)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from optviz.core.inputs import shown
from optviz.experiment import vocabulary
from optviz.experiment.model import MAX_BOUND, MAX_STEPS, MAX_TITLE_CHARS, MIN_RELATIVE_WIDTH
from optviz.render.texts import LANGUAGES

__all__ = [
    "RenderOptionError",
    "RenderOptions",
    "SIDE_PLOTS",
    "STEP_AXES",
    "COLORMAPS",
    "resolve_options",
    "check_render_table",
    "parse_size",
]

#: Side plot names, in the order they are stacked.
SIDE_PLOTS = tuple(vocabulary.SIDE_PLOTS)
COLORMAPS = tuple(vocabulary.COLORMAPS)
PARTICLE_MODES = tuple(vocabulary.PARTICLE_MODES)
THEMES = ("light", "dark")
#: Scales of the side plots' step axis (log: from step 1, since step 0 has no logarithm).
STEP_AXES = ("linear", "log")

MIN_SIDE, MAX_SIDE = 16, 7680
MAX_FRAMES = 100_000


class RenderOptionError(ValueError):
    """A render option has a bad value; the message names option, value and what is allowed."""


@dataclass
class RenderOptions:
    size: tuple[int, int] = (1280, 720)
    step: int | None = None
    fps: float = 30.0
    frames: int | None = None
    duration: float | None = None
    steps_per_frame: float | None = None
    side_plots: tuple[str, ...] | str = "auto"
    step_axis: str | None = None  # None: the experiment's own (its [render] table), else "linear"
    trail_length: int | str = "auto"
    particle_mode: str = "auto"
    colormap: str = "viridis"
    log_scale: bool | str = "auto"
    contours: int = 14
    theme: str = "light"
    title: str | None = None
    view: dict | None = None
    legend: bool = True
    point_size: float = 6.0
    crf: int = 20
    gradient_flow: bool = False
    language: str | None = None  # None: English
    extra: dict = field(default_factory=dict, repr=False)

    def to_table(self) -> dict:
        """The options as a TOML-ready ``[render]`` table (``None`` values left out)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "extra":
                continue
            v = getattr(self, f.name)
            if v is None:
                continue
            if isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out


def _err(name: str, value: Any, allowed: str) -> RenderOptionError:
    return RenderOptionError(f"{name}: {shown(value)} is not allowed; {allowed}")


def parse_size(value: Any, name: str = "size") -> tuple[int, int]:
    """``"1280x720"``, ``[1280, 720]`` or ``(1280, 720)`` -> ``(1280, 720)``, validated."""
    allowed = f"give WIDTHxHEIGHT with integers from {MIN_SIDE} to {MAX_SIDE}, e.g. 1280x720"
    if isinstance(value, str):
        parts = value.lower().replace(" ", "").split("x")
        if len(parts) != 2:
            raise _err(name, value, allowed)
        try:
            w, h = int(parts[0]), int(parts[1])
        except ValueError:
            raise _err(name, value, allowed) from None
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        w, h = value
        if isinstance(w, bool) or isinstance(h, bool):
            raise _err(name, value, allowed)
        if isinstance(w, float) and w.is_integer():
            w = int(w)
        if isinstance(h, float) and h.is_integer():
            h = int(h)
        if not (isinstance(w, int) and isinstance(h, int)):
            raise _err(name, value, allowed)
    else:
        raise _err(name, value, allowed)
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        shown = f"{w}x{h}"
        raise RenderOptionError(f"{name}: {shown} is not allowed; {allowed}")
    return (w, h)


def _as_int(name, v, lo=None, hi=None, allowed=None):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (
        isinstance(v, float) and not v.is_integer()
    ):
        raise _err(name, v, allowed or "an integer is required")
    v = int(v)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"an integer from {lo} to {hi}" if hi is not None else f"an integer >= {lo}"
        raise _err(name, v, allowed or rng)
    return v


def _as_float(name, v, lo_exclusive=None, hi=None):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _err(name, v, "a finite number is required")
    v = float(v)
    if lo_exclusive is not None and v <= lo_exclusive:
        raise _err(name, v, f"a number > {lo_exclusive}" + (f" and <= {hi}" if hi else ""))
    if hi is not None and v > hi:
        raise _err(name, v, f"a number > {lo_exclusive} and <= {hi}")
    return v


def _as_bool(name, v):
    if not isinstance(v, bool):
        raise _err(name, v, "true or false")
    return v


def _as_str(name, v, max_chars=MAX_TITLE_CHARS):
    if not isinstance(v, str) or len(v) > max_chars:
        raise _err(name, v, f"a string of at most {max_chars} characters")
    return v


def _choice(name, v, choices):
    if not isinstance(v, str) or v.lower() not in choices:
        raise _err(name, v, "one of " + ", ".join(repr(c) for c in choices))
    return v.lower()


def _look(name: str):
    """The shared validator of a look option (see :mod:`optviz.experiment.vocabulary`)."""
    def check(v):
        try:
            return vocabulary.check_look(name, v)
        except vocabulary.LookError as error:
            raise RenderOptionError(str(error)) from None
    return check


def _view(v):
    name = "view"
    allowed = ("a table { x = [xmin, xmax], y = [ymin, ymax] } with xmin < xmax and ymin < ymax, each end within "
               f"±{MAX_BOUND:g} and each range at least {MIN_RELATIVE_WIDTH:g} × max(1, |end|) wide"
               ).replace("e+0", "e").replace("e-0", "e-")
    if v is None:
        return None
    if not isinstance(v, dict) or set(v) - {"x", "y"}:
        raise _err(name, v, allowed)
    out = {}
    for k in ("x", "y"):
        if k not in v:
            continue
        r = v[k]
        if (
            not isinstance(r, (list, tuple))
            or len(r) != 2
            or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in r)
            or not all(math.isfinite(a) and abs(a) <= MAX_BOUND for a in r)
            or not r[1] - r[0] >= MIN_RELATIVE_WIDTH * max(1.0, abs(r[0]), abs(r[1]))
        ):
            raise _err(f"view.{k}", r, allowed)
        out[k] = [float(r[0]), float(r[1])]
    return out or None


_VALIDATORS = {
    "size": parse_size,
    "step": lambda v: _as_int("step", v, 0, MAX_STEPS),
    "fps": lambda v: _as_float("fps", v, 0.0, 240.0),
    "frames": lambda v: _as_int("frames", v, 1, MAX_FRAMES),
    "duration": lambda v: _as_float("duration", v, 0.0, 3600.0),
    "steps_per_frame": lambda v: _as_float("steps_per_frame", v, 0.0),
    "step_axis": lambda v: _choice("step_axis", v, STEP_AXES),
    **{name: _look(name) for name in vocabulary.LOOK_OPTIONS},
    "log_scale": lambda v: "auto" if v == "auto" else _as_bool("log_scale", v),
    "contours": lambda v: _as_int("contours", v, 0, 100),
    "theme": lambda v: _choice("theme", v, THEMES),
    "title": lambda v: _as_str("title", v),
    "view": _view,
    "legend": lambda v: _as_bool("legend", v),
    "point_size": lambda v: _as_float("point_size", v, 0.0, 50.0),
    "crf": lambda v: _as_int("crf", v, 0, 51),
    "gradient_flow": lambda v: _as_bool("gradient_flow", v),
    "language": lambda v: _choice("language", v, tuple(LANGUAGES)),
}

# Options of the figure/animation file that are stored but do not change the picture.
_IGNORED = {"format", "output", "kind"}


def check_render_table(table: dict | None, total_steps: int) -> RenderOptions:
    """An experiment's ``[render]`` table validated as ``figure`` and ``export`` will read it,
    its ``step`` within the run's ``total_steps`` (what ``optviz run`` checks before simulating)."""
    opts = resolve_options(table)
    if opts.step is not None and opts.step > total_steps:
        raise RenderOptionError(f"step: {opts.step} is not allowed; the run has steps 0 to {total_steps}")
    return opts


def resolve_options(table: dict | None = None, **overrides) -> RenderOptions:
    """Validate a ``[render]`` table, apply keyword overrides (``None`` = not given).

    Raises :class:`RenderOptionError` on the first bad or unknown option.
    """
    values: dict[str, Any] = {}
    if table:
        if not isinstance(table, dict):
            raise _err("render", table, "a table of render options")
        for k, v in table.items():
            if k in _IGNORED:
                continue
            if k not in _VALIDATORS:
                raise RenderOptionError(
                    f"render.{k if len(k) <= 60 else shown(k)}: unknown option; allowed: "
                    + ", ".join(sorted(_VALIDATORS))
                )
            values[k] = v
    for k, v in overrides.items():
        if v is None:
            continue
        if k not in _VALIDATORS:
            raise TypeError(f"unknown render option {k!r}")
        values[k] = v
    # frames and duration are alternatives: a command-line one replaces the file's one.
    if overrides.get("frames") is not None and overrides.get("duration") is None:
        values.pop("duration", None)
    if overrides.get("duration") is not None and overrides.get("frames") is None:
        values.pop("frames", None)
    opts = RenderOptions()
    for k, v in values.items():
        setattr(opts, k, _VALIDATORS[k](v))
    if opts.frames is not None and opts.duration is not None:
        raise RenderOptionError(
            f"frames: {opts.frames} and duration: {opts.duration} are both given; give one of them"
        )
    return opts
