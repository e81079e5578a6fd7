"""Side panels: experiment settings, the group list and the group editor.

The editor is generated from the optimizer's ``HyperSpec``s (and the schedule
and initial-distribution specs): every field shows its default and valid range,
has a tooltip with its meaning, and refuses a bad value in place (red frame and
the reason under the field) without touching the experiment.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["ExperimentPanel", "ExpressionEditor", "DataEditor", "GroupListPanel", "GroupEditor", "parse_number",
           "parse_params"]

ERROR_STYLE = "QLineEdit { border: 2px solid #d93025; background: #fff4f3; }"


def parse_number(text: str):
    """A float from the user's text ('1e-3', '0,5', 'inf'), or raise ValueError naming it."""
    t = text.strip().replace(",", ".").replace("−", "-")
    if not t:
        raise ValueError("empty: type a number")
    try:
        return float(t)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


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


EXPR_KEY = "expression:"
DATA_KEY = "data:"


def mono_font(delta: float = 0.0) -> QtGui.QFont:
    f = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
    if delta:
        f.setPointSizeF(max(f.pointSizeF() + delta, 7))
    return f


def parse_params(text: str) -> dict[str, float]:
    """``"a = 1, b = 100"`` -> {"a": 1.0, "b": 100.0}; ValueError naming the bad entry."""
    out: dict[str, float] = {}
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not name:
            raise ValueError(f"parameters: {part.strip()!r}: write name = number, e.g. a = 1, b = 100")
        if name in out:
            raise ValueError(f"parameters: {name!r} is given twice")
        try:
            out[name] = parse_number(value)
        except ValueError as error:
            raise ValueError(f"parameters: {name} = {value.strip()!r}: {error}") from None
    return out


def format_params(params: dict) -> str:
    return ", ".join(f"{k} = {fmt(float(v))}" for k, v in params.items())


