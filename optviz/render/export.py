"""Headless figures and animations of an experiment, drawn by the same :class:`Scene`.

Runnable example (writes two files in the current folder)::

    import optviz.render as r
    from optviz.experiment import Experiment

    exp = Experiment.load("optviz/presets/04_adam_bias_correction.toml")
    r.figure(exp, "adam.png", step=50, size=(1280, 720))
    r.export_animation(exp, "adam.mp4", fps=30, duration=6,
                       progress=lambda done, total: print(f"{done}/{total}", end="\\r"))

Both accept an :class:`~optviz.experiment.Experiment`, a path to a TOML file
or TOML text, take their defaults from the experiment's ``[render]`` table
(see :mod:`optviz.render.options`), and let keyword arguments override it.
Bad options raise :class:`~optviz.render.options.RenderOptionError` (a
``ValueError`` naming option, value and what is allowed) *before* anything is
simulated or written.

Files are written to a temporary file beside the target and renamed when
complete: a failed or cancelled export leaves an existing file untouched and
no temporary file behind. A write that fails (a full disk, no permission) raises
:class:`OutputError` (an ``OSError`` whose message names the output and the
reason). ``progress(done, total)`` is called after every frame; it cancels the
export by raising (any exception, propagated to the caller) or by returning
``False`` (raises :class:`ExportCancelled`). A Qt progress dialog can use it as::

    def progress(done, total):
        dialog.setMaximum(total); dialog.setValue(done)
        QApplication.processEvents()
        return not dialog.wasCanceled()

Every output records its experiment (see :mod:`optviz.render.metadata`);
``figure(from_file="OUT.png")`` regenerates it.

Frames are deterministic: same experiment, same pixels (offscreen platform,
device pixel ratio 1, fixed sizes), and the writers' encoders are single-threaded:
same experiment, same bytes.

An animation has at most :data:`MAX_FRAMES` frames at :data:`MIN_FPS` to 240 fps
whatever the combination of ``frames``, ``duration``, ``fps`` and
``steps_per_frame``; beyond that :func:`plan_frames` refuses it before anything
is simulated.

Qt work (building the scene, drawing a frame, saving a figure) runs inside
:func:`optviz.interrupt.deferred`: under ``optviz`` a Ctrl-C or
SIGTERM is acted on between frames, never inside Qt's painting.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from pathlib import Path

from optviz.atomic import atomic_paths
from optviz.interrupt import deferred
from optviz.render.options import MAX_FRAMES, RenderOptionError, RenderOptions, resolve_options
from optviz.render.writer_registry import registry, spoken

__all__ = ["figure", "export_animation", "ExportCancelled", "ExportResult", "OutputError", "plan_frames",
           "load_experiment_any", "MAX_FRAMES", "MIN_FPS"]

#: Slowest animation frame rate (one frame every 10 s); the fastest is the ``fps`` option's 240.
MIN_FPS = 0.1


class ExportCancelled(Exception):
    """The progress callback returned False."""


class OutputError(OSError):
    """Writing the output failed (disk full, permission, read-only file system, ...).

    ``errno`` is the cause's; the message names the output and the reason.
    """

    def __init__(self, path, cause: OSError):
        reason = cause.strerror or str(cause) or type(cause).__name__
        super().__init__(cause.errno, reason)
        self.path = Path(path)
        self.message = f"cannot write {path}: {reason}"

    def __str__(self) -> str:
        return self.message


@dataclass
class ExportResult:
    path: Path
    format: str
    size: tuple[int, int]
    frames: int
    fps: float | None
    steps: list[int]
    metadata: str


# --------------------------------------------------------------------- inputs
def load_experiment_any(experiment):
    """An Experiment from an Experiment, a path to a TOML file, or TOML text."""
    from optviz.experiment import Experiment, load_experiment

    if isinstance(experiment, Experiment):
        return experiment
    if isinstance(experiment, os.PathLike) or (
        isinstance(experiment, str) and "\n" not in experiment and experiment.endswith(".toml")
    ):
        return load_experiment(experiment)
    if isinstance(experiment, str):
        return Experiment.from_toml(experiment)
    if hasattr(experiment, "landscape_spec") and hasattr(experiment, "groups"):
        return experiment  # experiment-like (tests, the app's model)
    raise TypeError(f"experiment: expected an Experiment, a .toml path or TOML text, got {type(experiment).__name__}")


def plan_animation(exp, path, format: str | None = None, **options) -> tuple[str, RenderOptions, list[int]]:
    """(format, options, the optimizer step of each frame) of an animation of ``exp`` written to
    ``path``: what :func:`export_animation` will do, checked before anything is simulated
    (RenderOptionError naming the option, or the format and why its writer is unavailable)."""
    writer = registry.for_output(path, "animation", format)
    opts = resolve_options(exp.render, **options)
    problem = writer.size_problem(opts.size)
    if problem is not None:
        raise RenderOptionError(f"size: {opts.size[0]}x{opts.size[1]} is not allowed; {problem}")
    return writer.name, opts, plan_frames(opts, exp.run.steps, exp.run.record_every)


def _check_writable(path) -> Path:
    p = Path(path)
    if p.is_dir():
        raise RenderOptionError(f"output: {str(path)!r} is not allowed; it is a folder, give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise RenderOptionError(f"output: {str(path)!r} is not allowed; folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise RenderOptionError(f"output: {str(path)!r} is not allowed; it is not writable")
    return p


def _font_px(size) -> int:
    w, h = size
    return int(min(30, max(9, round(13 * min(w / 1280, h / 720)))))


def _at_least(x: float) -> str:
    """``x`` rounded up to 3 significant digits, as text."""
    exponent = math.floor(math.log10(x)) - 2
    return f"{math.ceil(x / 10.0**exponent) * 10.0**exponent:.3g}"


def _at_most(x: float) -> str:
    """``x`` rounded down to 4 significant digits, as text."""
    exponent = math.floor(math.log10(x)) - 3
    return f"{math.floor(x / 10.0**exponent) * 10.0**exponent:.4g}"


def _count(n: float) -> str:
    return f"{int(n):,}" if n < 1e12 else f"{n:.3g}"


def plan_frames(opts: RenderOptions, total_steps: int, record_every: int = 1) -> list[int]:
    """The optimizer step shown by each animation frame.

    Raises :class:`RenderOptionError` when the options ask for more than
    :data:`MAX_FRAMES` frames or a frame rate below :data:`MIN_FPS`, before
    building anything.
    """
    S = int(total_steps)
    fps = opts.fps
    if fps < MIN_FPS:
        raise RenderOptionError(f"fps: {fps:g} is not allowed; a number from {MIN_FPS:g} to 240")
    K = opts.frames
    limit = f"at most {MAX_FRAMES:,} frames are allowed"
    if K is None and opts.duration is not None:
        K = max(1, int(round(opts.duration * fps)))
        if K > MAX_FRAMES:
            raise RenderOptionError(
                f"duration: {opts.duration:g} s at fps {fps:g} is {K:,} frames; {limit} "
                f"(at fps {fps:g}, a duration up to {_at_most(MAX_FRAMES / fps)} s)"
            )
    M = opts.steps_per_frame
    if K is None and M is None:
        K = int(min(S // max(record_every, 1) + 1, round(fps * 10)))
    if K is None:  # steps_per_frame only: steps 0, M, 2M, ... and S itself: cover the run
        count = S / M + 1  # about; exact below once it is known to be small
        if count <= MAX_FRAMES:
            K = int(math.floor(S / M)) + 1
            count = K + (min(int(round((K - 1) * M)), S) < S)
        if count > MAX_FRAMES:
            raise RenderOptionError(
                f"steps_per_frame: {M:g} is {_count(count)} frames for the run's {S:,} steps; "
                f"{limit} (steps_per_frame >= {_at_least(S / (MAX_FRAMES - 2))}, or give frames or duration)"
            )
        steps = [min(int(round(j * M)), S) for j in range(K)]
        if steps[-1] < S:
            steps.append(S)
        return steps
    K = max(int(K), 1)
    if M is None:
        if K == 1:
            return [S]
        return [int(round(j * S / (K - 1))) for j in range(K)]
    return [min(int(round(j * M)), S) for j in range(K)]


@contextlib.contextmanager
def _atomic(*paths: Path):
    """:func:`optviz.atomic.atomic_paths`, with an ``OSError`` (of the block, or of creating and
    renaming the files) raised as :class:`OutputError` naming ``paths[0]``."""
    try:
        with atomic_paths(*paths) as temporary:
            yield temporary
    except OutputError:
        raise
    except OSError as error:
        raise OutputError(paths[0], error) from error


@contextlib.contextmanager
def _writing(writer, sidecar: bool, out: Path, size, fps, metadata: str):
    """``writer`` set up on a temporary file beside ``out``, for the block to feed frames to.

    When the block completes the writer finishes and the file (with ``out``'s ``.toml``
    sidecar holding ``metadata`` if ``sidecar``) is renamed over ``out``; on any exception
    the writer aborts and nothing is left (:func:`_atomic`).
    """
    from optviz.render.metadata import sidecar_path

    with _atomic(*((out, sidecar_path(out)) if sidecar else (out,))) as temporary:
        try:
            writer.setup(temporary[0], size, fps, metadata)
            yield
            writer.finish()
        except BaseException:
            writer.abort()
            raise
        if sidecar:
            temporary[1].write_text(metadata, encoding="utf-8")


def _no_output(kind: str) -> str:
    return f"output: None is not allowed; give an output file ({spoken(registry.extensions(kind))})"


def _experiment_and_output(experiment, path, from_file, kind: str):
    """(the Experiment to render, the output path) of a ``kind`` ("figure" or "animation") export:
    with ``from_file``, the experiment recorded in that earlier output, written over it unless
    ``path`` names another file. RenderOptionError when no output is named."""
    if from_file is not None:
        from optviz.render.metadata import read_experiment_text

        experiment = read_experiment_text(from_file)
        path = from_file if path is None else path
    if path is None:
        raise RenderOptionError(_no_output(kind))
    return load_experiment_any(experiment), path


def _write_still(writer_cls, opts: RenderOptions, out: Path, metadata: str, picture) -> None:
    """Write ``picture`` (a scene or figure laid out offscreen at ``opts.size``) as the one frame of
    a still image ``out`` (``writer_cls``: PNG, SVG), recording ``metadata``, atomically
    (:func:`_writing`); the grab is Qt work, inside :func:`deferred`."""
    writer = writer_cls.from_options(opts)
    with _writing(writer, writer_cls.metadata_sidecar, out, opts.size, None, metadata), deferred():
        writer.grab_frame(picture)


def _scene_for(exp, result, opts: RenderOptions):
    """The scene of ``result``, laid out for offscreen rendering at ``opts.size``.

    Built in steps, each inside :func:`deferred` (Qt work) so that a signal is acted on
    between them; the scene is closed again when one arrives.
    """
    from optviz.render.qt import ensure_app, shutdown_widgets
    from optviz.render.scene import Scene

    scene = None
    try:
        with deferred():
            ensure_app(headless=True)
            scene = Scene(interactive=False, font_px=_font_px(opts.size), theme=opts.theme)
            scene.apply_options(opts)
            scene.set_experiment(exp)
            scene.apply_options(opts)  # the view of [render] after the landscape is known
        with deferred():
            scene.set_data(result)
            hidden = [i for i, g in enumerate(exp.groups) if getattr(g, "visible", True) is False]
            if hidden:
                scene.set_visible_groups([i for i in range(len(exp.groups)) if i not in hidden])
        with deferred():
            scene.prepare_offscreen(opts.size)
    except BaseException:
        with deferred():
            shutdown_widgets(scene)
        raise
    return scene


def _run(exp, result, sim_progress):
    if result is not None:
        return result
    from optviz.experiment import run_experiment

    return run_experiment(exp, progress=sim_progress)


# --------------------------------------------------------------------- figure
def figure(experiment, path=None, *, step: int | None = None, size=None, format: str | None = None,
           result=None, from_file=None, sim_progress=None, **options) -> ExportResult:
    """Render the scene at optimizer ``step`` (default: the last) to a PNG or SVG file.

    ``size`` is (width, height) or "WxH"; other keyword arguments are render
    options (``side_plots``, ``colormap``, ``trail_length``, ...). ``result``
    reuses a finished run instead of simulating. ``from_file`` regenerates a
    figure from the experiment recorded in an earlier output (``path``
    defaults to that file).
    """
    exp, path = _experiment_and_output(experiment, path, from_file, "figure")
    writer_cls = registry.for_output(path, "figure", format)
    opts = resolve_options(exp.render, step=step, size=size, **options)
    S = int(exp.run.steps)
    if opts.step is not None and opts.step > S:
        raise RenderOptionError(f"step: {opts.step} is not allowed; the run has steps 0 to {S}")
    out = _check_writable(path)
    res = _run(exp, result, sim_progress)
    from optviz.render.metadata import experiment_text
    from optviz.render.qt import shutdown_widgets

    scene = None
    try:
        scene = _scene_for(exp, res, opts)
        with deferred():
            want = S if opts.step is None else opts.step
            frame = scene.frame_for_step(want)
            scene.show_frame(frame)
            shown = int(scene._steps[frame])
        table = opts.to_table()
        table["step"] = shown
        table["size"] = list(opts.size)
        for k in ("frames", "fps", "duration", "steps_per_frame"):
            table.pop(k, None)
        meta = experiment_text(exp, table)
        _write_still(writer_cls, opts, out, meta, scene)
    finally:
        with deferred():
            shutdown_widgets(scene)
    return ExportResult(out, writer_cls.name, opts.size, 1, None, [shown], meta)


# ------------------------------------------------------------------ animation
def export_animation(experiment, path=None, *, fps: float | None = None, frames: int | None = None,
                     duration: float | None = None, size=None, steps_per_frame: float | None = None,
                     format: str | None = None, progress=None, result=None, from_file=None,
                     sim_progress=None, **options) -> ExportResult:
    """Render an animation of the run to a registered animation format (MP4, GIF, WebP: see
    :mod:`optviz.render.writer_registry`), chosen by ``format`` or the ending of ``path``.

    Frame ``j`` shows optimizer step ``plan_frames(...)[j]``: by default the
    whole run in at most 10 s at ``fps`` (30); ``frames`` or ``duration`` set
    the length, ``steps_per_frame`` the speed. ``progress(done, total)`` is
    called after each frame (raise or return False to cancel).
    """
    exp, path = _experiment_and_output(experiment, path, from_file, "animation")
    fmt, opts, steps = plan_animation(exp, path, format, fps=fps, frames=frames, duration=duration, size=size,
                                      steps_per_frame=steps_per_frame, **options)
    out = _check_writable(path)
    res = _run(exp, result, sim_progress)
    from optviz.render.metadata import experiment_text
    from optviz.render.qt import shutdown_widgets
    from optviz.render.writers import ThreadedWriter

    table = opts.to_table()
    table.pop("step", None)
    table.pop("duration", None)
    table["frames"] = len(steps)
    table["size"] = list(opts.size)
    meta = experiment_text(exp, table)
    writer_cls = registry[fmt]
    writer = ThreadedWriter(writer_cls.from_options(opts))
    total = len(steps)
    scene = None
    try:
        scene = _scene_for(exp, res, opts)
        with _writing(writer, writer_cls.metadata_sidecar, out, opts.size, opts.fps, meta):
            for j, st in enumerate(steps):
                with deferred():  # a signal is acted on between frames, never inside Qt's painting
                    scene.show_frame(scene.frame_for_step(st))
                    image = scene.render_array()
                writer.grab_frame(image)
                if progress is not None and progress(j + 1, total) is False:
                    raise ExportCancelled(f"export of {out} cancelled")
    finally:
        with deferred():
            shutdown_widgets(scene)
    return ExportResult(out, fmt, opts.size, total, opts.fps, steps, meta)

