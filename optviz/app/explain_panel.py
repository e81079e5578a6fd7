"""Explain mode in the window: the Explain dock, its keys, and the arrows on the landscape.

:class:`ExplainPanel` shows an :class:`~optviz.models.explain.ExplainModel`: the explained update's
sub-steps as a list (the current one highlighted), the current sub-step's formula (large, in the
lecture notes' notation), its one-line explanation and its live values for both parameters, with
Previous / Next sub-step and Next update buttons. Its sub-step texts are in the language given to
:meth:`ExplainPanel.set_language` ("en" by default, or "zh"); its own words go through Qt's
translation (context "ExplainPanel"). In the window the controller keeps it in the application's
language (:func:`optviz.app.language.language`), switched live with the dock's title and actions.

:class:`ExplainController` puts it in a dock (View > Explain, key E), follows the selected particle
(else the first particle of the selected group) and the time cursor, draws the arrows of
:class:`~optviz.render.explain_overlay.ExplainOverlay` on the scene while the dock is shown, and
moves the time cursor one step for Next update (keys: N next sub-step, B previous, U next update).
"""

from __future__ import annotations

import html

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.app.docks import side_dock
from optviz.app.language import language
from optviz.models.explain import ExplainModel, Explanation
from optviz.render.explain_overlay import ExplainOverlay, math_font, plain, render_markup

__all__ = ["ExplainPanel", "ExplainController", "formula_html"]

#: Pixel size of the current sub-step's formula.
FORMULA_PX = 19
#: Height (pixels) the dock asks for when first shown beside another dock: list, formula and values.
DOCK_HEIGHT = 480


def formula_html(markup: str) -> str:
    """A formula's markup (``_{...}`` subscript, ``^{...}`` superscript) as Qt rich text."""
    def script(mark: str, inner: str) -> str:
        tag = "sub" if mark == "_" else "sup"
        return f"<{tag}>{inner}</{tag}>"

    return render_markup(markup, html.escape, script)


translate = QtCore.QCoreApplication.translate


def _number(value: float) -> str:
    """A live value as a student reads it: 6 significant digits."""
    value = float(value)
    if value == 0.0:
        return "0"
    return f"{value:.6g}" if np.isfinite(value) else str(value)


