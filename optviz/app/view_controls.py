"""How the run is drawn: trail length, particle mode, colormap, side plots, the future's ghost,
the gradient flow's ghost, the curvature at the inspected particle, and placing particles by clicking.

:class:`ViewControls` owns the widgets and menus of the
:class:`~optviz.models.playback.ViewOptions`, follows the model by subscription (widgets,
the scene) and stores every change in the experiment's ``[view]`` table (except while an
opened experiment's own view is being applied). The gradient-flow toggle is the one exception: it
starts as the opened experiment's ``[render] gradient_flow`` says and is not stored.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from optviz.app.language import core_text, language
from optviz.experiment import vocabulary

__all__ = ["ViewControls"]


class ViewControls(QtCore.QObject):
    """The view options of ``view`` shown in ``scene``, stored in ``doc``."""

    def __init__(self, parent, view, scene, doc, selection, status):
        super().__init__(parent)
        self.view = view
        self.scene = scene
        self.doc = doc
        self.selection = selection
        self.status = status
        self._applying = False
        self._side_sync = False
        self.trail = QtWidgets.QSpinBox()
        self.trail.setRange(-1, 100000)
        self.trail_box = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(self.trail_box)
        row.setContentsMargins(0, 0, 0, 0)
        self.trail_label = QtWidgets.QLabel()
        row.addWidget(self.trail_label)
        row.addWidget(self.trail)
        self.place_btn = QtWidgets.QToolButton()
        self.place_btn.setCheckable(True)
        self.place_action = QtGui.QAction(self)
        self.place_action.setCheckable(True)
        self.place_action.setShortcut(QtGui.QKeySequence("P"))
        self.place_action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        self.mode_group = QtGui.QActionGroup(self)
        self.cmap_group = QtGui.QActionGroup(self)
        self.side_actions: dict[str, QtGui.QAction] = {}
        self.future_action: QtGui.QAction | None = None
        self.flow_action: QtGui.QAction | None = None
        self.menus: dict[str, QtWidgets.QMenu] = {}
        #: View > Curvature at the selected particle (off at start; the window connects it to picking).
        self.curvature_action = QtGui.QAction(self)
        self.curvature_action.setCheckable(True)
        self.retranslate()
        language().changed.connect(self.retranslate)
        self.trail.valueChanged.connect(lambda v: setattr(view, "trail_length", int(v)))
        self.place_btn.toggled.connect(lambda on: setattr(view, "place_mode", on))
        self.place_action.toggled.connect(lambda on: setattr(view, "place_mode", on))
        view.events.trail_length.connect(self._on_trail)
        view.events.particle_mode.connect(self._on_mode)
        view.events.colormap.connect(self._on_cmap)
        view.events.side_plots.connect(self._on_side_plots)
        view.events.place_mode.connect(self._on_place_mode)
        view.events.future.connect(self._on_future)
        doc.events.replaced.connect(self._on_replaced)

    def retranslate(self, _code: str = "") -> None:
        """Every text of the view controls and their menus in the current language."""
        self.trail.setSpecialValueText(self.tr("whole path"))
        self.trail.setSuffix(" " + self.tr("frames"))
        self.trail.setToolTip(self.tr("Trail length in recorded frames (0: none; lowest value: the whole path)"))
        self.trail_label.setText(self.tr("trail"))
        self.place_btn.setText(self.tr("Place particles"))
        self.place_btn.setToolTip(self.tr("On: click the landscape to start the selected group from that point, "
                                          "drag to draw a cloud (P)"))
        self.place_action.setText(self.tr("Place particles by clicking"))
        self.curvature_action.setText(self.tr("Curvature at the selected particle"))
        self.curvature_action.setToolTip(self.tr("The Hessian's eigen-directions (steep: solid) and the local "
                                                 "quadratic model's level curve at the inspected particle"))
        if not self.menus:
            return
        self.menus["modes"].setTitle(self.tr("Particles drawn as"))
        self.menus["colormap"].setTitle(self.tr("Colormap"))
        self.menus["side"].setTitle(self.tr("Side plots"))
        for act in self.mode_group.actions():
            act.setText(core_text(vocabulary.PARTICLE_MODES[act.data()]))
        for key, act in self.side_actions.items():
            act.setText(core_text(vocabulary.SIDE_PLOTS[key]))
        self.future_action.setText(core_text(vocabulary.FUTURE_MODES["ghost"]))
        self.flow_action.setText(self.tr("Gradient flow (dashed ghost)"))
        self.flow_action.setToolTip(self.tr("Each group's continuous path dθ/dt = −∇f from its mean start, to "
                                            "flow time k·lr at step k"))

    def _choice_menu(self, menu: QtWidgets.QMenu, choices: dict, group: QtGui.QActionGroup, option: str) -> None:
        """One checkable entry per choice {value: text}, setting the view option ``option``."""
        for value, text in choices.items():
            act = menu.addAction(core_text(text))
            act.setCheckable(True)
            act.setData(value)
            group.addAction(act)
            act.triggered.connect(lambda _=False, v=value: setattr(self.view, option, v))

    def fill_menu(self, menu: QtWidgets.QMenu) -> None:
        """The View menu's entries for how particles, trails and side plots are drawn."""
        self.menus["modes"] = menu.addMenu("")
        self._choice_menu(self.menus["modes"], vocabulary.PARTICLE_MODES, self.mode_group, "particle_mode")
        self.menus["colormap"] = menu.addMenu("")
        self._choice_menu(self.menus["colormap"], {n: n for n in vocabulary.COLORMAPS}, self.cmap_group, "colormap")
        sub = self.menus["side"] = menu.addMenu("")
        for key in vocabulary.SIDE_PLOTS:
            act = sub.addAction("")
            act.setCheckable(True)
            act.toggled.connect(self._side_toggled)
            self.side_actions[key] = act
        act = menu.addAction("")
        act.setCheckable(True)
        act.toggled.connect(lambda on: setattr(self.view, "future", "ghost" if on else "hide"))
        self.future_action = act
        act = menu.addAction("")
        act.setCheckable(True)
        act.setChecked(self.scene.gradient_flow)
        act.toggled.connect(self.scene.set_gradient_flow)
        self.flow_action = act
        menu.addAction(self.curvature_action)
        self.retranslate()

    def apply(self, table: dict) -> None:
        """Show the view options of an opened experiment (not stored back into it)."""
        self._applying = True
        try:
            self.view.update(table)
            self.sync()
        finally:
            self._applying = False

    def sync(self) -> None:
        """Widgets and scene as the model is."""
        v = self.view
        self._on_trail(v.trail_length)
        self._on_mode(v.particle_mode)
        self._on_cmap(v.colormap)
        self._on_side_plots(v.side_plots)
        self._on_future(v.future)

    def _store(self) -> None:
        from optviz.models.document import EditError

        if self._applying:
            return
        try:
            self.doc.set_view_table(self.view.to_dict())
        except EditError:
            pass

    # ------------------------------------------------------------------ subscriptions
    def _on_trail(self, n: int) -> None:
        if self.trail.value() != n:
            self.trail.blockSignals(True)
            self.trail.setValue(n)
            self.trail.blockSignals(False)
        self.scene.set_trail_length(int(n))
        self._store()

    def _on_mode(self, mode: str) -> None:
        for act in self.mode_group.actions():
            act.setChecked(act.data() == mode)
        self.scene.set_particle_mode(mode)
        self._store()

    def _on_cmap(self, name: str) -> None:
        for act in self.cmap_group.actions():
            act.setChecked(act.data() == name)
        self.scene.set_colormap(name)
        self._store()

    def _side_toggled(self, _on) -> None:
        if not self._side_sync:
            self.view.side_plots = tuple(k for k, a in self.side_actions.items() if a.isChecked())

    def _on_side_plots(self, names) -> None:
        self._side_sync = True
        try:
            for k, a in self.side_actions.items():
                a.setChecked(k in names)
        finally:
            self._side_sync = False
        self.scene.set_side_plots(list(names))
        self._store()

    def _on_future(self, mode: str) -> None:
        self.scene.set_future(mode)
        if self.future_action is not None:
            self.future_action.setChecked(mode == "ghost")

    def _on_replaced(self) -> None:
        """An opened experiment: the gradient flow as its ``[render]`` table says (off unless true)."""
        on = self.doc.experiment.render.get("gradient_flow") is True
        if self.flow_action is not None:
            self.flow_action.setChecked(on)
        self.scene.set_gradient_flow(on)

    def _on_place_mode(self, on: bool) -> None:
        on = bool(on)
        self.scene.place_mode = on
        self.place_btn.setChecked(on)
        self.place_action.setChecked(on)
        self.scene.setCursor(QtCore.Qt.CursorShape.CrossCursor if on else QtCore.Qt.CursorShape.ArrowCursor)
        if on:
            label = self.doc.group(self.selection.group).label
            self.status.message(self.tr("Click the landscape to start “{label}” from a point; drag to draw a cloud.")
                                .format(label=label), 8000)
