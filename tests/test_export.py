"""Headless figures and animations: `optviz figure`, `optviz export` and their Python API."""

import errno
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from helpers import SMALL_EXPERIMENT

from optviz.experiment import Experiment, run_experiment
from optviz.render import ExportCancelled, RenderOptionError, export_animation, figure
from optviz.render.export import plan_frames
from optviz.render.metadata import read_experiment_text
from optviz.render.options import resolve_options
from optviz.render.writer_registry import WriterRegistry, registry

ANIMATIONS = registry.names("animation")


@pytest.fixture(scope="module")
def exp_and_result():
    exp = Experiment.from_toml(SMALL_EXPERIMENT)
    return exp, run_experiment(exp)


def _sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _no_temp_files(folder):
    return [p for p in os.listdir(folder) if p.startswith(".") or p.endswith(".part")] == []


def _decode(path):
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        duration = float(c.duration) / 1e6 if c.duration else None
        return frames, s, duration, dict(c.metadata)


# ---------------------------------------------------------------- figures
def test_png_figure_size_metadata_and_regeneration(tmp_path, exp_and_result):
    exp, res = exp_and_result
    out = tmp_path / "fig.png"
    info = figure(exp, out, step=20, result=res)
    from PIL import Image

    with Image.open(out) as im:
        assert im.size == (320, 240)
    assert info.steps == [20]
    text = read_experiment_text(out)
    assert 'title = "small test experiment"' in text and "step = 20" in text
    again = tmp_path / "again.png"
    figure(None, again, from_file=out)
    assert _sha(again) == _sha(out), "regenerating from the recorded experiment is pixel-identical"


def test_figure_default_step_is_last_and_frames_differ(tmp_path, exp_and_result):
    exp, res = exp_and_result
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert figure(exp, a, result=res).steps == [40]
    figure(exp, b, step=0, result=res)
    from PIL import Image

    with Image.open(a) as image_a, Image.open(b) as image_b:
        assert not np.array_equal(np.asarray(image_a), np.asarray(image_b))


def test_svg_is_valid_xml_with_metadata(tmp_path, exp_and_result):
    exp, res = exp_and_result
    out = tmp_path / "fig.svg"
    figure(exp, out, result=res, size=(400, 300))
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    assert "small test experiment" in read_experiment_text(out)
    assert b"<image" in out.read_bytes() and b"<path" in out.read_bytes()


# ------------------------------------------------------------- animations
def test_mp4_frames_size_duration_and_change(tmp_path, exp_and_result):
    exp, res = exp_and_result
    out = tmp_path / "a.mp4"
    seen = []
    info = export_animation(exp, out, fps=10, frames=12, result=res,
                            progress=lambda d, t: seen.append((d, t)))
    frames, stream, duration, meta = _decode(out)
    assert len(frames) == 12 == info.frames
    assert frames[0].shape == (240, 320, 3)
    assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
    assert duration == pytest.approx(1.2, abs=0.15)
    assert seen[-1] == (12, 12) and len(seen) == 12
    diffs = [np.abs(frames[i].astype(int) - frames[0].astype(int)).mean() for i in (5, 11)]
    assert all(d > 0.05 for d in diffs), "frames change over time"
    assert "small test experiment" in meta.get("comment", "")
    assert "small test experiment" in read_experiment_text(out)


@pytest.mark.parametrize("fmt", registry.names())
def test_output_bytes_are_deterministic(tmp_path, exp_and_result, fmt):
    """Same experiment, same file, in every registered format (the README's promise): the encoders
    are single-threaded."""
    exp, res = exp_and_result
    a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    for out in (a, b):
        if registry[fmt].kind == "animation":
            export_animation(exp, out, frames=6, result=res)
        else:
            figure(exp, out, step=20, result=res)
    assert _sha(a) == _sha(b)


