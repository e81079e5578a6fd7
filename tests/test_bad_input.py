"""Hostile input, as an attacker would try it: every input is read only if it is a regular file of
bounded size, every value is checked at the edge, and every refusal is one short line (exit 2).

The reproductions of issue 9 ("Bad input and interruption") are here, one test each, with the
cases found beyond them.
"""

import math
import os
import resource
import stat
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz.cli import main
from optviz.core.data import load_csv
from optviz.core.data.datasets import MAX_FILE_BYTES, DatasetError
from optviz.core.inputs import SHOWN_CHARS, shown
from optviz.experiment import (
    MAX_EXPERIMENT_BYTES,
    Experiment,
    ExperimentError,
    experiment_from_toml,
    load_experiment,
    load_result,
)
from optviz.render.metadata import read_experiment_text

EXPERIMENT = """
title = "bad input"
[landscape]
name = "himmelblau"
[run]
steps = 20
[[groups]]
label = "Adam"
optimizer = "adam"
hyper = { lr = 0.05 }
init = { kind = "point", point = [1.0, 1.0] }
"""

#: A refused run never takes longer than this here, even under load (measured: 0.4-0.7 s, most of it
#: importing NumPy and Numba); a regression blocks forever or reads until memory runs out.
DEADLINE_S = 60
#: The address space a refused run may use: a regression reading /dev/zero fails fast instead of
#: taking the machine's memory (a normal run needs about 1 GiB of it).
MEMORY_LIMIT = 3 << 30

CSV_EXPERIMENT = """
[landscape]
model = "linear"
data = {{ csv = "{csv}" }}
[run]
steps = 5
[[groups]]
optimizer = "sgd"
"""


