"""The group editor, generated from the optimizer's ``HyperSpec``s (and the schedule, gradient and
initial-distribution specs): every field shows its default and valid range, has a tooltip with its meaning,
and refuses a bad value in place without touching the experiment. It is rebuilt in the interface's
language when that changes (:mod:`optviz.app.language`); hyperparameters keep torch's names."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

from optviz.app.language import core_text, language
from optviz.app.panels.fields import Field, fmt, number_field, pair_field, parse_number, spec_field


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
        doc.events.simulation.connect(self._on_run_changed)
        doc.events.replaced.connect(self._on_run_changed)
        language().changed.connect(self.retranslate)

    def retranslate(self, _code: str = "") -> None:
        """The whole editor again, in the current language."""
        self.rebuild()

    def _on_run_changed(self):
        """The gradient shown depends on the run's inputs (start, landscape, optimizer)."""
        try:
            self._sync_gradient(errors=False)
        except RuntimeError:  # this editor's widgets are gone
            pass

    def _new_schedule(self, kind: str) -> dict:
        """The schedule a choice in the list starts from: the kind's defaults, and for a chain
        the usual one, a linear warm-up over the first tenth of the run then a cosine decay."""
        if kind != "sequential":
            return {"kind": kind}
        steps = self.doc.experiment.run.steps
        warm = max(1, steps // 10)
        return {"kind": "sequential", "milestones": [warm],
                "schedules": [{"kind": "linear", "start_factor": 0.01, "total_iters": warm},
                              {"kind": "cosine", "T_max": max(1, steps - warm)}]}

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

        head = QtWidgets.QLabel(f"<b>{self.doc.experiment.translated(g.label, language().code)}</b>")
        outer.addWidget(head)
        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(form)
        self.optimizer = QtWidgets.QComboBox()
        for name, s in OPTIMIZERS.items():
            self.optimizer.addItem(core_text(s.title), name)
            self.optimizer.setItemData(self.optimizer.count() - 1, core_text(s.summary),
                                       QtCore.Qt.ItemDataRole.ToolTipRole)
        self.optimizer.setCurrentIndex(self.optimizer.findData(spec.name))
        self.optimizer.setToolTip(f"{core_text(spec.summary)}\ntorch: {spec.torch_class}")
        opt_field = Field(self.optimizer, lambda name: self.doc.set_optimizer(self.index, name))
        self.optimizer.activated.connect(lambda i: opt_field.apply(self.optimizer.itemData(i)))
        form.addRow(self.tr("Optimizer"), opt_field)
        self.fields["optimizer"] = opt_field

        def add_hyper(form, h):
            value = resolved[h.name]
            overridden = h.name in g.hyper
            default = fmt(h.default) if h.kind != "betas" else list(h.default)
            tip = self.tr("{name}: {meaning}\nvalid: {range}\ndefault: {default}").format(
                name=h.name, meaning=core_text(h.doc), range=h.range_text(), default=default)
            field = spec_field(h, value, lambda v, n=h.name: self.doc.set_hyper(self.index, n, v), tip)
            label = QtWidgets.QLabel(("● " if overridden else "") + h.name)
            label.setToolTip(tip + ("\n" + self.tr("● changed from the default") if overridden else ""))
            form.addRow(label, field)
            self.fields[h.name] = field

        for h in spec.hypers:
            if not h.variant:
                add_hyper(form, h)
        variants = [h for h in spec.hypers if h.variant]
        if variants:
            box = QtWidgets.QGroupBox(self.tr("Variant options (textbook forms)"))
            vform = QtWidgets.QFormLayout(box)
            for h in variants:
                add_hyper(vform, h)
            outer.addWidget(box)

        # schedule
        sbox = QtWidgets.QGroupBox(self.tr("Learning-rate schedule"))
        sform = QtWidgets.QFormLayout(sbox)
        sched = dict(g.schedule or {"kind": "constant"})
        kind = sched.get("kind", "constant")
        combo = QtWidgets.QComboBox()
        for k, s in SCHEDULES.items():
            combo.addItem(core_text(s.title), k)
            combo.setItemData(combo.count() - 1, s.formula, QtCore.Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(combo.findData(kind))
        sfield = Field(combo, lambda d: self.doc.set_schedule(self.index, d))
        combo.activated.connect(lambda i: sfield.apply(self._new_schedule(combo.itemData(i))))
        sform.addRow(self.tr("Kind"), sfield)
        self.fields["schedule"] = sfield
        sspec = SCHEDULES[kind]
        if kind != "constant":
            f = QtWidgets.QLabel(f"lr_t = {sspec.formula}" if kind != "sequential" else _chain_text(sched))
            f.setStyleSheet("color: #555; font-size: 11px;")
            f.setWordWrap(True)
            if kind == "sequential":
                f.setToolTip(self.tr("Each schedule's own parameters are edited in the experiment file "
                                     "(schedule.schedules = [...]); the milestones here."))
            sform.addRow(f)
        for p in sspec.params:
            cur = sched.get(p.name, p.default)
            tip = self.tr("{name}: {meaning}\nvalid: {range}").format(
                name=p.name, meaning=core_text(p.doc),
                range=p.range_text() if p.kind != "milestones" else self.tr("increasing steps"))

            def commit(v, n=p.name):
                d = dict(self.doc.group(self.index).schedule or {"kind": kind})
                d[n] = v
                self.doc.set_schedule(self.index, d)

            if p.kind == "milestones":
                le = QtWidgets.QLineEdit(", ".join(str(m) for m in cur))
                le.setPlaceholderText(self.tr("e.g. 100, 300"))
                fld = Field(le, lambda d: self.doc.set_schedule(self.index, d), tip)

                def done(le=le, n=p.name, fld=fld):
                    try:
                        ms = [int(x) for x in le.text().replace(";", ",").split(",") if x.strip()]
                    except ValueError:
                        fld.set_error(self.tr("milestones: write whole step numbers separated by commas"))
                        return
                    d = dict(self.doc.group(self.index).schedule or {})
                    d[n] = ms
                    fld.apply(d)

                le.editingFinished.connect(done)
            else:
                fld = spec_field(p, cur, commit, tip)
            sform.addRow(p.name, fld)
            self.fields[f"schedule.{p.name}"] = fld
        outer.addWidget(sbox)
        outer.addWidget(self._gradient_box(g))

        # initial distribution
        ibox = QtWidgets.QGroupBox(self.tr("Start (initial particles)"))
        iform = QtWidgets.QFormLayout(ibox)
        init = dict(g.init)
        ikind = QtWidgets.QComboBox()
        kind_names = self._init_kind_names()
        for k in INIT_KINDS:
            ikind.addItem(kind_names.get(k, k), k)
        ikind.setCurrentIndex(ikind.findData(init["kind"]))
        ikind.setToolTip(self.tr("point: one particle; grid: a regular lattice; uniform: random in a box; "
                                 "normal: a Gaussian cloud.\nTip: with 'Place' on, click the landscape for a point, "
                                 "drag for a cloud."))
        ifield = Field(ikind, lambda k: self.doc.set_init(self.index, self._init_of_kind(k)))
        ikind.activated.connect(lambda i: ifield.apply(ikind.itemData(i)))
        iform.addRow(self.tr("Kind"), ifield)
        self.fields["init.kind"] = ifield

        def set_init_key(key, value):
            d = dict(self.doc.group(self.index).init)
            d[key] = value
            self.doc.set_init(self.index, d)

        k = init["kind"]
        if k == "point":
            fld = pair_field(init["point"], lambda v: set_init_key("point", v), self.tr("start position [x, y]"))
            iform.addRow(self.tr("Point"), fld)
            self.fields["init.point"] = fld
        elif k == "points":
            iform.addRow(QtWidgets.QLabel(self.tr("{n} listed points (edit in the file)").format(
                n=len(init["points"]))))
        elif k in ("grid", "uniform"):
            for key, label, tip in (("low", self.tr("Low"), self.tr("low corner [x, y] of the box")),
                                    ("high", self.tr("High"), self.tr("high corner [x, y] of the box"))):
                fld = pair_field(init[key], lambda v, key=key: set_init_key(key, [float(x) for x in v]), tip)
                iform.addRow(label, fld)
                self.fields[f"init.{key}"] = fld
        if k == "grid":
            fld = pair_field(init["shape"], lambda v: set_init_key("shape", [int(x) for x in v]),
                             self.tr("grid points along x and y"), labels=("nx", "ny"))
            iform.addRow(self.tr("Shape"), fld)
            self.fields["init.shape"] = fld
        if k == "normal":
            for key, label, tip in (("mean", self.tr("Mean"), self.tr("centre [x, y] of the cloud")),
                                    ("std", self.tr("Std"), self.tr("standard deviation [σx, σy]"))):
                fld = pair_field(init[key], lambda v, key=key: set_init_key(key, [float(x) for x in v]), tip)
                iform.addRow(label, fld)
                self.fields[f"init.{key}"] = fld
        count = QtWidgets.QSpinBox()
        count.setRange(1, 1_000_000)
        count.setGroupSeparatorShown(True)
        count.setKeyboardTracking(False)
        count.setValue(particle_count(init))
        count.setToolTip(self.tr("Particles in this group (the app runs at most 1,000,000 for all groups "
                                 "together). Above 20,000 they are drawn as a density."))
        cfield = Field(count, lambda n: self.doc.set_count(self.index, int(n)))
        count.valueChanged.connect(lambda n: cfield.apply(int(n)))
        iform.addRow(self.tr("Count"), cfield)
        self.fields["init.count"] = cfield
        outer.addWidget(ibox)

        rule = QtWidgets.QLabel("<b>" + self.tr("Update rule") + "</b>")
        outer.addWidget(rule)
        text = QtWidgets.QPlainTextEdit(spec.update_rule.strip() + "\n\n" + self.tr("effective LR:") + " "
                                        + spec.effective_lr)
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

    def _init_kind_names(self) -> dict[str, str]:
        """How the start distributions are named in the chooser (the file's names are the keys)."""
        return {"point": self.tr("point"), "points": self.tr("points"), "grid": self.tr("grid"),
                "uniform": self.tr("uniform"), "normal": self.tr("normal")}

    # ------------------------------------------------------------ gradient
    BATCH_MODES = (("full", QtCore.QT_TRANSLATE_NOOP("GroupEditor", "Full batch (GD)"),
                    QtCore.QT_TRANSLATE_NOOP("GroupEditor", "every step uses the whole dataset: the exact gradient")),
                   ("sgd", QtCore.QT_TRANSLATE_NOOP("GroupEditor", "One sample (SGD)"),
                    QtCore.QT_TRANSLATE_NOOP("GroupEditor", "every step uses one random sample: noisy, cheap")),
                   ("mini", QtCore.QT_TRANSLATE_NOOP("GroupEditor", "Mini-batch of B"),
                    QtCore.QT_TRANSLATE_NOOP("GroupEditor", "every step averages B random samples")))
    NOISE_KINDS = (("none", QtCore.QT_TRANSLATE_NOOP("GroupEditor", "None"),
                    QtCore.QT_TRANSLATE_NOOP("GroupEditor", "the exact gradient")),
                   ("gaussian", QtCore.QT_TRANSLATE_NOOP("GroupEditor", "Gaussian"),
                    QtCore.QT_TRANSLATE_NOOP("GroupEditor", "adds σ·N(0, 1) to each gradient component")),
                   ("student_t", QtCore.QT_TRANSLATE_NOOP("GroupEditor", "Student-t (heavy tails)"),
                    QtCore.QT_TRANSLATE_NOOP("GroupEditor", "adds σ·t(ν) to each gradient component: occasional "
                                             "large kicks; ν > 2, smaller is heavier")))
    NO_DATA_TIP = QtCore.QT_TRANSLATE_NOOP(
        "GroupEditor", "Batch size needs a data-backed landscape: choose Experiment → Landscape → Data: … (linear, "
        "logistic or tanh).\nA formula landscape has no samples to draw; to see stochastic behaviour on it, add "
        "gradient noise below.")

    def _gradient_box(self, g):
        """Where each step's gradient comes from: batch size and sampling (data) and added noise."""
        box = QtWidgets.QGroupBox(self.tr("Gradient"))
        form = QtWidgets.QFormLayout(box)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.no_data_note = QtWidgets.QLabel(self.tr("Batch size: data-backed landscapes only (Landscape → Data: "
                                                     "…). Use noise here instead."))
        self.no_data_note.setWordWrap(True)
        self.no_data_note.setStyleSheet("color: #666; font-size: 11px;")
        self.no_data_note.setToolTip(self.tr(self.NO_DATA_TIP))
        form.addRow(self.no_data_note)
        mode = QtWidgets.QComboBox()
        for key, text, tip in self.BATCH_MODES:
            mode.addItem(self.tr(text), key)
            mode.setItemData(mode.count() - 1, self.tr(tip), QtCore.Qt.ItemDataRole.ToolTipRole)
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
        form.addRow(self.tr("Batch"), bfield)
        self.fields["batch_size"] = bfield
        samp = QtWidgets.QComboBox()
        samp.addItem(self.tr("Each sample once per epoch"), "epoch")
        samp.addItem(self.tr("With replacement"), "replacement")
        samp.setToolTip(self.tr("How a particle draws its samples: without replacement, reshuffled every epoch, "
                                "or independently with replacement.\nEach particle has its own seeded stream, so a "
                                "cloud shows the spread batch noise causes."))
        sfield = Field(samp, lambda v: self.doc.set_sampling(self.index, v))
        samp.activated.connect(lambda i: sfield.apply(samp.itemData(i)))
        self.sampling = samp
        form.addRow(self.tr("Sampling"), sfield)
        self.fields["sampling"] = sfield
        nk = QtWidgets.QComboBox()
        for key, text, tip in self.NOISE_KINDS:
            nk.addItem(self.tr(text), key)
            nk.setItemData(nk.count() - 1, self.tr(tip), QtCore.Qt.ItemDataRole.ToolTipRole)
        nk.setToolTip(self.tr("Seeded noise added to every gradient (any landscape), independent per particle"))
        nfield = Field(nk, lambda k: self.doc.set_noise(self.index, self._noise_of(kind=k)))
        nk.activated.connect(lambda i: nfield.apply(nk.itemData(i)))
        self.noise_kind = nk
        form.addRow(self.tr("Noise"), nfield)
        self.fields["noise.kind"] = nfield
        noise = dict(g.noise or {})
        for key, default, tip in (("scale", 1.0, self.tr("σ: the noise's scale, in gradient units (> 0)")),
                                  ("dof", 3.0, self.tr("ν: Student-t degrees of freedom (> 2; smaller = heavier "
                                                       "tails)"))):
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
            self.batch_spin.setToolTip(self.tr("samples per step, 2 to {n} (the dataset's size)").format(n=f"{n:,}")
                                       if data else self.tr(self.NO_DATA_TIP))
            for w in (self.batch_mode, self.batch_spin):
                w.setEnabled(data)
            self.batch_mode.setToolTip(self.tr("Samples per gradient: full batch, one sample, or a mini-batch of B")
                                       if data else self.tr(self.NO_DATA_TIP))
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


def _chain_text(schedule: dict) -> str:
    """'Linear warm-up (steps 0-100) → Cosine annealing (from step 100)' for a sequential schedule."""
    from optviz.core.schedules import SCHEDULES

    starts = [0, *schedule.get("milestones", ())]
    parts = []
    for k, child in enumerate(schedule.get("schedules", ())):
        title = core_text(SCHEDULES[child["kind"]].title) if child.get("kind") in SCHEDULES else str(child.get("kind"))
        if k + 1 < len(starts):
            span = QtCore.QCoreApplication.translate("GroupEditor", "steps {first}-{last}").format(
                first=starts[k], last=starts[k + 1])
        else:
            span = QtCore.QCoreApplication.translate("GroupEditor", "from step {first}").format(first=starts[k])
        parts.append(f"{title} ({span})")
    return " → ".join(parts)
