"""The main window: the scene, the transport bar, the panels, menus and the frame timer.

Wiring (model/view): widgets edit the models (``DocumentModel``, ``Playback``,
``Selection``, ``ViewOptions``); the window observes the models and updates the
views. The simulation lives in one compute thread (:class:`ComputeThread` running
:class:`~optviz.models.live.LiveRun`); a precise 16 ms timer takes the newest
snapshot (never waiting) and draws it.
"""

from __future__ import annotations

import os
import time
from collections import deque
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from optviz.models import vocabulary
from optviz.models.document import GROUP_LOOK_FIELDS

__all__ = ["MainWindow", "presets"]

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"
MAX_RECENT = 8
#: Seconds between side-plot updates while a run plays (every new frame when paused or stepping).
SIDE_PLOT_INTERVAL = 0.25
#: A learning rate beyond this is accepted but flagged in the status bar: particles will likely fly off.
LARGE_LR = 1e3
KERNELS_TIP = ("Numba compiles each optimizer family's kernel for a landscape the first time it is used; "
               "later launches load it from the disk cache")


def presets() -> list[tuple[str, Path]]:
    """(title, path) of every preset experiment, by file name."""
    import tomllib

    out = []
    for p in sorted(PRESET_DIR.glob("*.toml")):
        try:
            title = tomllib.loads(p.read_text(encoding="utf-8")).get("title", p.stem)
        except (OSError, ValueError):
            continue
        out.append((title, p))
    return out


