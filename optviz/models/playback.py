"""Small evented models: playback/time cursor, selection, view options (no Qt, no engine)."""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import evented

from optviz.experiment import vocabulary
from optviz.experiment.model import MAX_SPEED

__all__ = ["Playback", "Selection", "ViewOptions", "MAX_SPEED"]


@evented
@dataclass
class Playback:
    """Where the run is and what the views show.

    ``step`` is the simulation's live step; ``n_frames`` the recorded frames the
    window holds; ``frame`` the time cursor (a recorded frame index) and
    ``cursor_step`` its optimizer step. ``follow`` keeps the cursor on the newest
    frame (scrubbing back turns it off; play or dragging to the end turns it on).
    """

    playing: bool = False
    speed: int = 1  # optimizer steps per drawn frame
    step: int = 0
    total_steps: int = 0
    n_frames: int = 0
    frame: int = 0
    cursor_step: int = 0
    follow: bool = True
    finished: bool = False

    def set_speed(self, value: int) -> None:
        self.speed = int(min(max(int(value), 1), MAX_SPEED))

    def scrub(self, frame: int) -> None:
        """Move the cursor to recorded frame ``frame`` (the newest frame re-enables follow)."""
        last = max(self.n_frames - 1, 0)
        frame = int(min(max(int(frame), 0), last))
        self.follow = frame >= last
        self.frame = frame

    def reset(self, total_steps: int, keep_playing: bool = False) -> None:
        self.playing = self.playing and keep_playing
        self.finished = False
        self.step = 0
        self.total_steps = int(total_steps)
        self.n_frames = 0
        self.frame = 0
        self.cursor_step = 0
        self.follow = True


@evented
@dataclass
class Selection:
    """The group being edited, the particle being inspected (global index or None), and
    ``solo``: whether only the selected group is shown (a view of the moment, never saved)."""

    group: int = 0
    particle: int | None = None
    solo: bool = False


@evented
@dataclass
class ViewOptions:
    """How the window draws the run; stored in the experiment's ``[view]`` table and in preferences.

    The look options (:data:`~optviz.experiment.vocabulary.LOOK_OPTIONS`) are the ones a
    figure's :class:`~optviz.render.options.RenderOptions` has too, with one validator each; the
    others are the window's own (``future``; ``place_mode``, never saved).
    """

    trail_length: int = 30  # recorded frames; -1 = whole path; 0 = none
    particle_mode: str = "auto"  # one of vocabulary.PARTICLE_MODES
    colormap: str = "viridis"  # one of vocabulary.COLORMAPS
    side_plots: tuple = vocabulary.DEFAULT_SIDE_PLOTS
    place_mode: bool = False  # clicks on the landscape place particles
    future: str = "hide"  # side plots after the cursor: one of vocabulary.FUTURE_MODES

    KEYS = (*vocabulary.LOOK_OPTIONS, "future")

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in self.KEYS}
        out["side_plots"] = list(self.side_plots)
        return out

    def update(self, table: dict) -> None:
        """Apply the known keys of ``table``, each checked by the validator that ``[view]`` and
        ``[render]`` share (:func:`~optviz.experiment.vocabulary.check_look`); "auto" means the
        default. Unknown keys and bad values (a stale preference) are left out."""
        defaults = ViewOptions()
        for key, value in (table or {}).items():
            if key == "future":
                if isinstance(value, str):
                    value = vocabulary.FUTURE_ALIASES.get(value, value)
                    if value in vocabulary.FUTURE_MODES:
                        self.future = value
                continue
            if key not in vocabulary.LOOK_OPTIONS:
                continue
            try:
                value = vocabulary.check_look(key, value)
            except vocabulary.LookError:
                continue
            setattr(self, key, getattr(defaults, key) if value == "auto" else value)