class ExplainPanel(QtWidgets.QWidget):
    """The sub-steps of the explained update, the current one's formula, text and values (see the module)."""

    #: Next update pressed: the time cursor should move one step on.
    nextUpdateRequested = QtCore.Signal()
    #: The language of the sub-step texts changed (the overlay's labels follow it).
    languageChanged = QtCore.Signal(str)

    def __init__(self, model: ExplainModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.language = "en"
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(6)
        self.head = QtWidgets.QLabel()
        self.head.setWordWrap(True)
        self.head.setTextFormat(QtCore.Qt.TextFormat.RichText)
        lay.addWidget(self.head)
        self.steps = QtWidgets.QListWidget()
        self.steps.setObjectName("explain_substeps")
        self.steps.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        # the sub-steps flow left to right and wrap, like a sentence: a few lines, not one per sub-step
        self.steps.setFlow(QtWidgets.QListView.Flow.LeftToRight)
        self.steps.setWrapping(True)
        self.steps.setResizeMode(QtWidgets.QListView.ResizeMode.Adjust)
        self.steps.setSpacing(2)
        self.steps.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.currentRowChanged.connect(self._row_clicked)
        lay.addWidget(self.steps)
        self.formula = QtWidgets.QLabel()
        self.formula.setObjectName("explain_formula")
        self.formula.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.formula.setWordWrap(True)
        self.formula.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.formula.setMinimumHeight(int(FORMULA_PX * 2.6))
        self.formula.setStyleSheet("QLabel { background: palette(base); border: 1px solid palette(mid); "
                                   "border-radius: 4px; padding: 6px; }")
        self.formula.setFont(math_font(FORMULA_PX))
        lay.addWidget(self.formula)
        self.text = QtWidgets.QLabel()
        self.text.setWordWrap(True)
        self.text.setFont(math_font(QtGui.QFontInfo(self.font()).pixelSize()))  # prose with m̂, v̂
        lay.addWidget(self.text)
        self.values = QtWidgets.QTableWidget(0, 3)
        self.values.setObjectName("explain_values")
        self.values.verticalHeader().setVisible(False)
        self.values.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.values.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.values.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        header = self.values.horizontalHeader()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.values, 3)
        row = QtWidgets.QHBoxLayout()
        self.previous_btn = QtWidgets.QPushButton()
        self.next_btn = QtWidgets.QPushButton()
        self.update_btn = QtWidgets.QPushButton()
        for button in (self.previous_btn, self.next_btn, self.update_btn):
            button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            row.addWidget(button)
        self.previous_btn.clicked.connect(self.previous)
        self.next_btn.clicked.connect(self.next)
        self.update_btn.clicked.connect(self.next_update)
        lay.addLayout(row)
        self._filling = False
        self._retranslate()
        model.changed.connect(self._show_explanation)
        model.substep_changed.connect(self._show_substep)
        self._show_explanation(model.explanation)

    # ---------------------------------------------------------------- language
    def set_language(self, code: str) -> None:
        """Show the sub-step texts in ``code``: "en" (English) or "zh" (Simplified Chinese)."""
        if code not in ("en", "zh"):
            raise ValueError(f"language = {code!r}: must be 'en' or 'zh'")
        if code != self.language:
            self.language = code
            self._retranslate()
            self._show_explanation(self.model.explanation)
            self.languageChanged.emit(code)

    def _retranslate(self) -> None:
        """The panel's own words (Qt translations, context "ExplainPanel")."""
        self.previous_btn.setText(self.tr("◀ Previous"))
        self.previous_btn.setToolTip(self.tr("The previous sub-step (B)"))
        self.next_btn.setText(self.tr("Next ▶"))
        self.next_btn.setToolTip(self.tr("The next sub-step; after the last one, the next update (N)"))
        self.update_btn.setText(self.tr("Next update »"))
        self.update_btn.setToolTip(self.tr("Move the time cursor one step on and explain that update (U)"))
        self.values.setHorizontalHeaderLabels([self.tr("value"), "x", "y"])

    # ---------------------------------------------------------------- commands
    def next(self) -> None:
        """The next sub-step; past the last one, the first sub-step of the next update."""
        if not self.model.next() and self.model.current is not None:
            self.model.start_next_update_at_first_substep()
            self.nextUpdateRequested.emit()

    def previous(self) -> None:
        self.model.previous()

    def next_update(self) -> None:
        self.nextUpdateRequested.emit()

    def _row_clicked(self, row: int) -> None:
        if not self._filling and row >= 0:
            self.model.go(row)

    # ---------------------------------------------------------------- views of the model
    def _show_explanation(self, explanation: Explanation | None) -> None:
        self._filling = True
        try:
            self.steps.clear()
            if explanation is None:
                self.head.setText(self.tr("Open an experiment to explain its updates."))
            else:
                self.head.setText(self._head_text(explanation))
                for i, sub in enumerate(self.model.substeps):
                    self.steps.addItem(f"{i + 1}. {sub.title.get(self.language)}")
            self._fit_steps()
        finally:
            self._filling = False
        self._show_substep(self.model.substep)

    def _fit_steps(self) -> None:
        """The sub-step list exactly as tall as its wrapped lines (no empty space, no scroll bar)."""
        self.steps.doItemsLayout()
        count = self.steps.count()
        bottom = max((self.steps.visualItemRect(self.steps.item(i)).bottom() for i in range(count)),
                     default=self.fontMetrics().height())
        self.steps.setFixedHeight(bottom + 2 * self.steps.frameWidth() + 6)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_steps()  # a narrower panel wraps the sub-steps onto more lines

    def _head_text(self, e: Explanation) -> str:
        exp = self.model.experiment
        label = html.escape(exp.translated(e.label, self.language) if exp is not None else e.label)
        where = self.tr("particle {index} of <b>{label}</b>").format(index=e.index, label=label)
        if e.update is None:
            return f"{where}<br>{html.escape(e.message.get(self.language) if e.message else '')}"
        t = e.update.t
        update = self.tr("update t = {t}: θ<sub>{a}</sub> → θ<sub>{b}</sub> (step {a} to {b})").format(
            t=t, a=t - 1, b=t)
        if e.beyond_run:
            update += " " + self.tr("(after the run's last step)")
        return f"{where}<br>{update}"

    def _show_substep(self, index: int) -> None:
        sub = self.model.current
        has = sub is not None
        self.next_btn.setEnabled(has)
        self.previous_btn.setEnabled(has and index > 0)
        if not has:
            self.formula.setText("")
            self.text.setText("")
            self.values.setRowCount(0)
            return
        self._filling = True
        try:
            self.steps.setCurrentRow(index)
            for row in range(self.steps.count()):
                item = self.steps.item(row)
                font = item.font()
                font.setBold(row == index)
                item.setFont(font)
        finally:
            self._filling = False
        self.formula.setText(formula_html(sub.formula))
        colon = "：" if self.language == "zh" else ": "
        self.text.setText(f"<b>{html.escape(sub.title.get(self.language))}</b>{colon}"
                          f"{html.escape(sub.text.get(self.language))}")
        rows = []
        for q in sub.values:
            name = plain(q.symbol) + (f"  [{q.state}]" if q.state else "")
            value = np.asarray(q.value, dtype=np.float64)
            rows.append((name, _number(value[0]), _number(value[1])) if q.per_parameter
                        else (name, _number(value), ""))
        self.values.setRowCount(len(rows))
        symbols = math_font(QtGui.QFontInfo(self.font()).pixelSize())
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if c == 0:
                    item.setFont(symbols)
                else:
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                self.values.setItem(r, c, item)


