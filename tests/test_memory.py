"""Memory before allocation: the estimate matches what a run allocates, runs beyond the budget are refused
at once (CLI, app), ``OPTVIZ_MEMORY_LIMIT_MB`` sets the budget, and ``python -m optviz`` is ``optviz``."""

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from helpers import experiment

from optviz.cli import main
from optviz.core.memory import (
    LIMIT_ENV,
    GroupFootprint,
    MemoryBudget,
    MemoryBudgetError,
    check_memory,
    estimate_memory,
    format_bytes,
    memory_budget,
    physical_memory,
)
from optviz.experiment import build_simulation, memory_estimate, result_of, run_frames

ROOT = Path(__file__).resolve().parents[1]
MiB = 2**20


def _uniform(count: int) -> dict:
    return {"kind": "uniform", "low": [-1.0, -1.0], "high": [1.0, 1.0], "count": count}


def _toml(groups: int, count: int, optimizer: str = "adam") -> str:
    group = f'[[groups]]\noptimizer = "{optimizer}"\ninit = {{ kind = "uniform", low = [-1, -1], high = [1, 1], ' \
            f"count = {count} }}\n"
    return "[run]\nsteps = 100\n\n" + "\n".join([group] * groups)


def _owned_bytes(*roots) -> int:
    """Bytes of the distinct array buffers reachable from ``roots`` (dataclasses, optviz objects,
    dicts, lists), each counted once however many views point at it."""
    buffers: dict[int, np.ndarray] = {}
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            base = obj
            while isinstance(base.base, np.ndarray):
                base = base.base
            buffers[id(base)] = base
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif dataclasses.is_dataclass(obj) or type(obj).__module__.startswith("optviz."):
            stack.extend(vars(obj).values())
    return sum(b.nbytes for b in buffers.values())


# ------------------------------------------------------------------------------ the estimate
@pytest.mark.parametrize("record_dtype, max_history_mb", [("float32", 1024.0), ("float64", 1024.0),
                                                           ("float32", 0.35)])
def test_estimate_matches_the_arrays_a_simulation_allocates(record_dtype, max_history_mb):
    exp = experiment([{"optimizer": "adam", "init": _uniform(300)},
                      {"optimizer": "momentum", "init": {"kind": "normal", "mean": [0, 0], "std": [1, 1],
                                                         "count": 200}}],
                     steps=50, record_dtype=record_dtype, max_history_mb=max_history_mb)
    estimate = memory_estimate(exp, run_frames(exp))
    sim = build_simulation(exp, max_frames=run_frames(exp))
    assert estimate.history_frames == sim.history.capacity
    assert estimate.n_particles == sim.n_particles == 500
    allocated = _owned_bytes(sim.groups, sim.history)
    held = estimate.total - estimate.result
    assert abs(held - allocated) <= 0.03 * allocated, (estimate.text(), format_bytes(allocated))
    if max_history_mb > 1:  # every frame recorded: the result copies the whole history
        sim.advance(exp.run.steps, record_last=True)
        copied = _owned_bytes(dataclasses.asdict(result_of(sim, exp)))
        assert abs(estimate.result - copied) <= 0.03 * copied


def test_estimate_parts_and_text():
    groups = [GroupFootprint(1000, state_arrays=3, hyper_columns=10), GroupFootprint(500, state_arrays=1)]
    estimate = estimate_memory(groups, max_history_bytes=1, result_copy=False)
    assert estimate.history_frames == 2  # at least 2 frames, even beyond max_history_bytes
    assert estimate.state == 8 * 2 * (3 * 1000 + 1 * 500)
    assert estimate.hyperparameters == 8 * 10 * 1000
    assert estimate.history == 2 * (1500 * 9 * 4 + 8) and estimate.result == 0
    assert estimate.total == sum(estimate.parts().values())
    assert list(estimate.parts()) == ["history", "hyperparameters", "particles", "state"]
    assert estimate.text().startswith(f"{format_bytes(estimate.total)}: history 105 KiB, hyperparameters 78 KiB")
    capped = estimate_memory(groups, max_history_bytes=1 << 30, max_frames=7, record_dtype=np.float64)
    assert capped.history_frames == 7 and capped.result > capped.history


def test_format_bytes():
    assert format_bytes(800) == "800 B"
    assert format_bytes(150 * MiB) == "150 MiB"
    assert format_bytes(int(1.2 * 2**30)) == "1.2 GiB"
    assert format_bytes(3 * 2**40) == "3.0 TiB"


# ------------------------------------------------------------------------------ the budget
def test_budget_defaults_to_three_quarters_of_physical_memory(monkeypatch):
    monkeypatch.delenv(LIMIT_ENV, raising=False)
    physical = physical_memory()
    budget = memory_budget()
    assert budget.bytes == (int(physical * 0.75) if physical else 8 << 30)
    assert LIMIT_ENV in budget.source


