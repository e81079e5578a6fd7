"""The particle kernel: advance every particle of one group by n optimizer steps.

Layout (structure of arrays): positions θ are float64 (2, N), optimizer state
float64 (S, 2, N). Work is split into tiles of TILE particles; tiles run in
parallel (``prange``), each tile runs the whole time loop, and the innermost
loops advance the particles of a tile in lockstep so that LLVM vectorizes them.

Each step t = t0+1 … t0+n of a tile: evaluate loss and gradient at θ_{t-1},
record a frame of θ_{t-1} if it is due, apply the optimizer's update rule, then
commit. A particle whose position or loss leaves [-DIVERGENCE_LIMIT,
DIVERGENCE_LIMIT] (or is not finite) is frozen at its last position inside and
marked diverged at that step: it never poisons plots, statistics or float32
records. Frames are due at steps that
are multiples of ``record_every`` (the start, frame 0, by a call of zero steps) and,
with ``record_last``, at the last step of the call. A frame holds the position,
the loss and gradient there, and the preconditioned and realized learning rates
of the step that led there (NaN for frame 0 and for diverged particles).
"""


import numpy as np

from optviz.core.data.gradients import add_gradient_noise, data_loss_grad_tile
from optviz.core.jit import INLINE_OPTIONS, KERNEL_OPTIONS, TILE, njit, prange
from optviz.core.landscapes import evaluate_landscape_tile
from optviz.core.optimizers import adadelta, adagrad, adam, adamax, lion, nadam, radam, rmsprop, sgd
from optviz.core.optimizers.common import flush

#: Beyond this |θ| or |loss| a particle has left every landscape's scale: it has diverged.
DIVERGENCE_LIMIT = 1e30

#: Entries of a group's gradient configuration array (see ``gradient_config``).
SOURCE, BATCH_SIZE, WITHOUT_REPLACEMENT, NOISE_KIND, NOISE_SCALE, NOISE_DOF = range(6)
SOURCE_LANDSCAPE, SOURCE_DATA = 0, 1
NOISE_KINDS = {"none": 0, "gaussian": 1, "student_t": 2}


def gradient_config(source: int, batch_size: int = 0, without_replacement: bool = True,
                    noise: str = "none", scale: float = 0.0, dof: float = 3.0) -> np.ndarray:
    """How a group's gradients are estimated: landscape or data (full or mini-batch), plus noise."""
    return np.array([source, batch_size, float(without_replacement), NOISE_KINDS[noise], scale, dof])


@njit(**INLINE_OPTIONS)
def gradient_tile(landscape_id, landscape_params, data, config, seed, step, theta, start, count, full_loss,
                  loss, grad):
    """Loss and gradient estimate for the particles of a tile, as used by optimizer step ``step``.

    Landscapes give exact gradients; data-backed losses give the full-batch or a seeded mini-batch
    gradient (``loss`` is the batch loss, or the full-data loss when ``full_loss``); seeded noise
    is added on top when configured.
    """
    if config[SOURCE] == SOURCE_LANDSCAPE:
        evaluate_landscape_tile(landscape_id, landscape_params, theta, start, count, loss, grad)
    else:
        data_loss_grad_tile(landscape_id, data, int(config[BATCH_SIZE]), config[WITHOUT_REPLACEMENT] != 0.0,
                            seed, step, theta, start, count, full_loss, loss, grad)
    if config[NOISE_KIND] != 0.0:
        add_gradient_noise(int(config[NOISE_KIND]), config[NOISE_SCALE], config[NOISE_DOF], seed, step, start,
                           count, grad)


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


@njit(**INLINE_OPTIONS)
def update_tile(family, hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre):
    """Apply the update rule of optimizer ``family`` to one tile (see optimizers/)."""
    if family == 0:
        sgd.update(hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre)
    elif family == 1:
        adagrad.update(hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre)
    elif family == 2:
        rmsprop.update(hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre)
    elif family == 3:
        adadelta.update(hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre)
    elif family == 4:
        adam.update(hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre)
    elif family == 5:
        adamax.update(hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre)
    elif family == 6:
        nadam.update(hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre)
    elif family == 7:
        radam.update(hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre)
    else:
        lion.update(hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre)