@pytest.mark.parametrize("fmt, timing, n_frames, frame_ms", [
    ("gif", dict(fps=20, frames=8), 8, 50),  # the experiment in a sidecar file
    ("webp", dict(fps=10, duration=0.5), 5, 100),  # the experiment in the file's metadata
])
def test_animated_image_loops_with_its_frames_timing_and_experiment(tmp_path, exp_and_result, fmt, timing,
                                                                     n_frames, frame_ms):
    """A GIF or WebP animation: the frames asked for (a count, or a duration at an fps), each shown
    1000/fps ms, looping forever, at the experiment's size; it records its experiment, atomically."""
    from PIL import Image

    exp, res = exp_and_result
    out = tmp_path / f"a.{fmt}"
    export_animation(exp, out, result=res, **timing)
    with Image.open(out) as im:
        assert im.n_frames == n_frames and im.size == (320, 240)
        assert im.info.get("loop") == 0
        durations = []
        for k in range(im.n_frames):
            im.seek(k)
            im.load()
            durations.append(im.info["duration"])
        assert durations == [frame_ms] * n_frames
    assert "small test experiment" in read_experiment_text(out)
    assert _no_temp_files(tmp_path)


# ------------------------------------------------- atomicity and cancel
@pytest.mark.parametrize("fmt", ANIMATIONS)
@pytest.mark.parametrize("how", ["raise", "false", "interrupt"])
def test_cancel_keeps_old_file_and_leaves_no_temp(tmp_path, exp_and_result, how, fmt):
    """The app's Cancel (progress returns False) and errors in the callback, after 3 of 10 frames."""
    exp, res = exp_and_result
    out = tmp_path / f"keep.{fmt}"
    out.write_bytes(b"old content")

    def progress(done, total):
        if done == 3:
            if how == "raise":
                raise RuntimeError("stop")
            if how == "interrupt":
                raise KeyboardInterrupt
            return False
        return None

    expected = {"raise": RuntimeError, "false": ExportCancelled, "interrupt": KeyboardInterrupt}[how]
    with pytest.raises(expected):
        export_animation(exp, out, frames=10, result=res, progress=progress)
    assert out.read_bytes() == b"old content"
    assert os.listdir(tmp_path) == [out.name], "no temporary, helper or sidecar file is left"


@pytest.mark.parametrize("fmt, writer, method", [
    ("mp4", "MP4Writer", "grab_frame"),
    ("gif", "GIFWriter", "grab_frame"),  # the helper file, while frames are drawn
    ("gif", "GIFWriter", "_write_gif_frames"),  # the GIF itself, after the last frame
    ("webp", "WebPWriter", "grab_frame"),
])
def test_full_disk_while_encoding_exits_2_with_one_line(tmp_path, capsys, monkeypatch, fmt, writer, method):
    """The encoder fails with ENOSPC half-way (as PyAV does on a full disk): one line, old file kept."""
    from optviz.cli import main
    from optviz.render import writers

    cls = getattr(writers, writer)
    original = getattr(cls, method)
    calls = []

    def failing(self, *args):
        calls.append(method)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return original(self, *args)

    monkeypatch.setattr(cls, method, failing)
    exp = _write(tmp_path)
    out = tmp_path / f"o.{fmt}"
    out.write_bytes(b"old content")
    assert main(["export", str(exp), "-o", str(out), "--frames", "8", "-q"]) == 2
    err = capsys.readouterr().err
    assert err == f"optviz: error: cannot write {out}: No space left on device\n"
    assert len(calls) == 3
    assert out.read_bytes() == b"old content"
    assert sorted(os.listdir(tmp_path)) == ["exp.toml", out.name]