def _optviz(*args, cwd):
    """``optviz ARGS`` in a subprocess with a deadline and a memory limit: (exit code, stderr)."""
    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    done = subprocess.run([sys.executable, "-m", "optviz", *map(str, args)], cwd=cwd, capture_output=True,
                          timeout=DEADLINE_S, preexec_fn=limit_memory,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return done.returncode, done.stderr.decode()


def _one_line(err: str) -> str:
    err = err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


# Device files and FIFOs ----------------------------------------------------------------------

@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(("make_args", "needle"), [
    (lambda d, fifo: ["run", "/dev/zero", "-o", d / "o.npz"], "/dev/zero: is a character device, not a regular file"),
    (lambda d, fifo: ["run", fifo, "-o", d / "o.npz"], "pipe.toml: is a FIFO (named pipe), not a regular file"),
    (lambda d, fifo: ["run", d, "-o", d / "o.npz"], "is a folder, not a regular file"),
    (lambda d, fifo: ["figure", fifo, "-o", d / "o.png"], "pipe.toml: is a FIFO (named pipe)"),
    (lambda d, fifo: ["figure", "--from", fifo, "-o", d / "o.png"], "--from"),
    (lambda d, fifo: ["run", d / "zero.toml", "-o", d / "o.npz"], "landscape.data: zero: is a character device"),
    (lambda d, fifo: ["run", d / "pipe_csv.toml", "-o", d / "o.npz"], "landscape.data: pipe.toml: is a FIFO"),
])
def test_device_files_and_fifos_are_refused_without_reading_them(tmp_path, fifo, make_args, needle):
    (tmp_path / "zero.toml").write_text(CSV_EXPERIMENT.format(csv="/dev/zero"))
    (tmp_path / "pipe_csv.toml").write_text(CSV_EXPERIMENT.format(csv=fifo))
    code, err = _optviz(*make_args(tmp_path, fifo), cwd=tmp_path)
    assert code == 2
    assert needle in _one_line(err)
    assert not (tmp_path / "o.npz").exists() and not (tmp_path / "o.png").exists()


def test_a_result_is_read_only_from_a_regular_file(tmp_path, fifo):
    code = (f"from optviz.experiment import load_result\n"
            f"try:\n    load_result({str(fifo)!r})\nexcept ValueError as e:\n    print(e)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=DEADLINE_S)
    assert "is a FIFO (named pipe), not a regular file" in done.stdout.decode()
    for garbage in (b"", b"PK\x03\x04 truncated", b"not a zip"):
        (tmp_path / "bad.npz").write_bytes(garbage)
        with pytest.raises(ExperimentError, match="bad.npz: cannot read result"):
            load_result(tmp_path / "bad.npz")


def test_oversized_inputs_are_refused_by_their_size_before_reading(tmp_path):
    big = tmp_path / "big.toml"
    with open(big, "wb") as handle:
        handle.truncate(3 * 2**30)  # sparse: takes no disk
    with pytest.raises(ExperimentError) as caught:
        load_experiment(big)
    assert str(caught.value) == f"{big}: is 3 GiB; the limit for experiment files is 1 MiB"
    (tmp_path / "over.toml").write_text(EXPERIMENT + "#" * MAX_EXPERIMENT_BYTES)
    with pytest.raises(ExperimentError, match="limit for experiment files is 1 MiB"):
        load_experiment(tmp_path / "over.toml")
    csv = tmp_path / "big.csv"
    with open(csv, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(DatasetError, match=r"big.csv: is 200 MiB; the limit for CSV files is 200 MiB"):
        load_csv(csv)
    with pytest.raises(ExperimentError, match="limit for experiments is 1 MiB"):
        experiment_from_toml("#" * (MAX_EXPERIMENT_BYTES + 1))


# Nesting ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("nested", [
    "x = " + "{a = " * 500 + "1" + "}" * 500,
    "x = " + "[" * 5000 + "]" * 5000,
    "[render]\nview = " + "[" * 30 + "]" * 30,
])
def test_deep_nesting_is_refused_with_its_line_before_the_parser_recurses(nested):
    with pytest.raises(ExperimentError) as caught:
        experiment_from_toml(EXPERIMENT + nested, "deep.toml")
    assert str(caught.value).startswith(f"deep.toml: line {EXPERIMENT.count(chr(10)) + 1 + nested.count(chr(10))}: "
                                        "tables and lists nested more than 20 deep")


def test_brackets_in_strings_and_comments_do_not_count_as_nesting():
    text = EXPERIMENT.replace('title = "bad input"', 'title = "[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{{{"') + (
        "# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"
        "[view]\nnote = '''\n[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n'''\nalso = 'a [[[[[[[[[[[[[[[[[[[[[[[[[['\n")
    assert experiment_from_toml(text).title.startswith("[[[[")


def test_deep_nesting_by_dotted_keys_is_refused_too():
    with pytest.raises(ExperimentError, match="nested too deeply"):
        experiment_from_toml(EXPERIMENT + "[view]\n" + "a" + ".a" * 5000 + " = 1\n")


def _png_with_record(path, text, kind="zTXt"):
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if kind == "iTXt":
        info.add_itxt("optviz-experiment", text, zip=True)
    else:
        info.add_text("optviz-experiment", text, zip=kind == "zTXt")
    Image.new("RGB", (16, 16)).save(path, pnginfo=info)
    return path


@pytest.mark.parametrize(("record", "needle"), [
    (EXPERIMENT + "x = " + "{a = " * 500 + "1" + "}" * 500, "nested more than 20 deep"),
    (EXPERIMENT.replace("steps = 20", "steps = 20\nmax_history_mb = inf"), "run.max_history_mb = inf"),
    (EXPERIMENT + " " * 50_000_000, "larger than 2 MiB"),  # a zTXt chunk that inflates to 50 MB
])
def test_figure_from_an_output_refuses_a_hostile_record_in_one_line(tmp_path, capsys, record, needle):
    png = _png_with_record(tmp_path / "hostile.png", record)
    assert main(["figure", "--from", str(png), "-o", str(tmp_path / "again.png")]) == 2
    err = _one_line(capsys.readouterr().err)
    assert f"--from {png}" in err and needle in err
    assert not (tmp_path / "again.png").exists()


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt"])
def test_the_record_is_read_from_every_png_text_chunk_kind(tmp_path, kind):
    text = EXPERIMENT.replace("bad input", "σ² — ünïcode") if kind == "iTXt" else EXPERIMENT
    assert read_experiment_text(_png_with_record(tmp_path / "r.png", text, kind)) == text


def test_the_record_is_read_without_decoding_the_image(tmp_path):
    """A PNG claiming 100000 x 100000 pixels (Pillow refuses to open it: a decompression bomb) still
    gives its record: only the chunk headers are read."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = tmp_path / "huge.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
                    + chunk(b"zTXt", b"optviz-experiment\0\0" + zlib.compress(EXPERIMENT.encode()))
                    + chunk(b"IEND", b""))
    assert read_experiment_text(png) == EXPERIMENT


def test_a_gif_sidecar_that_is_a_fifo_is_refused(tmp_path):
    (tmp_path / "a.gif").write_bytes(b"GIF89a")
    os.mkfifo(tmp_path / "a.gif.toml")
    with pytest.raises(ValueError, match=r"a.gif.toml: is a FIFO \(named pipe\), not a regular file"):
        read_experiment_text(tmp_path / "a.gif")


# Values at the edge ----------------------------------------------------------------------------

def _group(**fields):
    return {"label": "g", "optimizer": "adam", "init": {"kind": "point", "point": [1.0, 1.0]}, **fields}


BUILTIN = {"name": "rosenbrock"}
DATA = {"model": "linear", "data": {"size": 50, "noise": 0.1, "seed": 0}}

#: (landscape, run, group fields, top-level extras, the field the message must name, what it must say)
REFUSED = [
    (BUILTIN, {"max_history_mb": math.inf}, {}, {}, "run.max_history_mb = inf", "finite"),
    (BUILTIN, {"max_history_mb": 1e300}, {}, {}, "run.max_history_mb = 1e+300", "(0, 1048576]"),
    (BUILTIN, {"record_every": 10**23}, {}, {}, "run.record_every", "[-2^63, 2^63)"),
    (BUILTIN, {"record_every": 10**18}, {}, {}, "run.record_every = 1000000000000000000", "[1, 100000000]"),
    (BUILTIN, {}, {"hyper": {"lr": math.inf}}, {}, "groups[0].hyper.lr = inf", "finite"),
    (BUILTIN, {}, {"hyper": {"lr": math.nan}}, {}, "groups[0].hyper.lr = nan", "finite"),
    (BUILTIN, {}, {"hyper": {"eps": math.inf}}, {}, "groups[0].hyper.eps = inf", "finite"),
    (BUILTIN, {}, {"hyper": {"betas": [0.9, math.nan]}}, {}, "groups[0].hyper.betas[1] = nan", "finite"),
    (BUILTIN, {}, {"noise": {"kind": "gaussian", "scale": math.inf}}, {}, "groups[0].noise.scale = inf", "finite"),
    (BUILTIN, {}, {"noise": {"kind": "gaussian", "scale": 1e300}}, {}, "groups[0].noise.scale", "> 0 and <= 1e+09"),
    (BUILTIN, {}, {"noise": {"kind": "student_t", "dof": math.nan}}, {}, "groups[0].noise.dof = nan", "finite"),
    (BUILTIN, {}, {"schedule": {"kind": "step", "step_size": math.inf}}, {}, "groups[0].schedule.step_size", "finite"),
    (BUILTIN, {}, {"schedule": {"kind": "exponential", "gamma": math.nan}}, {}, "groups[0].schedule.gamma", "finite"),
    (BUILTIN, {}, {"init": {"kind": "point", "point": [10**23, 0]}}, {}, "groups[0].init.point[0]", "2^63"),
    (BUILTIN, {}, {"init": {"kind": "normal", "mean": [0, 0], "std": [math.inf, 1], "count": 3}}, {},
     "groups[0].init.std[0] = inf", "finite"),
    (BUILTIN, {}, {"optimizer": [1]}, {}, "groups[0].optimizer = [1]", "not a known optimizer"),
    (BUILTIN, {}, {"init": {"kind": []}}, {}, "groups[0].init.kind = []", "known: point"),
    (BUILTIN, {}, {"schedule": {"kind": {"a": 1}}}, {}, "groups[0].schedule.kind = {'a': 1}", "known"),
    (BUILTIN, {}, {"label": "x" * 10_000}, {}, "groups[0].label", "at most 200 characters"),
    (BUILTIN, {}, {}, {"title": "x" * 10_000}, "title", "at most 500 characters"),
    (BUILTIN, {}, {}, {"seed": math.nan}, "seed = nan", "finite"),
    (BUILTIN, {}, {}, {"render": {"fps": math.inf}}, "render.fps = inf", "finite"),
    (BUILTIN, {}, {}, {"view": {"x": [-1e308, 1e308]}}, "view.x", "±1e9"),
    (BUILTIN, {}, {}, {"view": {"trail_length": math.inf}}, "view.trail_length = inf", "finite"),
    ({**BUILTIN, "params": {"a": math.inf}}, {}, {}, {}, "landscape.params.a", "finite"),
    ({"expression": "x**2 + y**2", "bounds": [[-1e308, 1e308], [-1, 1]]}, {}, {}, {}, "landscape.bounds[0]",
     "within ±1e9"),
    ({"expression": "x**2 + y**2", "bounds": [[-1, 1], [1.0, 1.0 + 1e-12]]}, {}, {}, {}, "landscape.bounds[1]",
     "at least 1e-9 × max(1, |y0|, |y1|) apart"),
    ({"model": "linear", "data": {"size": math.inf}}, {}, {}, {}, "landscape.data.size = inf", "finite"),
    ({"model": "linear", "data": {"size": 10**7}}, {}, {}, {}, "landscape.data.size", "[1, 1000000]"),
    ({"model": "linear", "data": {"w": 1e300}}, {}, {}, {}, "landscape.data.w = 1e+300", "[-1e+06, 1e+06]"),
    ({"model": "linear", "data": {"noise": math.nan}}, {}, {}, {}, "landscape.data.noise = nan", "finite"),
    (DATA, {}, {"batch_size": 10**12}, {}, "groups[0].batch_size", "[1, 1000000]"),
]


@pytest.mark.parametrize(("landscape", "run", "fields", "top", "field", "allowed"), REFUSED)
def test_every_value_is_checked_at_the_edge_inf_and_nan_included(landscape, run, fields, top, field, allowed):
    data = {"landscape": landscape, "run": {"steps": 10, **run}, "groups": [_group(**fields)], **top}
    with pytest.raises(ExperimentError) as caught:
        Experiment.from_dict(data)
    message = str(caught.value)
    assert field in message and allowed in message
    assert "\n" not in message and len(message) < 400


def test_absurd_but_finite_values_that_torch_accepts_are_kept():
    exp = Experiment.from_dict({"run": {"steps": 3}, "groups": [_group(hyper={"lr": 1e9, "weight_decay": 1e6})]})
    assert exp.groups[0].resolved_hyper()["lr"] == 1e9


def test_an_integer_of_thousands_of_digits_is_a_toml_error_not_a_traceback():
    with pytest.raises(ExperimentError, match="x.toml: not valid TOML: an integer with too many digits"):
        experiment_from_toml(EXPERIMENT.replace("steps = 20", "steps = 1" + "0" * 5000), "x.toml")


def test_long_values_are_shortened_in_messages(tmp_path):
    assert shown("x" * 10_000_000) == "'" + "x" * (SHOWN_CHARS - 1) + "…"
    assert shown(10**5000) == "<an integer of about 5000 digits>"
    assert len(shown(list(range(100_000)))) <= SHOWN_CHARS + 1
    for group in (_group(optimizer="a" * 10_000_000), _group(hyper={"lr": {"values": [*range(1, 100_000), "x"]}})):
        with pytest.raises(ExperimentError) as caught:
            Experiment.from_dict({"groups": [group]})
        assert len(str(caught.value)) < 400
    csv = tmp_path / "long.csv"
    csv.write_text("x,y\n1,2\n1," + "9" * 900 + "e99999\n")
    with pytest.raises(DatasetError) as caught:
        load_csv(csv)
    assert str(caught.value).startswith("long.csv, line 3: '999") and len(str(caught.value)) < 200
    csv.write_text("x,y\n1,2\n1," + "nan" * 3_000_000 + "\n")
    with pytest.raises(DatasetError, match=r"long.csv, line 3: the row is 9,000,002 characters long"):
        load_csv(csv)


# `optviz run`: everything checked before any work ---------------------------------------------

@pytest.fixture
def no_simulation(monkeypatch):
    """Fails the test if `optviz run` starts simulating."""
    import optviz.experiment

    def refuse(*args, **kwargs):
        raise AssertionError("the run was simulated before its inputs were checked")

    monkeypatch.setattr(optviz.experiment, "run_experiment", refuse)


@pytest.mark.parametrize(("render", "needle"), [
    ('size = "0x720"', "[render] size: 0x720 is not allowed"),
    ("step = 21", "[render] step: 21 is not allowed; the run has steps 0 to 20"),
    ('colormap = "jet"', "[render] colormap: 'jet' is not allowed"),
    ("view = { x = [-1e300, 1e300] }", "[render] view.x"),
    ("unknown = 1", "render.unknown: unknown option"),
])
def test_run_refuses_a_render_table_that_figure_would_refuse(tmp_path, capsys, no_simulation, render, needle):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXPERIMENT + "[render]\n" + render + "\n")
    assert main(["run", str(exp), "-o", str(tmp_path / "o.npz")]) == 2
    assert needle in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "o.npz").exists()


def _read_only_folder(tmp_path):
    """A folder no file can be created in: a mode-0555 folder, or /sys for root (who ignores modes)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        return folder
    try:
        os.close(tempfile.mkstemp(dir="/sys")[0])
    except OSError:
        return "/sys"
    pytest.skip("running as root with no folder that refuses writes")


def test_run_checks_that_the_output_can_be_written_before_any_work(tmp_path, capsys, no_simulation):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXPERIMENT)
    (tmp_path / "folder.npz").mkdir()
    assert main(["run", str(exp), "-o", str(tmp_path / "folder.npz")]) == 2
    assert "folder.npz: is a folder; give a file name" in _one_line(capsys.readouterr().err)
    read_only = _read_only_folder(tmp_path)
    assert main(["run", str(exp), "-o", f"{read_only}/o.npz"]) == 2
    assert f"--output {read_only}/o.npz: cannot write in folder {read_only}" in _one_line(capsys.readouterr().err)
    assert main(["run", str(exp), "-o", str(tmp_path / "missing" / "o.npz")]) == 2
    assert "does not exist" in _one_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.toml", "folder.npz"]


