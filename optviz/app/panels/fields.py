"""Form fields that validate in place: a red frame and the reason under the field, never a dialog."""

from __future__ import annotations

import math

from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import QCoreApplication

translate = QCoreApplication.translate  # lupdate reads translate("Fields", "...") calls

ERROR_STYLE = "QLineEdit { border: 2px solid #d93025; background: #fff4f3; }"



def parse_number(text: str):
    """A float from the user's text ('1e-3', '0,5', 'inf'), or raise ValueError naming it."""
    t = text.strip().replace(",", ".").replace("−", "-")
    if not t:
        raise ValueError(translate("Fields", "empty: type a number"))
    try:
        return float(t)
    except ValueError:
        raise ValueError(translate("Fields", "{text} is not a number").format(text=repr(text))) from None


def fmt(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if math.isfinite(value) and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.6g}"
        return f"{value:.10g}"
    return str(value)


class ErrorLabel(QtWidgets.QLabel):
    def __init__(self):
        super().__init__()
        self.setWordWrap(True)
        self.setStyleSheet("color: #c5221f; font-size: 11px;")
        self.setVisible(False)

    def show_error(self, text: str | None):
        self.setText(text or "")
        self.setVisible(bool(text))


class Field(QtWidgets.QWidget):
    """One editable value with an error line under it; ``commit(value)`` applies or raises."""

    def __init__(self, editor: QtWidgets.QWidget, commit, tooltip: str = ""):
        super().__init__()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(editor)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        self.editor = editor
        self._commit = commit
        if tooltip:
            editor.setToolTip(tooltip)

    def apply(self, value) -> bool:
        try:
            self._commit(value)
        except ValueError as error:  # EditError and HyperparameterError are ValueErrors
            self.set_error(str(error))
            return False
        self.set_error(None)
        return True

    def set_error(self, text):
        self.error.show_error(text)
        for le in self.editor.findChildren(QtWidgets.QLineEdit) + (
                [self.editor] if isinstance(self.editor, QtWidgets.QLineEdit) else []):
            le.setStyleSheet(ERROR_STYLE if text else "")


def number_field(value, commit, tooltip, placeholder="") -> Field:
    le = QtWidgets.QLineEdit(fmt(value))
    le.setPlaceholderText(placeholder)
    field = None

    def done():
        try:
            v = parse_number(le.text())
        except ValueError as error:
            field.set_error(str(error))
            return
        field.apply(v)

    field = Field(le, commit, tooltip)
    le.editingFinished.connect(done)
    return field


def pair_field(values, commit, tooltip, labels=("x", "y")) -> Field:
    box = QtWidgets.QWidget()
    lay = QtWidgets.QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    edits = []
    for lab, v in zip(labels, values, strict=False):
        if lab:
            lay.addWidget(QtWidgets.QLabel(lab))
        le = QtWidgets.QLineEdit(fmt(v))
        lay.addWidget(le, 1)
        edits.append(le)
    field = None

    def done():
        if any(le.hasFocus() for le in edits):
            return  # still editing the pair
        try:
            vals = [parse_number(le.text()) for le in edits]
        except ValueError as error:
            field.set_error(str(error))
            return
        field.apply(vals)

    field = Field(box, commit, tooltip)
    for le in edits:
        le.editingFinished.connect(done)
        le.setToolTip(tooltip)
    field.edits = edits
    return field


def spec_field(spec, value, commit, tooltip) -> Field:
    """The editor a HyperSpec calls for: a check box (bool), a list (choice), a pair (betas) or a
    number (float, int: an int field refuses fractions)."""
    if spec.kind == "bool":
        box = QtWidgets.QCheckBox()
        box.setChecked(bool(value))
        field = Field(box, commit, tooltip)
        box.toggled.connect(lambda on: field.apply(bool(on)))
        return field
    if spec.kind == "choice":
        combo = QtWidgets.QComboBox()
        combo.addItems(list(spec.choices))
        combo.setCurrentText(str(value))
        field = Field(combo, commit, tooltip)
        combo.activated.connect(lambda i: field.apply(combo.itemText(i)))
        return field
    if spec.kind == "betas":
        return pair_field(value, commit, tooltip, labels=("β₁", "β₂"))

    def commit_number(v):
        if spec.kind == "int":
            if v != int(v):
                raise ValueError(translate("Fields", "{name} = {value} must be a whole number").format(
                    name=spec.name, value=fmt(v)))
            v = int(v)
        commit(v)

    return number_field(value, commit_number, tooltip,
                        placeholder=translate("Fields", "default {value}").format(value=fmt(spec.default)))


def mono_font(delta: float = 0.0) -> QtGui.QFont:
    f = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
    if delta:
        f.setPointSizeF(max(f.pointSizeF() + delta, 7))
    return f