@njit(**INLINE_OPTIONS)
def _record(frame, theta, alive, start, count, loss, grad, lr_pre, lr_real,
            rec_pos, rec_loss, rec_grad, rec_lr_pre, rec_lr_real):
    nan = np.nan
    stop = start + count
    live = alive[start:stop]
    rec_loss_ = rec_loss[frame, start:stop]
    for j in range(count):
        rec_loss_[j] = loss[j] if live[j] else nan
    for d in range(2):
        th_ = theta[d, start:stop]
        pos_ = rec_pos[frame, start:stop, d]
        grad_ = rec_grad[frame, start:stop, d]
        pre_ = rec_lr_pre[frame, start:stop, d]
        real_ = rec_lr_real[frame, start:stop, d]
        for j in range(count):
            pos_[j] = th_[j]
            grad_[j] = grad[d, j] if live[j] else nan
            pre_[j] = lr_pre[d, j] if live[j] else nan
            real_[j] = lr_real[d, j] if live[j] else nan


@njit(**INLINE_OPTIONS)
def _check_loss(step, loss, alive, diverged_at, start, count):
    """Mark particles whose loss is beyond DIVERGENCE_LIMIT (or not finite) diverged at ``step``."""
    live = alive[start:start + count]
    since = diverged_at[start:start + count]
    for j in range(count):
        was = live[j]
        ok = was & (abs(loss[j]) <= DIVERGENCE_LIMIT)
        live[j] = ok
        since[j] = step if was != ok else since[j]


@njit(**INLINE_OPTIONS)
def _commit(step, theta, new_theta, grad, alive, diverged_at, start, count, lr_real, want_realized):
    """Accept new positions within DIVERGENCE_LIMIT; freeze and mark the others; realized LR if wanted."""
    stop = start + count
    xs = theta[0, start:stop]
    ys = theta[1, start:stop]
    live = alive[start:stop]
    since = diverged_at[start:stop]
    for j in range(count):
        nx = new_theta[0, j]
        ny = new_theta[1, j]
        was = live[j]
        ok = was & (abs(nx) <= DIVERGENCE_LIMIT) & (abs(ny) <= DIVERGENCE_LIMIT)
        if want_realized:
            gx = grad[0, j]
            gy = grad[1, j]
            lr_real[0, j] = abs(nx - xs[j]) / abs(gx) if gx != 0.0 else np.nan
            lr_real[1, j] = abs(ny - ys[j]) / abs(gy) if gy != 0.0 else np.nan
        xs[j] = flush(nx) if ok else xs[j]
        ys[j] = flush(ny) if ok else ys[j]
        live[j] = ok
        since[j] = step if was != ok else since[j]


@njit(**KERNEL_OPTIONS)
def advance_tile(family, hyper, coefs, t0, n_steps, landscape_id, landscape_params, data, gradient_cfg, seed,
                 theta, state, alive, diverged_at, record_every, record_last, frame0,
                 rec_pos, rec_loss, rec_grad, rec_lr_pre, rec_lr_real, start, count):
    """Advance particles [start, start+count) by n_steps; coefs[s] are the scalars of step t0+s+1."""
    loss = np.empty(TILE)
    grad = np.empty((2, TILE))
    new_theta = np.empty((2, TILE))
    lr_pre = np.full((2, TILE), np.nan)
    lr_real = np.full((2, TILE), np.nan)
    frame = frame0
    for s in range(n_steps + 1):
        t = t0 + s
        due = frame_is_due(t, s, n_steps, record_every, record_last)
        gradient_tile(landscape_id, landscape_params, data, gradient_cfg, seed, t + 1, theta, start, count, due,
                      loss, grad)
        _check_loss(t, loss, alive, diverged_at, start, count)
        if due:
            _record(frame, theta, alive, start, count, loss, grad, lr_pre, lr_real,
                    rec_pos, rec_loss, rec_grad, rec_lr_pre, rec_lr_real)
            frame += 1
        if s == n_steps:
            break
        recorded_next = frame_is_due(t + 1, s + 1, n_steps, record_every, record_last)
        update_tile(family, hyper, coefs[s], recorded_next, theta, state, grad, start, count, new_theta, lr_pre)
        _commit(t + 1, theta, new_theta, grad, alive, diverged_at, start, count, lr_real, recorded_next)


