"""The optviz scene: one pyqtgraph composition used by the window and by export.

:class:`Scene` is a ``pg.GraphicsLayoutWidget``::

    +------------------------------------------------------------+
    | title                                                       |
    | caption (what to look for; wrapped to the width)            |
    +---------------------------------+--------------------------+
    | landscape (image, contours,     | loss                     |
    | minima, particles, trails,      | effective LR, precond.   |
    | diverged x, step counter,       | effective LR, realized   |
    | legend)                         | Adam bias correction     |
    +---------------------------------+--------------------------+

Drive it with a few calls (all cheap unless noted)::

    scene = Scene(theme="light")            # a QWidget; put it in a window or keep it hidden
    scene.set_experiment(exp)               # landscape, groups, colours, title (samples the landscape)
    scene.set_data(result)                  # a RunResult or any object with the same arrays;
                                            # recomputes side-plot statistics: O(F*N log N)
    scene.show_frame(i)                     # recorded frame i (negative counts from the end); ~3-10 ms
    scene.set_view((x0, x1), (y0, y1))      # re-samples landscape image and contours (~20 ms)
    scene.set_trail_length(n)               # recorded frames per trail; -1 whole path; 0 none
    scene.set_visible_groups([0, 2])        # or None for all
    scene.set_side_plots(["loss", "lr"])    # subset of SIDE_PLOTS; [] hides the column
    scene.set_particle_mode("auto")         # "points" | "density" | "auto" (density above 20,000)
    scene.set_future("ghost")               # side plots after the cursor: "hide" (default) | "ghost"
    scene.set_step_axis("log")              # side plots' step axis: "linear" (default) | "log" (from step 1)
    scene.set_selected_group(3)             # its particles and trail above all others; None
    scene.set_gradient_flow(True)           # each group's gradient flow as a dashed ghost (render/flow.py)
    scene.set_curvature((x, y), hessian)    # eigen-directions and quadratic model at a point; None clears
    scene.set_language("zh")                # texts drawn in Simplified Chinese (render/texts.py); "en"
    scene.apply_options(render_options)     # everything of a RenderOptions at once
    img = scene.render_array()              # (H, W, 4) uint8 BGRA of the widget as it is now

Time: nothing drawn shows a step after the cursor (the frame shown): trails end
at it, side-plot curves end at its step (the future as faint ghosts only with
``set_future("ghost")``), gradient-flow ghosts end at its flow time k·lr.

Stacking, bottom to top: landscape, contours, gradient-flow ghosts, trails (thin, translucent), minima
markers, particles (groups with fewer particles above bigger ones, the selected
group on top), diverged markers.

Live use (the app): call :meth:`set_data` whenever the run's history has grown
and :meth:`show_frame` from the screen timer. ``set_data(result,
update_side_plots=False)`` is cheap (arrays are referenced, not copied); with
the default ``True`` it recomputes the side-plot quantiles (O(F*N log N), on at
most 20,000 particles per group), so do that a few times per second at most.
With ``interactive=True`` (default) pan and zoom re-sample the landscape
automatically (debounced, 80 ms) and emit :attr:`sigViewChanged`;
:attr:`sigFrameShown` tells which frame is drawn, :attr:`sigParticleClicked`
which particle was clicked, :attr:`sigLandscapeClicked` where the landscape
was clicked. Above ``scene.particles.density_threshold`` (20,000) particles
are drawn as a density image in "auto" mode; ``scene.particles.max_trails``
(600) caps how many particles draw trails.

Result-like data: attributes ``positions`` (F, N, 2), ``loss`` (F, N),
``lr_preconditioned`` and ``lr_realized`` (F, N, 2), ``step`` (F,), ``group``
(N,), ``diverged_at`` (N,; -1 = never, else the step); optionally
``side_stats`` (precomputed per-frame group statistics, see
:meth:`SidePlots.build`). Other attributes are ignored. Frame 0 is the initial state.

Experiment-like input: ``title``, ``caption`` (optional), ``translated(text, language)`` (optional:
the experiment's own translation of its title, caption or a group label), ``landscape_spec()``, ``landscape_params()``,
``groups`` (``label``, ``optimizer``, ``color``, ``sweep_axes()``, ``resolved_hyper()``,
``resolved_schedule()``, ``particle_hyper()`` for a swept group's schedule), ``run.steps``.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.core.optimizers import get_optimizer
from optviz.experiment.vocabulary import DEFAULT_SIDE_PLOTS, FUTURE_ALIASES
from optviz.models.live import frame_for_step
from optviz.render.colors import THEMES, group_colors, parse_color
from optviz.render.curvature_overlay import CurvatureOverlay
from optviz.render.flow import FlowLayer, flow_pen
from optviz.render.landscape_image import LandscapeLayer
from optviz.render.options import SIDE_PLOTS, STEP_AXES, RenderOptions
from optviz.render.particles import ParticleLayer
from optviz.render.qt import grab, settle_offscreen
from optviz.render.side_plots import GroupOptimizer, SidePlots
from optviz.render.texts import check_language, localize, localize_format

__all__ = ["Scene", "SIDE_PLOTS"]

_NEVER = np.iinfo(np.int64).max // 2


def _optimizer(group) -> GroupOptimizer | None:
    """What the side plots ask of a group's optimizer (its spec answers); None for a swept
    group, whose hyperparameters differ per particle."""
    if group.sweep_axes():
        return None
    return GroupOptimizer(get_optimizer(group.optimizer), group.resolved_hyper(), group.resolved_schedule())


def _schedule(group) -> tuple[float, dict]:
    """What the schedule plot asks of a group: (lr, resolved schedule); a swept lr: the median
    over its cells (every cell holds as many particles)."""
    lr = group.resolved_hyper()["lr"]
    if group.sweep_axes():
        lr = float(np.median(np.asarray(group.particle_hyper(1)["lr"], dtype=np.float64)))
    return float(lr), group.resolved_schedule()


def _race_eps(exp) -> float | None:
    """The eps of the experiment's race statistics (the converged side plot); None: the default."""
    race_eps = getattr(exp, "race_eps", None)
    return race_eps() if callable(race_eps) else None


