"""The main window: composes the scene, the transport bar, the panels, the menus and the controllers.

Who does what (each wired by subscription; none writes another's state):

* :class:`~optviz.models.session.Session` (Qt-free) — the live run, the display buffer, replay and
  the time cursor; the screen timer asks it for the frame to draw (:meth:`Session.tick`) and
  it publishes each :class:`~optviz.models.session.Frame` to the scene and the views.
* :class:`~optviz.app.transport.TransportBar` — play / step / reset / speed / slider.
* :class:`~optviz.app.files.FileController` — new, open, save, recent files, presets.
* :class:`~optviz.app.export_actions.ExportActions` — figure, animation and data exports.
* :class:`~optviz.app.view_controls.ViewControls` — trail, particle mode, colormap, side plots.
* :class:`~optviz.app.picking.Picking` — placing particles and picking one to inspect.
* :class:`~optviz.app.status.StatusPanel` — the status bar and message boxes.
* :class:`~optviz.app.window_settings.WindowSettings` — layout and preferences across launches.
* :class:`~optviz.app.view3d.View3DDock` — the 3-D view (a dock, View > 3-D view).
* :class:`~optviz.app.map_panel.MapDock` — basin and phase maps with deep zoom and race statistics
  (a dock, View > Map; opened by itself for an experiment with a ``[map]``).
* :func:`~optviz.app.language.language` — English or Chinese (View > Language), switched live: every
  panel retranslates itself on ``language().changed``.

The document (:class:`~optviz.models.document.DocumentModel`) is observed field by field
(:meth:`MainWindow._subscribe_document`): a new experiment, the run's inputs, how groups look.
"""

from __future__ import annotations

import re
import time

from PySide6 import QtCore, QtGui, QtWidgets

from optviz.app.files import PRESET_DIR, presets
from optviz.app.language import LANGUAGES, SETTINGS_KEY, language, saved_language
from optviz.app.status import StatusPanel
from optviz.models.document import GROUP_LOOK_FIELDS

__all__ = ["MainWindow", "presets", "PRESET_DIR"]