@njit(parallel=True, **KERNEL_OPTIONS)
def advance_parallel(family, hyper, coefs, t0, n_steps, landscape_id, landscape_params, data, gradient_cfg, seed,
                     theta, state, alive, diverged_at, record_every, record_last, frame0,
                     rec_pos, rec_loss, rec_grad, rec_lr_pre, rec_lr_real):
    """advance_tile over all tiles, in parallel (for large groups)."""
    n = theta.shape[1]
    for tile in prange((n + TILE - 1) // TILE):
        start = tile * TILE
        advance_tile(family, hyper, coefs, t0, n_steps, landscape_id, landscape_params, data, gradient_cfg, seed,
                     theta, state, alive, diverged_at, record_every, record_last, frame0,
                     rec_pos, rec_loss, rec_grad, rec_lr_pre, rec_lr_real, start, min(TILE, n - start))


@njit(**KERNEL_OPTIONS)
def advance_serial(family, hyper, coefs, t0, n_steps, landscape_id, landscape_params, data, gradient_cfg, seed,
                   theta, state, alive, diverged_at, record_every, record_last, frame0,
                   rec_pos, rec_loss, rec_grad, rec_lr_pre, rec_lr_real):
    """advance_tile over all tiles on the calling thread (small groups: no parallel start-up cost)."""
    n = theta.shape[1]
    for tile in range((n + TILE - 1) // TILE):
        start = tile * TILE
        advance_tile(family, hyper, coefs, t0, n_steps, landscape_id, landscape_params, data, gradient_cfg, seed,
                     theta, state, alive, diverged_at, record_every, record_last, frame0,
                     rec_pos, rec_loss, rec_grad, rec_lr_pre, rec_lr_real, start, min(TILE, n - start))


# Kernels for user-typed landscapes ----------------------------------------------------------
#
# Built-in landscapes run the cached kernels above. A typed expression brings its own tile
# function (a generated module, see optviz.core.expressions.codegen). Its kernels are the
# functions above, written out again into a generated module that imports the expression's
# tile function in place of the built-ins and the update rule of one optimizer family only
# (which keeps compiling to seconds). Being real files, they use Numba's disk cache: an
# expression compiles once per optimizer family, not once per process.

FAMILY_MODULES = ("sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamax", "nadam", "radam", "lion")

_custom_kernels: dict[tuple, tuple] = {}


def custom_kernel_source(tile_module: str, family: int, tile_name: str = "evaluate_tile") -> str:
    """Source of a module with advance_serial/advance_parallel for a tile function and an optimizer family."""
    import inspect

    functions = (gradient_tile, advance_tile, advance_serial, advance_parallel)
    defined = {"update_tile", "evaluate_landscape_tile", "INLINE_OPTIONS", "KERNEL_OPTIONS", "njit",
               *(f.py_func.__name__ for f in functions)}
    scope = globals()
    names = sorted({name for f in functions for name in f.py_func.__code__.co_names
                    if name in scope and name not in defined})
    family_update = (
        "@njit(**INLINE_OPTIONS)\n"
        "def update_tile(family, hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre):\n"
        "    family_update(hyper, coef, want_lr, theta, state, grad, start, count, new_theta, lr_pre)\n"
    )
    parts = [
        '"""Generated by optviz.core.kernel: particle kernels for one typed landscape and optimizer family."""',
        "from optviz.core.jit import INLINE_OPTIONS, KERNEL_OPTIONS, njit",
        f"from optviz.core.kernel import {', '.join(names)}",
        f"from {tile_module} import {tile_name} as evaluate_landscape_tile",
        f"from optviz.core.optimizers.{FAMILY_MODULES[family]} import update as family_update",
        "",
        family_update,
        *(inspect.getsource(f.py_func) for f in functions),
    ]
    return "\n\n".join(parts)


def kernels_for(tile_function, cache_key: str, family: int):
    """(advance_serial, advance_parallel) for a custom landscape tile function and optimizer family."""
    key = (cache_key, family)
    if key not in _custom_kernels:
        from optviz.core.expressions.codegen import load_module

        module = load_module(custom_kernel_source(tile_function.py_func.__module__, family,
                                                  tile_function.py_func.__name__))
        _custom_kernels[key] = (module.advance_serial, module.advance_parallel)
    return _custom_kernels[key]