def test_env_var_lowers_the_budget(monkeypatch, tmp_path, capsys):
    exp = experiment([{"optimizer": "adam", "init": _uniform(1000)}], steps=100)
    estimate = memory_estimate(exp, run_frames(exp))
    check_memory(estimate)  # fits the machine
    monkeypatch.setenv(LIMIT_ENV, "1")
    assert memory_budget() == MemoryBudget(MiB, f"{LIMIT_ENV}=1")
    with pytest.raises(MemoryBudgetError, match=rf"needs {format_bytes(estimate.total)} of memory .*budget of "
                                                rf"1\.0 MiB \({LIMIT_ENV}=1\)"):
        build_simulation(exp, max_frames=run_frames(exp))
    path = tmp_path / "small.toml"
    path.write_text(_toml(1, 1000))
    out = tmp_path / "out.npz"
    assert main(["run", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{LIMIT_ENV}=1" in err and "run.max_history_mb" in err
    assert not out.exists()
    for bad in ("lots", "0", "-5", "nan"):
        monkeypatch.setenv(LIMIT_ENV, bad)
        with pytest.raises(MemoryBudgetError, match=f"{LIMIT_ENV} = '{bad}' is not allowed"):
            memory_budget()


# ------------------------------------------------------------------------------ refusals
def test_optviz_run_refuses_100_groups_of_2_million_before_allocating(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text(_toml(100, 2_000_000))
    code = textwrap.dedent("""
        import sys, time
        from optviz.cli import main
        t0 = time.perf_counter()
        rc = main(["run", sys.argv[1], "-o", sys.argv[2]])
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would include the parent's
        peak_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
        peak_mib = peak_kib / 1024
        print(f"{time.perf_counter() - t0:.2f} {peak_mib:.0f}")
        sys.exit(rc)
    """)
    done = subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "out.npz")], cwd=ROOT,
                          env={**os.environ, LIMIT_ENV: "8192"}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    _, peak_mib = map(float, done.stdout.split())
    assert peak_mib < 500  # refused from counts alone: nothing near 47 GiB was allocated
    groups = [GroupFootprint(2_000_000, 3)] * 100
    total = format_bytes(estimate_memory(groups, max_history_bytes=1 << 30, max_frames=102).total)
    err = done.stderr.strip()
    assert err.count("\n") == 0 and err.startswith("optviz: error: this run needs")
    assert f"needs {total} of memory" in err and "budget of 8.0 GiB" in err and "200,000,000 particles" in err
    assert not (tmp_path / "out.npz").exists()


def test_a_group_of_two_billion_is_refused_before_drawing(tmp_path, capsys):
    path = tmp_path / "billions.toml"
    path.write_text(_toml(1, 2_000_000_000))
    assert main(["run", str(path), "-o", str(tmp_path / "out.npz")]) == 2
    assert "groups[0].init.count: 2000000000 particles is out of range" in capsys.readouterr().err


def test_document_refuses_files_beyond_the_app_limit_or_budget(tmp_path, monkeypatch):
    from optviz.models.document import APP_MAX_PARTICLES, DocumentModel, EditError

    doc = DocumentModel()
    before = doc.experiment.to_dict()
    crowded = tmp_path / "crowded.toml"
    crowded.write_text(_toml(2, APP_MAX_PARTICLES // 2 + 1))
    with pytest.raises(EditError, match=r"crowded\.toml: 1,000,002 particles in all is out of range: the app "
                                        r"runs at most 1,000,000"):
        doc.load(crowded)
    assert doc.experiment.to_dict() == before and doc.path is None
    small = tmp_path / "small.toml"
    small.write_text(_toml(1, 1000))
    monkeypatch.setenv(LIMIT_ENV, "1")
    with pytest.raises(EditError, match=r"small\.toml: this experiment needs .* more than the budget of 1\.0 MiB"):
        doc.load(small)
    with pytest.raises(EditError, match="budget"):
        doc.set_count(0, 1000)
    assert doc.experiment.to_dict() == before
    monkeypatch.delenv(LIMIT_ENV)
    doc.load(small)
    assert doc.path == small


def test_app_refuses_an_opened_file_beyond_its_particle_limit(qtbot, tmp_path, monkeypatch):
    pytest.importorskip("pytestqt")
    from PySide6 import QtCore, QtWidgets

    from optviz.app.main_window import MainWindow
    from optviz.render.qt import ensure_app

    crowded = tmp_path / "crowded.toml"
    crowded.write_text(_toml(2, 600_000))
    ensure_app()
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(str(crowded), settings=settings, ask_to_save=False)  # the command-line argument
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.ready, timeout=30_000)
    qtbot.waitUntil(lambda: "particles in all is out of range" in w.statusBar().currentMessage(), timeout=60_000)
    kept = w.doc.experiment.to_dict()
    assert w.doc.path is None and sum(w.doc.experiment.particle_counts()) <= 1_000_000

    warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda parent, title, text: warnings.append((title, text)))
    assert not w.open_path(crowded)  # File > Open, recent files and presets all open through here
    assert warnings == [("Cannot open", f"{crowded}: 1,200,000 particles in all is out of range: the app runs "
                                        "at most 1,000,000 (optviz run takes more)")]
    assert w.doc.experiment.to_dict() == kept and w.doc.path is None
    w.close()


# ------------------------------------------------------------------------------ python -m optviz
def test_python_m_optviz_is_the_optviz_command(tmp_path):
    def run(*args):
        return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=300)

    as_module = run(sys.executable, "-m", "optviz", "list")
    script = Path(sys.executable).parent / "optviz"
    if script.exists():
        as_script = run(str(script), "list")
    else:
        as_script = run(sys.executable, "-c", "import sys; from optviz.cli import main; sys.exit(main())", "list")
    assert as_module.returncode == as_script.returncode == 0, as_module.stderr
    assert as_module.stdout == as_script.stdout and "rosenbrock" in as_module.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nsteps = -1\n")
    refused = run(sys.executable, "-m", "optviz", "run", str(bad), "-o", str(tmp_path / "out.npz"))
    assert refused.returncode == 2 and "run.steps = -1" in refused.stderr
