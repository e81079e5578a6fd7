"""Editors for typed expressions (live validation with the error position) and datasets."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from optviz.app.language import language
from optviz.app.panels.fields import ERROR_STYLE, ErrorLabel, Field, fmt, mono_font, number_field, parse_number

EXPR_KEY = "expression:"
DATA_KEY = "data:"


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


APPLIED_NOTE = QtCore.QT_TRANSLATE_NOOP(
    "ExpressionEditor", "Applied. Its kernels compile in the background (a few seconds per optimizer family; the "
    "status bar says which) and the particles move once they are ready.")


class ExpressionEditor(QtWidgets.QWidget):
    """A typed landscape: the expression (checked as you type), its parameters and optional view.

    Nothing reaches the document until Apply (or Enter); while the text is wrong the field has a
    red frame and the reason with a caret under the column; an unknown name can be turned into a
    parameter with one click. Applying prepares the expression (differentiated, compiled: seconds
    for a new one) on a background thread, saying so, and then sends it to the document: the
    window stays responsive.
    """

    #: what the editor is doing, for a status bar: "Preparing f(x, y) = …", or "" when done
    statusChanged = QtCore.Signal(str)
    #: (preparation number, error or None), from the thread that prepared it
    _prepared = QtCore.Signal(int, object)

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        self._loaded = None  # the document's (expression, params, bounds) last shown
        self._preparation = 0  # numbers the preparations; a result for an older number is dropped
        self._preparing = None  # (expression, params, bounds) being prepared
        self._prepared.connect(self._on_prepared)
        doc.events.replaced.connect(self.cancel)
        lay = QtWidgets.QFormLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.expr = QtWidgets.QLineEdit()
        self.expr.setFont(mono_font())
        lay.addRow("f(x, y) =", self.expr)
        self.params = QtWidgets.QLineEdit()
        self.params_label = QtWidgets.QLabel()
        lay.addRow(self.params_label, self.params)
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
                bl.addWidget(le)
                self.bounds.append(le)
        bl.addStretch(1)
        self.view_label = QtWidgets.QLabel()
        lay.addRow(self.view_label, bounds)
        self.error = QtWidgets.QLabel()
        self.error.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c5221f; font-size: 11px;")
        self.error.setVisible(False)
        lay.addRow(self.error)
        self.note = QtWidgets.QLabel(self.tr(APPLIED_NOTE))
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #666; font-size: 11px;")
        self.note.setVisible(False)
        lay.addRow(self.note)
        row = QtWidgets.QHBoxLayout()
        self.fix_btn = QtWidgets.QPushButton()
        self.fix_btn.setVisible(False)
        self.fix_btn.clicked.connect(self._add_unknown)
        self.apply_btn = QtWidgets.QPushButton()
        self.apply_btn.clicked.connect(self.apply)
        self.revert_btn = QtWidgets.QPushButton()
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
        self.retranslate()
        language().changed.connect(self.retranslate)

    def retranslate(self, _code: str = "") -> None:
        """Labels, hints and buttons in the current language."""
        self.expr.setPlaceholderText(self.tr("e.g. (a - x)**2 + b*(y - x**2)**2"))
        self.expr.setToolTip(self.tr(
            "f(x, y): + - * / ** (or ^), parentheses, numbers, pi, e and the functions\n"
            "sin cos tan exp log log1p sqrt abs tanh sinh cosh arctan min(·,·) max(·,·).\n"
            "Other names are parameters: declare them below. The gradient is exact (symbolic).\n"
            "Enter applies."))
        self.params_label.setText(self.tr("Parameters"))
        self.params.setPlaceholderText(self.tr("none, or e.g. a = 1, b = 100"))
        self.params.setToolTip(self.tr("Named parameters of the expression and their values: name = number, "
                                       "separated by commas"))
        self.view_label.setText(self.tr("View"))
        for le in self.bounds:
            le.setToolTip(self.tr("The view of the landscape: x from, x to, y from, y to "
                                  "(all empty: [-3, 3] × [-3, 3])"))
        self.apply_btn.setText(self.tr("Apply"))
        self.apply_btn.setToolTip(self.tr("Use this expression (Enter): it is prepared in the background, then the "
                                          "landscape is re-drawn and its kernels compile"))
        self.revert_btn.setText(self.tr("Revert"))
        self.revert_btn.setToolTip(self.tr("Back to the expression in use"))
        if self._preparing is not None:
            self.note.setText(self._preparing_text(self._preparing[0]))
        else:
            self.note.setText(self.tr(APPLIED_NOTE))
        if self._unknown:
            self.fix_btn.setText(self.tr("Make “{name}” a parameter").format(name=self._unknown))

    def _preparing_text(self, expression: str) -> str:
        return self.tr("Preparing f(x, y) = {expression} (differentiating and compiling it)…").format(
            expression=expression)

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
        self._show_values(*cur)

    def _show_values(self, text, params, bounds):
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
        self.note.setVisible(self.preparing)
        problem, where = None, None
        try:
            text, params, _bounds = self.values()
        except ValueError as error:
            problem, where = str(error), ("params" if str(error).startswith("parameters") else "bounds")
        else:
            if not text:
                problem, where = self.tr("type an expression in x and y"), "expression"
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
            self.fix_btn.setText(self.tr("Make “{name}” a parameter").format(name=self._unknown))
        self.apply_btn.setEnabled(problem is None)

    def _add_unknown(self):
        if not self._unknown:
            return
        text = self.params.text().strip()
        self.params.setText((text + ", " if text else "") + f"{self._unknown} = 1")
        self.check()
        self.params.setFocus()

    @property
    def preparing(self) -> bool:
        """An applied expression is being prepared in the background."""
        return self._preparing is not None

    def apply(self) -> bool:
        """Apply the fields: False when they are refused at once (the reason shown in place);
        otherwise True, and the expression is prepared in the background (:attr:`preparing`),
        then sent to the document, or its refusal shown in place."""
        if not self.check():
            return False
        values = self.values()
        self._preparation += 1
        number = self._preparation
        self._preparing = values
        shown = self._preparing_text(values[0])
        self.note.setText(shown)
        self.note.setVisible(True)
        self.statusChanged.emit(shown)
        QtCore.QThreadPool.globalInstance().start(lambda: self._prepare(number, values))
        return True

    def apply_values(self, text: str, params: dict, bounds) -> bool:
        """Show these values in the fields and apply them, as typing them and pressing Apply would."""
        self._show_values(text, params, bounds)
        return self.apply()

    def cancel(self) -> None:
        """Forget the expression being prepared: it will not reach the document."""
        if self._preparing is not None:
            self._preparation += 1
            self._preparing = None
            self.note.setVisible(False)
            self.statusChanged.emit("")

    def _prepare(self, number: int, values) -> None:
        """(Worker thread) the slow part of applying; the outcome goes back to the GUI thread."""
        try:
            self.doc.prepare_expression(*values)
            error = None
        except Exception as exc:  # noqa: BLE001 - any refusal or failure is shown in place
            error = exc
        self._prepared.emit(number, error)

    def _on_prepared(self, number: int, error) -> None:
        if number != self._preparation:
            return  # cancelled, or a newer Apply supersedes it
        values, self._preparing = self._preparing, None
        self.statusChanged.emit("")
        self.note.setVisible(False)
        if error is None:
            try:
                self.doc.set_expression(*values)  # prepared: milliseconds
            except ValueError as refused:
                error = refused
        if error is not None:
            where = str(getattr(error, "field", "") or "").removeprefix("landscape.")
            message = str(error) if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"
            self._show(message, where if where in ("params", "bounds") else "expression")
            return
        self._loaded = self.current()
        self.note.setText(self.tr(APPLIED_NOTE))
        self.note.setVisible(True)



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
        language().changed.connect(self.retranslate)

    def retranslate(self, _code: str = "") -> None:
        """The fields again, labelled in the current language (when a data landscape is shown)."""
        if self._key is not None and self.doc.experiment.landscape.model is not None:
            self.load(force=True)

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
            path = QtWidgets.QLabel(self.tr("<b>{name}</b> ({n} samples)").format(name=Path(data["csv"]).name,
                                                                                   n=f"{n:,}"))
            path.setToolTip(str(data["csv"]))
            self.form.addRow(self.tr("File"), path)
        else:
            size = QtWidgets.QSpinBox()
            size.setRange(1, 1_000_000)
            size.setGroupSeparatorShown(True)
            size.setKeyboardTracking(False)
            size.setValue(int(data.get("size", 200)))
            f = Field(size, lambda v: self._set(size=int(v)), self.tr("Samples in the generated dataset (x ~ N(0, 1))"))
            size.valueChanged.connect(lambda v, f=f: f.apply(v))
            self.form.addRow(self.tr("Samples"), f)
            self.fields["size"] = f
            noise_tip = (self.tr("label-flip probability (0 to 0.5)") if spec.name == "logistic"
                         else self.tr("standard deviation of the noise added to y"))
            f = number_field(float(data.get("noise", 0.1)), lambda v: self._set(noise=v), noise_tip)
            self.form.addRow(self.tr("Noise"), f)
            self.fields["noise"] = f
            seed = QtWidgets.QSpinBox()
            seed.setRange(0, 2**31 - 1)
            seed.setKeyboardTracking(False)
            seed.setValue(int(data.get("seed", 0)))
            f = Field(seed, lambda v: self._set(seed=int(v)),
                      self.tr("Seed of the generated data (not of the particles)"))
            seed.valueChanged.connect(lambda v, f=f: f.apply(v))
            self.form.addRow(self.tr("Data seed"), f)
            self.fields["seed"] = f
            true = {**DEFAULT_TRUE_PARAMS[spec.name], **{k: data[k] for k in spec.param_names if k in data}}
            for name in spec.param_names:
                f = number_field(float(true[name]), lambda v, name=name: self._set(**{name: v}),
                                 self.tr("the true {name} the data is generated from").format(name=name))
                self.form.addRow(self.tr("true {name}").format(name=name), f)
                self.fields[f"true.{name}"] = f
        row = QtWidgets.QHBoxLayout()
        csv_btn = QtWidgets.QPushButton(self.tr("Load CSV…"))
        csv_btn.setToolTip(self.tr("Two columns x, y (header optional; comma, semicolon, tab or spaces; # comments)")
                           + (self.tr("; y must be 0 or 1") if spec.name == "logistic" else ""))
        csv_btn.clicked.connect(lambda: self.load_csv())
        row.addWidget(csv_btn)
        self.csv_btn = csv_btn
        if "csv" in data:
            gen = QtWidgets.QPushButton(self.tr("Generate instead"))
            gen.setToolTip(self.tr("Back to data generated from a seed"))
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
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, self.tr("Load data (x, y)"), start,
                                                            self.tr("Data (*.csv *.txt *.tsv);;All files (*)"))
            if not path:
                return False
        model, _ = self._land()
        return self._apply_data(model, {"csv": str(Path(path).resolve())})


def _default_data(model: str) -> dict:
    from optviz.models.document import default_data

    return default_data(model)
