"""What every generated particle kernel shares: the divergence limit, the recording
schedule and the layout of a group's gradient configuration."""

import numpy as np

from optviz.core.jit import INLINE_OPTIONS, njit

#: Beyond this |θ| or |loss| a particle has left every landscape's scale: it has diverged.
DIVERGENCE_LIMIT = 1e30

#: Entries of a group's gradient configuration (see ``gradient_config``), by name.
BATCH_SIZE, WITHOUT_REPLACEMENT, NOISE_KIND, NOISE_SCALE, NOISE_DOF = range(5)
NOISE_KINDS = {"none": 0, "gaussian": 1, "student_t": 2}


def gradient_config(batch_size: int = 0, without_replacement: bool = True, noise: str = "none",
                    scale: float = 0.0, dof: float = 3.0) -> np.ndarray:
    """How a group's gradients are estimated: mini-batch size (0 = full batch), sampling, and noise."""
    config = np.zeros(5)
    config[BATCH_SIZE] = batch_size
    config[WITHOUT_REPLACEMENT] = float(without_replacement)
    config[NOISE_KIND] = NOISE_KINDS[noise]
    config[NOISE_SCALE] = scale
    config[NOISE_DOF] = dof
    return config


@njit(**INLINE_OPTIONS)
def frame_is_due(t, s, n_steps, record_every, record_last):
    """Whether a call records the frame of step t, reached after s of its n_steps.

    A call records the steps it reaches, not the one it starts from (the previous
    call recorded that); only a call of zero steps records its start (frame 0).
    """
    regular = t % record_every == 0 and (s > 0 or n_steps == 0)
    return regular or (record_last and s == n_steps and s > 0)


def due_steps(t0: int, n_steps: int, record_every: int, record_last: bool) -> list[int]:
    """The steps whose frames a call from step t0 over n_steps records (as frame_is_due)."""
    first = t0 if n_steps == 0 else (t0 // record_every + 1) * record_every
    steps = list(range(first, t0 + n_steps + 1, record_every))
    if record_last and n_steps > 0 and (t0 + n_steps) % record_every:
        steps.append(t0 + n_steps)
    return steps