def _experiment_step_axis(exp) -> str:
    """The experiment's ``[render] step_axis`` ("linear" when absent or not one of STEP_AXES:
    ``optviz run``/``figure``/``export`` reject a bad one with a message)."""
    render = getattr(exp, "render", None)
    axis = render.get("step_axis", "linear") if isinstance(render, dict) else "linear"
    return axis.lower() if isinstance(axis, str) and axis.lower() in STEP_AXES else "linear"


class Scene(pg.GraphicsLayoutWidget):
    """The landscape + particles + side plots view. See the module docstring."""

    #: Emitted with the recorded frame index after :meth:`show_frame` drew it.
    sigFrameShown = QtCore.Signal(int)
    #: Emitted with ((x0, x1), (y0, y1)) after the landscape was re-sampled for a new view.
    sigViewChanged = QtCore.Signal(object)
    #: Emitted with the particle index (into the result arrays) when a drawn particle is clicked.
    sigParticleClicked = QtCore.Signal(int)
    #: Emitted with (x, y) in landscape coordinates on a left click on the landscape
    #: that did not hit a particle (the app places particles with it).
    sigLandscapeClicked = QtCore.Signal(float, float)

    def __init__(self, parent=None, *, theme: str = "light", interactive: bool = True,
                 font_px: int = 13):
        self.theme_name = theme
        self.theme = THEMES[theme]
        super().__init__(parent, show=False)
        self.setBackground(self.theme["background"])
        self.interactive = interactive
        self.font_px = int(font_px)
        self.ci.setContentsMargins(6, 4, 10, 6)
        self.ci.setSpacing(4)
        self._exp = None
        self._data = None
        self._steps = np.zeros(1, dtype=np.int64)
        self._frame = 0
        self._total_steps = None
        self._side_names: tuple[str, ...] = DEFAULT_SIDE_PLOTS
        self._visible_groups = None
        self._labels: list[str] = []
        self._colors: list[tuple[int, int, int]] = []
        self._counts = np.zeros(0, dtype=np.int64)
        self._legend_key = None
        self._group_src = None
        self._group_i64 = np.zeros(0, dtype=np.int64)
        self._div_frame_buf = None
        self._div_frame_set = np.zeros(0, dtype=np.int64)
        self._view = ((0.0, 1.0), (0.0, 1.0))
        self._title_override = None
        self._step_axis = None  # chosen by options or set_step_axis (None: the experiment's)
        #: the language of the texts drawn ("en" or "zh"; see set_language)
        self.language = "en"

        self.title = pg.LabelItem("", color=self.theme["foreground"], size=f"{self.font_px + 3}px")
        self.title.item.document().setDefaultTextOption(QtGui.QTextOption(QtCore.Qt.AlignmentFlag.AlignHCenter))
        self.ci.addItem(self.title, row=0, col=0, colspan=2)

        self.plot = pg.PlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=interactive, y=interactive)
        font = QtGui.QFont()
        font.setPixelSize(max(self.font_px - 2, 8))
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setPen(pg.mkPen(self.theme["muted"]))
            ax.setTextPen(pg.mkPen(self.theme["foreground"]))
            ax.setStyle(tickFont=font, tickTextOffset=3)
        self.plot.getAxis("left").setWidth(int(self.font_px * 3.6))
        self.plot.getAxis("bottom").setHeight(int(self.font_px * 2.6))
        self.plot.setLabel("bottom", "x", color=self.theme["foreground"], size=f"{self.font_px - 1}px")
        self.plot.setLabel("left", "y", color=self.theme["foreground"], size=f"{self.font_px - 1}px")
        self.plot.enableAutoRange(False)
        self.ci.addItem(self.plot, row=1, col=0, rowspan=4)
        self.vb = self.plot.getViewBox()

        self.landscape = LandscapeLayer(self.plot)
        self.particles = ParticleLayer(self.plot)
        self.flow = FlowLayer(self.plot)
        self.side = SidePlots(self.ci, row=1, col=1, theme=self.theme, font_px=self.font_px)
        self.curvature = CurvatureOverlay(font_px=self.font_px)
        self.plot.addItem(self.curvature, ignoreBounds=True)
        self._curvature_at = None

        # step counter, pinned to the view box's bottom-left corner (pixel coordinates): the
        # legend is top-right, and in a narrow view the two would overlap at the top
        self.step_text = pg.TextItem("", color=self.theme["foreground"], anchor=(0, 1),
                                     fill=pg.mkBrush(*self.theme["panel"]))
        self.step_text.setParentItem(self.vb)
        self._place_step_text()
        self.vb.sigResized.connect(self._place_step_text)
        self.step_text.setZValue(200)
        f = QtGui.QFont()
        f.setPixelSize(self.font_px)
        self.step_text.setFont(f)

        self.legend = pg.LegendItem(offset=(-8, 8), labelTextColor=self.theme["foreground"],
                                    labelTextSize=f"{self.font_px - 1}px",
                                    brush=pg.mkBrush(*self.theme["panel"]),
                                    pen=pg.mkPen(self.theme["muted"]), verSpacing=-4)
        self.legend.setParentItem(self.vb)
        self.legend.setZValue(200)
        self._legend_visible = True
        self.vb.sigResized.connect(self._refit_legend)

        self._resample_timer = QtCore.QTimer(self)
        self._resample_timer.setSingleShot(True)
        self._resample_timer.setInterval(80)
        self._resample_timer.timeout.connect(self._resample_now)
        self._sampled_range = None
        self.vb.sigRangeChanged.connect(self._on_range_changed)
        self.particles.points.sigClicked.connect(self._on_points_clicked)
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self._clicked_particle = False
        self._layout_columns()

    def _place_step_text(self, *_):
        self.step_text.setPos(6, max(float(self.vb.height()) - 6, 6.0))

    # ------------------------------------------------------------------ setup
    def set_experiment(self, exp) -> None:
        """Show experiment ``exp``: landscape, view, group colours/labels, title. Clears data."""
        self._exp = exp
        spec = exp.landscape_spec()
        minima = spec.minima()
        x_name, y_name = getattr(spec, "axis_names", ("x", "y"))
        for side, name in (("bottom", x_name), ("left", y_name)):
            self.plot.setLabel(side, name, color=self.theme["foreground"], size=f"{self.font_px - 1}px")
        self.landscape.set_landscape(spec.evaluate_grid, log_hint=spec.log_scale, minima=minima)
        self._minima_kinds = sorted({m.kind for m in minima})
        self._colors = group_colors(exp.groups)
        self._labels = self._group_labels(exp)
        self._optimizers = [_optimizer(g) for g in exp.groups]
        self._schedules = [_schedule(g) for g in exp.groups]
        self._surface = spec
        self.flow.set_experiment(exp)
        run = getattr(exp, "run", None)
        self._total_steps = getattr(run, "steps", None)
        # the story's step axis travels with the experiment (the window applies no [render]
        # table), unless options or set_step_axis chose one
        self.side.step_axis = self._step_axis or _experiment_step_axis(exp)
        self._update_title()
        self._data = None
        self._side_source = None
        self._counts = np.zeros(len(self._colors), dtype=np.int64)
        self.particles.set_groups(np.zeros(0, dtype=np.int64), self._colors)
        (x0, x1), (y0, y1) = spec.bounds
        self.landscape.relevel()
        self.set_view((x0, x1), (y0, y1))
        self._legend_key = None
        self._update_legend()
        self.step_text.setText("")

    def _text(self, text: str, **values) -> str:
        """``text`` (English) in the scene's language, its placeholders filled."""
        return localize_format(text, self.language, **values) if values else localize(text, self.language)

    def _own_text(self, text: str) -> str:
        """The experiment's title, caption or a group label in the scene's language (the experiment's
        ``[translations]``; else as written)."""
        translated = getattr(self._exp, "translated", None)
        return translated(text, self.language) if translated is not None else text

    def _group_labels(self, exp) -> list[str]:
        return [self._own_text(str(g.label)) if getattr(g, "label", None) is not None
                else self._text("group {index}", index=i) for i, g in enumerate(exp.groups)]

    def set_language(self, code: str) -> None:
        """Draw every text in ``code`` ("en" or "zh"): the title and caption and the group labels (as
        the experiment translates them), the step counter, the legend and the side plots."""
        self.language = check_language(code)
        self.side.set_language(code)
        if self._exp is not None:
            n = len(self._exp.groups)
            self._labels[:n] = self._group_labels(self._exp)
            self._labels[n:] = [self._text("group {index}", index=i) for i in range(n, len(self._labels))]
        self._update_title()
        self._legend_key = None
        if self._data is not None:
            self._build_side()
            self.show_frame(self._frame)
        else:
            self._update_legend()

    def set_data(self, result, *, update_side_plots: bool = True, frame: int | None = None,
                 side_result=None) -> None:
        """Use the arrays of ``result`` (a RunResult or alike) and draw ``frame`` (default: the
        current frame, clamped). ``side_result``: another result-like object (for example a
        sample of the particles, with the same steps) from which the side plots are computed
        instead of ``result``."""
        if side_result is not None:
            self._side_source = side_result
        pos = result.positions
        if not (hasattr(pos, "ndim") and hasattr(pos, "__getitem__")):
            pos = np.asarray(pos)  # else: an array, or an array-like read frame by frame (the app's)
        steps = np.asarray(result.step, dtype=np.int64)
        # live use calls this for every new frame with the same group array: everything
        # derived from it is kept (no pass over N particles unless it changed)
        group_src = result.group
        same_src = self._data is not None and group_src is self._group_src and \
            len(self._group_i64) == len(self.particles._group)
        if same_src:
            group = self._group_i64
            new_groups = False
        else:
            group = np.asarray(group_src, dtype=np.int64)
            new_groups = self._data is None or len(group) != len(self.particles._group) or not np.array_equal(
                group, self.particles._group)
            self._group_src, self._group_i64 = group_src, group
        div_at = np.asarray(result.diverged_at, dtype=np.int64)
        div_idx = getattr(result, "diverged_index", None)  # the diverged ones, if the caller knows
        div_idx = np.flatnonzero(div_at >= 0) if div_idx is None else np.asarray(div_idx, dtype=np.int64)
        # the first frame at which each particle is diverged: one buffer, reset only where it
        # was set (no pass over all N particles per call)
        div_frame = self._div_frame_buf
        if div_frame is None or len(div_frame) != len(div_at):
            div_frame = self._div_frame_buf = np.full(len(div_at), _NEVER, dtype=np.int64)
        else:
            div_frame[self._div_frame_set] = _NEVER
        if len(div_idx):
            div_frame[div_idx] = np.searchsorted(steps, div_at[div_idx], side="left")
        self._div_frame_set = div_idx
        self._data = result
        self._steps = steps
        ng = len(self._colors)
        if len(group) and group.max() >= ng:  # result with more groups than the experiment
            from optviz.render.colors import GROUP_PALETTE, parse_color

            self._colors += [parse_color(GROUP_PALETTE[i % len(GROUP_PALETTE)])
                             for i in range(ng, group.max() + 1)]
            self._labels += [self._text("group {index}", index=i) for i in range(ng, group.max() + 1)]
            self._optimizers += [None] * (group.max() + 1 - ng)
            self._schedules += [None] * (group.max() + 1 - ng)
        if new_groups or not same_src or len(self._counts) != len(self._colors):
            self._counts = np.bincount(group, minlength=len(self._colors))
        if new_groups:
            self.particles.set_groups(group, self._colors)
            self.particles.set_visible_groups(self._visible_groups)
            self._apply_trail()
        self.particles.set_history(pos, div_frame, div_idx, steps=steps)
        if not same_src:
            self.flow.set_source(pos, group)
        self._any_diverged = bool(len(div_idx))
        if update_side_plots:
            self._build_side()
        if frame is not None:
            self._frame = int(frame) if frame >= 0 else int(frame) + len(steps)
        self._frame = max(0, min(self._frame, len(steps) - 1))
        self.show_frame(self._frame)

    # ---------------------------------------------------------------- options
    def apply_options(self, opts: RenderOptions) -> None:
        """Apply the picture options of a :class:`RenderOptions` (not size/frames/fps)."""
        self.landscape.set_style(colormap=opts.colormap, log_scale=opts.log_scale,
                                 contours=opts.contours)
        self.particles.mode = opts.particle_mode
        self.particles.point_size = float(opts.point_size)
        self._title_override = opts.title
        self._legend_visible = bool(opts.legend)
        self.legend.setVisible(self._legend_visible)
        self._update_title()
        self.set_trail_length(opts.trail_length)
        self.set_gradient_flow(opts.gradient_flow)
        if opts.language is not None:
            self.set_language(opts.language)
        if opts.step_axis is not None:
            self.set_step_axis(opts.step_axis)
        side = opts.side_plots
        self._side_names = DEFAULT_SIDE_PLOTS if side == "auto" else tuple(side)
        self._layout_columns()
        if self._data is not None:
            self._build_side()
        if self._exp is not None:
            (x0, x1), (y0, y1) = self._exp.landscape_spec().bounds
            if opts.view:
                x0, x1 = opts.view.get("x", (x0, x1))
                y0, y1 = opts.view.get("y", (y0, y1))
            self.landscape.relevel()
            self.set_view((x0, x1), (y0, y1))

    def set_trail_length(self, n) -> None:
        """Trail length in recorded frames; -1 = the whole path so far, 0 = no trails,
        "auto" = whole path for at most 64 particles, else 30 frames."""
        self._trail_setting = n
        self._apply_trail()
        if self._data is not None:
            self.particles.show_frame(self._frame)

    def _apply_trail(self):
        n = getattr(self, "_trail_setting", "auto")
        if n == "auto":
            n = -1 if self.particles.n_particles <= 64 else 30
        self.particles.trail_length = int(n)

    def set_visible_groups(self, groups) -> None:
        """Show only the groups with these indices (``None``: all)."""
        self._visible_groups = None if groups is None else {int(g) for g in groups}
        self.particles.set_visible_groups(self._visible_groups)
        self.side.set_visible_groups(self._visible_groups)
        self._legend_key = None
        if self._data is not None:
            self.show_frame(self._frame)

    def set_side_plots(self, names) -> None:
        """Show these side plots (subset of ``SIDE_PLOTS``; empty hides the column)."""
        bad = [n for n in names if n not in SIDE_PLOTS]
        if bad:
            raise ValueError(f"side plots: {bad[0]!r} is not allowed; one of {', '.join(SIDE_PLOTS)}")
        self._side_names = tuple(n for n in SIDE_PLOTS if n in names)
        self._layout_columns()
        if self._data is not None:
            self._build_side()
            self.show_frame(self._frame)

    def set_particle_mode(self, mode: str) -> None:
        """"points", "density" or "auto" (density above ``ParticleLayer.density_threshold``)."""
        if mode not in ("auto", "points", "density"):
            raise ValueError(f"particle mode: {mode!r} is not allowed; one of auto, points, density")
        self.particles.mode = mode
        if self._data is not None:
            self.particles.show_frame(self._frame)

    def set_colormap(self, name: str) -> None:
        self.landscape.set_style(colormap=name)
        self._resample_now(force=True)

    def set_future(self, mode: str) -> None:
        """Side plots after the cursor: "hide" (default: nothing after the cursor's step is
        drawn) or "ghost" (the whole curves as faint lines behind). "fade" and "show" are
        accepted as older names of "hide" and "ghost"."""
        self.side.future = FUTURE_ALIASES.get(mode, mode)
        if self._data is not None:
            self.side.set_step(float(self._steps[self._frame]))

    def set_step_axis(self, mode: str | None) -> None:
        """The side plots' step axis: "linear" or "log" (log10 of the step: step 0 cannot
        be shown, so the axis and every curve start at step 1); kept over later
        :meth:`set_experiment` calls, which otherwise use the experiment's ``[render]
        step_axis``. ``None``: the experiment's again."""
        self.side.step_axis = mode or _experiment_step_axis(self._exp)
        self._step_axis = mode

    def set_gradient_flow(self, on: bool) -> None:
        """Draw each visible group's gradient flow from its mean start as a faint dashed ghost
        under the trails, ending at the cursor's flow time (off by default; integrated once per
        landscape, start and learning rate, see optviz.render.flow)."""
        self.flow.enabled = bool(on)
        self._legend_key = None
        if self._data is not None:
            self.show_frame(self._frame)

    @property
    def gradient_flow(self) -> bool:
        return self.flow.enabled

    def set_selected_group(self, group: int | None) -> None:
        """Draw group ``group``'s particles and trail above all others (``None``: no group)."""
        self.particles.set_selected_group(group)
        if self._data is not None:
            self.particles.show_frame(self._frame)

    # ------------------------------------------------------------------- view
    def set_view(self, xrange, yrange) -> None:
        """Show this region of the landscape (re-samples image and contours now)."""
        (x0, x1), (y0, y1) = (tuple(map(float, xrange)), tuple(map(float, yrange)))
        ratio = (x1 - x0) / (y1 - y0)
        self.vb.setAspectLocked(0.5 <= ratio <= 2.0, ratio=1.0)
        self.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self._resample_now(force=True)

    def set_curvature(self, xy, h=None) -> None:
        """Draw Hessian ``h`` (2, 2)'s eigen-directions and quadratic model at ``xy`` (render/curvature_overlay.py),
        sized for the view (again after each pan or zoom); ``xy=None`` clears it."""
        self._curvature_at = None if xy is None else (float(xy[0]), float(xy[1]), np.array(h, dtype=np.float64))
        if self._curvature_at is None:
            self.curvature.clear_curvature()
        else:
            self.curvature.set_curvature(*self._curvature_at, self.view_range())

    def view_range(self):
        """The visible ((x0, x1), (y0, y1))."""
        (x0, x1), (y0, y1) = self.vb.viewRange()
        return (x0, x1), (y0, y1)

    def _on_range_changed(self, *_):
        if self.interactive:
            self._resample_timer.start()

    def _on_points_clicked(self, _item, points, _ev) -> None:
        if len(points):
            self._clicked_particle = True
            self.sigParticleClicked.emit(self.particles.particle_of_spot(points[0].index()))

    def _on_scene_clicked(self, ev) -> None:
        if self._clicked_particle:
            self._clicked_particle = False
            return
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        pos = ev.scenePos()
        if not self.vb.sceneBoundingRect().contains(pos):
            return
        p = self.vb.mapSceneToView(pos)
        self.sigLandscapeClicked.emit(float(p.x()), float(p.y()))

    def _resample_now(self, force: bool = False) -> None:
        (x0, x1), (y0, y1) = self.vb.viewRange()
        rng = (round(x0, 12), round(x1, 12), round(y0, 12), round(y1, 12))
        if not force and rng == self._sampled_range:
            return
        self._sampled_range = rng
        w = max(int(self.vb.width()), 64)
        h = max(int(self.vb.height()), 64)
        res = (min(w, 1200), min(h, 1200))
        self.landscape.resample((x0, x1), (y0, y1), res)
        self.particles.set_view((x0, x1), (y0, y1))
        self._view = ((x0, x1), (y0, y1))
        if self._data is not None:
            self.particles.show_frame(self._frame)
        if self._curvature_at is not None:
            self.curvature.set_curvature(*self._curvature_at, self._view)
        self.sigViewChanged.emit(self._view)

    # ---------------------------------------------------------------- frames
    @property
    def n_frames(self) -> int:
        return 0 if self._data is None else len(self._steps)

    @property
    def frame(self) -> int:
        return self._frame

    @property
    def diverged_count(self) -> int:
        return self.particles.diverged_count

    def frame_for_step(self, step: int) -> int:
        """Index of the last recorded frame at or before optimizer step ``step``."""
        return frame_for_step(self._steps, step)

    def show_frame(self, i: int) -> None:
        """Draw recorded frame ``i`` (clamped; negative counts from the end)."""
        if self._data is None:
            return
        n = len(self._steps)
        i = int(i)
        if i < 0:
            i += n
        i = max(0, min(i, n - 1))
        self._frame = i
        self.particles.show_frame(i)
        step = int(self._steps[i])
        self.flow.show(step, int(self._steps[-1]), self._visible_groups, self._colors)
        self.side.set_step(float(step))
        total = self._total_steps if self._total_steps is not None else int(self._steps[-1])
        text = self._text("step {step} / {total}", step=f"{step:,}", total=f"{total:,}")
        nd = self.particles.diverged_count
        if nd:
            text += "   ·   " + self._text("{n} diverged", n=f"{nd:,}")
        self.step_text.setText(text)
        self._update_legend()
        self.sigFrameShown.emit(i)

    # ---------------------------------------------------------------- drawing
    def _update_title(self):
        t = self._title_override
        if t is None:
            t = self._own_text(getattr(self._exp, "title", "") or "")
            if self._exp is not None:
                try:
                    land = self._text(self._exp.landscape_spec().title)
                except Exception:  # noqa: BLE001
                    land = ""
                if land.lower() not in t.lower():  # "... on Rosenbrock" needs no "— Rosenbrock"
                    t = f"{t}  —  {land}" if t else land
        caption = self._own_text(getattr(self._exp, "caption", "") or "")
        text = html.escape(t)
        if caption:
            text += ("<br>" if t else "") + (f"<span style='font-size: {self.font_px}px; "
                                             f"color: {self.theme['muted']}'>{html.escape(caption)}</span>")
        self.title.setText(text)
        self.title.setVisible(bool(t or caption))
        self._wrap_title()

    def _wrap_title(self):
        """Wrap the title and caption to the widget's width (a long caption takes two lines)."""
        width = max(float(self.width()) - 24.0, 100.0) if getattr(self._exp, "caption", "") else -1.0
        if self.title.item.textWidth() != width:
            self.title.item.setTextWidth(width)
            self.title.updateMin()
            self.title.resizeEvent(None)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        # the base class resizes once before __init__ is done, and again in close() after its
        # items are deleted
        if hasattr(self, "title") and not getattr(self, "closed", False):
            self._wrap_title()
            # super() sized the layout while the title still had its old width: a narrower widget
            # (a dock opened beside it) was clipped on the right until the next resize
            self.ci.setGeometry(self.range)

    def _layout_columns(self):
        has_side = bool(self._side_names)
        lay = self.ci.layout
        lay.setColumnStretchFactor(0, 11)
        lay.setColumnStretchFactor(1, 9 if has_side else 0)

    def _build_side(self):
        d = getattr(self, "_side_source", None) or self._data
        if d is None:
            return
        names = self._side_names
        self.side.loss_clip = self.landscape.value_range
        self.side.build(names, dict(
            steps=np.asarray(d.step, dtype=np.int64), loss=d.loss,
            lr_pre=d.lr_preconditioned, lr_real=d.lr_realized, group=np.asarray(d.group),
            colors=self._colors, labels=self._labels, optimizers=self._optimizers,
            positions=getattr(d, "positions", None), grad=getattr(d, "grad", None),
            stats=getattr(d, "side_stats", None), eps=_race_eps(self._exp),
            surface=getattr(self, "_surface", None), schedules=getattr(self, "_schedules", None),
        ))
        self.side.set_visible_groups(self._visible_groups)
        # landscape spans all side plot rows
        n = max(len(self.side.plots), 1)
        if getattr(self, "_plot_rowspan", None) != n:
            self._plot_rowspan = n
            self.ci.removeItem(self.plot)
            self.ci.addItem(self.plot, row=1, col=0, rowspan=n)
            lay = self.ci.layout
            for r in range(1, 1 + n):
                lay.setRowStretchFactor(r, 1)
        if not self.side.plots:
            self.ci.layout.setColumnStretchFactor(1, 0)

    def _refit_legend(self, *_):
        if self._exp is not None:
            self._update_legend()

    def _legend_font_metrics(self) -> QtGui.QFontMetricsF:
        font = QtGui.QFont()
        font.setPixelSize(self.font_px - 1)
        return QtGui.QFontMetricsF(font)

    def _fill_legend(self, entries: list[tuple[object, str]], columns: int) -> None:
        """Put ``entries`` (a sample item, a text) into the legend in ``columns`` columns. A legend
        wider than the landscape's view box (it sits top-right, 8 px in) would cover and overhang a
        narrow landscape: its texts are then wrapped to fit (:func:`legend_lines`), none narrower
        than 40 px. Texts are escaped: a label reads as typed, never as markup."""
        room = float(self.vb.width()) - 16.0
        metrics = self._legend_font_metrics()
        self.legend.setColumnCount(columns)
        width = None
        for _ in range(2):
            self.legend.clear()
            for sample, text in entries:
                lines = [text] if width is None else legend_lines(text, width, metrics)
                self.legend.addItem(sample, "<br>".join(html.escape(line, quote=False) for line in lines))
            excess = float(self.legend.width()) - room
            if excess <= 0.5 or width is not None or room <= 0:
                return
            widest = max(metrics.horizontalAdvance(text) for _, text in entries)
            width = max(widest - excess / columns, 40.0)

    def _update_legend(self):
        if not self._legend_visible:
            return
        per_group = self.particles.diverged_per_group
        vis = self._visible_groups
        any_div = bool(getattr(self, "_any_diverged", False))
        kinds = tuple(getattr(self, "_minima_kinds", []))
        shown = [g for g in range(len(self._labels)) if vis is None or g in vis]
        texts = []
        for g in shown:
            n = int(self._counts[g]) if g < len(self._counts) else 0
            text = self._labels[g]
            if n > 1:
                text += f"  ({n:,})"
            nd = int(per_group[g]) if g < len(per_group) else 0
            if nd:
                text += "  · " + self._text("{n} diverged", n=f"{nd:,}")
            texts.append(text)
        flow = self.flow.enabled
        n_entries = len(self._labels) + any_div + len(kinds) + flow
        columns = 2 if n_entries > 6 else 1
        # any change rebuilds the legend: a label given a shorter text would leave the box at its
        # widest size, so a frame would look different after a later frame was shown
        key = (tuple(shown), tuple(texts), tuple(map(tuple, self._colors)), any_div, kinds, flow,
               round(float(self.vb.width())))
        if key == self._legend_key and len(self.legend.items) >= len(texts):
            return
        self._legend_key = key
        entries = [(pg.ScatterPlotItem(symbol="o", size=10, brush=pg.mkBrush(*self._colors[g]),
                                       pen=pg.mkPen(0, 0, 0, 150)), text) for g, text in zip(shown, texts, strict=True)]
        if any_div:
            entries.append((pg.ScatterPlotItem(symbol="x", size=11, brush=pg.mkBrush(150, 150, 150),
                                               pen=pg.mkPen(0, 0, 0, 200)), self._text("diverged (last position)")))
        if flow:
            entries.append((pg.PlotDataItem([0, 1], [0, 0], pen=flow_pen(parse_color(self.theme["muted"]), 255)),
                            self._text("gradient flow (dθ/dt = −∇f, t = k·lr)")))
        names = {"global": self._text("global minimum"), "local": self._text("local minimum"),
                 "saddle": self._text("saddle point")}
        for kind in kinds:
            st = {"global": dict(symbol="star", size=13, brush=pg.mkBrush(255, 255, 255), pen=pg.mkPen("k")),
                  "local": dict(symbol="o", size=9, brush=pg.mkBrush(None), pen=pg.mkPen((90, 90, 90), width=1.8)),
                  "saddle": dict(symbol="+", size=11, brush=pg.mkBrush(60, 60, 60), pen=pg.mkPen("k"))}[kind]
            entries.append((pg.ScatterPlotItem(**st), names[kind]))
        self._fill_legend(entries, columns)

    # ---------------------------------------------------------------- headless
    def prepare_offscreen(self, size) -> None:
        """Fix the widget size for rendering without a screen and let layout settle
        (:func:`~optviz.render.qt.settle_offscreen`), then draw the current frame."""
        settle_offscreen(self, size)
        self._resample_now(force=True)
        if self._data is not None:
            self.show_frame(self._frame)
        QtWidgets.QApplication.instance().processEvents()

    def render_image(self) -> QtGui.QImage:
        """The widget as it is now, as a QImage (Format_RGB32, device pixel ratio 1)."""
        return grab(self, self.theme["background"])

    def render_array(self) -> np.ndarray:
        """The widget as it is now: (H, W, 4) uint8, BGRA byte order (alpha 255), a copy."""
        img = self.render_image()
        h, w = img.height(), img.width()
        buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
        arr = buf.reshape(h, img.bytesPerLine())[:, : 4 * w].reshape(h, w, 4).copy()
        return arr


def legend_lines(text: str, width: float, metrics: QtGui.QFontMetricsF, most: int = 2) -> list[str]:
    """``text`` broken at spaces into at most ``most`` lines no wider than ``width`` pixels in the font
    of ``metrics``; what still does not fit is elided with "…"."""
    lines = [""]
    for word in text.split(" "):
        trial = f"{lines[-1]} {word}" if lines[-1] else word
        if lines[-1] and metrics.horizontalAdvance(trial) > width and len(lines) < most:
            lines.append(word)
        else:
            lines[-1] = trial
    return [metrics.elidedText(line, QtCore.Qt.TextElideMode.ElideRight, width) for line in lines]