def test_run_refuses_to_replace_a_device_with_its_output(tmp_path, capsys, no_simulation):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXPERIMENT)
    os.mkfifo(tmp_path / "pipe.npz")
    assert main(["run", str(exp), "-o", str(tmp_path / "pipe.npz")]) == 2
    assert "pipe.npz: is a FIFO (named pipe); give a file name" in _one_line(capsys.readouterr().err)
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe.npz").st_mode)


# A net under all of it ---------------------------------------------------------------------------

NUMERIC_FIELDS = [
    # (path into the description, the name the message must contain)
    (("seed",), "seed"),
    (("run", "steps"), "run.steps"),
    (("run", "record_every"), "run.record_every"),
    (("run", "max_history_mb"), "run.max_history_mb"),
    (("groups", 0, "hyper", "lr"), "groups[0].hyper.lr"),
    (("groups", 0, "hyper", "eps"), "groups[0].hyper.eps"),
    (("groups", 0, "hyper", "weight_decay"), "groups[0].hyper.weight_decay"),
    (("groups", 0, "hyper", "betas", 0), "groups[0].hyper.betas"),
    (("groups", 0, "init", "point", 1), "groups[0].init.point"),
    (("groups", 0, "schedule", "step_size"), "groups[0].schedule.step_size"),
    (("groups", 0, "schedule", "gamma"), "groups[0].schedule.gamma"),
    (("groups", 0, "noise", "scale"), "groups[0].noise.scale"),
    (("groups", 0, "noise", "dof"), "groups[0].noise.dof"),
    (("landscape", "params", "a"), "landscape.params.a"),
    (("render", "fps"), "render.fps"),
    (("view", "x", 1), "view.x"),
]

