"""The app's models without Qt: document edits (valid and refused), playback, live run, display."""

import numpy as np
import pytest
from helpers import hold_kernel_compiles

from optviz.experiment.vocabulary import DEFAULT_SIDE_PLOTS
from optviz.models import Playback, Selection, ViewOptions
from optviz.models.document import DocumentModel, EditError
from optviz.models.live import DisplayBuffer, LiveRun, side_sample


def test_document_edits_emit_and_validate(tmp_path):
    doc = DocumentModel()
    kinds = []
    doc.events.all.connect(lambda info: kinds.append(info.signal.name))
    doc.set_hyper(0, "lr", 0.002)
    assert doc.group(0).hyper["lr"] == 0.002
    before = doc.experiment
    with pytest.raises(EditError, match=r"lr = -1 is out of range: must be in \(0, inf\)"):
        doc.set_hyper(0, "lr", -1)
    with pytest.raises(EditError, match="betas"):
        doc.set_hyper(1, "betas", [0.9, 1.5])
    assert doc.experiment is before  # refused edits change nothing
    doc.set_hyper(0, "lr", doc.experiment.groups[0].resolved_hyper()["lr"])
    i = doc.add_group("rmsprop")
    assert doc.group(i).optimizer == "rmsprop" and doc.n_groups == 3
    j = doc.duplicate_group(i)
    assert doc.group(j).label != doc.group(i).label
    doc.rename_group(j, "copy")
    doc.set_group_color(j, "#123456")
    doc.set_group_visible(j, False)
    doc.remove_group(j)
    doc.place_point(0, 0.5, -0.25)
    assert doc.group(0).init == {"kind": "point", "point": [0.5, -0.25]}
    doc.place_cloud(0, 1.0, 1.0, 0.2, count=50)
    assert doc.group(0).init["count"] == 50 and doc.group(0).init["std"] == [0.1, 0.1]
    doc.set_count(0, 1000)
    with pytest.raises(EditError, match="out of range"):
        doc.set_count(0, 2_000_000)
    doc.set_optimizer(0, "adam")
    doc.set_schedule(0, {"kind": "cosine", "T_max": 50})
    with pytest.raises(EditError):
        doc.set_schedule(0, {"kind": "cosine", "T_max": 0})
    assert {"simulation", "group", "groups"} <= set(kinds)
    assert doc.dirty
    path = tmp_path / "e.toml"
    doc.save(path)
    assert not doc.dirty
    other = DocumentModel()
    other.load(path)
    assert other.experiment.to_dict() == doc.experiment.to_dict()
    while doc.n_groups > 1:
        doc.remove_group(0)
    with pytest.raises(EditError, match="at least one group"):
        doc.remove_group(0)


def test_each_edit_emits_its_own_fields_and_the_run_only_when_the_run_changes():
    doc = DocumentModel()
    seen = []
    doc.events.all.connect(lambda info: seen.append((info.signal.name, *info.args)))
    before = doc.experiment
    doc.set_group_color(1, "#AA0000")
    assert seen == [("dirty", True), ("group", 1, "color")]  # a colour redraws; the run stays
    assert doc.group(1).color == "#aa0000" and before.groups[1].color is None  # never edited in place
    seen.clear()
    doc.set_hyper(0, "lr", 0.003)
    assert seen == [("group", 0, "hyper"), ("simulation",)]
    seen.clear()
    doc.set_optimizer(0, "rmsprop")  # the default label follows the optimizer
    assert seen == [("group", 0, "label"), ("group", 0, "optimizer"), ("simulation",)]  # lr is kept
    seen.clear()
    doc.set_title("Ravine")
    doc.set_view_table({"trail": 50})
    doc.set_steps(200)
    assert seen == [("title", "Ravine"), ("view", {"trail": 50}), ("run", doc.experiment.run), ("simulation",)]
    seen.clear()
    doc.set_title("Ravine")  # no change, no event
    doc.move_group(0, 0)
    assert seen == []
    doc.set_landscape("six_hump_camel")  # y = 2 is outside its view: the starts move inside, init changes
    names = [s[0] for s in seen]
    assert names[0] == "landscape" and names[-1] == "simulation"
    assert ("group", 0, "init") in seen and ("group", 1, "init") in seen


def test_a_refused_edit_names_the_field_and_emits_nothing():
    doc = DocumentModel()
    seen = []
    doc.events.all.connect(lambda info: seen.append(info.signal.name))
    before = doc.experiment
    with pytest.raises(EditError, match=r"groups\[0\]\.color = 'red' must be a colour like"):
        doc.set_group_color(0, "red")
    with pytest.raises(EditError, match=r"groups\[1\]\.init\.mean\[0\] = nan is not allowed: must be a finite"):
        doc.set_init(1, {"kind": "normal", "mean": [float("nan"), 0.0], "std": [0.1, 0.1], "count": 10})
    with pytest.raises(EditError, match=r"run\.steps = 0 must be an integer in \[1, "):
        doc.set_steps(0)
    with pytest.raises(EditError, match=r"title = .* must be a string of at most 500 characters"):
        doc.set_title("x" * 501)
    assert seen == [] and doc.experiment is before and not doc.dirty