#: The screen timer's interval (ms): it takes the newest snapshot, never waiting, and draws it.
TICK_MS = 16
#: Ticks between updates of the frame rate and diverged count in the status bar.
STATUS_EVERY = 15


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
        language().set_language(saved_language(self.settings))
        self._start_path = path
        self.setWindowTitle("optviz")
        room = self.screen().availableGeometry()  # a small screen must still show the status bar
        self.resize(min(room.width(), max(1500, int(0.9 * room.width()))),
                    min(room.height(), max(940, int(0.9 * room.height()))))
        frame = self.frameGeometry()
        frame.moveCenter(room.center())
        self.move(max(frame.left(), room.left()), max(frame.top(), room.top()))
        self.loading = QtWidgets.QLabel(self.tr("Loading optviz…"))
        self.loading.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.loading)
        self.status = StatusPanel(self)
        self.kernel_label = self.status.kernel_label
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
        from optviz.app.export_actions import ExportActions
        from optviz.app.files import FileController
        from optviz.app.inspector import InspectorPanel
        from optviz.app.panels import ExperimentPanel, GroupEditor, GroupListPanel
        from optviz.app.picking import Picking
        from optviz.app.scene_view import AppScene
        from optviz.app.transport import TransportBar
        from optviz.app.view3d import View3DDock
        from optviz.app.view_controls import ViewControls
        from optviz.app.window_settings import WindowSettings
        from optviz.app.worker import ComputeThread
        from optviz.models import Selection, ViewOptions
        from optviz.models.document import DocumentModel
        from optviz.models.session import Session

        # ---- models
        self.doc = DocumentModel()
        self.session = Session()
        self.playback, self.display, self.live = self.session.playback, self.session.display, self.session.live
        self.selection = Selection()
        self.view = ViewOptions()
        self.thread = ComputeThread(self.live, parent=self)

        # ---- central: scene + transport
        self.scene = AppScene(theme="light")
        self.transport = TransportBar(self.session)
        self.view_controls = ViewControls(self, self.view, self.scene, self.doc, self.selection, self.status)
        self.transport.add_widget(self.view_controls.trail_box)
        self.transport.add_widget(self.view_controls.place_btn, spacing=0)
        self.status.add_first(self.transport.computed_label)
        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.scene, 1)
        bar = self.transport_bar = QtWidgets.QToolBar(self.tr("Playback"), self)
        bar.setObjectName("transport_bar")
        bar.setMovable(False)
        bar.addWidget(self.transport)
        self.addToolBar(QtCore.Qt.ToolBarArea.BottomToolBarArea, bar)
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
        scrolled = QtWidgets.QScrollArea()  # can shrink below its rows (a typed expression's, Chinese text's)
        scrolled.setWidget(self.experiment_panel)
        scrolled.setWidgetResizable(True)
        scrolled.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scrolled.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for name, widget, area in (("experiment", scrolled, left), ("groups", self.group_list, left),
                                   ("editor", self.editor, left), ("inspector", self.inspector, right)):
            dock = QtWidgets.QDockWidget(self._dock_titles()[name], self)
            dock.setObjectName(f"dock_{name}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self.docks["inspector"].setMinimumWidth(340)
        self.docks["inspector"].hide()  # shown when a particle is clicked
        from optviz.app.explain_panel import ExplainController

        self.explain = ExplainController(self, self.session, self.doc, self.selection, self.scene,
                                         beside=self.docks["editor"])
        self.docks["explain"] = self.explain.dock
        self.layout_settings = WindowSettings(self, self.settings, self.docks)
        self.layout_settings.default_dock_sizes()

        # ---- controllers
        self.files = FileController(self, self.doc, self.settings, self.status, ask_to_save=self.ask_to_save)
        self.exports = ExportActions(self, self.doc, self.session, self.scene, self.view, self.settings,
                                     self.status)
        self.picking = Picking(self, self.scene, self.session, self.doc, self.selection, self.status)
        self.view3d = View3DDock(self, self.session, self.scene, self.view)
        from optviz.app.map_panel import MapDock

        self.map_view = MapDock(self, self.doc, self.session, self.selection, self.scene, self.view,
                                beside=self.view3d.dock)
        from optviz.app.tune_action import TuneController

        self.tuner = TuneController(self, self.doc, self.status)
        if self._start_path:
            self.files.open_at_start(self._start_path)
        self._build_actions()
        self._build_menus()
        self._connect()
        language().changed.connect(self._retranslate)
        language().changed.connect(self.tuner.retranslate)
        speed, prefs = self.layout_settings.restore()
        if speed is not None:
            self.session.set_speed(speed)
        self.view_controls.apply(prefs)

        # ---- start
        self._editor_key = None
        self._ticks = 0
        self._on_replaced()
        self.thread.start()
        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.ready = True
        self.t_ready = time.perf_counter()
        self.readyChanged.emit()

    def _action(self, text, slot, shortcut=None, tip=None):
        act = QtGui.QAction(text, self)
        if shortcut:
            act.setShortcut(QtGui.QKeySequence(shortcut))
            act.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(lambda _=False: slot())
        self.addAction(act)
        return act

    def _action_texts(self) -> dict[str, tuple[str, str | None]]:
        """(text, tip) of each action of the window, in the current language."""
        return {
            "new": (self.tr("&New"), None),
            "open": (self.tr("&Open…"), None),
            "save": (self.tr("&Save"), None),
            "save_as": (self.tr("Save &As…"), None),
            "export_figure": (self.tr("Export &Figure (PNG/SVG)…"), None),
            "export_animation": (self.tr("Export &Animation (MP4/GIF/WebP)…"), None),
            "export_data": (self.tr("Export &Data (npz)…"), None),
            "quit": (self.tr("&Quit"), None),
            "play": (self.tr("Play / Pause"), None),
            "step": (self.tr("Step"), None),
            "step10": (self.tr("Step ×10"), None),
            "back": (self.tr("Back one frame"), None),
            "first": (self.tr("First frame"), None),
            "last": (self.tr("Newest frame"), None),
            "reset": (self.tr("Reset"), None),
            "faster": (self.tr("Faster (×2 steps/frame)"), None),
            "slower": (self.tr("Slower (÷2 steps/frame)"), None),
            "fit": (self.tr("Fit landscape"), None),
            "solo": (self.tr("Solo the selected group"),
                     self.tr("Show only the selected group (its particles, trails and curves); again: all")),
            "clear_inspect": (self.tr("Stop inspecting"), None),
            "shortcuts": (self.tr("Keyboard shortcuts"), None),
            "about": (self.tr("About optviz"), None),
        }

    def _menu_titles(self) -> dict[str, str]:
        return {"file": self.tr("&File"), "recent": self.tr("Open &Recent"), "presets": self.tr("&Presets"),
                "run": self.tr("&Run"), "view": self.tr("&View"), "language": self.tr("&Language / 语言"),
                "help": self.tr("&Help")}

    def _dock_titles(self) -> dict[str, str]:
        return {"experiment": self.tr("Experiment"), "groups": self.tr("Groups"), "editor": self.tr("Group editor"),
                "inspector": self.tr("Particle inspector")}

    def _build_actions(self):
        f, e, s, t = self.files, self.exports, self.session, self.transport
        keys = QtGui.QKeySequence.StandardKey
        texts = self._action_texts()
        a = self.actions_ = {}
        for key, slot, shortcut in (
                ("new", f.new_document, keys.New), ("open", f.open_dialog, keys.Open), ("save", f.save, keys.Save),
                ("save_as", f.save_as, keys.SaveAs), ("export_figure", e.export_figure_dialog, "Ctrl+E"),
                ("export_animation", e.export_animation_dialog, "Ctrl+Shift+E"),
                ("export_data", e.export_data_dialog, None), ("quit", self.close, keys.Quit),
                ("play", s.toggle_play, "Space"), ("step", lambda: s.step(1), "Right"),
                ("step10", lambda: s.step(10), "Shift+Right"), ("back", lambda: s.scrub_by(-1), "Left"),
                ("first", lambda: s.scrub(0), "Home"), ("last", s.scrub_to_newest, "End"),
                ("reset", s.reset, "R"), ("faster", t.faster, "]"), ("slower", t.slower, "[")):
            a[key] = self._action(texts[key][0], slot, shortcut)
        a["place"] = self.view_controls.place_action
        self.addAction(a["place"])
        a["fit"] = self._action(texts["fit"][0], self.fit_view, "F")
        a["solo"] = self._action(texts["solo"][0], lambda: setattr(self.selection, "solo", a["solo"].isChecked()),
                                 "S", texts["solo"][1])
        a["solo"].setCheckable(True)
        a["clear_inspect"] = self._action(texts["clear_inspect"][0],
                                          lambda: setattr(self.selection, "particle", None), "Escape")
        a.update(self.explain.actions)
        a["view3d"] = self.view3d.action
        self.addAction(a["view3d"])
        a["map"] = self.map_view.action
        self.addAction(a["map"])

    def _build_menus(self):
        a = self.actions_
        titles = self._menu_titles()
        mb = self.menuBar()
        menus = self.menus_ = {}
        m = menus["file"] = mb.addMenu(titles["file"])
        for k in ("new", "open"):
            m.addAction(a[k])
        menus["recent"] = m.addMenu(titles["recent"])
        self.files.set_recent_menu(menus["recent"])
        m.addSeparator()
        m.addAction(a["save"])
        m.addAction(a["save_as"])
        m.addSeparator()
        for k in ("export_figure", "export_animation", "export_data"):
            m.addAction(a[k])
        m.addSeparator()
        m.addAction(a["quit"])
        menus["presets"] = mb.addMenu(titles["presets"])
        self._fill_presets_menu()
        rm = menus["run"] = mb.addMenu(titles["run"])
        for k in ("play", "step", "step10", "back", "first", "last", "reset", "faster", "slower"):
            rm.addAction(a[k])
        rm.addSeparator()
        rm.addAction(self.tuner.action)
        vm = menus["view"] = mb.addMenu(titles["view"])
        for k in ("place", "fit", "solo", "clear_inspect"):
            vm.addAction(a[k])
        self.view_controls.fill_menu(vm)
        vm.addAction(a["view3d"])
        vm.addAction(a["map"])
        self.side_actions = self.view_controls.side_actions
        vm.addSeparator()
        for dock in self.docks.values():
            vm.addAction(dock.toggleViewAction())
        vm.addSeparator()
        menus["language"] = vm.addMenu(titles["language"])
        self._fill_language_menu(menus["language"])
        hm = menus["help"] = mb.addMenu(titles["help"])
        texts = self._action_texts()
        a["shortcuts"] = hm.addAction(texts["shortcuts"][0], self.show_shortcuts)
        a["about"] = hm.addAction(texts["about"][0], self.show_about)

    def _fill_presets_menu(self):
        """Presets > one entry per preset, titled in the current language."""
        pm = self.menus_["presets"]
        pm.clear()
        for title, path in presets(language().code):
            act = pm.addAction(title)
            act.setStatusTip(str(path.name))
            act.triggered.connect(lambda _=False, p=path: self.files.open_path(p, as_preset=True))

    def _fill_language_menu(self, menu: QtWidgets.QMenu):
        """View > Language: each language in its own name (never translated), the current one checked."""
        group = QtGui.QActionGroup(self)
        self.language_actions = {}
        for code, name in LANGUAGES.items():
            act = menu.addAction(name)
            act.setCheckable(True)
            act.setChecked(code == language().code)
            act.setData(code)
            group.addAction(act)
            act.triggered.connect(lambda _=False, c=code: self.set_language(c))
            self.language_actions[code] = act

    def set_language(self, code: str) -> None:
        """Show the whole window in ``code`` ("en" or "zh") now, and open it in that language next time."""
        self.settings.setValue(SETTINGS_KEY, code)
        language().set_language(code)

    def _retranslate(self, code: str):
        """The window's own texts (menus, actions, docks) in the new language; each panel does its own."""
        for key, (text, tip) in self._action_texts().items():
            act = self.actions_.get(key)
            if act is None:
                continue
            act.setText(text)
            if tip:
                act.setStatusTip(tip)
                act.setToolTip(tip)
        for key, title in self._menu_titles().items():
            self.menus_[key].setTitle(title)
        for key, title in self._dock_titles().items():
            self.docks[key].setWindowTitle(title)
        self.transport_bar.setWindowTitle(self.tr("Playback"))
        self._fill_presets_menu()
        for c, act in self.language_actions.items():
            act.setChecked(c == code)
        self._update_title()

    def show_about(self):
        QtWidgets.QMessageBox.about(self, self.tr("About optviz"), self.tr(
            "optviz: watch optimizers move on 2-D loss landscapes, with the learning rate each method really "
            "applies to each parameter."))

    def _connect(self):
        s, pb, sel, doc = self.session, self.playback, self.selection, self.doc
        s.frame_changed.connect(self._draw)
        s.inspected.connect(self._show_inspection)
        s.error.connect(self._on_run_error)
        pb.events.playing.connect(lambda _p: self.status.show_run(s))
        sel.events.group.connect(self._on_group_selected)
        sel.events.particle.connect(self._on_particle_selected)
        sel.events.solo.connect(self._on_solo)
        self.view_controls.curvature_action.toggled.connect(self.picking.set_curvature)
        self._subscribe_document(doc)
        self.files.opened.connect(lambda as_preset: setattr(pb, "playing", True) if as_preset else None)
        self.group_list.currentChanged.connect(lambda i: setattr(sel, "group", i))
        self.experiment_panel.expression.statusChanged.connect(self.status.show_activity)
        self.thread.kernelsProgress.connect(self._on_kernels)

    # ================================================================ the frame pump
    def _tick(self):
        """The screen timer: the session publishes the frame to draw (see :meth:`_draw`)."""
        self.session.tick()
        self.session.set_density_view(self.scene.particles.density_request())
        self._ticks += 1
        if self._ticks % STATUS_EVERY == 0:
            self.status.show_run(self.session)

    def _draw(self, frame):
        self.scene.draw(frame, self.display)
        self.inspector.update_cursor(frame.step)

    def _show_inspection(self, info):
        g = info["group"]
        exp = self.doc.experiment
        label = (exp.translated(self.doc.group(g).label, language().code) if g < self.doc.n_groups
                 else self.tr("group {index}").format(index=g))
        self.inspector.set_info(info, label, self.playback.cursor_step)

    def _on_run_error(self, message):
        self.status.message(self.tr("simulation stopped: {message}").format(message=message), 15000)
        self.status.kernels_failed()

    def _on_kernels(self, description, done, total):
        self.status.set_kernels(description, done, total)
        self.status.show_run(self.session)

    # ================================================================ document
    def _subscribe_document(self, doc):
        """Each change of the document redoes what it affects: everything for a new experiment,
        the run for its inputs, a redraw for how groups look (the [view] table is the window's own)."""
        ev = doc.events
        ev.replaced.connect(self._on_replaced)
        ev.simulation.connect(self._on_run_inputs)
        ev.title.connect(self._on_look)
        ev.caption.connect(self._on_look)
        ev.group.connect(lambda _i, name: name in GROUP_LOOK_FIELDS and self._on_look())
        ev.path.connect(self._update_title)
        ev.dirty.connect(self._update_title)

    def _on_replaced(self):
        exp = self.doc.experiment
        self.view_controls.apply(self._opened_view(exp))
        self.selection.solo = False
        if "speed" in exp.view:  # the pace the experiment's story is told at
            self.session.set_speed(exp.view["speed"])
        self.selection.particle = None
        self.session.load(exp, keep_playing=False)
        self.scene.set_experiment(exp)
        if isinstance(exp.view.get("x"), list) and isinstance(exp.view.get("y"), list):
            try:
                self.scene.set_view(exp.view["x"], exp.view["y"])
            except (TypeError, ValueError, ZeroDivisionError):
                pass
        self._show_groups()
        self._refresh_panels(force=True)

    def _on_run_inputs(self):
        self.selection.particle = None
        self.session.load(self.doc.experiment, keep_playing=True)
        self._show_experiment_keeping_view()
        self._refresh_panels()

    def _on_look(self, *_):
        self._show_experiment_keeping_view()
        self.scene.redraw(self.display)
        self._refresh_panels()

    def _show_experiment_keeping_view(self):
        """The scene shows the current experiment; the zoom stays while the landscape does."""
        exp = self.doc.experiment
        shown = self.scene.experiment
        view_range = self.scene.view_range() if shown is not None and shown.landscape == exp.landscape else None
        self.scene.set_experiment(exp)
        if view_range is not None:
            self.scene.set_view(*view_range)
        self._show_groups()

    def _show_groups(self):
        """The scene (and the 3-D view) show the visible groups, or only the selected one while it is soloed."""
        groups = self.doc.experiment.groups
        if self.selection.solo and 0 <= self.selection.group < len(groups):
            shown = [self.selection.group]
        else:
            hidden = [i for i, g in enumerate(groups) if not g.visible]
            shown = None if not hidden else [i for i in range(len(groups)) if i not in hidden]
        self.scene.set_visible_groups(shown)
        self.view3d.set_visible_groups(shown)

    def _refresh_panels(self, force: bool = False):
        self.experiment_panel.refresh()
        self.group_list.refresh()
        if self.selection.group >= self.doc.n_groups:
            self.selection.group = self.doc.n_groups - 1
        self.group_list.set_current(self.selection.group)
        self._refresh_editor(force=force)
        self.status.show_document(self.doc)
        self._update_title()

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

    def _refresh_editor(self, force=False):
        g = self.doc.group(self.selection.group)
        key = (self.selection.group, self.doc.n_groups, g.optimizer, g.label, (g.schedule or {}).get("kind"),
               repr(g.init))
        if force or key != self._editor_key:
            self._editor_key = key
            # later: the editor may be inside the signal handler of one of its own widgets
            QtCore.QTimer.singleShot(0, lambda i=self.selection.group: self.editor.set_group(i))

    def _update_title(self, *_):
        p = self.doc.path
        name = p.name if p else self.tr("untitled")
        exp = self.doc.experiment
        self.setWindowTitle(f"{'• ' if self.doc.dirty else ''}{name} — {exp.translated(exp.title, language().code)}"
                            " — optviz")

    # ================================================================ selection
    def _on_group_selected(self, g):
        self.group_list.set_current(g)
        self.scene.set_selected_group(g if g is not None and g >= 0 else None)
        if self.selection.solo:
            self._on_solo(True)
        self._refresh_editor()

    def _on_solo(self, on):
        self.actions_["solo"].setChecked(on)
        self.group_list.set_solo(self.selection.group if on else None)
        self._show_groups()

    def _on_particle_selected(self, p):
        self.session.inspect(p)
        if p is None:
            self.inspector.clear()
        else:
            self.docks["inspector"].show()
        self.picking.highlight()

    def fit_view(self):
        (x0, x1), (y0, y1) = self.doc.experiment.landscape_spec().bounds
        self.scene.set_view((x0, x1), (y0, y1))

    # ================================================================ for scripts and tests
    def open_path(self, path, as_preset: bool = False) -> bool:
        """File > Open (or a preset) of ``path``; see :meth:`FileController.open_path`."""
        return self.files.open_path(path, as_preset=as_preset)

    def open_dialog(self) -> None:
        self.files.open_dialog()

    def step(self, n: int = 1) -> None:
        self.session.step(n)

    # ================================================================ misc
    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(what, keys) of every action with a shortcut, as the shortcuts dialog lists them."""
        return [(_without_mnemonic(a.text()), a.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText))
                for a in self.actions_.values() if not a.shortcut().isEmpty()]

    def show_shortcuts(self):
        import html

        text = "\n".join(f"{keys:<14} {what}" for what, keys in self.shortcut_rows())
        box = QtWidgets.QMessageBox(self)
        box.setWindowTitle(self.tr("Keyboard shortcuts"))
        box.setText(f"<pre>{html.escape(text)}</pre>")
        box.exec()

    def save_settings(self):
        self.layout_settings.save(self.playback.speed, self.view.to_dict())

    def closeEvent(self, ev):
        if self.ready and not self.files.maybe_save():
            ev.ignore()
            return
        if self.ready:
            self.exports.abort()
            self.timer.stop()
            self.save_settings()
            self.map_view.shutdown()
            self.thread.shutdown()
        super().closeEvent(ev)


def _without_mnemonic(text: str) -> str:
    """A menu text as read: "&New" -> "New", "Save &As…" -> "Save As…", "&&" -> "&", and a Chinese
    text's mnemonic in brackets dropped: "新建(&N)" -> "新建"."""
    text = re.sub(r"\s*[((]&[^&][))]", "", text)
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")
