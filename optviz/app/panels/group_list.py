"""The group list: add, duplicate, remove, rename, hide and recolour groups.

A group's name is shown as the experiment translates it into the interface's language (its
``[translations]``); typing a new name renames the group to exactly what was typed."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from optviz.app.language import core_text, language
from optviz.app.panels.fields import ErrorLabel


class GroupListPanel(QtWidgets.QWidget):
    """The groups: colour, visibility (check box), name (double-click to rename)."""

    currentChanged = QtCore.Signal(int)

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.list = QtWidgets.QListWidget()
        self.list.currentRowChanged.connect(self._row_changed)
        self.list.itemChanged.connect(self._item_changed)
        lay.addWidget(self.list)
        row = QtWidgets.QHBoxLayout()
        self.add_menu = QtWidgets.QMenu(self)
        from optviz.core.optimizers import OPTIMIZERS

        self._add_actions = {}
        for name in OPTIMIZERS:
            act = self.add_menu.addAction("")
            act.triggered.connect(lambda _=False, n=name: self.add_group(n))
            self._add_actions[name] = act
        self.add_btn = QtWidgets.QToolButton()
        self.add_btn.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_btn.setMenu(self.add_menu)
        self.dup_btn = QtWidgets.QPushButton()
        self.dup_btn.clicked.connect(self.duplicate)
        self.del_btn = QtWidgets.QPushButton()
        self.del_btn.clicked.connect(self.remove)
        self.color_btn = QtWidgets.QPushButton()
        self.color_btn.clicked.connect(self.choose_color)
        for b in (self.add_btn, self.dup_btn, self.del_btn, self.color_btn):
            row.addWidget(b)
        lay.addLayout(row)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        self._colors = []
        self._solo: int | None = None
        self._shown_labels: list[str] = []  # each row's text as shown (the label, or its translation)
        self.retranslate()
        language().changed.connect(self.retranslate)

    def retranslate(self, _code: str = "") -> None:
        """Buttons, tips and group names in the current language."""
        from optviz.core.optimizers import OPTIMIZERS

        self.list.setToolTip(self.tr("Groups of particles. Tick to show, double-click to rename."))
        for name, act in self._add_actions.items():
            act.setText(core_text(OPTIMIZERS[name].title))
        self.add_btn.setText(self.tr("Add"))
        self.add_btn.setToolTip(self.tr("Add a group with another optimizer"))
        self.dup_btn.setText(self.tr("Duplicate"))
        self.dup_btn.setToolTip(self.tr("Copy the selected group (to compare one changed hyperparameter)"))
        self.del_btn.setText(self.tr("Remove"))
        self.color_btn.setText(self.tr("Colour…"))
        self.refresh()

    def set_solo(self, index: int | None) -> None:
        """While group ``index`` is soloed the others are drawn greyed (None: no solo)."""
        self._solo = index
        self.refresh()

    def current(self) -> int:
        return max(self.list.currentRow(), 0)

    def set_current(self, index: int):
        if index != self.list.currentRow() and 0 <= index < self.list.count():
            self.list.setCurrentRow(index)

    def _row_changed(self, row):
        if row >= 0 and not getattr(self, "_refreshing", False):
            self.currentChanged.emit(row)

    def _item_changed(self, item):
        if getattr(self, "_refreshing", False):
            return
        row = self.list.row(item)
        g = self.doc.group(row)
        visible = item.checkState() == QtCore.Qt.CheckState.Checked
        text = item.text()  # the item is rebuilt by the first edit below
        shown = self._shown_labels[row] if row < len(self._shown_labels) else g.label
        try:
            if visible != g.visible:
                self.doc.set_group_visible(row, visible)
            if text != shown:
                self.doc.rename_group(row, text)
            self.error.show_error(None)
        except ValueError as error:
            self.error.show_error(str(error))
            self.refresh()

    def _do(self, fn):
        try:
            out = fn()
            self.error.show_error(None)
            return out
        except ValueError as error:
            self.error.show_error(str(error))
            return None

    def add_group(self, optimizer: str):
        i = self._do(lambda: self.doc.add_group(optimizer))
        if i is not None:
            self.set_current(i)
            self.currentChanged.emit(i)

    def duplicate(self):
        i = self._do(lambda: self.doc.duplicate_group(self.current()))
        if i is not None:
            self.set_current(i)
            self.currentChanged.emit(i)

    def remove(self):
        row = self.current()
        self._do(lambda: self.doc.remove_group(row))
        self.set_current(min(row, self.doc.n_groups - 1))
        self.currentChanged.emit(self.current())

    def choose_color(self):
        row = self.current()
        start = QtGui.QColor(*self._colors[row]) if row < len(self._colors) else QtGui.QColor("red")
        c = QtWidgets.QColorDialog.getColor(start, self, self.tr("Group colour"))
        if c.isValid():
            self._do(lambda: self.doc.set_group_color(row, c.name()))

    def refresh(self, colors=None):
        from optviz.render.colors import group_colors

        self._refreshing = True
        try:
            exp = self.doc.experiment
            self._colors = colors or group_colors(exp.groups)
            row = self.list.currentRow()
            self.list.clear()
            from optviz.core.initial import particle_count

            self._shown_labels = [exp.translated(g.label, language().code) for g in exp.groups]
            for k, (g, color) in enumerate(zip(exp.groups, self._colors, strict=False)):
                pm = QtGui.QPixmap(14, 14)
                pm.fill(QtGui.QColor(*color))
                item = QtWidgets.QListWidgetItem(QtGui.QIcon(pm), self._shown_labels[k])
                item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsEditable | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(QtCore.Qt.CheckState.Checked if g.visible else QtCore.Qt.CheckState.Unchecked)
                n = particle_count(g.init)
                tip = self.tr("{label}: {optimizer}, 1 particle") if n == 1 else self.tr(
                    "{label}: {optimizer}, {n} particles")
                item.setToolTip(tip.format(label=self._shown_labels[k], optimizer=g.optimizer, n=f"{n:,}"))
                if self._solo is not None and k != self._solo:
                    item.setForeground(QtGui.QColor("#9a9a9a"))
                self.list.addItem(item)
            self.list.setCurrentRow(min(max(row, 0), self.list.count() - 1))
            self.del_btn.setEnabled(len(exp.groups) > 1)
        finally:
            self._refreshing = False
