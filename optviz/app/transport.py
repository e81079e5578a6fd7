"""The transport bar: play / pause, step, reset, speed, the time slider and where the run is.

:class:`TransportBar` edits the :class:`~optviz.models.session.Session` through its commands and
follows it by subscription: the play button follows ``playback.playing``, the speed box
``playback.speed``, the slider and the step label each published frame, and
:attr:`TransportBar.computed_label` ("computed N / T", shown in the status bar) the live step.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from optviz.app.language import language
from optviz.models.playback import MAX_SPEED

__all__ = ["TransportBar"]


class TransportBar(QtWidgets.QWidget):
    """The bar under the scene, bound to ``session``."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("transport")
        h = self._layout = QtWidgets.QHBoxLayout(self)
        h.setContentsMargins(8, 4, 8, 4)
        st = self.style()
        icon = QtWidgets.QStyle.StandardPixmap
        beside = QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        self.play_btn = QtWidgets.QToolButton()
        self.play_btn.setToolButtonStyle(beside)
        self.play_btn.setMinimumWidth(86)
        self.step_btn = QtWidgets.QToolButton()
        self.step_btn.setIcon(st.standardIcon(icon.SP_MediaSeekForward))
        self.step_btn.setToolButtonStyle(beside)
        self.reset_btn = QtWidgets.QToolButton()
        self.reset_btn.setIcon(st.standardIcon(icon.SP_MediaSkipBackward))
        self.reset_btn.setToolButtonStyle(beside)
        for b in (self.play_btn, self.step_btn, self.reset_btn):
            h.addWidget(b)
        h.addSpacing(8)
        self.speed_label = QtWidgets.QLabel()
        h.addWidget(self.speed_label)
        self.speed = QtWidgets.QSpinBox()
        self.speed.setRange(1, MAX_SPEED)
        self.speed.valueChanged.connect(self._show_speed_unit)
        h.addWidget(self.speed)
        h.addSpacing(8)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        style = _JumpToClickStyle()
        style.setParent(self.slider)
        self.slider.setStyle(style)  # a click moves the cursor there, not by a page
        self.slider.setRange(0, 0)
        self.slider.setMinimumWidth(260)
        h.addWidget(self.slider, 1)
        self.time_label = QtWidgets.QLabel()
        self.time_label.setMinimumWidth(150)
        h.addWidget(self.time_label)
        self.computed_label = QtWidgets.QLabel("")
        self._syncing = False
        self._frame = None  # the frame shown last (its step label is redone in another language)

        pb = session.playback
        self.play_btn.clicked.connect(session.toggle_play)
        self.step_btn.clicked.connect(lambda: session.step(1))
        self.reset_btn.clicked.connect(session.reset)
        self.speed.valueChanged.connect(session.set_speed)
        self.slider.valueChanged.connect(self._slider_moved)
        pb.events.playing.connect(self._show_playing)
        pb.events.speed.connect(self._show_speed)
        pb.events.step.connect(self._show_computed)
        pb.events.total_steps.connect(self._show_computed)
        session.frame_changed.connect(self._show_frame)
        self.retranslate()
        self._show_speed(pb.speed)
        language().changed.connect(self.retranslate)

    def retranslate(self, _code: str = "") -> None:
        """Every text of the bar in the current language."""
        self.step_btn.setText(self.tr("Step"))
        self.step_btn.setToolTip(self.tr("One optimizer step (Right arrow; Shift+Right: 10 steps)"))
        self.reset_btn.setText(self.tr("Reset"))
        self.reset_btn.setToolTip(self.tr("Back to step 0 (R)"))
        self.speed_label.setText(self.tr("speed"))
        self.speed.setToolTip(self.tr("Optimizer steps computed per drawn frame ([ slower, ] faster)"))
        self.slider.setToolTip(self.tr("Time: click or drag to scrub through the recorded steps; every view "
                                       "follows (Left/Right while paused, Home/End)"))
        self._show_speed_unit(self.speed.value())
        self._show_playing(self.session.playback.playing)
        self._show_computed()
        if self._frame is not None:
            self._show_frame(self._frame)
        else:
            self.time_label.setText(self.tr("step {step} / {total}").format(step=0, total=0))

    def _show_speed_unit(self, value: int) -> None:
        self.speed.setSuffix(" " + (self.tr("step/frame") if value == 1 else self.tr("steps/frame")))

    def add_widget(self, widget: QtWidgets.QWidget, spacing: int = 8) -> None:
        """Another control at the right end of the bar (view options)."""
        self._layout.addSpacing(spacing)
        self._layout.addWidget(widget)

    def faster(self) -> None:
        self.speed.setValue(self.speed.value() * 2)

    def slower(self) -> None:
        self.speed.setValue(max(1, self.speed.value() // 2))

    # ------------------------------------------------------------------ subscriptions
    def _slider_moved(self, value: int) -> None:
        if not self._syncing:
            self.session.scrub(value)

    def _show_playing(self, playing: bool) -> None:
        sp = QtWidgets.QStyle.StandardPixmap
        self.play_btn.setIcon(self.style().standardIcon(sp.SP_MediaPause if playing else sp.SP_MediaPlay))
        self.play_btn.setText(self.tr("Pause") if playing else self.tr("Play"))
        self.play_btn.setToolTip(self.tr("Pause (Space)") if playing else self.tr("Play (Space)"))

    def _show_speed(self, value: int) -> None:
        if self.speed.value() != value:
            self.speed.setValue(value)

    def _show_computed(self, *_):
        step, total = self.session.computed
        text = self.tr("computed {step} / {total}").format(step=f"{step:,}", total=f"{total:,}")
        if self.computed_label.text() != text:
            self.computed_label.setText(text)

    def _show_frame(self, frame) -> None:
        self._frame = frame
        pb = self.session.playback
        self._syncing = True
        try:
            self.slider.setRange(0, max(pb.n_frames - 1, 0))
            self.slider.setValue(frame.index)
        finally:
            self._syncing = False
        text = self.tr("step {step} / {total}").format(step=f"{frame.step:,}", total=f"{pb.total_steps:,}")
        if not (pb.follow or frame.step == pb.step):
            text += "  " + self.tr("(live {step})").format(step=f"{pb.step:,}")
        self.time_label.setText(text)


class _JumpToClickStyle(QtWidgets.QProxyStyle):
    """A click on a slider's groove moves the handle there (instead of one page step)."""

    def styleHint(self, hint, option=None, widget=None, return_data=None):
        if hint == QtWidgets.QStyle.StyleHint.SH_Slider_AbsoluteSetButtons:
            return int(QtCore.Qt.MouseButton.LeftButton.value)
        return super().styleHint(hint, option, widget, return_data)
