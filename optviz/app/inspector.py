"""The particle inspector: one particle's gradient, optimizer state and learning rates.

Everything shown is of one step, the cursor's: the values recorded in the
history (position, loss, gradient, preconditioned and realized learning rate,
last step) at the cursor's frame, and the optimizer state only when that frame
is the live step, the one step the engine holds a state for; at any other step
a line says so instead. The state is named as the optimizer's spec documents it
(Adam's two ingredients, first moment m and second moment v, in the lecture
notes' notation), followed by the spec's step-dependent factors (bias corrections,
NAdam's μ_t, RAdam's r_t) and the corrected state they give (m̂, v̂). The
optimizer's update rule is shown beside them. Every text follows the interface's language
(:mod:`optviz.app.language`); the state's names and factors' meanings are the optimizer spec's,
translated by :func:`~optviz.app.language.core_text`.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import QCoreApplication

from optviz.app.language import core_text, language

__all__ = ["InspectorPanel", "inspection_rows"]

translate = QCoreApplication.translate  # lupdate reads translate("Inspector", "...") calls



def _f(v) -> str:
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    a = abs(v)
    return f"{v:.4e}" if a < 1e-3 or a >= 1e4 else f"{v:.6f}"


def _particle_hyper(hyper: dict, index: int) -> dict:
    """The hyperparameters of one particle: a swept one is an array of one value per particle."""
    return {k: (v[index] if isinstance(v, np.ndarray) and v.ndim >= 1 else v) for k, v in hyper.items()}


def _state_rows(spec, state: dict, hyper: dict, t: int) -> list[tuple[str, str, str]]:
    """The optimizer's own diagnostics at step t: its state with the lecture notes' names, its
    step-dependent factors and the state they correct (m̂, v̂), all from its spec."""
    rows = []
    for name, val in state.items():
        try:
            label = core_text(spec.state_doc(name).label) if spec is not None else name
        except KeyError:
            label = name
        rows.append((f"{label}  [{name}]", _f(val[0]), _f(val[1])))
    if spec is None or not spec.factors or t < 1:
        return rows
    factors = {f.key: (f, float(v[0])) for f, v in spec.time_factors(hyper, [t])}
    for f, value in factors.values():
        state_text = "" if f.on(hyper) else "  " + translate("Inspector", "({switch} off: 1)").format(switch=f.switch)
        shown_value = _f(value) if np.isfinite(value) else translate("Inspector", "not acting yet")
        rows.append((f"{f.symbol} = {core_text(f.meaning)}{state_text}", shown_value, ""))
    for c in spec.corrected:
        if c.state in state and np.isfinite(factors[c.factor][1]):
            v = np.asarray(state[c.state], dtype=np.float64) * factors[c.factor][1]
            rows.append((f"{c.symbol} = {c.formula}", _f(v[0]), _f(v[1])))
    return rows


def inspection_rows(info: dict, cursor_step: int) -> tuple[int, list[tuple[str, str, str]]]:
    """(shown step, rows of (quantity, x, y)) for the inspector at ``cursor_step``.

    The optimizer's state, factors and corrected state are named by its spec
    (``info["optimizer"]``); without one, the state arrays by their names only.
    """
    from optviz.core.optimizers import get_optimizer

    steps = info["steps"]
    k = int(np.searchsorted(steps, cursor_step, side="right")) - 1
    k = max(0, min(k, len(steps) - 1))
    shown = int(steps[k]) if len(steps) else 0
    rows = []
    pos = info["positions"][k]
    rows.append((translate("Inspector", "position θ"), _f(pos[0]), _f(pos[1])))
    rows.append((translate("Inspector", "loss f(θ)"), _f(info["loss"][k]), ""))
    g = info["grad"][k]
    rows.append((translate("Inspector", "gradient g = ∇f"), _f(g[0]), _f(g[1])))
    lp = info["lr_preconditioned"][k]
    rows.append((translate("Inspector", "effective LR, preconditioned"), _f(lp[0]), _f(lp[1])))
    lr = info["lr_realized"][k]
    rows.append((translate("Inspector", "effective LR, realized |Δθ|/|g|"), _f(lr[0]), _f(lr[1])))
    if k > 0:
        d = info["positions"][k] - info["positions"][k - 1]
        span = int(steps[k] - steps[k - 1])
        if span == 1:
            text = translate("Inspector", "last step Δθ (1 step)")
        else:
            text = translate("Inspector", "last step Δθ ({n} steps)").format(n=span)
        rows.append((text, _f(d[0]), _f(d[1])))
    rows.append(("", "", ""))
    t = int(info["step"])
    if shown != t:  # the engine's state is of the live step only: never beside another step's values
        text = translate("Inspector", "optimizer state: shown only at the live step ({step})").format(step=f"{t:,}")
        rows.append((text, "", ""))
        if not info.get("alive", True):
            rows.append((translate("Inspector", "diverged at step"), str(info.get("diverged_at")), ""))
        return shown, rows
    rows.append((translate("Inspector", "optimizer state at step {step}").format(step=t), "", ""))
    spec = get_optimizer(info["optimizer"]) if "optimizer" in info else None
    hyper = _particle_hyper(dict(info.get("hyper", {})), int(info.get("index", 0)))
    rows += _state_rows(spec, info["state"], hyper, t)
    if not info.get("alive", True):
        rows.append((translate("Inspector", "diverged at step"), str(info.get("diverged_at")), ""))
    return shown, rows


class InspectorPanel(QtWidgets.QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.head = QtWidgets.QLabel()
        self.head.setWordWrap(True)
        lay.addWidget(self.head)
        self.table = QtWidgets.QTableWidget(0, 3)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        f = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.table.setFont(f)
        lay.addWidget(self.table, 3)
        self.rule_label = QtWidgets.QLabel()
        lay.addWidget(self.rule_label)
        self.rule = QtWidgets.QPlainTextEdit()
        self.rule.setReadOnly(True)
        self.rule.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        rf = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        rf.setPointSizeF(max(rf.pointSizeF() - 1, 7))
        self.rule.setFont(rf)
        lay.addWidget(self.rule, 2)
        self.info = None
        self.label = ""
        self._shown = None
        self._cursor_step = 0
        self.retranslate()
        language().changed.connect(self.retranslate)

    def retranslate(self, _code: str = "") -> None:
        """The panel's texts, and the particle shown, in the current language."""
        self.table.setHorizontalHeaderLabels([self.tr("quantity"), "x", "y"])
        self.rule_label.setText("<b>" + html.escape(self.tr("Update rule")) + "</b>")
        if self.info is None:
            self.head.setText(self.tr("Click a particle on the landscape to inspect it."))
            return
        self._show_rule(self.info["optimizer"])
        self._shown = None
        self.update_cursor(self._cursor_step)

    def _show_rule(self, optimizer: str) -> None:
        from optviz.core.optimizers import get_optimizer

        spec = get_optimizer(optimizer)
        self.rule.setPlainText(spec.update_rule.strip() + "\n\n" + self.tr("effective LR:") + " " + spec.effective_lr)

    def clear(self):
        self.info = None
        self._shown = None
        self.head.setText(self.tr("Click a particle on the landscape to inspect it."))
        self.table.setRowCount(0)
        self.rule.setPlainText("")

    def set_info(self, info: dict, label: str, cursor_step: int):
        if self.info is None or self.info.get("optimizer") != info.get("optimizer"):
            self._show_rule(info["optimizer"])
        self.info = info
        self.label = label
        self._shown = None
        self.update_cursor(cursor_step)

    def update_cursor(self, cursor_step: int):
        self._cursor_step = cursor_step
        if self.info is None:
            return
        shown, rows = inspection_rows(self.info, cursor_step)
        key = (shown, id(self.info))
        if key == self._shown:
            return
        self._shown = key
        info = self.info
        self.head.setText(self.tr("<b>{label}</b>, particle #{index} ({optimizer}) — recorded values at step "
                                  "{step}").format(label=html.escape(self.label), index=info["index"],
                                                   optimizer=html.escape(info["optimizer"]), step=shown))
        self.table.setRowCount(len(rows))
        for r, (a, b, c) in enumerate(rows):
            for col, text in enumerate((a, b, c)):
                item = QtWidgets.QTableWidgetItem(text)
                if col == 0 and (not b and not c) and a:
                    fnt = item.font()
                    fnt.setBold(True)
                    item.setFont(fnt)
                self.table.setItem(r, col, item)
