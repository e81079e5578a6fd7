"""Side panels: experiment settings, the group list and the group editor.

The editor is generated from the optimizer's ``HyperSpec``s (and the schedule
and initial-distribution specs): every field shows its default and valid range,
has a tooltip with its meaning, and refuses a bad value in place (red frame and
the reason under the field) without touching the experiment.
"""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["ExperimentPanel", "GroupListPanel", "GroupEditor", "parse_number"]

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


class ExperimentPanel(QtWidgets.QWidget):
    """Title, landscape (and its parameters), steps, seed."""

    def __init__(self, doc, parent=None):
        super().__init__(parent)
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
        for name, spec in LANDSCAPES.items():
            self.landscape.addItem(spec.title, name)
            self.landscape.setItemData(self.landscape.count() - 1, spec.formula, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.landscape.activated.connect(self._landscape_chosen)
        self.form.addRow("Landscape", self.landscape)
        self.formula = QtWidgets.QLabel()
        self.formula.setWordWrap(True)
        self.formula.setStyleSheet("color: #555; font-size: 11px;")
        self.form.addRow(self.formula)
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
        self.seed.setToolTip("Random seed of the initial particles: same seed, same run")
        self.seed_field = Field(self.seed, self.doc.set_seed)
        self.seed.valueChanged.connect(lambda v: self._commit(self.seed_field, int(v)))
        self.form.addRow("Seed", self.seed_field)
        self.refresh()

    def _commit(self, field, value):
        if getattr(self, "_refreshing", False):
            return
        field.apply(value)

    def _landscape_chosen(self, index):
        name = self.landscape.itemData(index)
        if name != self.doc.experiment.landscape.name:
            self.doc.set_landscape(name)

    def refresh(self):
        self._refreshing = True
        try:
            exp = self.doc.experiment
            if not self.title.hasFocus():
                self.title.setText(exp.title)
            i = self.landscape.findData(exp.landscape.name)
            self.landscape.setCurrentIndex(i)
            spec = exp.landscape_spec()
            self.formula.setText(getattr(spec, "formula", ""))
            self.steps.setValue(exp.run.steps)
            self.seed.setValue(exp.seed)
            for _label, field in self._param_rows:
                self.form.removeRow(field)
            self._param_rows = []
            given = dict(exp.landscape.params or {})
            values = {p.name: given.get(p.name, p.default) for p in getattr(spec, "params", ())}
            for k, p in enumerate(spec.params):
                tip = f"{p.doc}\ndefault {fmt(p.default)}, valid range [{fmt(p.low)}, {fmt(p.high)}]"
                field = number_field(float(values[p.name]), lambda v, n=p.name: self.doc.set_landscape_param(n, v),
                                     tip)
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
            tip = f"{h.name}: {h.doc}\nvalid: {h.range_text()}\ndefault: {fmt(h.default) if h.kind != 'betas' else list(h.default)}"
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
                fld = None

                def done(le=le, n=p.name):
                    try:
                        ms = [int(x) for x in le.text().replace(";", ",").split(",") if x.strip()]
                    except ValueError:
                        fld.set_error("milestones: write whole step numbers separated by commas")
                        return
                    d = dict(self.doc.group(self.index).schedule or {})
                    d[n] = ms
                    fld.apply(d)

                fld = Field(le, lambda d: self.doc.set_schedule(self.index, d), tip)
                le.editingFinished.connect(done)
            else:
                fld = number_field(cur, commit, tip)
            sform.addRow(p.name, fld)
            self.fields[f"schedule.{p.name}"] = fld
        outer.addWidget(sbox)

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
