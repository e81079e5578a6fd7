"""The experiment panel: title, landscape (built-in, typed expression or data), steps, seed."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from optviz.app.language import core_text, language
from optviz.app.panels.fields import Field, fmt, number_field
from optviz.app.panels.landscape_editors import DATA_KEY, EXPR_KEY, DataEditor, ExpressionEditor, _default_data


class ExperimentPanel(QtWidgets.QWidget):
    """Title, landscape (a built-in and its parameters, a typed expression or a model on data),
    steps, seed."""

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        from optviz.core.data import MODELS
        from optviz.core.landscapes import LANDSCAPES

        self.doc = doc
        self.landscapes = LANDSCAPES
        self.form = QtWidgets.QFormLayout(self)
        self.form.setContentsMargins(6, 6, 6, 6)
        self.form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._param_rows = []
        self.labels = {key: QtWidgets.QLabel() for key in ("title", "landscape", "steps", "seed")}
        self.title = QtWidgets.QLineEdit()
        self.title.editingFinished.connect(lambda: self._commit(self.title_field, self.title.text()))
        self.title_field = Field(self.title, self.doc.set_title)
        self.form.addRow(self.labels["title"], self.title_field)
        self.landscape = QtWidgets.QComboBox()
        for name, spec in LANDSCAPES.items():
            self.landscape.addItem(spec.title, name)
            self.landscape.setItemData(self.landscape.count() - 1, spec.formula, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.landscape.insertSeparator(self.landscape.count())
        self.landscape.addItem("", EXPR_KEY)
        for m in MODELS:
            self.landscape.addItem("", DATA_KEY + m.name)
        self.landscape.activated.connect(self._landscape_chosen)
        self.landscape_field = Field(self.landscape, lambda key: None)
        self.form.addRow(self.labels["landscape"], self.landscape_field)
        self.formula = QtWidgets.QLabel()
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula.setStyleSheet("color: #555; font-size: 11px;")
        self.form.addRow(self.formula)
        self.expression = ExpressionEditor(doc)
        self.form.addRow(self.expression)
        self.data = DataEditor(doc)
        self.form.addRow(self.data)
        self.steps = QtWidgets.QSpinBox()
        self.steps.setRange(1, 10_000_000)
        self.steps.setSingleStep(100)
        self.steps.setKeyboardTracking(False)
        self.steps_field = Field(self.steps, self.doc.set_steps)
        self.steps.valueChanged.connect(lambda v: self._commit(self.steps_field, int(v)))
        self.form.addRow(self.labels["steps"], self.steps_field)
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed_field = Field(self.seed, self.doc.set_seed)
        self.seed.valueChanged.connect(lambda v: self._commit(self.seed_field, int(v)))
        self.form.addRow(self.labels["seed"], self.seed_field)
        self.retranslate()
        language().changed.connect(self.retranslate)

    def retranslate(self, _code: str = "") -> None:
        """Labels, tooltips and the landscape chooser in the current language; then the values again."""
        from optviz.core.data import MODELS

        for key, text in (("title", self.tr("Title")), ("landscape", self.tr("Landscape")),
                          ("steps", self.tr("Steps")), ("seed", self.tr("Seed"))):
            self.labels[key].setText(text)
        self.title.setToolTip(self.tr("Title shown above the landscape and saved with the experiment"))
        self.steps.setToolTip(self.tr("Optimizer steps in the run (the time slider spans them)"))
        self.seed.setToolTip(self.tr("Random seed of the initial particles, mini-batches and gradient noise: "
                                     "same seed, same run"))
        role = QtCore.Qt.ItemDataRole.ToolTipRole
        models = {DATA_KEY + m.name: m for m in MODELS}
        for i in range(self.landscape.count()):
            key = self.landscape.itemData(i)
            if key in self.landscapes:
                self.landscape.setItemText(i, core_text(self.landscapes[key].title))
            elif key == EXPR_KEY:
                self.landscape.setItemText(i, self.tr("Custom expression…"))
                self.landscape.setItemData(i, self.tr("Type f(x, y) with your own parameters"), role)
            elif key in models:
                m = models[key]
                self.landscape.setItemText(i, self.tr("Data: {model}").format(model=core_text(m.title)))
                self.landscape.setItemData(i, self.tr("{formula}\nparameters ({names}) fitted to data").format(
                    formula=m.formula, names=", ".join(m.param_names)), role)
        self.refresh()

    def _commit(self, field, value):
        if getattr(self, "_refreshing", False):
            return
        field.apply(value)

    def landscape_key(self) -> str:
        land = self.doc.experiment.landscape
        if land.expression is not None:
            return EXPR_KEY
        if land.model is not None:
            return DATA_KEY + land.model
        return land.name

    def _shown_key(self) -> str:
        """The chooser's entry: the landscape in use, or a typed expression on its way to the document."""
        return EXPR_KEY if self.expression.preparing else self.landscape_key()

    def choose(self, key: str) -> bool:
        """Switch the landscape as the chooser does: a built-in name, EXPR_KEY or DATA_KEY + model.

        EXPR_KEY shows a template expression and applies it in the background (see
        :class:`ExpressionEditor`); the others apply at once. False when refused (shown in place).
        """
        from optviz.models.document import EXPRESSION_TEMPLATE

        if key == self._shown_key():
            return True
        self.expression.cancel()
        if key == self.landscape_key():  # back to the landscape in use
            self.refresh()
            return True
        if key == EXPR_KEY:
            t = EXPRESSION_TEMPLATE
            ok = self.expression.apply_values(t["expression"], t["params"], t["bounds"])
            self.landscape_field.set_error(None)
            self.refresh()
            return ok
        land = self.doc.experiment.landscape
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            if key.startswith(DATA_KEY):
                model = key[len(DATA_KEY):]
                data = _default_data(model)
                old = dict(land.data or {}) if land.model is not None else {}
                if "csv" in old:
                    data = old
                else:  # keep size and seed; noise (its meaning) and true parameters are per model
                    data.update({k: v for k, v in old.items() if k in ("size", "seed")})
                try:
                    self.doc.set_data_landscape(model, data)
                except ValueError:  # e.g. a CSV file whose labels are not 0/1 for logistic regression
                    self.doc.set_data_landscape(model, _default_data(model))
            else:
                self.doc.set_landscape(key)
            self.landscape_field.set_error(None)
            ok = True
        except ValueError as error:
            self.landscape_field.set_error(str(error))
            ok = False
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        self.refresh()
        return ok

    def _landscape_chosen(self, index):
        self.choose(self.landscape.itemData(index))

    def refresh(self):
        self._refreshing = True
        try:
            exp = self.doc.experiment
            if not self.title.hasFocus():
                self.title.setText(exp.title)
            self.landscape.setCurrentIndex(self.landscape.findData(self._shown_key()))
            spec = exp.landscape_spec()
            land = exp.landscape
            formula = getattr(spec, "formula", "")
            if land.model is not None:
                a, b = spec.axis_names
                formula += "   ·   " + self.tr("horizontal axis: {a}, vertical axis: {b}   ·   {n} samples").format(
                    a=a, b=b, n=f"{len(spec.data):,}")
            self.formula.setText(formula)
            self.formula.setToolTip(core_text(spec.description))
            self.steps.setValue(exp.run.steps)
            self.seed.setValue(exp.seed)
            self.expression.setVisible(land.expression is not None or self.expression.preparing)
            if land.expression is not None:
                self.expression.load()
            self.data.setVisible(land.model is not None)
            if land.model is not None:
                self.data.load()
            for _label, field in self._param_rows:
                self.form.removeRow(field)
            self._param_rows = []
            if land.expression is None and land.model is None:
                given = dict(land.params or {})
                values = {p.name: given.get(p.name, p.default) for p in getattr(spec, "params", ())}
                for k, p in enumerate(spec.params):
                    tip = core_text(p.doc) + "\n" + self.tr("default {default}, valid range [{low}, {high}]").format(
                        default=fmt(p.default), low=fmt(p.low), high=fmt(p.high))
                    field = number_field(float(values[p.name]),
                                         lambda v, n=p.name: self.doc.set_landscape_param(n, v), tip)
                    self.form.insertRow(3 + k, f"  {p.name}", field)
                    self._param_rows.append((p.name, field))
        finally:
            self._refreshing = False