class MainWindow(QtWidgets.QMainWindow):
    """``MainWindow(path)``: shows at once, then builds the scene and panels (see :attr:`ready`)."""

    readyChanged = QtCore.Signal()

    def __init__(self, path=None, *, settings: QtCore.QSettings | None = None, ask_to_save: bool = True):
        super().__init__()
        self.t_created = time.perf_counter()
        self.t_ready = None
        self.ready = False
        self.ask_to_save = ask_to_save
        self.settings = settings or QtCore.QSettings()
        self._start_path = path
        self.setWindowTitle("optviz")
        room = self.screen().availableGeometry()  # a small screen must still show the status bar
        self.resize(min(1500, room.width()), min(940, room.height()))
        self.loading = QtWidgets.QLabel("Loading optviz…")
        self.loading.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.loading)
        sb = self.statusBar()
        self.kernel_label = QtWidgets.QLabel("starting…")
        self.kernel_label.setToolTip(KERNELS_TIP)
        self.kernel_progress = QtWidgets.QProgressBar()
        self.kernel_progress.setMaximumWidth(120)
        self.kernel_progress.setMaximumHeight(14)
        self.kernel_progress.setTextVisible(False)
        self.kernel_progress.setVisible(False)
        self._compiling = False
        self.step_label = QtWidgets.QLabel("")
        self.particles_label = QtWidgets.QLabel("")
        self.diverged_label = QtWidgets.QLabel("")
        self.fps_label = QtWidgets.QLabel("")
        self.warning_label = QtWidgets.QLabel("")
        self.warning_label.setStyleSheet("color: #b06000; font-weight: bold;")
        self.warning_label.setVisible(False)
        sb.addWidget(self.warning_label)
        for w in (self.step_label, self.particles_label, self.diverged_label, self.fps_label, self.kernel_label,
                  self.kernel_progress):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)
        QtCore.QTimer.singleShot(30, self._finish_setup)  # paint the shell first

    # ================================================================ setup
    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Process events until the window is built (tests, scripts)."""
        app = QtWidgets.QApplication.instance()
        end = time.perf_counter() + timeout
        while not self.ready and time.perf_counter() < end:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        return self.ready

    def _finish_setup(self):
        if self.ready:
            return
        import numpy as np  # noqa: F401

        from optviz.app.inspector import InspectorPanel
        from optviz.app.panels import ExperimentPanel, GroupEditor, GroupListPanel
        from optviz.app.scene_view import AppScene
        from optviz.app.worker import ComputeThread
        from optviz.models import Playback, Selection, ViewOptions
        from optviz.models.document import DocumentModel, EditError
        from optviz.models.live import DisplayBuffer, LiveRun

        self.EditError = EditError
        self.doc = DocumentModel()
        self.animation_export = None
        self.export_progress = None
        self.message_box = None
        if self._start_path:
            try:
                self.doc.load(self._start_path)
            except EditError as error:  # stays on screen until the user closes it
                QtCore.QTimer.singleShot(0, lambda e=str(error): self._warn("Cannot open", e))
        self.playback = Playback()
        self.selection = Selection()
        self.view = ViewOptions()
        self.live = LiveRun()
        self.display = DisplayBuffer()
        self.thread = ComputeThread(self.live, parent=self)
        self.thread.kernelsProgress.connect(self._on_kernels)

        # ---- central: scene + transport
        self.scene = AppScene(theme="light")
        self.scene.set_future(self.view.future)
        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.scene, 1)
        self.transport = QtWidgets.QToolBar("Playback", self)
        self.transport.setObjectName("transport_bar")
        self.transport.setMovable(False)
        self.transport.addWidget(self._build_transport())
        self.addToolBar(QtCore.Qt.ToolBarArea.BottomToolBarArea, self.transport)
        self.setCentralWidget(central)
        self.loading.deleteLater()

        # ---- docks
        self.experiment_panel = ExperimentPanel(self.doc)
        self.group_list = GroupListPanel(self.doc)
        self.editor = GroupEditor(self.doc)
        self.inspector = InspectorPanel()
        self.docks = {}
        left = QtCore.Qt.DockWidgetArea.LeftDockWidgetArea
        right = QtCore.Qt.DockWidgetArea.RightDockWidgetArea
        for name, title, widget, area in (("experiment", "Experiment", self.experiment_panel, left),
                                          ("groups", "Groups", self.group_list, left),
                                          ("editor", "Group editor", self.editor, left),
                                          ("inspector", "Particle inspector", self.inspector, right)):
            dock = QtWidgets.QDockWidget(title, self)
            dock.setObjectName(f"dock_{name}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self.docks["inspector"].setMinimumWidth(340)
        self.docks["inspector"].hide()  # shown when a particle is clicked
        self._default_dock_sizes()

        self._build_actions()
        self._build_menus()
        self._connect()
        self._restore_settings()

        # ---- start
        self._in_tick = False
        self._frame_times = deque(maxlen=120)
        self._tick_ms = deque(maxlen=120)
        self._side_t = 0.0
        self._inspect_info = None
        self._diverged = 0
        self._editor_key = None
        self._density_req = None
        self._apply_document(replaced=True)
        self.thread.start()
        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(16)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.ready = True
        self.t_ready = time.perf_counter()
        self.readyChanged.emit()

    def _build_transport(self):
        bar = QtWidgets.QWidget()
        bar.setObjectName("transport")
        h = QtWidgets.QHBoxLayout(bar)
        h.setContentsMargins(8, 4, 8, 4)
        st = self.style()
        self.play_btn = QtWidgets.QToolButton()
        self.play_btn.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.play_btn.setMinimumWidth(86)
        self.step_btn = QtWidgets.QToolButton()
        self.step_btn.setIcon(st.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaSeekForward))
        self.step_btn.setText("Step")
        self.step_btn.setToolTip("One optimizer step (Right arrow; Shift+Right: 10 steps)")
        self.step_btn.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.reset_btn = QtWidgets.QToolButton()
        self.reset_btn.setIcon(st.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaSkipBackward))
        self.reset_btn.setText("Reset")
        self.reset_btn.setToolTip("Back to step 0 (R)")
        self.reset_btn.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for b in (self.play_btn, self.step_btn, self.reset_btn):
            h.addWidget(b)
        h.addSpacing(8)
        h.addWidget(QtWidgets.QLabel("speed"))
        self.speed = QtWidgets.QSpinBox()
        self.speed.setRange(1, 1000)
        self.speed.setSuffix(" steps/frame")
        self.speed.setToolTip("Optimizer steps computed per drawn frame ([ slower, ] faster)")
        h.addWidget(self.speed)
        h.addSpacing(8)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self._slider_style = _JumpToClickStyle()
        self._slider_style.setParent(self.slider)
        self.slider.setStyle(self._slider_style)  # a click moves the cursor there, not by a page
        self.slider.setRange(0, 0)
        self.slider.setMinimumWidth(260)
        self.slider.setToolTip("Time: click or drag to scrub through the recorded steps; every view follows "
                               "(Left/Right while paused, Home/End)")
        h.addWidget(self.slider, 1)
        self.time_label = QtWidgets.QLabel("step 0 / 0")
        self.time_label.setMinimumWidth(150)
        h.addWidget(self.time_label)
        h.addSpacing(8)
        h.addWidget(QtWidgets.QLabel("trail"))
        self.trail = QtWidgets.QSpinBox()
        self.trail.setRange(-1, 100000)
        self.trail.setSpecialValueText("whole path")
        self.trail.setSuffix(" frames")
        self.trail.setToolTip("Trail length in recorded frames (0: none; lowest value: the whole path)")
        h.addWidget(self.trail)
        self.place_btn = QtWidgets.QToolButton()
        self.place_btn.setText("Place particles")
        self.place_btn.setCheckable(True)
        self.place_btn.setToolTip("On: click the landscape to start the selected group from that point, "
                                  "drag to draw a cloud (P)")
        h.addWidget(self.place_btn)
        return bar

    def _action(self, text, slot, shortcut=None, tip=None, checkable=False):
        act = QtGui.QAction(text, self)
        if shortcut:
            act.setShortcut(QtGui.QKeySequence(shortcut))
            act.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.setCheckable(checkable)
        if checkable:
            act.toggled.connect(slot)
        else:
            act.triggered.connect(lambda _=False: slot())
        self.addAction(act)
        return act

    def _build_actions(self):
        a = self.actions_ = {}
        a["new"] = self._action("&New", self.new_document, QtGui.QKeySequence.StandardKey.New)
        a["open"] = self._action("&Open…", self.open_dialog, QtGui.QKeySequence.StandardKey.Open)
        a["save"] = self._action("&Save", self.save, QtGui.QKeySequence.StandardKey.Save)
        a["save_as"] = self._action("Save &As…", self.save_as, QtGui.QKeySequence.StandardKey.SaveAs)
        a["export_figure"] = self._action("Export &Figure (PNG/SVG)…", self.export_figure_dialog, "Ctrl+E")
        a["export_animation"] = self._action("Export &Animation (MP4/GIF/WebP)…", self.export_animation_dialog,
                                             "Ctrl+Shift+E")
        a["export_data"] = self._action("Export &Data (npz)…", self.export_data_dialog)
        a["quit"] = self._action("&Quit", self.close, QtGui.QKeySequence.StandardKey.Quit)
        a["play"] = self._action("Play / Pause", self.toggle_play, "Space")
        a["step"] = self._action("Step", lambda: self.step(1), "Right")
        a["step10"] = self._action("Step ×10", lambda: self.step(10), "Shift+Right")
        a["back"] = self._action("Back one frame", lambda: self.scrub_by(-1), "Left")
        a["first"] = self._action("First frame", lambda: self.playback.scrub(0), "Home")
        a["last"] = self._action("Newest frame", lambda: self.playback.scrub(self.playback.n_frames - 1), "End")
        a["reset"] = self._action("Reset", self.reset, "R")
        a["faster"] = self._action("Faster (×2 steps/frame)", lambda: self.speed.setValue(self.speed.value() * 2), "]")
        a["slower"] = self._action("Slower (÷2 steps/frame)",
                                   lambda: self.speed.setValue(max(1, self.speed.value() // 2)), "[")
        a["place"] = self._action("Place particles by clicking", lambda on: setattr(self.view, "place_mode", on),
                                  "P", checkable=True)
        a["fit"] = self._action("Fit landscape", self.fit_view, "F")
        a["clear_inspect"] = self._action("Stop inspecting", lambda: setattr(self.selection, "particle", None),
                                          "Escape")

    def _build_menus(self):
        a = self.actions_
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for k in ("new", "open"):
            m.addAction(a[k])
        self.recent_menu = m.addMenu("Open &Recent")
        m.addSeparator()
        m.addAction(a["save"])
        m.addAction(a["save_as"])
        m.addSeparator()
        for k in ("export_figure", "export_animation", "export_data"):
            m.addAction(a[k])
        m.addSeparator()
        m.addAction(a["quit"])
        pm = mb.addMenu("&Presets")
        for title, path in presets():
            act = pm.addAction(title)
            act.setStatusTip(str(path.name))
            act.triggered.connect(lambda _=False, p=path: self.open_path(p, as_preset=True))
        rm = mb.addMenu("&Run")
        for k in ("play", "step", "step10", "back", "first", "last", "reset", "faster", "slower"):
            rm.addAction(a[k])
        vm = mb.addMenu("&View")
        vm.addAction(a["place"])
        vm.addAction(a["fit"])
        vm.addAction(a["clear_inspect"])
        sub = vm.addMenu("Particles drawn as")
        self.mode_group = QtGui.QActionGroup(self)
        for mode, text in vocabulary.PARTICLE_MODES.items():
            act = sub.addAction(text)
            act.setCheckable(True)
            act.setData(mode)
            self.mode_group.addAction(act)
            act.triggered.connect(lambda _=False, m=mode: setattr(self.view, "particle_mode", m))
        sub = vm.addMenu("Colormap")
        self.cmap_group = QtGui.QActionGroup(self)
        for name in vocabulary.COLORMAPS:
            act = sub.addAction(name)
            act.setCheckable(True)
            act.setData(name)
            self.cmap_group.addAction(act)
            act.triggered.connect(lambda _=False, n=name: setattr(self.view, "colormap", n))
        sub = vm.addMenu("Side plots")
        self.side_actions = {}
        for key, text in vocabulary.SIDE_PLOTS.items():
            act = sub.addAction(text)
            act.setCheckable(True)
            act.toggled.connect(self._side_toggled)
            self.side_actions[key] = act
        act = vm.addAction(vocabulary.FUTURE_MODES["ghost"])
        act.setCheckable(True)
        act.toggled.connect(lambda on: setattr(self.view, "future", "ghost" if on else "hide"))
        self.future_action = act
        vm.addSeparator()
        for dock in self.docks.values():
            vm.addAction(dock.toggleViewAction())
        hm = mb.addMenu("&Help")
        hm.addAction("Keyboard shortcuts", self.show_shortcuts)
        hm.addAction("About optviz", lambda: QtWidgets.QMessageBox.about(
            self, "About optviz", "optviz: watch optimizers move on 2-D loss landscapes, with the learning "
            "rate each method really applies to each parameter."))
        self._update_recent_menu()

    # ================================================================ wiring
    def _connect(self):
        pb, view, sel, doc = self.playback, self.view, self.selection, self.doc
        self.play_btn.clicked.connect(self.toggle_play)
        self.step_btn.clicked.connect(lambda: self.step(1))
        self.reset_btn.clicked.connect(self.reset)
        self.speed.valueChanged.connect(lambda v: pb.set_speed(v))
        self.slider.valueChanged.connect(self._slider_moved)
        self.trail.valueChanged.connect(lambda v: setattr(view, "trail_length", int(v)))
        self.place_btn.toggled.connect(lambda on: setattr(view, "place_mode", on))
        pb.events.playing.connect(self._on_playing)
        pb.events.speed.connect(self._on_speed)
        pb.events.frame.connect(self._on_frame)
        view.events.trail_length.connect(self._on_trail)
        view.events.particle_mode.connect(self._on_mode)
        view.events.colormap.connect(self._on_cmap)
        view.events.side_plots.connect(self._on_side_plots)
        view.events.place_mode.connect(self._on_place_mode)
        view.events.future.connect(lambda f: (self.scene.set_future(f), self.future_action.setChecked(f == "ghost")))
        sel.events.group.connect(self._on_group_selected)
        sel.events.particle.connect(self._on_particle_selected)
        self._subscribe_document(doc)
        self.group_list.currentChanged.connect(lambda i: setattr(sel, "group", i))
        self.experiment_panel.expression.statusChanged.connect(self._show_activity)
        self.scene.sigPlace.connect(self._place)
        self.scene.sigCloud.connect(self._cloud)
        self.scene.sigPick.connect(self._pick)
        self._on_playing(False)

    # ================================================================ document
    def _subscribe_document(self, doc):
        """What the window redoes for each change of the document: everything for a new one, the
        run for its inputs, a redraw for how groups look, nothing but the store for the view."""
        ev = doc.events
        ev.replaced.connect(lambda: self._apply_document(replaced=True, kind="replaced"))
        ev.simulation.connect(lambda: self._apply_document(kind="sim"))
        ev.title.connect(lambda _t: self._apply_document(kind="look"))
        ev.caption.connect(lambda _c: self._apply_document(kind="look"))
        ev.group.connect(lambda _i, name: name in GROUP_LOOK_FIELDS and self._apply_document(kind="look"))
        ev.view.connect(lambda _v: self._apply_document(kind="view"))
        ev.path.connect(lambda _p: self._update_title())
        ev.dirty.connect(lambda _d: self._update_title())

    def _apply_document(self, replaced: bool = False, kind: str = "replaced"):
        exp = self.doc.experiment
        if replaced:
            self._loading = True
            try:
                self.view.update(self._opened_view(exp))
                self._sync_view_widgets()
            finally:
                self._loading = False
        if kind in ("sim", "replaced"):
            self.selection.particle = None
            self.playback.reset(exp.run.steps, keep_playing=not replaced)
            self.live.load(exp)
            self.display.generation = -1
        if kind != "view":
            same_land = (self.scene._exp is not None and not replaced
                         and self.scene._exp.landscape == exp.landscape)
            view_range = self.scene.view_range() if same_land else None
            self.scene.set_experiment(exp)
            if view_range is not None:
                self.scene.set_view(*view_range)
            elif replaced and isinstance(exp.view.get("x"), list) and isinstance(exp.view.get("y"), list):
                try:
                    self.scene.set_view(exp.view["x"], exp.view["y"])
                except (TypeError, ValueError, ZeroDivisionError):
                    pass
            hidden = [i for i, g in enumerate(exp.groups) if not g.visible]
            self.scene.set_visible_groups(None if not hidden else
                                          [i for i in range(len(exp.groups)) if i not in hidden])
            if kind == "look" and self.display.n:
                self.scene.side_data = self.display.side_result()
                self.scene.set_data(self.display.result())
        self.experiment_panel.refresh()
        self.group_list.refresh()
        if self.selection.group >= self.doc.n_groups:
            self.selection.group = self.doc.n_groups - 1
        self.group_list.set_current(self.selection.group)
        self._refresh_editor(force=replaced)
        self.particles_label.setText(f"{self.doc.n_particles():,} particles")
        self._update_warnings()
        self._update_title()

    def _update_warnings(self):
        """Say in the status bar what is accepted but probably not meant (a learning rate beyond LARGE_LR)."""
        large = []
        for g in self.doc.experiment.groups:
            lr = g.hyper.get("lr")
            values = lr if isinstance(lr, list) else [lr]
            numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if numbers and max(numbers) > LARGE_LR:
                large.append(f"{g.label}: lr = {max(numbers):g}")
        text = ""
        if large:
            text = ("⚠ " + "; ".join(large) + f" (beyond {LARGE_LR:g}: the particles will likely fly off at once)")
        self.warning_label.setText(text)
        self.warning_label.setToolTip(text)
        self.warning_label.setVisible(bool(text))

    def _editor_structure(self):
        g = self.doc.group(self.selection.group)
        return (self.selection.group, self.doc.n_groups, g.optimizer, g.label,
                (g.schedule or {}).get("kind"), repr(g.init))

    def _refresh_editor(self, force=False):
        key = self._editor_structure()
        if force or key != self._editor_key:
            self._editor_key = key
            # later: the editor may be inside the signal handler of one of its own widgets
            QtCore.QTimer.singleShot(0, lambda i=self.selection.group: self.editor.set_group(i))

    def _update_title(self):
        p = self.doc.path
        name = p.name if p else "untitled"
        self.setWindowTitle(f"{'• ' if self.doc.dirty else ''}{name} — {self.doc.experiment.title} — optviz")

    # ================================================================ playback
    def toggle_play(self):
        pb = self.playback
        if not pb.playing and pb.finished and pb.follow:
            self.reset()
        pb.playing = not pb.playing

    def _on_playing(self, playing):
        st = self.style()
        sp = QtWidgets.QStyle.StandardPixmap
        icon = sp.SP_MediaPause if playing else sp.SP_MediaPlay
        self.play_btn.setIcon(st.standardIcon(icon))
        self.play_btn.setText("Pause" if playing else "Play")
        self.play_btn.setToolTip("Pause (Space)" if playing else "Play (Space)")
        if hasattr(self, "live"):
            self.live.play(playing and self.playback.follow)
        if self.ready:
            self._update_status()

    def _on_speed(self, v):
        if self.speed.value() != v:
            self.speed.setValue(v)
        self.live.set_speed(v)

    def step(self, n=1):
        pb = self.playback
        pb.playing = False
        if not pb.follow and pb.frame < pb.n_frames - 1:
            self.scrub_by(n)
            return
        pb.follow = True
        self.live.step(n)

    def scrub_by(self, k):
        pb = self.playback
        pb.playing = False
        pb.scrub(pb.frame + k)

    def reset(self):
        self.playback.playing = False
        self.playback.reset(self.doc.experiment.run.steps)
        self.live.reset()

    def _slider_moved(self, v):
        if self._in_tick or getattr(self, "_slider_sync", False):
            return
        self.playback.scrub(v)

    def _on_frame(self, i):
        if self._in_tick or not self.display.n:
            return
        self.scene.show_frame(i)
        self._after_frame(i)

    def _after_frame(self, i):
        pb = self.playback
        step = int(self.display.steps[i]) if self.display.n else 0
        pb.cursor_step = step
        self._slider_sync = True
        self.slider.setRange(0, max(pb.n_frames - 1, 0))
        self.slider.setValue(i)
        self._slider_sync = False
        self.time_label.setText(f"step {step:,} / {pb.total_steps:,}" +
                                ("" if pb.follow or step == pb.step else f"  (live {pb.step:,})"))
        self.inspector.update_cursor(step)
        p = self.selection.particle
        if p is not None and self.display.n and p < self.display.n_particles:
            self.scene.set_highlight(self.display.positions[i, p])
        else:
            self.scene.set_highlight(None)

    def _tick(self):
        import numpy as np

        t0 = time.perf_counter()
        self._frame_times.append(t0)
        pb = self.playback
        snap = self.live.take()
        changed = False
        fresh = False
        if snap is not None:
            if snap.error:
                self._error(f"simulation stopped: {snap.error}")
                pb.playing = False
                if self._compiling:
                    self._kernels_failed()
            added = self.display.add(snap)
            if snap.density is not None and snap.generation == self.display.generation:
                self.scene.particles.put_density(*snap.density)
            fresh = snap.fresh
            changed = added > 0 or fresh
            pb.step = snap.step
            pb.total_steps = snap.total_steps
            pb.finished = snap.finished
            if snap.n_diverged is not None:
                self._diverged = snap.n_diverged
            elif snap.diverged_at is not None:
                self._diverged = int(np.count_nonzero(snap.diverged_at >= 0))
            if snap.inspect is not None and "steps" in snap.inspect \
                    and self.selection.particle == snap.inspect.get("particle"):
                self._inspect_info = snap.inspect
                g = snap.inspect["group"]
                label = self.doc.group(g).label if g < self.doc.n_groups else f"group {g}"
                self.inspector.set_info(snap.inspect, label, pb.cursor_step)
            if snap.finished and pb.playing and pb.follow:
                pb.playing = False
        self._in_tick = True
        try:
            if changed and self.display.n:
                pb.n_frames = self.display.n
                if pb.follow:
                    frame = self.display.n - 1
                else:
                    frame = self.display.frame_for_step(pb.cursor_step)
                # side plots: their statistics are kept per frame by the display buffer and the
                # curves are updated in place (a few ms), a few times per second while playing
                need_side = fresh or not pb.playing or (t0 - self._side_t) > SIDE_PLOT_INTERVAL
                self.scene.side_data = self.display.side_result()
                self.scene._frame = frame  # set_data draws the current frame (request: a frame argument)
                self.scene.set_data(self.display.result(), update_side_plots=need_side)
                if need_side:
                    self._side_t = t0
                pb.frame = frame
                self._after_frame(frame)
            elif pb.playing and not pb.follow and self.display.n:
                # replaying recorded frames: move the cursor by `speed` steps per frame
                target = pb.cursor_step + pb.speed
                frame = self.display.frame_for_step(target)
                if frame <= pb.frame:
                    frame = pb.frame + 1
                if frame >= self.display.n - 1:
                    frame = self.display.n - 1
                    pb.follow = True
                    self.live.play(True)
                self.scene.show_frame(frame)
                pb.frame = frame
                self._after_frame(frame)
        finally:
            self._in_tick = False
        req = self.scene.particles.density_request()
        if req != self._density_req:  # the compute thread splats new frames for this view
            self._density_req = req
            self.live.set_density_view(req)
        if pb.playing and pb.follow:
            self.live.request_frame()
        self._tick_ms.append((time.perf_counter() - t0) * 1e3)
        self._ticks = getattr(self, "_ticks", 0) + 1
        self._update_computed()
        if self._ticks % 15 == 0:
            self._update_status()

    def frame_stats(self):
        """(frames per second over the last two seconds, mean tick ms)."""
        ft = self._frame_times
        if len(ft) < 2:
            return 0.0, 0.0
        span = ft[-1] - ft[0]
        fps = (len(ft) - 1) / span if span > 0 else 0.0
        return fps, sum(self._tick_ms) / max(len(self._tick_ms), 1)

    def _update_computed(self):
        """How far the engine has computed (the cursor's step is beside the slider)."""
        pb = self.playback
        text = f"computed {pb.step:,} / {pb.total_steps:,}"
        if self.step_label.text() != text:
            self.step_label.setText(text)

    def _update_status(self):
        pb = self.playback
        fps, _ = self.frame_stats()
        self._update_computed()
        self.diverged_label.setText(f"{self._diverged:,} diverged")
        self.diverged_label.setStyleSheet("color: #c5221f; font-weight: bold;" if self._diverged else "")
        if pb.playing and self._compiling:
            self.fps_label.setText("plays when compiled")
        else:
            self.fps_label.setText(f"{fps:4.0f} fps" if pb.playing else "paused")

    def _on_kernels(self, description, done, total):
        """The compute thread compiles (or loads) the opened experiment's kernels: say which, how far."""
        self._compiling = done < total
        self.kernel_progress.setVisible(self._compiling)
        if self._compiling:
            self.kernel_progress.setRange(0, total)
            self.kernel_progress.setValue(done)
            text = f"Compiling {description} ({done + 1} of {total})…"
            elided = self.kernel_label.fontMetrics().elidedText(text, QtCore.Qt.TextElideMode.ElideMiddle, 460)
            self.kernel_label.setText(elided)
            self.kernel_label.setToolTip(text)
            self.kernel_label.setStyleSheet("color: #b06000; font-weight: bold;")
        else:
            self.kernel_label.setText("kernels ready")
            self.kernel_label.setToolTip(KERNELS_TIP)
            self.kernel_label.setStyleSheet("color: #1e7e34;")
        self._update_status()

    def _kernels_failed(self):
        self._compiling = False
        self.kernel_progress.setVisible(False)
        self.kernel_label.setText("kernels failed")
        self.kernel_label.setStyleSheet("color: #c5221f; font-weight: bold;")

    def _show_activity(self, text):
        """What a panel is doing in the background (empty: done)."""
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def _error(self, text):
        self.statusBar().showMessage(text, 15000)

    @staticmethod
    def _opened_view(exp) -> dict:
        """The view options an opened experiment brings: its ``[view]`` table, with the side plots
        of its ``[render]`` table when ``[view]`` names none, so that a preset shows its own side
        plots, never those of the experiment opened before or of saved preferences."""
        table = dict(exp.view)
        side = exp.render.get("side_plots") if isinstance(exp.render, dict) else None
        if "side_plots" not in table and isinstance(side, (list, tuple)):
            table["side_plots"] = list(side)
        return table

    # ================================================================ view options
    def _sync_view_widgets(self):
        v = self.view
        self.trail.blockSignals(True)
        self.trail.setValue(v.trail_length)
        self.trail.blockSignals(False)
        self._on_trail(v.trail_length)
        self._on_mode(v.particle_mode)
        self._on_cmap(v.colormap)
        self._on_side_plots(v.side_plots)
        self.scene.set_future(v.future)

    def _store_view(self):
        if self.ready and not getattr(self, "_loading", False):
            try:
                self.doc.set_view_table(self.view.to_dict())
            except self.EditError:
                pass

    def _on_trail(self, n):
        if self.trail.value() != n:
            self.trail.setValue(n)
        self.scene.set_trail_length(int(n))
        self._store_view()

    def _on_mode(self, mode):
        for act in self.mode_group.actions():
            act.setChecked(act.data() == mode)
        self.scene.set_particle_mode(mode)
        self._store_view()

    def _on_cmap(self, name):
        for act in self.cmap_group.actions():
            act.setChecked(act.data() == name)
        self.scene.set_colormap(name)
        self._store_view()

    def _side_toggled(self, _on):
        if getattr(self, "_side_sync", False):
            return
        self.view.side_plots = tuple(k for k, a in self.side_actions.items() if a.isChecked())

    def _on_side_plots(self, names):
        self._side_sync = True
        for k, a in self.side_actions.items():
            a.setChecked(k in names)
        self._side_sync = False
        self.scene.set_side_plots(list(names))
        self._store_view()

    def _on_place_mode(self, on):
        self.scene.place_mode = bool(on)
        self.place_btn.setChecked(bool(on))
        self.actions_["place"].setChecked(bool(on))
        self.scene.setCursor(QtCore.Qt.CursorShape.CrossCursor if on else QtCore.Qt.CursorShape.ArrowCursor)
        if on:
            g = self.doc.group(self.selection.group).label
            self.statusBar().showMessage(f"Click the landscape to start “{g}” from a point; drag to draw a cloud.",
                                         8000)

    def fit_view(self):
        (x0, x1), (y0, y1) = self.doc.experiment.landscape_spec().bounds
        self.scene.set_view((x0, x1), (y0, y1))

    # ================================================================ selection
    def _on_group_selected(self, g):
        self.group_list.set_current(g)
        self.scene.set_selected_group(g if g is not None and g >= 0 else None)
        self._refresh_editor()

    def _on_particle_selected(self, p):
        self.live.inspect(p)
        if p is None:
            self._inspect_info = None
            self.inspector.clear()
            self.scene.set_highlight(None)
        else:
            self.docks["inspector"].show()
            if self.display.n:
                self.scene.set_highlight(self.display.positions[self.playback.frame, p])

    def _place(self, x, y):
        try:
            self.doc.place_point(self.selection.group, x, y)
            self.statusBar().showMessage(f"“{self.doc.group(self.selection.group).label}” starts at "
                                         f"({x:.3g}, {y:.3g})", 5000)
        except self.EditError as error:
            self._error(str(error))

    def _cloud(self, x, y, r):
        try:
            self.doc.place_cloud(self.selection.group, x, y, r)
        except self.EditError as error:
            self._error(str(error))

    def pick(self, x, y, radius):
        """The particle nearest to (x, y) within ``radius`` at the cursor frame, or None."""
        import numpy as np

        if not self.display.n:
            return None
        pos = self.display.positions[self.playback.frame]
        d = (pos[:, 0] - x) ** 2 + (pos[:, 1] - y) ** 2
        ok = np.isfinite(d)
        vis = [i for i, g in enumerate(self.doc.experiment.groups) if g.visible]
        if len(vis) < self.doc.n_groups:
            ok &= np.isin(self.display.group, vis)
        if not ok.any():
            return None
        d = np.where(ok, d, np.inf)
        i = int(np.argmin(d))
        return i if d[i] <= radius * radius else None

    def _pick(self, x, y, radius):
        i = self.pick(x, y, radius)
        if i is not None:
            self.selection.group = int(self.display.group[i])
        self.selection.particle = i

    # ================================================================ files
    def _maybe_save(self) -> bool:
        if not self.ask_to_save or not self.doc.dirty:
            return True
        r = QtWidgets.QMessageBox.question(
            self, "Unsaved changes", "Save the changes to this experiment first?",
            QtWidgets.QMessageBox.StandardButton.Save | QtWidgets.QMessageBox.StandardButton.Discard
            | QtWidgets.QMessageBox.StandardButton.Cancel)
        if r == QtWidgets.QMessageBox.StandardButton.Cancel:
            return False
        if r == QtWidgets.QMessageBox.StandardButton.Save:
            return self.save()
        return True

    def new_document(self):
        if self._maybe_save():
            self.doc.new()

    def open_dialog(self):
        if not self._maybe_save():
            return
        start = self.settings.value("last_dir", str(Path.cwd()))
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open experiment", start, "Experiments (*.toml)")
        if path:
            self.open_path(path)

    def open_path(self, path, as_preset=False) -> bool:
        if as_preset and not self._maybe_save():
            return False
        try:
            self.doc.load(path)
        except self.EditError as error:
            QtWidgets.QMessageBox.warning(self, "Cannot open", str(error))
            return False
        if as_preset:
            self.doc._path = None  # a preset opens as a new, untitled experiment
            self._update_title()
            self.playback.playing = True
        else:
            self._add_recent(path)
        self.statusBar().showMessage(f"Opened {Path(path).name}", 4000)
        return True

    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self.save_to(self.doc.path)

    def save_as(self) -> bool:
        start = self.settings.value("last_dir", str(Path.cwd()))
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save experiment", start, "Experiments (*.toml)")
        if not path:
            return False
        if not path.endswith(".toml"):
            path += ".toml"
        return self.save_to(path)

    def save_to(self, path) -> bool:
        try:
            self.doc.save(path)
        except (self.EditError, OSError) as error:
            QtWidgets.QMessageBox.warning(self, "Cannot save", str(error))
            return False
        self._add_recent(path)
        self.statusBar().showMessage(f"Saved {Path(path).name}", 4000)
        return True

    def _add_recent(self, path):
        path = os.path.abspath(os.fspath(path))
        recent = [p for p in (self.settings.value("recent", []) or []) if p != path]
        if isinstance(recent, str):
            recent = [recent]
        recent.insert(0, path)
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self.settings.setValue("last_dir", os.path.dirname(path))
        self._update_recent_menu()

    def _update_recent_menu(self):
        self.recent_menu.clear()
        recent = self.settings.value("recent", []) or []
        if isinstance(recent, str):
            recent = [recent]
        for p in recent:
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self._maybe_save() and self.open_path(p))
        self.recent_menu.setEnabled(bool(recent))

    # ================================================================ export
    def _export_result(self):
        was = self.playback.playing
        self.playback.playing = False
        res = self.live.result()
        return res, was

    def export_figure(self, path, size=None):
        """Write the scene at the cursor step to ``path`` (.png/.svg) with the render layer, at ``size``
        (default: the experiment's ``[render]`` size, as ``optviz figure``)."""
        from optviz.render import figure

        res, _ = self._export_result()
        return figure(self.doc.experiment, path, step=self.playback.cursor_step, size=size, result=res,
                      **self._render_overrides())

    def _render_overrides(self):
        v = self.view
        return dict(trail_length=v.trail_length, particle_mode=v.particle_mode, colormap=v.colormap,
                    side_plots=list(v.side_plots),
                    view={"x": list(self.scene.view_range()[0]), "y": list(self.scene.view_range()[1])})

    def _ask_path(self, title, filters, default_suffix):
        start = self.settings.value("last_dir", str(Path.cwd()))
        base = (self.doc.path.stem if self.doc.path else "optviz") + default_suffix
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, title, os.path.join(start, base), filters)
        return path

    def export_figure_dialog(self):
        path = self._ask_path("Export figure", "PNG image (*.png);;SVG vector (*.svg)", ".png")
        if not path:
            return
        self._run_export("figure", path)

    def export_animation_dialog(self):
        """File > Export Animation: ask for the options, then export the whole run (see export_controller)."""
        from optviz.app.export_controller import AnimationExportDialog

        if self.animation_export is not None and self.animation_export.running:
            self.statusBar().showMessage("An export is running; cancel it or wait for it to finish.", 6000)
            return None
        start = self.settings.value("last_dir", str(Path.cwd()))
        base = (self.doc.path.stem if self.doc.path else "optviz") + ".mp4"
        dialog = AnimationExportDialog(self.doc.experiment, os.path.join(start, base), self)
        try:
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return None
            settings = dialog.settings()
        finally:
            dialog.deleteLater()
        return self.start_animation_export(settings)

    def start_animation_export(self, settings):
        """Export the whole run of the current experiment as ``optviz export`` does, in a child process,
        with a progress dialog whose Cancel stops it. Returns the :class:`AnimationExport`."""
        from optviz.app.export_controller import AnimationExport

        job = AnimationExport(self.doc.experiment, settings, self)
        dlg = QtWidgets.QProgressDialog(f"Preparing {job.output.name}…", "Cancel", 0, 0, self)
        dlg.setWindowTitle("Export animation")
        dlg.setWindowModality(QtCore.Qt.WindowModality.NonModal)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.setMinimumDuration(0)
        dlg.canceled.connect(job.cancel)
        dlg.canceled.connect(lambda: self.statusBar().showMessage("Cancelling the export…"))

        def progress(phase, done, total):
            if phase == "simulate":
                dlg.setLabelText(f"Computing the run for {job.output.name}: step {done:,} of {total:,}")
            else:
                dlg.setLabelText(f"Writing {job.output.name}: frame {done:,} of {total:,}")
            dlg.setMaximum(total)
            dlg.setValue(done)

        def finished(outcome, message):
            dlg.close()
            dlg.deleteLater()
            self.export_progress = None
            if outcome == "failed":
                self._warn("Export failed", message)
            else:
                self.statusBar().showMessage(message, 10000)

        job.progress.connect(progress)
        job.finished.connect(finished)
        self.animation_export = job
        self.export_progress = dlg
        self.settings.setValue("last_dir", os.fspath(job.output.parent))
        job.start()
        dlg.show()
        return job

    def export_data_dialog(self):
        path = self._ask_path("Export data", "NumPy archive (*.npz)", ".npz")
        if not path:
            return
        self._run_export("data", path)

    def _run_export(self, kind, path, **kw):
        """Export a figure (the scene at the cursor step) or the recorded data; returns the result or None."""
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            if kind == "figure":
                out = self.export_figure(path, **kw)
            else:
                res, _ = self._export_result()
                res.save(path)
                out = path
        except (ValueError, OSError) as error:
            QtWidgets.QApplication.restoreOverrideCursor()
            self._warn("Export failed", str(error))
            return None
        QtWidgets.QApplication.restoreOverrideCursor()
        self.statusBar().showMessage(f"Exported {path}", 8000)
        return out

    def _warn(self, title, text):
        """A warning that stays until the user closes it (not blocking: the window keeps running)."""
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, title, text,
                                    QtWidgets.QMessageBox.StandardButton.Ok, self)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        box.open()
        self.statusBar().showMessage(text, 15000)

    # ================================================================ misc
    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(what, keys) of every action with a shortcut, as the shortcuts dialog lists them."""
        return [(_without_mnemonic(a.text()), a.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText))
                for a in self.actions_.values() if not a.shortcut().isEmpty()]

    def show_shortcuts(self):
        import html

        text = "\n".join(f"{keys:<14} {what}" for what, keys in self.shortcut_rows())
        box = QtWidgets.QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText(f"<pre>{html.escape(text)}</pre>")
        box.exec()

    def _default_dock_sizes(self):
        self.resizeDocks([self.docks["experiment"], self.docks["groups"], self.docks["editor"]], [150, 170, 520],
                         QtCore.Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["editor"], self.docks["inspector"]], [330, 360],
                         QtCore.Qt.Orientation.Horizontal)

    def _keep_scene_wide(self):
        """A restored layout must leave the scene most of the window; otherwise use the default one."""
        central = self.centralWidget()
        if central is not None and central.width() < 0.45 * self.width():
            self._default_dock_sizes()

    def _fits_screen(self) -> bool:
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        room = screen.availableGeometry()
        frame = self.frameGeometry()
        return frame.width() <= room.width() and frame.height() <= room.height() and room.contains(frame.center())

    def _fit_to_screen(self):
        """Within the screen's available area: at most its size, centred on it."""
        room = (self.screen() or QtGui.QGuiApplication.primaryScreen()).availableGeometry()
        frame = self.frameGeometry()
        margin_w, margin_h = frame.width() - self.width(), frame.height() - self.height()
        self.resize(min(self.width(), room.width() - margin_w), min(self.height(), room.height() - margin_h))
        frame = self.frameGeometry()
        frame.moveCenter(room.center())
        self.move(max(frame.left(), room.left()), max(frame.top(), room.top()))

    def _restore_settings(self):
        s = self.settings
        geo = s.value("geometry")
        if geo is not None:
            size = self.size()
            if not self.restoreGeometry(geo) or not self._fits_screen():  # saved on a larger screen
                self.setWindowState(QtCore.Qt.WindowState.WindowNoState)
                self.resize(size)
                self._fit_to_screen()
        state = s.value("window_state")
        if state is not None:
            self.restoreState(state)
            QtCore.QTimer.singleShot(0, self._keep_scene_wide)
        try:
            self.speed.setValue(int(s.value("speed", 1)))
        except (TypeError, ValueError):
            pass
        prefs = {}
        for k in ("trail_length", "particle_mode", "colormap", "future"):
            v = s.value(f"view/{k}")
            if v is not None:
                prefs[k] = v
        side = s.value("view/side_plots")
        if side is not None:
            prefs["side_plots"] = [side] if isinstance(side, str) else list(side)
        self.view.update(prefs)

    def save_settings(self):
        s = self.settings
        s.setValue("geometry", self.saveGeometry())
        s.setValue("window_state", self.saveState())
        s.setValue("speed", self.playback.speed)
        for k, v in self.view.to_dict().items():
            s.setValue(f"view/{k}", v)
        s.sync()

    def closeEvent(self, ev):
        if self.ready and not self._maybe_save():
            ev.ignore()
            return
        if self.ready:
            if self.animation_export is not None and self.animation_export.running:
                self.animation_export.abort()
            self.timer.stop()
            self.save_settings()
            self.thread.shutdown()
        super().closeEvent(ev)


def _without_mnemonic(text: str) -> str:
    """A menu text as read: "&New" -> "New", "Save &As…" -> "Save As…", "&&" -> "&"."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


class _JumpToClickStyle(QtWidgets.QProxyStyle):
    """A click on a slider's groove moves the handle there (instead of one page step)."""

    def styleHint(self, hint, option=None, widget=None, return_data=None):
        if hint == QtWidgets.QStyle.StyleHint.SH_Slider_AbsoluteSetButtons:
            return int(QtCore.Qt.MouseButton.LeftButton.value)
        return super().styleHint(hint, option, widget, return_data)