class ExplainController(QtCore.QObject):
    """The Explain dock in ``window``: follows ``selection`` and the ``session``'s time cursor for the
    ``doc``'s experiment, and draws on ``scene`` while shown (see the module docstring).

    ``beside``: a dock to share a tabbed place with (the group editor: on a small screen a dock of
    its own would narrow the landscape), raised when explain mode opens.
    """

    def __init__(self, window: QtWidgets.QMainWindow, session, doc, selection, scene,
                 beside: QtWidgets.QDockWidget | None = None):
        super().__init__(window)
        self.window = window
        self.session = session
        self.doc = doc
        self.selection = selection
        self.scene = scene
        self.model = ExplainModel()
        self.panel = ExplainPanel(self.model)
        self.dock = side_dock(window, "explain", self.panel, "E", beside=beside, min_width=300)
        toggle = self.dock.toggleViewAction()
        toggle.triggered.connect(lambda on: self.show() if on else None)  # in front of the dock it shares a place with
        window.addAction(toggle)
        #: the window's actions of explain mode, by name (the shortcuts dialog lists them)
        self.actions = {"explain": toggle,
                        "explain_next": self._action(self.panel.next, "N"),
                        "explain_previous": self._action(self.panel.previous, "B"),
                        "explain_update": self._action(self.next_update, "U")}
        self.set_language(language().code)
        language().changed.connect(self.set_language)
        self._sized = False
        self.overlay = ExplainOverlay(font_px=getattr(scene, "font_px", 13))
        scene.plot.addItem(self.overlay, ignoreBounds=True)
        self.model.set_experiment(doc.experiment)
        self._follow_selection()
        self.model.set_step(session.playback.cursor_step)
        self.dock.visibilityChanged.connect(self._on_visible)
        self.model.changed.connect(lambda _e: self._draw())
        self.model.substep_changed.connect(lambda _i: self._draw())
        self.panel.languageChanged.connect(lambda _c: self._draw())
        self.panel.nextUpdateRequested.connect(self.next_update)
        session.frame_changed.connect(lambda frame: self.model.set_step(frame.step))
        selection.events.particle.connect(lambda _p: self._follow_selection())
        selection.events.group.connect(lambda _g: self._follow_selection())
        doc.events.replaced.connect(self._on_experiment)
        doc.events.simulation.connect(self._on_experiment)
        doc.events.group.connect(lambda _i, name: name == "label" and self._on_experiment())  # the header's label
        scene.sigViewChanged.connect(lambda _r: self._relayout())
        scene.vb.sigResized.connect(lambda *_: self._relayout())
        self._set_keys_enabled(False)

    def _action(self, slot, key: str) -> QtGui.QAction:
        act = QtGui.QAction(self.window)
        act.setShortcut(QtGui.QKeySequence(key))
        act.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(lambda _=False: slot())
        self.window.addAction(act)
        return act

    def set_language(self, code: str) -> None:
        """The dock's title, its actions, the panel and the overlay's labels in ``code`` ("en" or "zh";
        the application's language calls this on a switch, after installing its translators)."""
        self.retranslate()
        self.panel.set_language(code)

    def retranslate(self) -> None:
        """The dock's title and the actions' texts in the current Qt translation (the title first: a
        dock's title change also renames its toggle action)."""
        self.dock.setWindowTitle(translate("ExplainPanel", "Explain"))
        toggle = self.actions["explain"]
        toggle.setText(translate("ExplainPanel", "&Explain an update step by step"))
        toggle.setStatusTip(translate("ExplainPanel", "One particle's next update, sub-step by sub-step, with "
                                                      "arrows on the landscape"))
        self.actions["explain_next"].setText(translate("ExplainPanel", "Explain: next sub-step"))
        self.actions["explain_previous"].setText(translate("ExplainPanel", "Explain: previous sub-step"))
        self.actions["explain_update"].setText(translate("ExplainPanel", "Explain: next update"))

    def show(self) -> None:
        """Open the Explain dock (as View > Explain does)."""
        self.dock.show()
        self.dock.raise_()

    def next_update(self) -> None:
        """The time cursor one step on (the run computes it if needed); the explanation follows."""
        self.session.step(1)

    # ---------------------------------------------------------------- following the window
    def _follow_selection(self) -> None:
        particle = self.selection.particle
        if particle is not None:
            try:
                self.model.set_global_particle(particle)
                return
            except ValueError:
                pass
        self.model.set_particle(max(self.selection.group, 0), 0)

    def _on_experiment(self, *_) -> None:
        self.model.set_experiment(self.doc.experiment)
        self._follow_selection()

    def _on_visible(self, visible: bool) -> None:
        if visible and not self.model.active:
            self.dock.raise_()  # shown beside the group editor: in front of it
            if not self._sized and not self.dock.isFloating():
                self._sized = True
                self.window.resizeDocks([self.dock], [DOCK_HEIGHT], QtCore.Qt.Orientation.Vertical)
        self.model.set_active(visible)
        self._set_keys_enabled(visible)
        if visible:
            self.model.set_step(self.session.playback.cursor_step)
        self._draw()

    def _set_keys_enabled(self, on: bool) -> None:
        for name in ("explain_next", "explain_previous", "explain_update"):
            self.actions[name].setEnabled(on)

    def _view(self):
        vb = self.scene.vb
        return self.scene.view_range(), (max(vb.width(), 1.0), max(vb.height(), 1.0))

    def _draw(self) -> None:
        e = self.model.explanation
        if not self.dock.isVisible() or e is None or e.update is None:
            self.overlay.clear_update()
            return
        view_range, pixels = self._view()
        self.overlay.set_update(e.update, self.model.substep, view_range, pixels, self.panel.language)

    def _relayout(self) -> None:
        if self.dock.isVisible():
            self.overlay.relayout(*self._view())