hostile_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.sampled_from([0, -1, 1, 2**63, -(2**63) - 1, 10**23, 5e-324, 1e308, True, False]),
    st.text(max_size=20),
    st.lists(st.floats(allow_nan=True), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _base():
    return {
        "seed": 0,
        "landscape": {"name": "rosenbrock", "params": {"a": 1.0}},
        "run": {"steps": 10, "record_every": 1, "max_history_mb": 64.0},
        "groups": [{"label": "g", "optimizer": "adam",
                    "hyper": {"lr": 0.01, "eps": 1e-8, "weight_decay": 0.0, "betas": [0.9, 0.999]},
                    "init": {"kind": "point", "point": [-1.0, 1.0]},
                    "schedule": {"kind": "step", "step_size": 10, "gamma": 0.5},
                    "noise": {"kind": "student_t", "scale": 1.0, "dof": 3.0}}],
        "render": {"fps": 30},
        "view": {"x": [-2.0, 2.0]},
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(NUMERIC_FIELDS), value=hostile_values)
def test_any_value_in_any_numeric_field_loads_or_is_refused_naming_the_field(field, value):
    path, name = field
    data = _base()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        exp = Experiment.from_dict(data)
    except ExperimentError as error:
        message = str(error)
        assert name in message, message
        assert "\n" not in message and len(message) < 400
        return
    for number in _numbers(exp.to_dict()):
        assert math.isfinite(number) and (isinstance(number, float) or -(2**63) <= number < 2**63)
    positions = exp.initial_positions()
    assert all(np.isfinite(p).all() for p in positions)


def _numbers(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def test_the_apps_file_open_refuses_a_fifo_and_deep_nesting_with_the_reason(tmp_path, fifo):
    """File > Open (DocumentModel.load) goes through the same loader: the reason, at once, and the
    experiment the window had is kept."""
    nested = tmp_path / "nested.toml"
    nested.write_text(EXPERIMENT + "x = " + "[" * 5000 + "]" * 5000 + "\n")
    code = ("import sys\nfrom optviz.models.document import DocumentModel, EditError\n"
            "doc = DocumentModel()\nbefore = doc.experiment\n"
            "for path in sys.argv[1:]:\n"
            "    try:\n        doc.load(path)\n    except EditError as error:\n        print(error)\n"
            "assert doc.experiment is before\n")
    done = subprocess.run([sys.executable, "-c", code, str(fifo), str(nested)], capture_output=True,
                          timeout=DEADLINE_S)
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert "pipe.toml: is a FIFO (named pipe), not a regular file" in lines[0]
    assert "nested.toml: line 12: tables and lists nested more than 20 deep" in lines[1]
