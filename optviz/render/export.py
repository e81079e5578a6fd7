"""Headless figures and animations of an experiment, drawn by the same :class:`Scene`.

Runnable example (writes two files in the current folder)::

    import optviz.render as r
    from optviz.experiment import Experiment

    exp = Experiment.load("resources/experiments/adam_bias_correction.toml")
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
no temporary file behind. ``progress(done, total)`` is called after every
frame; it cancels the export by raising (any exception, propagated to the
caller) or by returning ``False`` (raises :class:`ExportCancelled`). A Qt
progress dialog can use it as::

    def progress(done, total):
        dialog.setMaximum(total); dialog.setValue(done)
        QApplication.processEvents()
        return not dialog.wasCanceled()

Every output records its experiment (see :mod:`optviz.render.metadata`);
``figure(from_file="OUT.png")`` regenerates it.

Frames are deterministic: same experiment, same pixels (offscreen platform,
device pixel ratio 1, fixed sizes).
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from optviz.render.options import (
    ANIMATION_FORMATS,
    FIGURE_FORMATS,
    RenderOptionError,
    RenderOptions,
    resolve_options,
)

__all__ = ["figure", "export_animation", "ExportCancelled", "ExportResult", "plan_frames",
           "load_experiment_any"]


class ExportCancelled(Exception):
    """The progress callback returned False."""


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


def _format_of(path, fmt, allowed, kind):
    p = Path(path)
    f = (fmt or p.suffix.lstrip(".")).lower()
    if f not in allowed:
        shown = str(path) if not fmt else fmt
        raise RenderOptionError(
            f"output: {shown!r} is not allowed; a {kind} is written as "
            + ", ".join("." + a for a in allowed)
        )
    return f


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


def plan_frames(opts: RenderOptions, total_steps: int, record_every: int = 1) -> list[int]:
    """The optimizer step shown by each animation frame."""
    S = int(total_steps)
    fps = opts.fps
    K = opts.frames
    if K is None and opts.duration is not None:
        K = max(1, int(round(opts.duration * fps)))
    M = opts.steps_per_frame
    if K is None and M is None:
        K = int(min(S // max(record_every, 1) + 1, round(fps * 10)))
    if K is None:  # steps_per_frame only: cover the run
        K = int(math.floor(S / M)) + 1
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
def _atomic(path: Path):
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part" + path.suffix,
                               dir=path.parent if str(path.parent) else ".")
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _scene_for(exp, result, opts: RenderOptions):
    from optviz.render.qt import ensure_app
    from optviz.render.scene import Scene

    ensure_app(headless=True)
    scene = Scene(interactive=False, font_px=_font_px(opts.size), theme=opts.theme)
    scene.apply_options(opts)
    scene.set_experiment(exp)
    scene.apply_options(opts)  # the view of [render] after the landscape is known
    scene.set_data(result)
    hidden = [i for i, g in enumerate(exp.groups) if getattr(g, "visible", True) is False]
    if hidden:
        scene.set_visible_groups([i for i in range(len(exp.groups)) if i not in hidden])
    scene.prepare_offscreen(opts.size)
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
    if from_file is not None:
        from optviz.render.metadata import read_experiment_text

        experiment = read_experiment_text(from_file)
        path = from_file if path is None else path
    if path is None:
        raise RenderOptionError("output: None is not allowed; give an output file (.png or .svg)")
    exp = load_experiment_any(experiment)
    fmt = _format_of(path, format, FIGURE_FORMATS, "figure")
    opts = resolve_options(exp.render, step=step, size=size, **options)
    S = int(exp.run.steps)
    if opts.step is not None and opts.step > S:
        raise RenderOptionError(f"step: {opts.step} is not allowed; the run has steps 0 to {S}")
    out = _check_writable(path)
    res = _run(exp, result, sim_progress)
    from optviz.render.metadata import PNG_KEY, experiment_text, svg_with_metadata
    from optviz.render.qt import shutdown_widgets

    scene = _scene_for(exp, res, opts)
    try:
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
        with _atomic(out) as tmp:
            if fmt == "png":
                img = scene.render_image()
                img.setText(PNG_KEY, meta)
                if not img.save(str(tmp), "PNG"):
                    raise OSError(f"cannot write {out}")
            else:
                from optviz.render.svg_fix import export_svg_bytes

                # SVG has no clipping: the translucent veil over the side plots' future would
                # also veil the plot frames; show whole curves with the time cursor instead
                scene.set_future("show")
                svg = export_svg_bytes(scene.scene(), *opts.size)
                tmp.write_bytes(svg_with_metadata(svg, meta))
    finally:
        shutdown_widgets(scene)
    return ExportResult(out, fmt, opts.size, 1, None, [shown], meta)


# ------------------------------------------------------------------ animation
def export_animation(experiment, path=None, *, fps: float | None = None, frames: int | None = None,
                     duration: float | None = None, size=None, steps_per_frame: float | None = None,
                     format: str | None = None, progress=None, result=None, from_file=None,
                     sim_progress=None, **options) -> ExportResult:
    """Render an animation of the run to MP4 (H.264), GIF or WebP.

    Frame ``j`` shows optimizer step ``plan_frames(...)[j]``: by default the
    whole run in at most 10 s at ``fps`` (30); ``frames`` or ``duration`` set
    the length, ``steps_per_frame`` the speed. ``progress(done, total)`` is
    called after each frame (raise or return False to cancel).
    """
    if from_file is not None:
        from optviz.render.metadata import read_experiment_text

        experiment = read_experiment_text(from_file)
        path = from_file if path is None else path
    if path is None:
        raise RenderOptionError("output: None is not allowed; give an output file (.mp4, .gif or .webp)")
    exp = load_experiment_any(experiment)
    fmt = _format_of(path, format, ANIMATION_FORMATS, "animation")
    opts = resolve_options(exp.render, fps=fps, frames=frames, duration=duration, size=size,
                           steps_per_frame=steps_per_frame, **options)
    if fmt == "mp4" and (opts.size[0] % 2 or opts.size[1] % 2):
        raise RenderOptionError(
            f"size: {opts.size[0]}x{opts.size[1]} is not allowed; MP4 (H.264, yuv420p) needs an even "
            "width and height"
        )
    out = _check_writable(path)
    steps = plan_frames(opts, exp.run.steps, exp.run.record_every)
    res = _run(exp, result, sim_progress)
    from optviz.render.metadata import experiment_text, sidecar_path
    from optviz.render.qt import shutdown_widgets
    from optviz.render.writers import ThreadedWriter, make_writer

    table = opts.to_table()
    table.pop("step", None)
    table.pop("duration", None)
    table["frames"] = len(steps)
    table["size"] = list(opts.size)
    meta = experiment_text(exp, table)
    scene = _scene_for(exp, res, opts)
    writer = ThreadedWriter(make_writer(fmt, crf=opts.crf))
    total = len(steps)
    try:
        with _atomic(out) as tmp:
            writer.setup(tmp, opts.size, opts.fps, meta)
            try:
                for j, st in enumerate(steps):
                    scene.show_frame(scene.frame_for_step(st))
                    writer.grab_frame(scene.render_array())
                    if progress is not None and progress(j + 1, total) is False:
                        raise ExportCancelled(f"export of {out} cancelled")
                writer.finish()
            except BaseException:
                writer.abort()
                raise
            if fmt == "gif":
                with _atomic(sidecar_path(out)) as side:
                    side.write_text(meta, encoding="utf-8")
    finally:
        shutdown_widgets(scene)
    return ExportResult(out, fmt, opts.size, total, opts.fps, steps, meta)

