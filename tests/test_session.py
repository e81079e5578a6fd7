"""The live session without Qt: what the time cursor shows while a run plays, is scrubbed back,
replayed, stepped, reset and finished."""

import threading
import time

import pytest
from helpers import experiment

from optviz.models.session import Session

GROUPS = [{"optimizer": "adam", "hyper": {"lr": 0.05},
           "init": {"kind": "normal", "mean": [-1.0, 1.5], "std": [0.2, 0.2], "count": 20}},
          {"optimizer": "momentum", "hyper": {"lr": 0.001}, "init": {"kind": "point", "point": [-1.2, 1.0]}}]


@pytest.fixture
def session():
    s = Session()
    s.frames = []
    s.frame_changed.connect(s.frames.append)
    s.load(experiment(GROUPS, steps=80))
    worker = threading.Thread(target=s.live.loop, daemon=True)
    worker.start()
    yield s
    s.live.stop()
    worker.join(60)


def tick_until(s, condition, timeout=120.0, check=None):
    """Tick as the window's timer does until ``condition()``; ``check()`` after every tick."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        s.tick()
        if check is not None:
            check()
        time.sleep(0.005)


def settle(s):
    """Paused: wait for the compute thread to finish and tick its last snapshot in."""
    for _ in range(3):
        tick_until(s, lambda: not s.live.busy)
        time.sleep(0.05)
        s.tick()


def newest_step(s):
    return int(s.display.steps[s.display.n - 1]) if s.display.n else -1


def play_to(s, step):
    s.playback.playing = True
    tick_until(s, lambda: newest_step(s) >= step)
    s.playback.playing = False
    settle(s)


def test_the_cursor_never_shows_a_step_after_the_computed_one(session):
    s = session

    def check():
        pb = s.playback
        assert pb.cursor_step <= pb.step
        if s.frame is not None:
            assert s.frame.step <= pb.step and s.frame.step == int(s.display.steps[s.frame.index])

    s.playback.playing = True
    tick_until(s, lambda: newest_step(s) >= 40, check=check)
    assert s.frame.new_data and s.playback.follow and s.frame.index == s.display.n - 1
    s.playback.playing = False
    settle(s)
    assert s.playback.cursor_step == s.playback.step == newest_step(s) == s.computed[0]
    assert s.computed[1] == 80


def test_scrubbing_back_shows_the_recorded_step_and_play_replays_then_computes(session):
    s = session
    play_to(s, 30)
    computed = s.playback.step
    s.frames.clear()
    s.scrub(5)
    assert [f.index for f in s.frames] == [5] and not s.frames[0].new_data
    assert s.frames[0].step == s.playback.cursor_step == int(s.display.steps[5])
    assert not s.playback.follow
    s.tick()
    assert s.playback.step == computed and s.playback.cursor_step == int(s.display.steps[5]), "nothing computed"
    s.frames.clear()
    s.toggle_play()  # replays the recorded frames, then computes on
    tick_until(s, lambda: s.playback.follow)
    replayed = [f.step for f in s.frames]
    assert replayed == sorted(replayed) and replayed[0] > int(s.display.steps[5]) and replayed[-1] == computed
    tick_until(s, lambda: s.playback.step > computed + 5)
    s.playback.playing = False
    settle(s)


def test_step_while_scrubbed_back_walks_the_recorded_frames(session):
    s = session
    play_to(s, 20)
    computed = s.playback.step
    s.scrub(3)
    s.step(2)
    assert s.playback.frame == 5 and s.playback.cursor_step == int(s.display.steps[5])
    assert not s.playback.playing
    s.scrub_to_newest()
    assert s.playback.follow
    s.step(3)
    tick_until(s, lambda: s.playback.step == computed + 3)
    settle(s)
    assert s.playback.cursor_step == computed + 3


def test_reset_goes_back_to_step_zero_paused(session):
    s = session
    play_to(s, 15)
    s.playback.playing = True
    s.reset()
    assert not s.playback.playing and s.playback.step == 0 and s.playback.cursor_step == 0
    tick_until(s, lambda: s.display.n == 1 and s.frame is not None and s.frame.step == 0)
    settle(s)
    assert s.playback.step == 0 and s.display.n == 1 and s.playback.frame == 0


def test_a_finished_run_pauses_and_play_starts_it_again(session):
    s = session
    s.set_speed(20)
    s.playback.playing = True
    tick_until(s, lambda: s.playback.finished)
    settle(s)
    assert not s.playback.playing and s.playback.step == 80 and s.frame.step == 80
    s.set_speed(1)
    s.toggle_play()
    assert s.playback.playing and s.playback.step == 0 and not s.playback.finished
    tick_until(s, lambda: s.frame.step < 80)  # the new run's frames
    s.playback.playing = False
    settle(s)
    assert s.playback.cursor_step <= s.playback.step < 80


def test_an_inspected_particle_is_published_with_its_history(session):
    s = session
    play_to(s, 10)
    seen = []
    s.inspected.connect(seen.append)
    s.inspect(3)
    tick_until(s, lambda: bool(seen))
    assert seen[-1]["particle"] == 3 and s.inspection is seen[-1] and len(seen[-1]["steps"]) >= 11
    s.inspect(None)
    assert s.inspection is None and s.inspected_particle is None
