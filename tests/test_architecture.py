"""Architecture checks: the layers of DESIGN.md hold, and the Python and Qt we run on are sound.

- core, experiment and models import no Qt (checked in a fresh interpreter);
- import-linter's contracts in pyproject.toml pass;
- optviz works under ``python -OO`` (no docstrings, no asserts);
- PySide6 does not abort long-running apps (PLATFORM.md, trap 1).
"""

import json
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

from optviz.experiment import load_result

ROOT = Path(__file__).resolve().parents[1]


def _run_python(code: str, *flags: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *flags, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_core_experiment_models_import_no_qt():
    code = r"""
        import importlib, json, pkgutil, sys
        import optviz

        # Top-level layers that must stay Qt-free: core, experiment*, models.
        names = [m.name for m in pkgutil.iter_modules(optviz.__path__)
                 if m.name in ("core", "models") or m.name.startswith("experiment")]
        imported = []
        for name in sorted(names):
            module = importlib.import_module(f"optviz.{name}")
            imported.append(module.__name__)
            if hasattr(module, "__path__"):
                def fail(sub):
                    raise ImportError(f"cannot import {sub}")
                for info in pkgutil.walk_packages(module.__path__, f"{module.__name__}.",
                                                  onerror=fail):
                    importlib.import_module(info.name)
                    imported.append(info.name)
        qt = sorted(m for m in sys.modules
                    if m.split(".")[0].startswith(("PySide6", "pyqtgraph", "shiboken6")))
        print(json.dumps({"imported": imported, "qt": qt}))
    """
    proc = _run_python(code)
    assert proc.returncode == 0, f"importing the Qt-free layers failed:\n{proc.stderr}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "optviz.core" in result["imported"], result
    assert result["qt"] == [], (
        f"Qt-free layers loaded Qt modules {result['qt']}; imported: {result['imported']}"
    )


def test_import_linter_contracts_pass():
    """pyproject.toml's contracts, as they are: the layers point down and the Qt-free layers import no Qt."""
    proc = _run_python("""
        import sys
        from importlinter.cli import lint_imports_command
        sys.argv = ["lint-imports", "--no-cache", "--no-logo"]
        sys.exit(lint_imports_command())
    """)
    assert proc.returncode == 0, f"lint-imports failed:\n{proc.stdout}\n{proc.stderr}"
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert f"{len(contracts)} kept, 0 broken" in proc.stdout, proc.stdout


def test_imports_without_docstrings():
    """``python -OO`` strips docstrings: the optimizers' update rules are data, not parsed from them."""
    proc = _run_python("""
        import optviz.core.optimizers, optviz.experiment
        from optviz.core.optimizers import OPTIMIZERS
        assert optviz.core.optimizers.__doc__ is None
        missing = [name for name, spec in OPTIMIZERS.items() if "θ ←" not in spec.update_rule]
        print("missing rules:", missing)
    """, "-OO")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "missing rules: []"


def test_optviz_run_without_docstrings(tmp_path):
    """A small experiment runs headless under ``python -OO -m optviz run``."""
    experiment = tmp_path / "tiny.toml"
    experiment.write_text(textwrap.dedent("""
        title = "tiny"
        [landscape]
        name = "rosenbrock"
        [run]
        steps = 20
        [[groups]]
        label = "Adam"
        optimizer = "adam"
        init = { kind = "normal", mean = [-1.0, 1.0], std = [0.1, 0.1], count = 8 }
    """))
    out = tmp_path / "tiny.npz"
    proc = subprocess.run([sys.executable, "-OO", "-m", "optviz", "run", str(experiment), "-o", str(out), "-q"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert load_result(out).positions.shape == (21, 8, 2)


def test_pyside6_void_calls_do_not_abort():
    """PySide6 6.12.0 on Python 3.11 aborted after ~8,500 void C++ calls (trap 1)."""
    code = """
        from PySide6.QtCore import QPointF
        p = QPointF()
        for i in range(10_000):
            p.setX(float(i))
        assert p.x() == 9999.0
        print("ok")
    """
    proc = _run_python(code, QT_QPA_PLATFORM="offscreen")
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", (
        f"10,000 QPointF.setX calls aborted the interpreter (rc={proc.returncode}); "
        f"pin PySide6-Essentials<6.12 on Python 3.11.\n{proc.stderr[-2000:]}"
    )
