"""`optviz map` as a user runs it: outputs (npz keys and shapes, pictures with their recipe),
the row/column convention, overrides, messages and exit codes, atomic writes."""

import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import local_dask_cluster

from optviz.atomic import temporary_files
from optviz.cli import main
from optviz.experiment import experiment_from_toml, run_experiment
from optviz.experiment.map_run import CELL_ARRAYS, load_map_output

BASIN = """
title = "GD basins"
[landscape]
name = "himmelblau"
[run]
steps = 80
[[groups]]
label = "GD"
optimizer = "sgd"
hyper = { lr = 0.01 }
[[groups]]
label = "Adam"
optimizer = "adam"
hyper = { lr = 0.1 }
[map]
kind = "basin"
x = { low = -4.5, high = 4.5, n = 7 }
y = { low = 1.0, high = 4.0, n = 4 }
eps = 1e-4
"""

HYPER = """
title = "heavy ball"
[landscape]
name = "ravine"
[run]
steps = 60
[[groups]]
label = "Momentum"
optimizer = "momentum"
hyper = { lr = 0.02, momentum = 0.5 }
init = { kind = "point", point = [-2.0, 1.5] }
[map]
kind = "hyper"
x = { param = "lr", low = 1e-3, high = 0.3, n = 6, scale = "log" }
y = { param = "momentum", low = 0.0, high = 0.9, n = 3 }
metric = "final_loss"
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "basin.toml").write_text(BASIN)
    (tmp_path / "hyper.toml").write_text(HYPER)
    return tmp_path


def run(*argv) -> int:
    return main(["map", *map(str, argv), "-q"])


def test_a_basin_map_npz_holds_the_arrays_row_y_column_x(files, capsys):
    out = files / "basin.npz"
    assert run(files / "basin.toml", "-o", out) == 0
    assert "wrote" in capsys.readouterr().out
    with np.load(out) as data:
        for name in ("value", *CELL_ARRAYS[:-1]):
            assert data[name].shape == (4, 7), name
        assert data["value"].dtype == np.float64 and data["basin"].dtype == np.int64
        assert data["final_position"].shape == (4, 7, 2)
        np.testing.assert_allclose(data["x"], np.linspace(-4.5, 4.5, 7))
        np.testing.assert_allclose(data["y"], np.linspace(1.0, 4.0, 4))
        np.testing.assert_array_equal(data["value"], data["basin"])
        assert data["minima"].shape == (4, 3) and list(data["minima_kind"]) == ["global"] * 4
        assert (str(data["kind"]), str(data["metric"]), str(data["x_param"]), str(data["label"])) == \
            ("basin", "basin", "x", "GD")
        assert float(data["eps"]) == 1e-4 and int(data["steps"]) == 80 and int(data["group"]) == 0
        assert "[map]" in str(data["experiment"])
        x, y, final = data["x"], data["y"], data["final_position"]
        value = data["value"]
    # row i, column j is the start (x[j], y[i]): the same as one run of the engine from there
    exp = experiment_from_toml(BASIN)
    for i, j in ((0, 0), (3, 6), (1, 4)):
        single = exp.to_dict()
        single.pop("map")
        single["groups"] = [{**single["groups"][0], "init": {"kind": "point", "point": [x[j], y[i]]}}]
        single["run"]["record_dtype"] = "float64"
        result = run_experiment(experiment_from_toml(_toml(single)))
        np.testing.assert_allclose(final[i, j], result.positions[-1, 0], rtol=1e-9, atol=1e-12)
    # starts right of x = 0 and above y = 1 run to the minimum (3, 2); those left of it to (-2.805, 3.131)
    minima = load_map_output(out).minima
    assert np.allclose(minima[int(value[1, 6]), :2], (3.0, 2.0))
    assert np.allclose(minima[int(value[2, 0]), :2], (-2.805118, 3.131312), atol=1e-5)


def _toml(table: dict) -> str:
    import tomlkit

    return tomlkit.dumps(table)


def test_a_hyper_map_varies_x_along_columns_and_y_along_rows(files):
    out = files / "hyper.npz"
    assert run(files / "hyper.toml", "-o", out) == 0
    with np.load(out) as data:
        lr, momentum, value = data["x"], data["y"], data["value"]
        assert value.shape == (3, 6)
        np.testing.assert_allclose(lr, np.geomspace(1e-3, 0.3, 6))
        assert (str(data["x_scale"]), str(data["y_scale"]), str(data["y_param"])) == ("log", "linear", "momentum")
        np.testing.assert_array_equal(value, data["final_loss"])
    exp = experiment_from_toml(HYPER)
    for i, j in ((0, 1), (2, 3)):
        single = exp.to_dict()
        single.pop("map")
        single["groups"][0]["hyper"] = {"lr": float(lr[j]), "momentum": float(momentum[i])}
        single["run"]["record_dtype"] = "float64"
        result = run_experiment(experiment_from_toml(_toml(single)))
        assert value[i, j] == pytest.approx(float(result.loss[-1, 0]), rel=1e-9, abs=1e-300)
    # lr 0.3 beyond the heavy-ball boundary 2(1 + momentum)/lambda_max (lambda_max = 20) diverges
    assert not np.isfinite(value[0, -1])


def test_pictures_record_the_experiment_and_regenerate_the_same_map(files):
    from optviz.render.metadata import read_experiment_text

    npz, png, svg = files / "m.npz", files / "m.png", files / "m.svg"
    assert run(files / "basin.toml", "-o", npz, "--grid", "5x3") == 0
    assert run(files / "basin.toml", "-o", png, "--grid", "5x3", "--size", "640x480") == 0
    assert run(files / "basin.toml", "-o", svg, "--grid", "5x3") == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in svg.read_bytes()[:2000]
    from PySide6 import QtGui

    assert QtGui.QImage(str(png)).size().toTuple() == (640, 480)
    for picture in (png, svg):
        recorded = experiment_from_toml(read_experiment_text(picture))
        assert recorded.map.shape == (3, 5) and recorded.render["size"] in ([640, 480], [1200, 860])
    # the npz's recorded experiment computes the same npz again, from the experiment or from the file
    (files / "again.toml").write_text(str(np.load(npz)["experiment"]))
    assert run(files / "again.toml", "-o", files / "again.npz") == 0
    assert run("--from", npz, "-o", files / "from.npz") == 0
    assert run("--from", png, "-o", files / "from_png.npz") == 0
    with np.load(npz) as first:
        for other in ("again.npz", "from.npz", "from_png.npz"):
            with np.load(files / other) as second:
                assert set(first.files) == set(second.files)
                for name in set(first.files) - {"experiment"}:
                    np.testing.assert_array_equal(first[name], second[name], err_msg=f"{other}: {name}")
                recipe = experiment_from_toml(str(second["experiment"]))
                assert recipe.map == experiment_from_toml(str(first["experiment"])).map
                if other != "from_png.npz":  # the picture's recipe adds the [render] it was drawn with
                    assert str(second["experiment"]) == str(first["experiment"])


def test_from_a_map_npz_a_picture_is_drawn_without_computing_again(files, monkeypatch, capsys):
    import optviz.experiment.map_run as map_run

    npz = files / "m.npz"
    assert run(files / "basin.toml", "-o", npz) == 0

    def no_computing(*_args, **_kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(map_run, "run_map_experiment", no_computing)
    assert run("--from", npz, "-o", files / "m.png") == 0
    assert run("--from", npz, "-o", files / "steps.png", "--metric", "steps_to_eps") == 0
    assert "(steps_to_eps)" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="computed again"):
        run("--from", npz, "-o", files / "finer.png", "--grid", "9")


def test_a_difference_map_compares_two_groups_cell_by_cell(files):
    out = files / "diff.npz"
    assert run(files / "basin.toml", "-o", out, "--compare", "1") == 0
    with np.load(out) as data:
        diff = data["difference"]
        assert diff.shape == (4, 7) and set(np.unique(diff)) <= {0, 1, 2, 3, 4}
        np.testing.assert_array_equal(data["value"], diff)
        assert str(data["metric"]) == "difference" and int(data["compare_group"]) == 1
        assert str(data["compare_label"]) == "Adam"
        a, b = data["basin"], data["compare_basin"]
        both = (a >= 0) & (b >= 0)
        np.testing.assert_array_equal(diff[both] == 0, a[both] == b[both])
        for name in CELL_ARRAYS:
            assert data[f"compare_{name}"].shape[:2] == (4, 7)
    assert "compare = 1" in str(np.load(out)["experiment"])
    assert run(files / "basin.toml", "-o", files / "diff.png", "--compare", "1") == 0


def test_the_progress_covers_both_maps_of_a_difference_map(files):
    from optviz.experiment.map_run import run_map_experiment, with_map

    ticks = []
    exp = with_map(experiment_from_toml(BASIN), compare=1)
    run_map_experiment(exp, progress=lambda done, total: ticks.append((done, total)))
    assert ticks[-1] == (2 * 28, 2 * 28) and all(b == 56 for _a, b in ticks)
    assert [a for a, _b in ticks] == sorted(a for a, _b in ticks)


BAD = [
    (["{d}/basin.toml", "-o", "{d}/m.txt"], "--output {d}/m.txt: must end in .npz, .png, .svg"),
    (["{d}/missing.toml", "-o", "{d}/m.npz"], "no such file"),
    (["{d}/plain.toml", "-o", "{d}/m.npz"], "has no [map] table; add one"),
    (["{d}/basin.toml", "-o", "{d}/m.npz", "--metric", "loss"],
     "--metric 'loss' is not allowed: a basin map shows one of basin, final_loss"),
    (["{d}/hyper.toml", "-o", "{d}/m.npz", "--metric", "basin"], "--metric 'basin' is not allowed: a hyper map"),
    (["{d}/basin.toml", "-o", "{d}/m.npz", "--grid", "1"], "--grid 1 is not allowed: must be an integer in [2, 4096]"),
    (["{d}/basin.toml", "-o", "{d}/m.npz", "--grid", "big"], "--grid 'big' is not allowed; give N or NXxNY"),
    (["{d}/basin.toml", "-o", "{d}/m.npz", "--compare", "0"],
     "--compare 0 is not allowed: must be another group than map.group = 0"),
    (["{d}/basin.toml", "-o", "{d}/m.npz", "--compare", "x"], "argument --compare: 'x' is not an integer"),
    (["{d}/basin.toml", "-o", "{d}/m.npz", "--scheduler", "nope"],
     "--scheduler = 'nope' is not allowed: must be a Dask scheduler address"),
    (["{d}/basin.toml", "-o", "{d}/missing/m.npz"], "folder {d}/missing does not exist"),
    (["{d}/basin.toml", "-o", "{d}/m.png", "--size", "5x5"], "size: 5x5 is not allowed"),
    (["{d}/basin.toml", "-o", "{d}/m.png", "--theme", "neon"], "theme: 'neon' is not allowed"),
    (["{d}/basin.toml", "--from", "{d}/m.npz"], "give either an experiment file or --from OUTPUT, not both"),
    (["-o", "{d}/m.npz"], "give an experiment file (TOML) or --from OUTPUT"),
    (["--from", "{d}/basin.toml", "-o", "{d}/m.npz"], "records no optviz experiment"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(files, capsys, argv, message):
    (files / "plain.toml").write_text(BASIN.split("[map]")[0])
    d = str(files)
    assert main(["map", *(a.format(d=d) for a in argv), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("optviz: error: ") and err.count("\n") == 0, err
    assert message.format(d=d) in err, err
    assert not (files / "m.npz").exists() and not (files / "m.png").exists()


def test_a_failed_write_keeps_the_previous_output_and_leaves_no_temporary_file(files, monkeypatch, capsys):
    out = files / "m.npz"
    out.write_bytes(b"previous")

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    assert run(files / "basin.toml", "-o", out) == 2
    assert "cannot write: No space left on device" in capsys.readouterr().err
    assert out.read_bytes() == b"previous" and not temporary_files(out)
    monkeypatch.undo()
    folder = files / "m.png"
    folder.mkdir()
    assert run(files / "basin.toml", "-o", folder) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err
    assert folder.is_dir() and not list(folder.iterdir()) and not temporary_files(folder)


def test_the_command_line_lists_map_and_runs_as_a_program(files):
    out = files / "p.npz"
    done = subprocess.run([sys.executable, "-m", "optviz", "map", str(files / "basin.toml"), "-o", str(out),
                           "--grid", "3"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "3x3 basin map of 'GD'" in done.stdout
    helped = subprocess.run([sys.executable, "-m", "optviz", "map", "--help"], capture_output=True, text=True,
                            timeout=120)
    assert "--scheduler" in helped.stdout and "--compare" in helped.stdout


@pytest.mark.slow
def test_a_dask_scheduler_gives_the_same_npz_as_local_threads(files):
    local, remote = files / "local.npz", files / "remote.npz"
    assert run(files / "basin.toml", "-o", local) == 0
    with local_dask_cluster() as cluster:
        assert run(files / "basin.toml", "-o", remote, "--scheduler", cluster.scheduler_address) == 0
    with np.load(local) as a, np.load(remote) as b:
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_the_progress_bar_counts_cells_on_stderr(files, monkeypatch):
    import optviz.cli as cli

    seen = []

    class Bars(cli._ProgressBars):
        def callback(self, desc, unit, delay=0.0):
            inner = super().callback(desc, unit, delay=0.0)

            def progress(done, total):
                seen.append((desc, unit, done, total))
                inner(done, total)

            return progress

    monkeypatch.setattr(cli, "_ProgressBars", Bars)
    assert main(["map", str(files / "basin.toml"), "-o", str(files / "m.npz")]) == 0
    assert seen and all(s[:2] == ("optviz map", "cell") for s in seen)
    assert seen[-1][2:] == (28, 28)


def test_a_missing_gpu_is_one_line(files, capsys):
    from numba import cuda

    if cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    assert run(files / "basin.toml", "-o", files / "m.npz", "--device", "cuda") == 2
    err = capsys.readouterr().err.strip()
    assert "device = 'cuda'" in err and err.count("\n") == 0 and not (files / "m.npz").exists()