def caret_html(text: str, column: int | None, reason: str, width: int = 44) -> str:
    """The expression with a caret under ``column`` (1-based) and the reason, as rich text."""
    import html

    def esc(t):
        return html.escape(t, quote=False)

    if column is None or "\n" in text:
        return esc(reason)
    i = max(column - 1, 0)
    lo = max(0, min(i - width // 2, len(text) - width))
    shown = text[lo:lo + width]
    pre = "…" if lo > 0 else ""
    post = "…" if lo + width < len(text) else ""
    pad = " " * (len(pre) + i - lo)
    j = len(pre) + i - lo
    line = pre + shown + post
    mark = esc(line[j:j + 1]) or "&nbsp;"
    body = (esc(line[:j]) + f"<span style='background:#f9c9c5; font-weight:bold'>{mark}</span>"
            + esc(line[j + 1:]) + "\n" + pad + "^")
    return (f"<pre style='margin:0; font-family: monospace;'>{body}</pre>"
            f"<span>{esc(reason)}</span>")


class ExpressionEditor(QtWidgets.QWidget):
    """A typed landscape: the expression (checked as you type), its parameters and optional view.

    Nothing reaches the document until Apply (or Enter); while the text is wrong the field has a
    red frame and the reason with a caret under the column; an unknown name can be turned into a
    parameter with one click.
    """

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        self._loaded = None  # the document's (expression, params, bounds) last shown
        lay = QtWidgets.QFormLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.expr = QtWidgets.QLineEdit()
        self.expr.setFont(mono_font())
        self.expr.setPlaceholderText("e.g. (a - x)**2 + b*(y - x**2)**2")
        self.expr.setToolTip(
            "f(x, y): + - * / ** (or ^), parentheses, numbers, pi, e and the functions\n"
            "sin cos tan exp log log1p sqrt abs tanh sinh cosh arctan min(·,·) max(·,·).\n"
            "Other names are parameters: declare them below. The gradient is exact (symbolic).\n"
            "Enter applies.")
        lay.addRow("f(x, y) =", self.expr)
        self.params = QtWidgets.QLineEdit()
        self.params.setPlaceholderText("none, or e.g. a = 1, b = 100")
        self.params.setToolTip("Named parameters of the expression and their values: name = number, "
                               "separated by commas")
        lay.addRow("Parameters", self.params)
        bounds = QtWidgets.QWidget()
        bl = QtWidgets.QHBoxLayout(bounds)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.setSpacing(3)
        self.bounds = []
        for axis in ("x", "y"):
            bl.addWidget(QtWidgets.QLabel(axis))
            for ph in ("-3", "3"):
                le = QtWidgets.QLineEdit()
                le.setPlaceholderText(ph)
                le.setMaximumWidth(56)
                le.setToolTip("The view of the landscape: x from, x to, y from, y to "
                              "(all empty: [-3, 3] × [-3, 3])")
                bl.addWidget(le)
                self.bounds.append(le)
        bl.addStretch(1)
        lay.addRow("View", bounds)
        self.error = QtWidgets.QLabel()
        self.error.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c5221f; font-size: 11px;")
        self.error.setVisible(False)
        lay.addRow(self.error)
        self.note = QtWidgets.QLabel("Applied. A new expression's kernels compile on its first run "
                                     "(a few seconds per optimizer) before the particles move.")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #666; font-size: 11px;")
        self.note.setVisible(False)
        lay.addRow(self.note)
        row = QtWidgets.QHBoxLayout()
        self.fix_btn = QtWidgets.QPushButton()
        self.fix_btn.setVisible(False)
        self.fix_btn.clicked.connect(self._add_unknown)
        self.apply_btn = QtWidgets.QPushButton("Apply")
        self.apply_btn.setToolTip("Use this expression (Enter): the landscape is compiled and re-drawn")
        self.apply_btn.clicked.connect(self.apply)
        self.revert_btn = QtWidgets.QPushButton("Revert")
        self.revert_btn.setToolTip("Back to the expression in use")
        self.revert_btn.clicked.connect(lambda: self.load(force=True))
        row.addWidget(self.fix_btn)
        row.addStretch(1)
        row.addWidget(self.revert_btn)
        row.addWidget(self.apply_btn)
        lay.addRow(row)
        self._unknown = None
        for le in (self.expr, self.params, *self.bounds):
            le.textEdited.connect(self.check)
            le.returnPressed.connect(self.apply)

    # ------------------------------------------------------------------ state
    def current(self):
        """(expression, params, bounds) of the document's landscape."""
        land = self.doc.experiment.landscape
        return (land.expression or "", dict(land.params or {}), land.bounds)

    def load(self, force: bool = False):
        """Show the document's expression (kept as typed unless it changed underneath or ``force``)."""
        cur = self.current()
        if not force and cur == self._loaded:
            return
        self._loaded = cur
        text, params, bounds = cur
        self.expr.setText(text)
        self.params.setText(format_params(params))
        values = [] if not bounds else [bounds[0][0], bounds[0][1], bounds[1][0], bounds[1][1]]
        for k, le in enumerate(self.bounds):
            le.setText(fmt(float(values[k])) if values else "")
        self.check()

    def pending(self) -> bool:
        """The fields differ from the expression in use."""
        try:
            return self.values() != self.current()
        except ValueError:
            return True

    def values(self):
        """(expression, params, bounds) from the fields; ValueError with the reason."""
        params = parse_params(self.params.text())
        texts = [le.text().strip() for le in self.bounds]
        if not any(texts):
            bounds = None
        elif not all(texts):
            raise ValueError("view: give all four limits (x from, x to, y from, y to) or none")
        else:
            v = [parse_number(t) for t in texts]
            bounds = [[v[0], v[1]], [v[2], v[3]]]
            for axis, (a, b) in zip("xy", bounds, strict=True):
                if not (math.isfinite(a) and math.isfinite(b) and a < b):
                    raise ValueError(f"view: {axis} from {fmt(a)} to {fmt(b)}: the first must be smaller")
        return (self.expr.text().strip(), params, bounds)

    # ------------------------------------------------------------- validation
    def check(self, *_):
        """Validate the fields as typed (cheap: parsing only); True when they can be applied."""
        from optviz.core.expressions import ExpressionError, parse_expression

        self._unknown = None
        self.note.setVisible(False)
        problem, where = None, None
        try:
            text, params, _bounds = self.values()
        except ValueError as error:
            problem, where = str(error), ("params" if str(error).startswith("parameters") else "bounds")
        else:
            if not text:
                problem, where = "type an expression in x and y", "expression"
            else:
                try:
                    parse_expression(text, params)
                except ExpressionError as error:
                    where = "params" if error.field == "params" else "expression"
                    if where == "expression":
                        import re

                        m = re.match(r"unknown name '([A-Za-z][A-Za-z0-9_]*)'", error.reason)
                        self._unknown = m.group(1) if m else None
                        problem = caret_html(text, error.column, error.message)
                    else:
                        problem = error.message
        self._show(problem, where)
        return problem is None

    def _show(self, problem, where=None):
        import html

        if problem is not None and not problem.startswith("<pre"):
            problem = html.escape(problem, quote=False)
        self.error.setText(problem or "")
        self.error.setVisible(bool(problem))
        targets = {"expression": [self.expr], "params": [self.params], "bounds": self.bounds}
        for key, edits in targets.items():
            for le in edits:
                le.setStyleSheet(ERROR_STYLE if problem and key == where else "")
        self.fix_btn.setVisible(self._unknown is not None)
        if self._unknown:
            self.fix_btn.setText(f"Make “{self._unknown}” a parameter")
        self.apply_btn.setEnabled(problem is None)

    def _add_unknown(self):
        if not self._unknown:
            return
        text = self.params.text().strip()
        self.params.setText((text + ", " if text else "") + f"{self._unknown} = 1")
        self.check()
        self.params.setFocus()

    def apply(self) -> bool:
        """Send the expression to the document (compiled there; refusal shown in place)."""
        if not self.check():
            return False
        text, params, bounds = self.values()
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            self.doc.set_expression(text, params, bounds)
        except ValueError as error:
            where = str(getattr(error, "field", "") or "").removeprefix("landscape.")
            self._show(str(error), where if where in ("params", "bounds") else "expression")
            return False
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        self._loaded = self.current()
        self.note.setVisible(True)
        return True


class DataEditor(QtWidgets.QWidget):
    """A data-backed landscape: generated data (size, noise, seed, true parameters) or a CSV file."""

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.fields: dict[str, Field] = {}
        self._key = None
        self._body = None
        self._lay = QtWidgets.QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self.error = ErrorLabel()

    def _land(self):
        land = self.doc.experiment.landscape
        return land.model, dict(land.data or {})

    def _set(self, **changes):
        model, data = self._land()
        data.pop("csv", None)
        data.update(changes)
        self.doc.set_data_landscape(model, data)

    def load(self, force: bool = False):
        from optviz.core.data import get_model
        from optviz.core.data.datasets import DEFAULT_TRUE_PARAMS

        model, data = self._land()
        key = (model, data.get("csv"))
        if key == self._key and not force:
            self._show_values(model, data)
            return
        self._key = key
        # a new body; the old one goes later (this may run inside one of its widgets' signals)
        if self._body is not None:
            self._body.hide()
            self._body.deleteLater()
        self._body = QtWidgets.QWidget()
        self._lay.addWidget(self._body)
        self.form = QtWidgets.QFormLayout(self._body)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields = {}
        spec = get_model(model)
        n = len(self.doc.experiment.landscape_spec().data)
        if "csv" in data:
            path = QtWidgets.QLabel(f"<b>{Path(data['csv']).name}</b> ({n:,} samples)")
            path.setToolTip(str(data["csv"]))
            self.form.addRow("File", path)
        else:
            size = QtWidgets.QSpinBox()
            size.setRange(1, 1_000_000)
            size.setGroupSeparatorShown(True)
            size.setKeyboardTracking(False)
            size.setValue(int(data.get("size", 200)))
            f = Field(size, lambda v: self._set(size=int(v)), "Samples in the generated dataset (x ~ N(0, 1))")
            size.valueChanged.connect(lambda v, f=f: f.apply(v))
            self.form.addRow("Samples", f)
            self.fields["size"] = f
            noise_tip = ("label-flip probability (0 to 0.5)" if spec.name == "logistic"
                         else "standard deviation of the noise added to y")
            f = number_field(float(data.get("noise", 0.1)), lambda v: self._set(noise=v), noise_tip)
            self.form.addRow("Noise", f)
            self.fields["noise"] = f
            seed = QtWidgets.QSpinBox()
            seed.setRange(0, 2**31 - 1)
            seed.setKeyboardTracking(False)
            seed.setValue(int(data.get("seed", 0)))
            f = Field(seed, lambda v: self._set(seed=int(v)), "Seed of the generated data (not of the particles)")
            seed.valueChanged.connect(lambda v, f=f: f.apply(v))
            self.form.addRow("Data seed", f)
            self.fields["seed"] = f
            true = {**DEFAULT_TRUE_PARAMS[spec.name], **{k: data[k] for k in spec.param_names if k in data}}
            for name in spec.param_names:
                f = number_field(float(true[name]), lambda v, name=name: self._set(**{name: v}),
                                 f"the true {name} the data is generated from")
                self.form.addRow(f"true {name}", f)
                self.fields[f"true.{name}"] = f
        row = QtWidgets.QHBoxLayout()
        csv_btn = QtWidgets.QPushButton("Load CSV…")
        csv_btn.setToolTip("Two columns x, y (header optional; comma, semicolon, tab or spaces; # comments)"
                           + ("; y must be 0 or 1" if spec.name == "logistic" else ""))
        csv_btn.clicked.connect(lambda: self.load_csv())
        row.addWidget(csv_btn)
        self.csv_btn = csv_btn
        if "csv" in data:
            gen = QtWidgets.QPushButton("Generate instead")
            gen.setToolTip("Back to data generated from a seed")
            gen.clicked.connect(lambda: self._apply_data(model, _default_data(model)))
            row.addWidget(gen)
        row.addStretch(1)
        self.form.addRow(row)
        self.error = ErrorLabel()
        self.form.addRow(self.error)

    def _show_values(self, model, data):
        """Show the document's values in the existing fields (no rebuild)."""
        from optviz.core.data import get_model
        from optviz.core.data.datasets import DEFAULT_TRUE_PARAMS

        if "csv" in data:
            return
        spec = get_model(model)
        true = {**DEFAULT_TRUE_PARAMS[spec.name], **{k: data[k] for k in spec.param_names if k in data}}
        values = {"size": int(data.get("size", 200)), "seed": int(data.get("seed", 0)),
                  "noise": float(data.get("noise", 0.1)), **{f"true.{k}": float(v) for k, v in true.items()}}
        for key, value in values.items():
            f = self.fields.get(key)
            if f is None:
                continue
            if isinstance(f.editor, QtWidgets.QSpinBox):
                f.editor.blockSignals(True)
                f.editor.setValue(value)
                f.editor.blockSignals(False)
            elif not f.editor.hasFocus() and not f.error.text():
                f.editor.setText(fmt(value))

    def _apply_data(self, model, data) -> bool:
        try:
            self.doc.set_data_landscape(model, data)
        except ValueError as error:
            self.error.show_error(str(error))
            return False
        self.error.show_error(None)
        return True

    def load_csv(self, path=None) -> bool:
        """Read a CSV file into the landscape (a dialog asks when ``path`` is None)."""
        if path is None:
            start = str(self.doc.path.parent) if self.doc.path else str(Path.cwd())
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Load data (x, y)", start,
                                                            "Data (*.csv *.txt *.tsv);;All files (*)")
            if not path:
                return False
        model, _ = self._land()
        return self._apply_data(model, {"csv": str(Path(path).resolve())})


def _default_data(model: str) -> dict:
    from optviz.models.document import default_data

    return default_data(model)


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
        self.title = QtWidgets.QLineEdit()
        self.title.setToolTip("Title shown above the landscape and saved with the experiment")
        self.title.editingFinished.connect(lambda: self._commit(self.title_field, self.title.text()))
        self.title_field = Field(self.title, self.doc.set_title)
        self.form.addRow("Title", self.title_field)
        self.landscape = QtWidgets.QComboBox()
        role = QtCore.Qt.ItemDataRole.ToolTipRole
        for name, spec in LANDSCAPES.items():
            self.landscape.addItem(spec.title, name)
            self.landscape.setItemData(self.landscape.count() - 1, spec.formula, role)
        self.landscape.insertSeparator(self.landscape.count())
        self.landscape.addItem("Custom expression…", EXPR_KEY)
        self.landscape.setItemData(self.landscape.count() - 1, "Type f(x, y) with your own parameters", role)
        for m in MODELS:
            self.landscape.addItem(f"Data: {m.title.lower()}", DATA_KEY + m.name)
            self.landscape.setItemData(self.landscape.count() - 1,
                                       f"{m.formula}\nparameters ({', '.join(m.param_names)}) fitted to data",
                                       role)
        self.landscape.activated.connect(self._landscape_chosen)
        self.landscape_field = Field(self.landscape, lambda key: None)
        self.form.addRow("Landscape", self.landscape_field)
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
        self.steps.setToolTip("Optimizer steps in the run (the time slider spans them)")
        self.steps.setKeyboardTracking(False)
        self.steps_field = Field(self.steps, self.doc.set_steps)
        self.steps.valueChanged.connect(lambda v: self._commit(self.steps_field, int(v)))
        self.form.addRow("Steps", self.steps_field)
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip("Random seed of the initial particles, mini-batches and gradient noise: "
                             "same seed, same run")
        self.seed_field = Field(self.seed, self.doc.set_seed)
        self.seed.valueChanged.connect(lambda v: self._commit(self.seed_field, int(v)))
        self.form.addRow("Seed", self.seed_field)
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

    def choose(self, key: str) -> bool:
        """Switch the landscape as the chooser does: a built-in name, EXPR_KEY or DATA_KEY + model."""
        from optviz.models.document import EXPRESSION_TEMPLATE

        if key == self.landscape_key():
            return True
        land = self.doc.experiment.landscape
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            if key == EXPR_KEY:
                t = EXPRESSION_TEMPLATE
                self.doc.set_expression(t["expression"], t["params"], t["bounds"])
            elif key.startswith(DATA_KEY):
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
            key = self.landscape_key()
            self.landscape.setCurrentIndex(self.landscape.findData(key))
            spec = exp.landscape_spec()
            land = exp.landscape
            formula = getattr(spec, "formula", "")
            if land.model is not None:
                a, b = spec.axis_names
                formula += f"   ·   horizontal axis: {a}, vertical axis: {b}   ·   {len(spec.data):,} samples"
            self.formula.setText(formula)
            self.formula.setToolTip(spec.description)
            self.steps.setValue(exp.run.steps)
            self.seed.setValue(exp.seed)
            self.expression.setVisible(land.expression is not None)
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
                    tip = f"{p.doc}\ndefault {fmt(p.default)}, valid range [{fmt(p.low)}, {fmt(p.high)}]"
                    field = number_field(float(values[p.name]),
                                         lambda v, n=p.name: self.doc.set_landscape_param(n, v), tip)
                    self.form.insertRow(3 + k, f"  {p.name}", field)
                    self._param_rows.append((p.name, field))
        finally:
            self._refreshing = False


class GroupListPanel(QtWidgets.QWidget):
    """The groups: colour, visibility (check box), name (double-click to rename)."""

    currentChanged = QtCore.Signal(int)

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.list = QtWidgets.QListWidget()
        self.list.setToolTip("Groups of particles. Tick to show, double-click to rename.")
        self.list.currentRowChanged.connect(self._row_changed)
        self.list.itemChanged.connect(self._item_changed)
        lay.addWidget(self.list)
        row = QtWidgets.QHBoxLayout()
        self.add_menu = QtWidgets.QMenu(self)
        from optviz.core.optimizers import OPTIMIZERS

        for name, spec in OPTIMIZERS.items():
            act = self.add_menu.addAction(spec.title)
            act.triggered.connect(lambda _=False, n=name: self.add_group(n))
        self.add_btn = QtWidgets.QToolButton()
        self.add_btn.setText("Add")
        self.add_btn.setToolTip("Add a group with another optimizer")
        self.add_btn.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_btn.setMenu(self.add_menu)
        self.dup_btn = QtWidgets.QPushButton("Duplicate")
        self.dup_btn.setToolTip("Copy the selected group (to compare one changed hyperparameter)")
        self.dup_btn.clicked.connect(self.duplicate)
        self.del_btn = QtWidgets.QPushButton("Remove")
        self.del_btn.clicked.connect(self.remove)
        self.color_btn = QtWidgets.QPushButton("Colour…")
        self.color_btn.clicked.connect(self.choose_color)
        for b in (self.add_btn, self.dup_btn, self.del_btn, self.color_btn):
            row.addWidget(b)
        lay.addLayout(row)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        self._colors = []
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
        try:
            if visible != g.visible:
                self.doc.set_group_visible(row, visible)
            if text != g.label:
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
        c = QtWidgets.QColorDialog.getColor(start, self, "Group colour")
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

            for g, color in zip(exp.groups, self._colors, strict=False):
                pm = QtGui.QPixmap(14, 14)
                pm.fill(QtGui.QColor(*color))
                item = QtWidgets.QListWidgetItem(QtGui.QIcon(pm), g.label)
                item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsEditable | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(QtCore.Qt.CheckState.Checked if g.visible else QtCore.Qt.CheckState.Unchecked)
                n = particle_count(g.init)
                item.setToolTip(f"{g.label}: {g.optimizer}, {n:,} particle{'s' if n != 1 else ''}")
                self.list.addItem(item)
            self.list.setCurrentRow(min(max(row, 0), self.list.count() - 1))
            self.del_btn.setEnabled(len(exp.groups) > 1)
        finally:
            self._refreshing = False


class GroupEditor(QtWidgets.QScrollArea):
    """Optimizer, hyperparameters, variant options, schedule and start of one group."""

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.index = 0
        self.setWidgetResizable(True)
        self.fields: dict[str, Field] = {}
        self._inner = None
        self.rebuild()
        doc.changed.connect(self._on_doc_changed)

    def _on_doc_changed(self, kind):
        if kind in ("sim", "replaced"):
            try:
                self._sync_gradient(errors=False)
            except RuntimeError:  # this editor's widgets are gone
                pass

    def set_group(self, index: int):
        self.index = int(index)
        self.rebuild()

    # -------------------------------------------------------------------- build
    def rebuild(self):
        from optviz.core.initial import INIT_KINDS, particle_count
        from optviz.core.optimizers import OPTIMIZERS, get_optimizer
        from optviz.core.schedules import SCHEDULES

        focus = QtWidgets.QApplication.focusWidget()
        if focus is not None and self._inner is not None and self._inner.isAncestorOf(focus):
            pass
        if self.index >= self.doc.n_groups:
            self.index = self.doc.n_groups - 1
        g = self.doc.group(self.index)
        spec = get_optimizer(g.optimizer)
        resolved = spec.resolve(g.hyper)
        inner = QtWidgets.QWidget()
        outer = QtWidgets.QVBoxLayout(inner)
        outer.setContentsMargins(6, 6, 6, 6)
        self.fields = {}

        head = QtWidgets.QLabel(f"<b>{g.label}</b>")
        outer.addWidget(head)
        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(form)
        self.optimizer = QtWidgets.QComboBox()
        for name, s in OPTIMIZERS.items():
            self.optimizer.addItem(s.title, name)
            self.optimizer.setItemData(self.optimizer.count() - 1, s.summary, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.optimizer.setCurrentIndex(self.optimizer.findData(spec.name))
        self.optimizer.setToolTip(f"{spec.summary}\ntorch: {spec.torch_class}")
        opt_field = Field(self.optimizer, lambda name: self.doc.set_optimizer(self.index, name))
        self.optimizer.activated.connect(lambda i: opt_field.apply(self.optimizer.itemData(i)))
        form.addRow("Optimizer", opt_field)
        self.fields["optimizer"] = opt_field

        def add_hyper(form, h):
            value = resolved[h.name]
            overridden = h.name in g.hyper
            default = fmt(h.default) if h.kind != "betas" else list(h.default)
            tip = f"{h.name}: {h.doc}\nvalid: {h.range_text()}\ndefault: {default}"
            def commit(v, n=h.name):
                return (self.doc.set_hyper(self.index, n, v))
            if h.kind == "bool":
                cb = QtWidgets.QCheckBox()
                cb.setChecked(bool(value))
                field = Field(cb, commit, tip)
                cb.toggled.connect(lambda on, f=field: f.apply(bool(on)))
            elif h.kind == "choice":
                combo = QtWidgets.QComboBox()
                combo.addItems(list(h.choices))
                combo.setCurrentText(str(value))
                field = Field(combo, commit, tip)
                combo.activated.connect(lambda i, c=combo, f=field: f.apply(c.itemText(i)))
            elif h.kind == "betas":
                field = pair_field(value, commit, tip, labels=("β₁", "β₂"))
            else:
                field = number_field(value, commit, tip, placeholder=f"default {fmt(h.default)}")
                if h.kind == "int":
                    pass
            label = QtWidgets.QLabel(("● " if overridden else "") + h.name)
            label.setToolTip(tip + ("\n● changed from the default" if overridden else ""))
            form.addRow(label, field)
            self.fields[h.name] = field

        for h in spec.hypers:
            if not h.variant:
                add_hyper(form, h)
        variants = [h for h in spec.hypers if h.variant]
        if variants:
            box = QtWidgets.QGroupBox("Variant options (textbook forms)")
            vform = QtWidgets.QFormLayout(box)
            for h in variants:
                add_hyper(vform, h)
            outer.addWidget(box)

        # schedule
        sbox = QtWidgets.QGroupBox("Learning-rate schedule")
        sform = QtWidgets.QFormLayout(sbox)
        sched = dict(g.schedule or {"kind": "constant"})
        kind = sched.get("kind", "constant")
        combo = QtWidgets.QComboBox()
        for k, s in SCHEDULES.items():
            combo.addItem(s.title, k)
            combo.setItemData(combo.count() - 1, s.formula, QtCore.Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(combo.findData(kind))
        sfield = Field(combo, lambda d: self.doc.set_schedule(self.index, d))
        combo.activated.connect(lambda i: sfield.apply({"kind": combo.itemData(i)}))
        sform.addRow("Kind", sfield)
        self.fields["schedule"] = sfield
        sspec = SCHEDULES[kind]
        if kind != "constant":
            f = QtWidgets.QLabel(f"lr_t = {sspec.formula}")
            f.setStyleSheet("color: #555; font-size: 11px;")
            f.setWordWrap(True)
            sform.addRow(f)
        for p in sspec.params:
            cur = sched.get(p.name, p.default)
            tip = f"{p.name}: {p.doc}\nvalid: {p.range_text() if p.kind != 'milestones' else 'increasing steps'}"

            def commit(v, n=p.name, pkind=p.kind):
                d = dict(self.doc.group(self.index).schedule or {"kind": kind})
                if pkind == "int":
                    if v != int(v):
                        raise ValueError(f"schedule.{n} = {v!r} must be an integer")
                    v = int(v)
                d[n] = v
                self.doc.set_schedule(self.index, d)

            if p.kind == "milestones":
                le = QtWidgets.QLineEdit(", ".join(str(m) for m in cur))
                le.setPlaceholderText("e.g. 100, 300")
                fld = Field(le, lambda d: self.doc.set_schedule(self.index, d), tip)

                def done(le=le, n=p.name, fld=fld):
                    try:
                        ms = [int(x) for x in le.text().replace(";", ",").split(",") if x.strip()]
                    except ValueError:
                        fld.set_error("milestones: write whole step numbers separated by commas")
                        return
                    d = dict(self.doc.group(self.index).schedule or {})
                    d[n] = ms
                    fld.apply(d)

                le.editingFinished.connect(done)
            else:
                fld = number_field(cur, commit, tip)
            sform.addRow(p.name, fld)
            self.fields[f"schedule.{p.name}"] = fld
        outer.addWidget(sbox)
        outer.addWidget(self._gradient_box(g))

        # initial distribution
        ibox = QtWidgets.QGroupBox("Start (initial particles)")
        iform = QtWidgets.QFormLayout(ibox)
        init = dict(g.init)
        ikind = QtWidgets.QComboBox()
        for k in INIT_KINDS:
            ikind.addItem(k)
        ikind.setCurrentText(init["kind"])
        ikind.setToolTip("point: one particle; grid: a regular lattice; uniform: random in a box; "
                         "normal: a Gaussian cloud.\nTip: with 'Place' on, click the landscape for a point, "
                         "drag for a cloud.")
        ifield = Field(ikind, lambda k: self.doc.set_init(self.index, self._init_of_kind(k)))
        ikind.activated.connect(lambda i: ifield.apply(ikind.itemText(i)))
        iform.addRow("Kind", ifield)
        self.fields["init.kind"] = ifield

        def set_init_key(key, value):
            d = dict(self.doc.group(self.index).init)
            d[key] = value
            self.doc.set_init(self.index, d)

        k = init["kind"]
        if k == "point":
            fld = pair_field(init["point"], lambda v: set_init_key("point", v), "start position [x, y]")
            iform.addRow("Point", fld)
            self.fields["init.point"] = fld
        elif k == "points":
            iform.addRow(QtWidgets.QLabel(f"{len(init['points'])} listed points (edit in the file)"))
        elif k in ("grid", "uniform"):
            for key in ("low", "high"):
                fld = pair_field(init[key], lambda v, key=key: set_init_key(key, [float(x) for x in v]),
                                 f"{key} corner [x, y] of the box")
                iform.addRow(key.capitalize(), fld)
                self.fields[f"init.{key}"] = fld
        if k == "grid":
            fld = pair_field(init["shape"], lambda v: set_init_key("shape", [int(x) for x in v]),
                             "grid points along x and y", labels=("nx", "ny"))
            iform.addRow("Shape", fld)
            self.fields["init.shape"] = fld
        if k == "normal":
            for key, tip in (("mean", "centre [x, y] of the cloud"), ("std", "standard deviation [σx, σy]")):
                fld = pair_field(init[key], lambda v, key=key: set_init_key(key, [float(x) for x in v]), tip)
                iform.addRow(key.capitalize(), fld)
                self.fields[f"init.{key}"] = fld
        count = QtWidgets.QSpinBox()
        count.setRange(1, 1_000_000)
        count.setGroupSeparatorShown(True)
        count.setKeyboardTracking(False)
        count.setValue(particle_count(init))
        count.setToolTip("Particles in this group (1 to 1,000,000). Above 20,000 they are drawn as a density.")
        cfield = Field(count, lambda n: self.doc.set_count(self.index, int(n)))
        count.valueChanged.connect(lambda n: cfield.apply(int(n)))
        iform.addRow("Count", cfield)
        self.fields["init.count"] = cfield
        outer.addWidget(ibox)

        rule = QtWidgets.QLabel("<b>Update rule</b>")
        outer.addWidget(rule)
        text = QtWidgets.QPlainTextEdit(spec.update_rule.strip() + "\n\neffective LR: " + spec.effective_lr)
        text.setReadOnly(True)
        f = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        f.setPointSizeF(max(f.pointSizeF() - 1, 7))
        text.setFont(f)
        text.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        text.setMinimumHeight(140)
        outer.addWidget(text)
        outer.addStretch(1)
        self._inner = inner
        self.setWidget(inner)

    # ------------------------------------------------------------ gradient
    BATCH_MODES = (("full", "Full batch (GD)", "every step uses the whole dataset: the exact gradient"),
                   ("sgd", "One sample (SGD)", "every step uses one random sample: noisy, cheap"),
                   ("mini", "Mini-batch of B", "every step averages B random samples"))
    NOISE_KINDS = (("none", "None", "the exact gradient"),
                   ("gaussian", "Gaussian", "adds σ·N(0, 1) to each gradient component"),
                   ("student_t", "Student-t (heavy tails)", "adds σ·t(ν) to each gradient component: "
                    "occasional large kicks; ν > 2, smaller is heavier"))
    NO_DATA_TIP = ("Batch size needs a data-backed landscape: choose Experiment → Landscape → "
                   "Data: … (linear, logistic or tanh).\nA formula landscape has no samples to draw; "
                   "to see stochastic behaviour on it, add gradient noise below.")

    def _gradient_box(self, g):
        """Where each step's gradient comes from: batch size and sampling (data) and added noise."""
        box = QtWidgets.QGroupBox("Gradient")
        form = QtWidgets.QFormLayout(box)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.no_data_note = QtWidgets.QLabel("Batch size: data-backed landscapes only (Landscape → Data: …). "
                                             "Use noise here instead.")
        self.no_data_note.setWordWrap(True)
        self.no_data_note.setStyleSheet("color: #666; font-size: 11px;")
        self.no_data_note.setToolTip(self.NO_DATA_TIP)
        form.addRow(self.no_data_note)
        mode = QtWidgets.QComboBox()
        for key, text, tip in self.BATCH_MODES:
            mode.addItem(text, key)
            mode.setItemData(mode.count() - 1, tip, QtCore.Qt.ItemDataRole.ToolTipRole)
        bsize = QtWidgets.QSpinBox()
        bsize.setKeyboardTracking(False)
        bsize.setGroupSeparatorShown(True)
        bsize.setPrefix("B = ")
        row = QtWidgets.QWidget()
        rl = QtWidgets.QHBoxLayout(row)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(mode, 1)
        rl.addWidget(bsize)
        bfield = Field(row, lambda b: self.doc.set_batch_size(self.index, b))
        mode.activated.connect(lambda i: self._batch_mode_chosen(mode.itemData(i)))
        bsize.valueChanged.connect(lambda v: None if self._syncing else bfield.apply(int(v)))
        self.batch_mode, self.batch_spin = mode, bsize
        form.addRow("Batch", bfield)
        self.fields["batch_size"] = bfield
        samp = QtWidgets.QComboBox()
        samp.addItem("Each sample once per epoch", "epoch")
        samp.addItem("With replacement", "replacement")
        samp.setToolTip("How a particle draws its samples: without replacement, reshuffled every epoch, "
                        "or independently with replacement.\nEach particle has its own seeded stream, so a "
                        "cloud shows the spread batch noise causes.")
        sfield = Field(samp, lambda v: self.doc.set_sampling(self.index, v))
        samp.activated.connect(lambda i: sfield.apply(samp.itemData(i)))
        self.sampling = samp
        form.addRow("Sampling", sfield)
        self.fields["sampling"] = sfield
        nk = QtWidgets.QComboBox()
        for key, text, tip in self.NOISE_KINDS:
            nk.addItem(text, key)
            nk.setItemData(nk.count() - 1, tip, QtCore.Qt.ItemDataRole.ToolTipRole)
        nk.setToolTip("Seeded noise added to every gradient (any landscape), independent per particle")
        nfield = Field(nk, lambda k: self.doc.set_noise(self.index, self._noise_of(kind=k)))
        nk.activated.connect(lambda i: nfield.apply(nk.itemData(i)))
        self.noise_kind = nk
        form.addRow("Noise", nfield)
        self.fields["noise.kind"] = nfield
        noise = dict(g.noise or {})
        for key, default, tip in (("scale", 1.0, "σ: the noise's scale, in gradient units (> 0)"),
                                  ("dof", 3.0, "ν: Student-t degrees of freedom (> 2; smaller = heavier tails)")):
            f = number_field(float(noise.get(key, default)),
                             lambda v, key=key: self.doc.set_noise(self.index, self._noise_of(**{key: v})), tip)
            form.addRow("  σ" if key == "scale" else "  ν", f)
            self.fields[f"noise.{key}"] = f
        self._gradient_form = form
        self._sync_gradient()
        return box

    _syncing = False

    def _noise_of(self, **changes):
        """The group's noise table with ``changes``, filled from the σ and ν fields."""
        g = self.doc.group(self.index)
        noise = dict(g.noise or {})
        kind = changes.pop("kind", noise.get("kind", "none"))
        if kind == "none":
            return None
        noise["kind"] = kind
        for key in ("scale", "dof"):
            if key not in noise:
                try:
                    noise[key] = parse_number(self.fields[f"noise.{key}"].editor.text())
                except (ValueError, KeyError):
                    noise[key] = 1.0 if key == "scale" else 3.0
        if kind != "student_t":
            noise.pop("dof", None)
        noise.update(changes)
        if kind == "gaussian" and "dof" in changes:
            raise ValueError(f"groups[{self.index}].noise.dof: ν applies to Student-t noise only")
        return noise

    def _batch_mode_chosen(self, mode):
        field = self.fields["batch_size"]
        if mode == "full":
            ok = field.apply(None)
        elif mode == "sgd":
            ok = field.apply(1)
        else:
            n = self._dataset_size()
            ok = field.apply(max(2, min(self.batch_spin.value(), n)) if n else 32)
        if not ok:
            self._sync_gradient(errors=False)

    def _dataset_size(self) -> int:
        exp = self.doc.experiment
        return len(exp.landscape_spec().data) if exp.landscape.model is not None else 0

    def _sync_gradient(self, *_, errors: bool = True):
        """Show the group's gradient settings; enable what applies to the current landscape."""
        if "batch_size" not in self.fields or self.index >= self.doc.n_groups:
            return
        try:
            self.batch_mode.isEnabled()
        except RuntimeError:  # the widgets were deleted (rebuilt)
            return
        g = self.doc.group(self.index)
        n = self._dataset_size()
        data = n > 0
        self._syncing = True
        try:
            b = g.batch_size
            mode = "full" if b is None or (data and b >= n) else ("sgd" if b == 1 else "mini")
            self.batch_mode.setCurrentIndex(self.batch_mode.findData(mode))
            self.batch_spin.setRange(2, max(n, 2))
            if b is not None and b > 1:
                self.batch_spin.setValue(b)
            elif self.batch_spin.value() <= 2:
                self.batch_spin.setValue(min(32, max(n, 2)))
            self.batch_spin.setVisible(mode == "mini")
            self.batch_spin.setToolTip(f"samples per step, 2 to {n:,} (the dataset's size)" if data else
                                       self.NO_DATA_TIP)
            for w in (self.batch_mode, self.batch_spin):
                w.setEnabled(data)
            self.batch_mode.setToolTip("Samples per gradient: full batch, one sample, or a mini-batch of B"
                                       if data else self.NO_DATA_TIP)
            self.no_data_note.setVisible(not data)
            self.sampling.setCurrentIndex(self.sampling.findData(g.sampling))
            self.sampling.setEnabled(data and b is not None and b < n)
            noise = dict(g.noise or {})
            kind = noise.get("kind", "none")
            self.noise_kind.setCurrentIndex(self.noise_kind.findData(kind))
            for key, on in (("scale", kind != "none"), ("dof", kind == "student_t")):
                f = self.fields[f"noise.{key}"]
                f.editor.setEnabled(on)
                if key in noise and not f.editor.hasFocus():
                    f.editor.setText(fmt(float(noise[key])))
            if errors:
                for key in ("batch_size", "sampling", "noise.kind"):
                    self.fields[key].set_error(None)
        finally:
            self._syncing = False

    def _init_of_kind(self, kind):
        cx, cy = self.doc.center_of(self.index)
        (x0, x1), (y0, y1) = self.doc.experiment.landscape_spec().bounds
        s = 0.05 * max(x1 - x0, y1 - y0)
        init = self.doc.group(self.index).init
        n = int(init.get("count", 100)) if init["kind"] != "point" else 100
        if kind == "point":
            return {"kind": "point", "point": [cx, cy]}
        if kind == "points":
            return {"kind": "points", "points": [[cx, cy], [cx + s, cy], [cx, cy + s]]}
        if kind == "grid":
            nx = max(2, int(round(math.sqrt(n))))
            return {"kind": "grid", "low": [cx - 2 * s, cy - 2 * s], "high": [cx + 2 * s, cy + 2 * s],
                    "shape": [nx, nx]}
        if kind == "uniform":
            return {"kind": "uniform", "low": [cx - 2 * s, cy - 2 * s], "high": [cx + 2 * s, cy + 2 * s], "count": n}
        return {"kind": "normal", "mean": [cx, cy], "std": [s, s], "count": n}