def test_write_errors_of_every_format_exit_2_with_one_line(tmp_path):
    """Real failing writes (a 2 KiB file size limit, EFBIG) through every writer, in a subprocess."""
    _write(tmp_path)
    outputs = {"mp4": "export", "gif": "export", "webp": "export", "png": "figure", "svg": "figure"}
    for fmt in outputs:
        (tmp_path / f"out.{fmt}").write_bytes(b"old content")
    code = textwrap.dedent(f"""
        import contextlib, io, json, resource
        from optviz.cli import main
        from optviz.experiment import Experiment, run_experiment
        run_experiment(Experiment.load("exp.toml"))  # the kernels' cache is read or written before the limit
        import optviz.render.export, optviz.render.writers, optviz.render.scene, av, PIL.WebPImagePlugin
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
        results = {{}}
        for fmt, command in {outputs!r}.items():
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                extra = ["--frames", "5"] if command == "export" else []
                results[fmt] = [main([command, "exp.toml", "-o", "out." + fmt, "-q", *extra]), err.getvalue()]
        print(json.dumps(results))
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for fmt in outputs:
        assert results[fmt] == [2, f"optviz: error: cannot write out.{fmt}: File too large\n"], fmt
        assert (tmp_path / f"out.{fmt}").read_bytes() == b"old content"
    assert sorted(os.listdir(tmp_path)) == sorted(["exp.toml", *(f"out.{fmt}" for fmt in outputs)])


def test_existing_file_is_replaced_by_a_complete_one(tmp_path, exp_and_result):
    exp, res = exp_and_result
    out = tmp_path / "f.png"
    out.write_bytes(b"old")
    figure(exp, out, result=res)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _no_temp_files(tmp_path)


# ---------------------------------------------------------- bad options
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(size="0x720"), "size"),
        (dict(size=(321, 240)), "even"),
        (dict(fps=0), "fps"),
        (dict(frames=0), "frames"),
        (dict(colormap="jet"), "colormap"),
        (dict(side_plots=["loss", "bogus"]), "side_plots"),
    ],
)
def test_bad_animation_options_raise_before_anything(tmp_path, exp_and_result, kwargs, message):
    exp, res = exp_and_result
    with pytest.raises(RenderOptionError, match=message):
        export_animation(exp, tmp_path / "a.mp4", result=res, **kwargs)
    assert os.listdir(tmp_path) == []


def test_bad_figure_options(tmp_path, exp_and_result):
    exp, res = exp_and_result
    with pytest.raises(RenderOptionError, match="step: 41 is not allowed"):
        figure(exp, tmp_path / "a.png", step=41, result=res)
    with pytest.raises(RenderOptionError, match="output"):
        figure(exp, tmp_path / "a.jpg", result=res)
    with pytest.raises(RenderOptionError, match="does not exist"):
        figure(exp, tmp_path / "nope" / "a.png", result=res)
    assert os.listdir(tmp_path) == []


def test_render_table_is_validated_with_field_value_allowed():
    with pytest.raises(RenderOptionError, match=r"render\.bogus: unknown option"):
        resolve_options({"bogus": 1})
    with pytest.raises(RenderOptionError, match=r"trail_length: -2 is not allowed"):
        resolve_options({"trail_length": -2})
    opts = resolve_options({"size": [640, 480], "frames": 10}, duration=2.0)
    assert opts.size == (640, 480) and opts.frames is None and opts.duration == 2.0


@pytest.mark.parametrize(
    "options, steps, message",
    [
        (dict(steps_per_frame=1e-300), 40, r"steps_per_frame: 1e-300 is 4e\+301 frames for the run's 40 steps; "
                                           r"at most 100,000 frames are allowed \(steps_per_frame >= 0.000401,"),
        (dict(steps_per_frame=0.001), 300, r"steps_per_frame: 0.001 is 300,001 frames for the run's 300 steps; "
                                           r"at most 100,000 frames are allowed \(steps_per_frame >= 0.00301"),
        (dict(duration=3600, fps=240), 40, r"duration: 3600 s at fps 240 is 864,000 frames; at most 100,000 frames "
                                           r"are allowed \(at fps 240, a duration up to 416.6 s\)"),
        (dict(fps=1e-300), 40, r"fps: 1e-300 is not allowed; a number from 0.1 to 240"),
    ],
)
def test_frame_limits_hold_for_every_combination(options, steps, message):
    with pytest.raises(RenderOptionError, match=message):
        plan_frames(resolve_options({}, **options), steps)


def test_frame_limit_suggestion_is_allowed():
    assert len(plan_frames(resolve_options({}, steps_per_frame=0.00301), 300)) <= 100_000
    assert len(plan_frames(resolve_options({}, duration=416.6, fps=240), 40)) <= 100_000


@pytest.mark.parametrize(
    "flags, needle",
    [
        (["--steps-per-frame", "1e-300"], "steps_per_frame: 1e-300 is 3e+302 frames"),
        (["--steps-per-frame", "0.001"], "steps_per_frame: 0.001 is 300,001 frames"),
        (["--duration", "3600", "--fps", "240"], "duration: 3600 s at fps 240 is 864,000 frames"),
        (["--fps", "1e-300"], "fps: 1e-300 is not allowed"),
    ],
)
def test_cli_frame_limits_refuse_before_simulating(tmp_path, capsys, monkeypatch, flags, needle):
    import optviz.experiment
    from optviz.cli import main

    def simulate(*args, **kwargs):
        raise AssertionError("simulated before checking the frame limits")

    monkeypatch.setattr(optviz.experiment, "run_experiment", simulate)
    exp = tmp_path / "exp.toml"
    exp.write_text(SMALL_EXPERIMENT.replace("steps = 40", "steps = 300"))
    assert main(["export", str(exp), "-o", str(tmp_path / "x.mp4"), *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("optviz: error: ") and needle in err
    assert sorted(os.listdir(tmp_path)) == ["exp.toml"]


def test_plan_frames():
    o = resolve_options({})
    assert plan_frames(o, 500) == [round(j * 500 / 299) for j in range(300)]
    assert plan_frames(resolve_options({}, steps_per_frame=100), 250) == [0, 100, 200, 250]
    assert plan_frames(resolve_options({}, frames=3, steps_per_frame=10), 15) == [0, 10, 15]
    assert plan_frames(resolve_options({}, frames=1), 40) == [40]
    assert len(plan_frames(resolve_options({}, duration=2, fps=15), 40)) == 30


# --------------------------------------------------------------------- CLI
def _write(tmp_path):
    p = tmp_path / "exp.toml"
    p.write_text(SMALL_EXPERIMENT.replace("steps = 40", "steps = 10"))
    return p


def test_cli_figure_export_and_from(tmp_path, capsys):
    from optviz.cli import main

    exp = _write(tmp_path)
    png = tmp_path / "o.png"
    assert main(["figure", str(exp), "-o", str(png), "--step", "5", "--size", "200x160"]) == 0
    assert main(["figure", "--from", str(png), "-o", str(tmp_path / "o2.png")]) == 0
    assert _sha(png) == _sha(tmp_path / "o2.png")
    mp4 = tmp_path / "o.mp4"
    assert main(["export", str(exp), "-o", str(mp4), "--frames", "4", "--fps", "8", "-q"]) == 0
    frames, *_ = _decode(mp4)
    assert len(frames) == 4


@pytest.mark.parametrize(
    "args, needle",
    [
        (["figure", "{exp}", "-o", "{d}/x.bmp"], "output"),
        (["figure", "{exp}", "-o", "{d}/x.png", "--size", "0x10"], "size"),
        (["figure", "{exp}", "-o", "{d}/x.png", "--step", "11"], "step"),
        (["export", "{exp}", "-o", "{d}/x.mp4", "--frames", "0"], "frames"),
        (["export", "{exp}", "-o", "{d}/x.mkv"], "output"),
        (["export", "{exp}", "-o", "{d}/x.mp4", "--fps", "fast"], "--fps"),
        (["export", "{exp}", "-o", "/nonexistent-dir/x.mp4"], "does not exist"),
        (["export", "{exp}", "-o", "{d}/x.mp4", "--frames", "3", "--duration", "1"], "not allowed"),
        (["figure", "--from", "{d}/missing.png"], "no such file"),
    ],
)
def test_cli_bad_options_exit_2_with_one_line(tmp_path, capsys, args, needle):
    from optviz.cli import main

    exp = _write(tmp_path)
    before = sorted(os.listdir(tmp_path))
    argv = [a.format(exp=exp, d=tmp_path) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err and "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == before


# ------------------------------------------------------ the writer registry
def _opened(path):
    """(frames, (width, height), fps or None) of an output, as an XML parser (SVG: its viewBox), Pillow or PyAV
    reads it."""
    from PIL import Image, UnidentifiedImageError

    try:
        _x, _y, width, height = map(float, ET.parse(path).getroot().get("viewBox").split())
        return 1, (int(width), int(height)), None
    except ET.ParseError:
        pass
    try:
        with Image.open(path) as im:
            durations = []
            for k in range(getattr(im, "n_frames", 1)):
                im.seek(k)
                im.load()
                durations.append(im.info.get("duration"))
            fps = 1000 / durations[0] if durations[0] and len(set(durations)) == 1 else None
            return len(durations), im.size, fps
    except UnidentifiedImageError:
        pass
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return sum(1 for _ in c.decode(video=0)), (s.codec_context.width, s.codec_context.height), \
            float(s.average_rate)


@pytest.mark.parametrize("fmt", registry.names())
def test_every_registered_format_is_written_by_the_cli(tmp_path, capsys, fmt):
    """Each registered ending is accepted by `optviz figure`/`export`; the file opens with the frames, size and
    fps asked for, and records its experiment."""
    from optviz.cli import main

    writer = registry[fmt]
    exp = _write(tmp_path)
    out = tmp_path / f"o{writer.extensions[0]}"
    if writer.kind == "animation":
        assert main(["export", str(exp), "-o", str(out), "--frames", "5", "--fps", "10", "-q"]) == 0
        assert _opened(out) == (5, (320, 240), 10)
    else:
        assert main(["figure", str(exp), "-o", str(out), "-q"]) == 0
        assert _opened(out) == (1, (320, 240), None)
    assert "small test experiment" in read_experiment_text(out)
    assert f"wrote {out}" in capsys.readouterr().out
    assert _no_temp_files(tmp_path)


def test_cli_help_and_list_show_the_registry(capsys):
    """What `optviz figure/export --help` and `optviz list` name is the registry, nothing else."""
    from optviz.cli import main

    for command, kind in (("figure", "figure"), ("export", "animation")):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert f"output file: {', '.join(registry.extensions(kind))}; default EXPERIMENT" in text
    assert main(["list"]) == 0
    listed = capsys.readouterr().out.split("Output formats")[1].splitlines()[1:]
    assert [line.split()[:3] for line in listed if line.strip()] == \
        [[w.name, w.extensions[0], w.kind] for w in registry.writers()]


@pytest.mark.parametrize("command, ending, allowed", [("figure", ".jpg", "figure"), ("export", ".mkv", "animation")])
def test_cli_refuses_an_unregistered_ending_naming_the_registered_ones(tmp_path, capsys, command, ending, allowed):
    from optviz.cli import main

    exp = _write(tmp_path)
    assert main([command, str(exp), "-o", f"x{ending}"]) == 2
    assert capsys.readouterr().err == (f"optviz: error: output: 'x{ending}' is not allowed; {allowed}s are written as "
                                       f"{', '.join(registry.extensions(allowed))}\n")
    assert sorted(os.listdir(tmp_path)) == ["exp.toml"]


@pytest.fixture
def without_libx264(monkeypatch):
    """PyAV as if built without the H.264 encoder (the MP4 writer's)."""
    import av

    real = av.codec.Codec

    def codec(name, mode="r"):
        if name == "libx264":
            raise av.codec.codec.UnknownCodecError(name)
        return real(name, mode)

    monkeypatch.setattr(av.codec, "Codec", codec)
    return f"format: 'mp4' (MP4) is not available; this PyAV build (FFmpeg {av.ffmpeg_version_info}) has no " \
           "'libx264' encoder"


def test_unavailable_writer_says_why_in_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch, without_libx264):
    import optviz.experiment
    from optviz.cli import main

    exp = _write(tmp_path)
    (tmp_path / "keep.mp4").write_bytes(b"old content")
    with pytest.raises(RenderOptionError) as caught:
        export_animation(str(exp), tmp_path / "a.mp4")
    assert str(caught.value) == without_libx264

    def simulate(*args, **kwargs):
        raise AssertionError("simulated before checking the format")

    monkeypatch.setattr(optviz.experiment, "run_experiment", simulate)
    assert main(["export", str(exp), "-o", str(tmp_path / "keep.mp4"), "-q"]) == 2
    assert capsys.readouterr().err == f"optviz: error: {without_libx264}\n"
    assert sorted(os.listdir(tmp_path)) == ["exp.toml", "keep.mp4"]
    assert (tmp_path / "keep.mp4").read_bytes() == b"old content"
    assert main(["list"]) == 0
    assert "NOT AVAILABLE: this PyAV build" in [line for line in capsys.readouterr().out.splitlines()
                                                if line.split()[:1] == ["mp4"]][0]


def test_dialog_lists_the_registry_and_greys_an_unavailable_format(tmp_path, without_libx264):
    """The window's export dialog: every registered animation format, an unavailable one greyed with its
    reason, and choosing it anyway disables Export with the CLI's one line."""
    from PySide6 import QtWidgets

    from optviz.app.export_controller import AnimationExportDialog
    from optviz.render.qt import ensure_app

    ensure_app(headless=True)
    dialog = AnimationExportDialog(Experiment.from_toml(SMALL_EXPERIMENT), tmp_path / "x.gif")
    try:
        combo = dialog.format
        assert [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())] == \
            [(w.title, w.extensions[0]) for w in registry.writers("animation")]
        items = [combo.model().item(i) for i in range(combo.count())]
        assert [item.isEnabled() for item in items] == [w.name != "mp4" for w in registry.writers("animation")]
        assert items[combo.findData(".mp4")].toolTip() == "Not available: " + without_libx264.split("; ", 1)[1]
        export = dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        assert export.isEnabled()
        dialog.path.setText(str(tmp_path / "x.mp4"))
        assert not export.isEnabled() and dialog.summary.text() == without_libx264
    finally:
        dialog.deleteLater()
    assert os.listdir(tmp_path) == []


