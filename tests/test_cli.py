"""`optviz run` and `optviz list` as a user runs them: outputs, messages, exit codes."""

import subprocess
import sys

import numpy as np
from helpers import SMALL_EXPERIMENT

from optviz.cli import main


def test_run_writes_the_npz(tmp_path, capsys):
    exp = tmp_path / "exp.toml"
    exp.write_text(SMALL_EXPERIMENT)  # 40 steps of 31 particles
    out = tmp_path / "out.npz"
    assert main(["run", str(exp), "-o", str(out)]) == 0
    assert "41 frames of 31 particles" in capsys.readouterr().out
    with np.load(out) as data:
        assert data["positions"].shape == (41, 31, 2)


def test_run_records_the_curvature_when_asked(tmp_path):
    exp = tmp_path / "exp.toml"
    exp.write_text(SMALL_EXPERIMENT)  # 40 steps of 31 particles
    plain, curved = tmp_path / "plain.npz", tmp_path / "curved.npz"
    assert main(["run", str(exp), "-o", str(plain)]) == 0
    assert main(["run", str(exp), "-o", str(curved), "--curvature"]) == 0
    with np.load(plain) as data:
        assert "sharpness" not in data
    with np.load(curved) as data:
        assert data["sharpness"].shape == data["preconditioned_sharpness"].shape == (41, 31)
        finite = np.isfinite(data["sharpness"])
        assert finite[0].all() and (data["sharpness"][finite] > 0).any()


def test_bad_input_exits_2_with_one_clear_line(tmp_path, capsys):
    exp = tmp_path / "exp.toml"
    exp.write_text(SMALL_EXPERIMENT.replace("lr = 0.1 }", "lr = -1 }"))  # the first group's lr
    out = tmp_path / "out.npz"
    assert main(["run", str(exp), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "groups[0].hyper.lr = -1" in err
    assert not out.exists()
    assert main(["run", str(tmp_path / "missing.toml"), "-o", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["run", str(exp)]) == 2
    assert "--output" in capsys.readouterr().err
    assert main(["run", str(exp), "-o", str(tmp_path / "out.txt")]) == 2


def test_a_failed_run_keeps_the_previous_output(tmp_path):
    exp = tmp_path / "exp.toml"
    exp.write_text(SMALL_EXPERIMENT)
    out = tmp_path / "out.npz"
    out.write_bytes(b"previous")
    exp.write_text("unknown = 1\n" + SMALL_EXPERIMENT)
    assert main(["run", str(exp), "-o", str(out)]) == 2
    assert out.read_bytes() == b"previous"


def test_list_shows_landscapes_optimizers_defaults_and_variants(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    for word in ("rosenbrock", "ravine", "plateau", "adamw", "lion", "amsgrad", "eps_placement",
                 "momentum_form", "bias_correction", "inverse_time", "cosine"):
        assert word in text


def test_run_needs_no_qt_even_to_check_the_render_table(tmp_path):
    exp = tmp_path / "exp.toml"
    render = '[render]\nsize = "640x360"\nside_plots = ["loss"]\ncolormap = "magma"\n'
    exp.write_text(SMALL_EXPERIMENT.split("[render]")[0] + render)  # in place of the file's [render]
    code = ("import sys; from optviz.cli import main; rc = main(['run', sys.argv[1], '-o', sys.argv[2]]); "
            "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))]; sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, str(exp), str(tmp_path / "o.npz")], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
