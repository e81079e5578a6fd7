"""File > Export Animation: the options dialog and the export itself, run as ``optviz export`` runs it.

The window exports the *whole run* of the current experiment with
:func:`optviz.render.export_animation`, the function behind ``optviz export``,
with the dialog's options (format, fps, duration or frames, size, steps per
frame) over the experiment's ``[render]`` table: what was not played is computed.

Why a separate process: the render layer draws each frame with a pyqtgraph
scene, which is made of QWidgets, and Qt allows widgets only in the GUI thread.
Exporting in the GUI thread would freeze the window (or need ``processEvents``
re-entrancy), so :class:`AnimationExport` runs ``python -m
optviz.app.export_controller`` (:func:`main`) with :class:`~PySide6.QtCore.QProcess`.
The child gets the experiment as TOML text on stdin (with the folder its data
paths are relative to, so nothing is written beside the user's files), renders
offscreen, and reports progress as lines on stdout (``simulate DONE TOTAL``,
``frame DONE TOTAL``, finally ``done FRAMES WIDTH HEIGHT FPS``). Cancel sends
SIGTERM: the child stops between frames, like ``optviz export`` (exit 143), and
``export_animation`` leaves no file and an earlier file untouched. A child that
had to be killed can leave a temporary ``.NAME.*.part`` file; it is removed.
An error is the child's one line on stderr (exit 2).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore, QtWidgets

__all__ = ["ExportSettings", "AnimationExportDialog", "AnimationExport", "main"]

#: Seconds a cancelled child gets to stop before it is killed.
KILL_AFTER_S = 10.0
EXIT_USAGE = 2


@dataclass
class ExportSettings:
    """What the dialog asks for; ``None`` takes the experiment's ``[render]`` value (as the CLI's flags)."""

    output: Path
    fps: float | None = None
    frames: int | None = None
    duration: float | None = None
    size: tuple[int, int] | None = None
    steps_per_frame: float | None = None
    #: the language of the texts drawn ("zh"), None: the experiment's ``[render]`` one (English by default)
    language: str | None = None

    def options(self) -> dict:
        """The keyword arguments of :func:`~optviz.render.export_animation` (``optviz export``'s flags)."""
        return {"fps": self.fps, "frames": self.frames, "duration": self.duration,
                "size": list(self.size) if self.size else None, "steps_per_frame": self.steps_per_frame,
                "language": self.language}


def planned_steps(experiment, settings: ExportSettings) -> list[int]:
    """The optimizer step of each frame ``optviz export`` would write; RenderOptionError if refused."""
    from optviz.render.export import plan_animation

    return plan_animation(experiment, settings.output, **settings.options())[2]


# ====================================================================== dialog
class AnimationExportDialog(QtWidgets.QDialog):
    """Format, frame rate, length (duration or frames), size and steps per frame, with the experiment's
    ``[render]`` values as defaults, and a line saying what will be written (or why it cannot be)."""

    def __init__(self, experiment, output, parent=None):
        super().__init__(parent)
        from optviz.app.language import core_text
        from optviz.render.options import resolve_options

        self.setWindowTitle(self.tr("Export animation"))
        self.setMinimumWidth(560)
        self.experiment = experiment
        opts = resolve_options(experiment.render)
        self._table_sets_speed = opts.steps_per_frame is not None
        form = QtWidgets.QFormLayout(self)

        self.path = QtWidgets.QLineEdit(os.fspath(output))
        browse = QtWidgets.QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow(self.tr("File"), row)

        from optviz.render.writer_registry import registry

        self.format = QtWidgets.QComboBox()
        for writer in registry.writers("animation"):  # an unavailable one is shown, greyed, saying why
            self.format.addItem(core_text(writer.title), writer.extensions[0])
            reason = writer.unavailable_reason()
            if reason is not None:
                item = self.format.model().item(self.format.count() - 1)
                item.setEnabled(False)
                item.setToolTip(self.tr("Not available: {reason}").format(reason=reason))
        form.addRow(self.tr("Format"), self.format)

        self.fps = QtWidgets.QDoubleSpinBox()
        self.fps.setRange(0.1, 240)
        self.fps.setDecimals(1)
        self.fps.setSuffix(" fps")
        self.fps.setValue(opts.fps)
        form.addRow(self.tr("Frame rate"), self.fps)

        self.length_mode = QtWidgets.QComboBox()
        if opts.frames is None and opts.duration is None:
            self.length_mode.addItem(self.tr("Automatic (the whole run, at most 10 s)"), "auto")
        self.length_mode.addItem(self.tr("Duration"), "duration")
        self.length_mode.addItem(self.tr("Number of frames"), "frames")
        self.duration = QtWidgets.QDoubleSpinBox()
        self.duration.setRange(0.1, 3600)
        self.duration.setDecimals(1)
        self.duration.setSuffix(" " + self.tr("s"))
        self.duration.setValue(opts.duration if opts.duration is not None else 10.0)
        self.frames = QtWidgets.QSpinBox()
        self.frames.setRange(1, 100_000)
        self.frames.setSuffix(" " + self.tr("frames"))
        self.frames.setValue(opts.frames if opts.frames is not None else int(round(opts.fps * 10)))
        mode = "frames" if opts.frames is not None else "duration" if opts.duration is not None else "auto"
        self.length_mode.setCurrentIndex(self.length_mode.findData(mode))
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.length_mode, 1)
        row.addWidget(self.duration)
        row.addWidget(self.frames)
        form.addRow(self.tr("Length"), row)

        self.steps_per_frame = QtWidgets.QDoubleSpinBox()
        self.steps_per_frame.setDecimals(2)
        self.steps_per_frame.setRange(0.0 if not self._table_sets_speed else 0.01, 1e9)
        self.steps_per_frame.setSpecialValueText(self.tr("automatic (the whole run)"))
        self.steps_per_frame.setValue(opts.steps_per_frame or 0.0)
        self.steps_per_frame.setToolTip(self.tr("Optimizer steps between frames; automatic spreads the frames over "
                                                "the whole run"))
        form.addRow(self.tr("Steps per frame"), self.steps_per_frame)

        self.width_ = QtWidgets.QSpinBox()
        self.height_ = QtWidgets.QSpinBox()
        for box, value in ((self.width_, opts.size[0]), (self.height_, opts.size[1])):
            box.setRange(16, 7680)
            box.setSuffix(" px")
            box.setValue(value)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.width_)
        row.addWidget(QtWidgets.QLabel("×"))
        row.addWidget(self.height_)
        row.addStretch(1)
        form.addRow(self.tr("Size"), row)

        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        form.addRow(self.summary)
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                                  | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText(self.tr("Export"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

        self._suffix_to_format()
        self.path.textChanged.connect(self._suffix_to_format)
        self.format.currentIndexChanged.connect(self._format_to_suffix)
        for box in (self.fps, self.duration, self.steps_per_frame):
            box.valueChanged.connect(self._update_summary)
        for box in (self.frames, self.width_, self.height_):
            box.valueChanged.connect(self._update_summary)
        self.length_mode.currentIndexChanged.connect(self._update_summary)
        self._update_summary()

    def settings(self) -> ExportSettings:
        """The export the dialog describes (its texts in the window's language)."""
        from optviz.app.language import language

        mode = self.length_mode.currentData()
        spf = self.steps_per_frame.value()
        return ExportSettings(
            output=Path(self.path.text().strip()),
            fps=self.fps.value(),
            frames=self.frames.value() if mode == "frames" else None,
            duration=self.duration.value() if mode == "duration" else None,
            size=(self.width_.value(), self.height_.value()),
            steps_per_frame=spf if spf > 0 else None,
            language=None if language().code == "en" else language().code,
        )

    def _browse(self):
        from optviz.render.writer_registry import registry

        filters = registry.file_filter("animation")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, self.tr("Export animation"), self.path.text(), filters)
        if path:
            self.path.setText(path)

    def _suffix_to_format(self):
        i = self.format.findData(Path(self.path.text().strip()).suffix.lower())
        if i >= 0 and i != self.format.currentIndex():
            self.format.blockSignals(True)
            self.format.setCurrentIndex(i)
            self.format.blockSignals(False)
        self._update_summary()

    def _format_to_suffix(self):
        path = Path(self.path.text().strip() or "optviz")
        self.path.setText(os.fspath(path.with_suffix(self.format.currentData())))

    def _update_summary(self):
        from optviz.render.options import RenderOptionError

        mode = self.length_mode.currentData()
        self.duration.setVisible(mode == "duration")
        self.frames.setVisible(mode == "frames")
        ok = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        settings = self.settings()
        try:
            if not settings.output.name:
                raise RenderOptionError(self.tr("file: give a file name"))
            steps = planned_steps(self.experiment, settings)
        except RenderOptionError as error:
            self.summary.setText(str(error))
            self.summary.setStyleSheet("color: #c5221f;")
            ok.setEnabled(False)
            return
        seconds = len(steps) / settings.fps
        self.summary.setText(self.tr("{frames} frames, {seconds} s: steps {first} to {last} of {total} (the run is "
                                     "computed as far as it needs)").format(
            frames=f"{len(steps):,}", seconds=f"{seconds:.1f}", first=f"{steps[0]:,}", last=f"{steps[-1]:,}",
            total=f"{self.experiment.run.steps:,}"))
        self.summary.setStyleSheet("")
        ok.setEnabled(True)


# ====================================================================== export
class AnimationExport(QtCore.QObject):
    """One export in a child process: ``progress(phase, done, total)`` with phase "simulate" or "frame";
    ``finished(outcome, message)`` once, outcome "done", "cancelled" or "failed"."""

    progress = QtCore.Signal(str, int, int)
    finished = QtCore.Signal(str, str)

    def __init__(self, experiment, settings: ExportSettings, parent=None):
        super().__init__(parent)
        from optviz.experiment.toml_io import experiment_to_toml

        self.settings = settings
        self.output = Path(os.path.abspath(os.fspath(settings.output)))
        self.outcome: str | None = None
        self.message = ""
        self.frames_written = 0
        self._cancel_requested = False
        self._started_at = 0.0
        self._stdout = b""
        self._stderr = b""
        self._job = json.dumps({
            "toml": experiment_to_toml(experiment),
            "base_dir": os.path.abspath(experiment.landscape.base_dir),
            "output": os.fspath(self.output),
            "options": settings.options(),
        }).encode("utf-8")
        self.process = QtCore.QProcess(self)
        env = QtCore.QProcessEnvironment.systemEnvironment()
        env.insert("QT_QPA_PLATFORM", "offscreen")  # the pixels of `optviz export`, whatever the window uses
        if not env.contains("NUMBA_THREADING_LAYER"):
            env.insert("NUMBA_THREADING_LAYER", "omp")
        package_root = os.fspath(Path(__file__).resolve().parents[2])
        env.insert("PYTHONPATH", os.pathsep.join(p for p in (package_root, env.value("PYTHONPATH")) if p))
        self.process.setProcessEnvironment(env)
        self.process.readyReadStandardOutput.connect(self._read_stdout)
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.finished.connect(self._on_finished)
        self.process.errorOccurred.connect(self._on_error)
        self._killer = QtCore.QTimer(self)
        self._killer.setSingleShot(True)
        self._killer.timeout.connect(self.process.kill)

    @property
    def running(self) -> bool:
        return self.outcome is None

    def start(self) -> None:
        self._started_at = time.time()
        self.process.start(sys.executable, ["-m", "optviz.app.export_controller"])
        self.process.write(self._job)
        self.process.closeWriteChannel()

    def cancel(self) -> None:
        """Stop the export (SIGTERM, then kill after :data:`KILL_AFTER_S`); no file is left."""
        if not self.running or self._cancel_requested:
            return
        self._cancel_requested = True
        if self.process.state() == QtCore.QProcess.ProcessState.NotRunning:
            return
        self.process.terminate()
        self._killer.start(int(KILL_AFTER_S * 1000))

    def abort(self, timeout_s: float = KILL_AFTER_S) -> None:
        """Cancel and wait until the child has ended (the window is closing)."""
        self.cancel()
        if self.process.state() != QtCore.QProcess.ProcessState.NotRunning \
                and not self.process.waitForFinished(int(timeout_s * 1000)):
            self.process.kill()
            self.process.waitForFinished(2000)

    def _read_stdout(self):
        self._stdout += bytes(self.process.readAllStandardOutput())
        *lines, self._stdout = self._stdout.split(b"\n")
        for line in lines:
            words = line.decode("utf-8", "replace").split()
            if len(words) == 3 and words[0] in ("simulate", "frame") and words[1].isdigit() and words[2].isdigit():
                if words[0] == "frame":
                    self.frames_written = int(words[1])
                self.progress.emit(words[0], int(words[1]), int(words[2]))
            elif len(words) == 5 and words[0] == "done":
                self.message = self.tr("Exported {name}: {frames} frames, {width}x{height}, {seconds} s at {fps} "
                                       "fps").format(
                    name=self.output.name, frames=f"{int(words[1]):,}", width=words[2], height=words[3],
                    seconds=f"{int(words[1]) / float(words[4]):.1f}", fps=f"{float(words[4]):g}")

    def _read_stderr(self):
        self._stderr += bytes(self.process.readAllStandardError())
        self._stderr = self._stderr[-20_000:]

    def _error_line(self) -> str:
        lines = [line.strip() for line in self._stderr.decode("utf-8", "replace").splitlines() if line.strip()]
        if not lines:
            return self.tr("the export process ended without saying why")
        line = lines[-1]
        return line.removeprefix("optviz: error: ")

    def _on_finished(self, code: int, status):
        self._killer.stop()
        self._read_stdout()
        self._read_stderr()
        crashed = status == QtCore.QProcess.ExitStatus.CrashExit
        if self._cancel_requested:
            self._finish("cancelled",
                         self.tr("Export cancelled; {name} was not written.").format(name=self.output.name))
        elif code == 0 and not crashed:
            self._finish("done", self.message or self.tr("Exported {name}").format(name=self.output.name))
        else:
            self._finish("failed", self._error_line() if not crashed else
                         self.tr("the export process stopped unexpectedly ({error})").format(error=self._error_line()))

    def _on_error(self, error):
        if error == QtCore.QProcess.ProcessError.FailedToStart:
            self._finish("failed", self.tr("cannot start the export process: {error}").format(
                error=self.process.errorString()))

    def _finish(self, outcome: str, message: str):
        if self.outcome is not None:
            return
        if outcome != "done":
            self._remove_partial_files()
        self.outcome = outcome
        self.message = message
        self.finished.emit(outcome, message)

    def _remove_partial_files(self):
        """Temporary files of a child that could not clean up (killed): ``.NAME.*.partSUFFIX`` from this run."""
        from optviz.atomic import temporary_files
        from optviz.render.metadata import sidecar_path

        for target in (self.output, sidecar_path(self.output)):
            for tmp in temporary_files(target):
                with contextlib.suppress(OSError):
                    if tmp.stat().st_mtime >= self._started_at - 1:
                        tmp.unlink()


# ====================================================================== the child
def _child_export(job: dict) -> int:
    from optviz.experiment.toml_io import experiment_from_toml
    from optviz.render import export_animation

    def report(phase):
        def progress(done, total):
            print(f"{phase} {int(done)} {int(total)}", flush=True)
        return progress

    experiment = experiment_from_toml(job["toml"], "experiment", job["base_dir"])
    info = export_animation(experiment, job["output"], progress=report("frame"),
                            sim_progress=report("simulate"), **job["options"])
    print(f"done {info.frames} {info.size[0]} {info.size[1]} {info.fps:g}", flush=True)
    return 0


def main() -> int:
    """``python -m optviz.app.export_controller``: one export described by JSON on stdin (see the module)."""
    from optviz.interrupt import Interrupted, cancel_on_signals

    try:
        with cancel_on_signals():
            job = json.loads(sys.stdin.read())
            return _child_export(job)
    except Interrupted as interrupt:
        print(f"optviz: cancelled ({interrupt})", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(interrupt.exit_status)  # the teardown of Numba and Qt takes up to a second
    except (ValueError, OSError) as error:  # bad options, an unwritable output: one line
        print(f"optviz: error: {error}", file=sys.stderr, flush=True)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