def test_a_new_writer_is_one_registration(tmp_path, capsys):
    """Registering a writer is all it takes for the CLI to accept, list and write it."""
    from optviz.cli import main
    from optviz.render.writers import GIFWriter

    writer = type("LoopingGIF", (GIFWriter,), {"name": "agif", "label": "AGIF", "title": "GIF, again",
                                               "extensions": (".agif",)})
    registry.register(writer)
    try:
        exp = _write(tmp_path)
        assert main(["export", str(exp), "-o", str(tmp_path / "o.agif"), "--frames", "3", "-q"]) == 0
        assert _opened(tmp_path / "o.agif")[:2] == (3, (320, 240))
        assert main(["list"]) == 0
        assert "  agif   .agif    animation  GIF, again" in capsys.readouterr().out.splitlines()
    finally:
        registry._writers.pop("agif")


def test_registration_refuses_a_taken_name_or_ending():
    from optviz.render.writers import GIFWriter, MP4Writer

    fresh = WriterRegistry()
    fresh.register(MP4Writer)
    with pytest.raises(ValueError, match="name: 'mp4' is registered already"):
        fresh.register(MP4Writer)
    with pytest.raises(ValueError, match="extensions: '.mp4' is the 'mp4' writer's already"):
        fresh.register(type("Other", (GIFWriter,), {"name": "other", "extensions": (".mp4",)}))
    assert fresh.names() == ["mp4"]
