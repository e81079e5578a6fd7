"""The status bar: kernels compiling, particles, diverged, frame rate, warnings, and messages.

:class:`StatusPanel` owns the status bar's labels; the window tells it what happened (kernels
progress, the document's particles and learning rates, the session's figures). Errors a person
must read stay on screen in a non-blocking message box (:meth:`StatusPanel.warn`). Its labels
follow the interface's language (:mod:`optviz.app.language`).
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from optviz.app.language import language

__all__ = ["StatusPanel", "LARGE_LR", "KERNELS_TIP"]

#: A learning rate beyond this is accepted but flagged in the status bar: particles will likely fly off.
LARGE_LR = 1e3
KERNELS_TIP = QtCore.QT_TRANSLATE_NOOP(
    "StatusPanel", "Numba compiles each optimizer family's kernel for a landscape the first time it is used; "
    "later launches load it from the disk cache")


class StatusPanel(QtCore.QObject):
    """The labels of ``window``'s status bar and its message boxes."""

    def __init__(self, window: QtWidgets.QMainWindow):
        super().__init__(window)
        self.window = window
        self.bar = sb = window.statusBar()
        self.kernel_label = QtWidgets.QLabel()
        self.kernel_progress = QtWidgets.QProgressBar()
        self.kernel_progress.setMaximumWidth(120)
        self.kernel_progress.setMaximumHeight(14)
        self.kernel_progress.setTextVisible(False)
        self.kernel_progress.setVisible(False)
        self.compiling = False
        #: the kernels' state: "starting", "compiling", "ready" or "failed"
        self.kernels = "starting"
        self._kernel_progress = ("", 0, 0)
        self._session = None
        self._doc = None
        self.particles_label = QtWidgets.QLabel("")
        self.diverged_label = QtWidgets.QLabel("")
        self.fps_label = QtWidgets.QLabel("")
        self.warning_label = QtWidgets.QLabel("")
        self.warning_label.setStyleSheet("color: #b06000; font-weight: bold;")
        self.warning_label.setVisible(False)
        #: the message box shown last (it stays until closed)
        self.message_box: QtWidgets.QMessageBox | None = None
        sb.addWidget(self.warning_label)
        for w in (self.particles_label, self.diverged_label, self.fps_label, self.kernel_label,
                  self.kernel_progress):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)
        self._show_kernels()
        language().changed.connect(self.retranslate)

    @property
    def kernels_ready(self) -> bool:
        """The opened experiment's kernels are compiled (or loaded): Play starts at once."""
        return self.kernels == "ready"

    def retranslate(self, _code: str = "") -> None:
        """Every label again, in the current language."""
        self._show_kernels()
        if self._session is not None:
            self.show_run(self._session)
        if self._doc is not None:
            self.show_document(self._doc)

    def add_first(self, widget: QtWidgets.QWidget) -> None:
        """A label shown left of the others (how far the run is computed)."""
        widget.setContentsMargins(8, 0, 8, 0)
        self.bar.insertPermanentWidget(1, widget)  # index 0 is the warning

    # ------------------------------------------------------------------ messages
    def message(self, text: str, ms: int = 0) -> None:
        self.bar.showMessage(text, ms)

    def show_activity(self, text: str) -> None:
        """What a panel is doing in the background (empty: done)."""
        if text:
            self.bar.showMessage(text)
        else:
            self.bar.clearMessage()

    def warn(self, title: str, text: str) -> QtWidgets.QMessageBox:
        """A warning that stays until the user closes it (not blocking: the window keeps running)."""
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, title, text,
                                    QtWidgets.QMessageBox.StandardButton.Ok, self.window)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        box.open()
        self.bar.showMessage(text, 15000)
        return box

    # ------------------------------------------------------------------ figures
    def set_kernels(self, description: str, done: int, total: int) -> None:
        """The compute thread compiles (or loads) the opened experiment's kernels: say which, how far."""
        self.compiling = done < total
        self.kernels = "compiling" if self.compiling else "ready"
        self._kernel_progress = (description, done, total)
        self.kernel_progress.setVisible(self.compiling)
        if self.compiling:
            self.kernel_progress.setRange(0, total)
            self.kernel_progress.setValue(done)
        self._show_kernels()

    def kernels_failed(self) -> None:
        if not self.compiling:
            return
        self.compiling = False
        self.kernels = "failed"
        self.kernel_progress.setVisible(False)
        self._show_kernels()

    def _show_kernels(self) -> None:
        label = self.kernel_label
        tip = self.tr(KERNELS_TIP)
        if self.kernels == "compiling":
            description, done, total = self._kernel_progress
            text = self.tr("Compiling {what} ({done} of {total})…").format(what=description, done=done + 1,
                                                                             total=total)
            label.setText(label.fontMetrics().elidedText(text, QtCore.Qt.TextElideMode.ElideMiddle, 460))
            tip = text
            style = "color: #b06000; font-weight: bold;"
        elif self.kernels == "ready":
            label.setText(self.tr("kernels ready"))
            style = "color: #1e7e34;"
        elif self.kernels == "failed":
            label.setText(self.tr("kernels failed"))
            style = "color: #c5221f; font-weight: bold;"
        else:
            label.setText(self.tr("starting…"))
            style = ""
        label.setToolTip(tip)
        label.setStyleSheet(style)

    def show_run(self, session) -> None:
        """Diverged particles and frame rate (or "paused") of ``session``."""
        self._session = session
        n = session.n_diverged
        self.diverged_label.setText(self.tr("{n} diverged").format(n=f"{n:,}"))
        self.diverged_label.setStyleSheet("color: #c5221f; font-weight: bold;" if n else "")
        playing = session.playback.playing
        if playing and self.compiling:
            self.fps_label.setText(self.tr("plays when compiled"))
        else:
            fps, _ = session.frame_stats()
            self.fps_label.setText(f"{fps:4.0f} fps" if playing else self.tr("paused"))

    def show_document(self, doc) -> None:
        """Particles of the experiment, and what is accepted but probably not meant (a learning
        rate beyond :data:`LARGE_LR`)."""
        self._doc = doc
        self.particles_label.setText(self.tr("{n} particles").format(n=f"{doc.n_particles():,}"))
        large = []
        for g in doc.experiment.groups:
            lr = g.hyper.get("lr")
            values = lr if isinstance(lr, list) else [lr]
            numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if numbers and max(numbers) > LARGE_LR:
                large.append(f"{g.label}: lr = {max(numbers):g}")
        text = ""
        if large:
            text = "⚠ " + self.tr("{groups} (beyond {limit}: the particles will likely fly off at once)").format(
                groups="; ".join(large), limit=f"{LARGE_LR:g}")
        self.warning_label.setText(text)
        self.warning_label.setToolTip(text)
        self.warning_label.setVisible(bool(text))