def test_playback_selection_view_options():
    pb = Playback()
    seen = []
    pb.events.frame.connect(seen.append)
    pb.n_frames = 10
    pb.scrub(3)
    assert pb.frame == 3 and not pb.follow and seen == [3]
    pb.scrub(99)
    assert pb.frame == 9 and pb.follow
    pb.set_speed(5000)
    assert pb.speed == 1000
    sel = Selection()
    sel.particle = 4
    v = ViewOptions()
    v.update({"trail_length": 12, "colormap": "bogus", "side_plots": ["lr", "loss"], "future": "show"})
    assert v.trail_length == 12 and v.colormap == "viridis" and v.side_plots == ("loss", "lr")
    assert v.future == "ghost" and v.to_dict()["side_plots"] == ["loss", "lr"]
    v.update({"trail_length": "auto", "side_plots": "auto", "particle_mode": "DENSITY", "future": ["x"]})
    assert v.trail_length == 30 and v.side_plots == DEFAULT_SIDE_PLOTS and v.particle_mode == "density"


def test_side_sample_spreads_over_groups():
    group = np.repeat([0, 1], [5000, 10])
    idx = side_sample(group, 2, limit=100)
    assert (group[idx] == 1).sum() == 10 and len(idx) <= 100


def test_live_run_and_display_buffer():
    doc = DocumentModel()
    live = LiveRun()
    snap = live.run_blocking(doc.experiment, 30)
    assert snap.step == 30 and snap.fresh
    n = doc.n_particles()
    assert snap.positions.shape == (31, n, 2) and snap.loss.shape[0] == 31
    disp = DisplayBuffer(budget_mb=1, max_frames=16)
    assert disp.add(snap) > 0
    assert disp.n <= disp.capacity == 16
    r = disp.result()
    assert r.positions.shape[1] == n and r.step[0] == 0 and r.step[-1] == 30
    assert np.all(np.diff(r.step) > 0)
    # more frames than fit: thinned, first and newest kept
    live._work(None, False, 40, False)
    disp.add(live.take())
    assert disp.result().step[-1] == 70 and disp.result().step[0] == 0 and disp.n <= 16
    # inspection data of one particle
    live.inspect(3)
    live._work(None, False, 0, True)
    info = live.take().inspect
    assert info["particle"] == 3 and "momentum_buffer" in info["state"]
    assert info["grad"].shape == (live.sim.history.n_frames, 2)
    res = live.result()
    assert res.positions.shape[1] == n


def test_live_run_publishes_start_positions_before_compiling(monkeypatch):
    """A loaded experiment's start positions are published before its kernels compile; the
    compile is reported kernel by kernel; a Play given meanwhile runs once they are ready."""
    import threading
    import time

    release = hold_kernel_compiles(monkeypatch)
    doc = DocumentModel()
    exp = doc.experiment
    reports = []
    live = LiveRun()
    live.load(exp)
    worker = threading.Thread(target=live.loop, kwargs={"on_kernels": lambda *r: reports.append(r)})
    worker.start()
    try:
        def next_snapshot():
            end = time.monotonic() + 60
            while time.monotonic() < end:
                snap = live.take()
                if snap is not None:
                    return snap
                time.sleep(0.01)
            raise AssertionError("no snapshot")

        snap = next_snapshot()
        assert snap.positions is None and snap.fresh
        np.testing.assert_array_equal(snap.start_positions, np.concatenate(exp.initial_positions()).astype(np.float32))
        disp = DisplayBuffer()
        assert disp.add(snap) == 1 and disp.n == 1 and disp.start_only
        np.testing.assert_array_equal(disp.positions[0], snap.start_positions)
        live.play(True)  # pressed while compiling
        assert reports == [] and live.busy
        release.set()
        while not (disp.n and not disp.start_only and disp.steps[disp.n - 1] >= 3):
            disp.add(next_snapshot())
            live.request_frame()
        assert disp.steps[0] == 0 and disp.ns >= 1  # frame 0 recorded, with the side plots' data
        # kernels already loaded in this process (by earlier tests) are not reported again
        total = reports[-1][2]
        assert reports[-1][1] == total and [r[1] for r in reports] == list(range(total + 1))
        assert set(r[0] for r in reports[:-1]) <= {"Momentum on Rosenbrock", "Adam on Rosenbrock"}
    finally:
        release.set()
        live.stop()
        worker.join(60)
