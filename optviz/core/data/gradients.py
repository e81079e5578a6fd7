"""Tile functions for data-backed losses and stochastic gradients (inlined into kernels).

Conventions as the particle kernels (optviz.core.kernels) use them: theta is
float64 (2, N) (row 0 = theta0, row 1 = theta1); a call handles particles
i = start + j for j in range(count) and writes ``loss[j]``, ``grad[0, j]``,
``grad[1, j]`` (arrays of at least ``count`` columns). Loops over particles are
innermost and branch-free so that LLVM vectorizes them; they index slices with
loop variables from 0 (``a[start + j]`` would add wraparound checks that stop
vectorization).

Sampling (steps are 1-based; n = len(data); B = batch_size)
-----------------------------------------------------------
- **Full batch** when ``B <= 0`` or ``B >= n``: every sample, in order 0..n-1;
  deterministic and identical for B = n with and without replacement.
- **With replacement**: sample ``b`` (0 <= b < B) of particle i at step t is
  ``bounded(hash64(S, i, t, b), n)`` where ``S = stream_seed(seed, BATCH_STREAM)``
  and ``bounded(h, n) = ((h >> 32) * n) >> 32`` (Lemire's division-free
  ``h mod n``; bias < n / 2**32).
- **Without replacement, by epoch** (PyTorch's shuffle + drop_last): an epoch is
  ``E = n // B`` steps; step t is in epoch ``e = (t - 1) // E`` and takes positions
  ``p = ((t - 1) % E) * B + b`` (b < B) of a permutation ``perm_{i,e}`` of
  range(n) keyed by ``hash_prefix(S', i, e)``, ``S' = stream_seed(seed,
  EPOCH_STREAM)``. Each epoch so visits ``E * B`` distinct samples, every sample
  exactly once when B divides n; the last ``n mod B`` positions of each epoch's
  permutation (different samples every epoch) are dropped. ``perm`` is a
  4-round unbalanced Feistel network on m = ceil(log2 n) bits (``m - m//2`` high,
  ``m//2`` low bits; each round xors one part with a keyed hash of the other), so a
  bijection of [0, 2**m), restricted to [0, n) by cycle walking (apply again until
  the value is < n; fewer than 2 applications on average since 2**m < 2n).
- Gradient noise: coordinate d of particle i at step t adds ``sigma * Z`` with
  Z = ``normal(N, i, t, d)`` (kind 1) or ``student_t(N, i, t, d, dof)`` (kind 2),
  ``N = stream_seed(seed, NOISE_STREAM)``.

All draws are pure functions of (seed, particle, step, ...): independent of
tiling and threads, and different particles get independent streams.

The batch loss and gradient are means over the batch (B samples, repeats
counted); ``full_loss`` replaces the loss by the full-data loss (for recorded
frames, so that plotted losses are comparable between steps and groups).
"""

import numpy as np

from optviz.core.data.models import model_terms
from optviz.core.data.rng import bounded, hash_finish, hash_prefix, mix, normal, student_t
from optviz.core.jit import INLINE_OPTIONS, KERNEL_OPTIONS, TILE, njit, prange

__all__ = ["data_loss_grad_tile", "add_gradient_noise", "full_batch_tile", "sample_indices_tile",
           "permutation_index", "feistel_bits", "stream_seed", "BATCH_STREAM", "EPOCH_STREAM",
           "NOISE_STREAM"]

BATCH_STREAM = 1
EPOCH_STREAM = 2
NOISE_STREAM = 3

_U0 = np.uint64(0)
_U1 = np.uint64(1)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_M32 = np.uint64(0xFFFFFFFF)
_C1 = np.uint64(0x85EBCA6B)
_C2 = np.uint64(0xC2B2AE35)
_S13 = np.uint64(13)
_S16 = np.uint64(16)
_S32 = np.uint64(32)
#: Cycle-walking steps taken by every lane in the vectorized loop (the rest walk scalar).
_WALKS = 3


@njit(**INLINE_OPTIONS)
def stream_seed(seed, stream):
    """The seed of one random stream (batches, epochs, noise) derived from the user's seed."""
    return mix(np.uint64(seed) ^ (np.uint64(stream) * _GOLDEN))


@njit(**INLINE_OPTIONS)
def feistel_bits(n):
    """m = ceil(log2 n) (at least 2): the permutation's bit width for a dataset of n samples."""
    m = 2
    while (np.int64(1) << m) < n:
        m += 1
    return m


@njit(**INLINE_OPTIONS)
def _round(v, key):
    """Keyed hash of a Feistel half v < 2**32: MurmurHash3's fmix32 of (v xor key), 32-bit products only."""
    z = (v ^ key) & _M32
    z = z ^ (z >> _S16)
    z = (z * _C1) & _M32
    z = z ^ (z >> _S13)
    z = (z * _C2) & _M32
    return z ^ (z >> _S16)


@njit(**INLINE_OPTIONS)
def _feistel(v, k0, k1, k2, k3, lo_bits, lo_mask, hi_mask):
    """One application of the keyed bijection of [0, 2**m)."""
    hi = v >> lo_bits
    lo = v & lo_mask
    hi = hi ^ (_round(lo, k0) & hi_mask)
    lo = lo ^ (_round(hi, k1) & lo_mask)
    hi = hi ^ (_round(lo, k2) & hi_mask)
    lo = lo ^ (_round(hi, k3) & lo_mask)
    return (hi << lo_bits) | lo


@njit(**INLINE_OPTIONS)
def _round_keys(key):
    return (mix(key + _GOLDEN), mix(key + np.uint64(2) * _GOLDEN),
            mix(key + np.uint64(3) * _GOLDEN), mix(key + np.uint64(4) * _GOLDEN))


@njit(**KERNEL_OPTIONS)
def permutation_index(key, position, n):
    """Element ``position`` of the permutation of range(n) keyed by ``key`` (scalar; for tests)."""
    m = feistel_bits(n)
    lo_bits = np.uint64(m // 2)
    lo_mask = (_U1 << lo_bits) - _U1
    hi_mask = (_U1 << np.uint64(m - m // 2)) - _U1
    k0, k1, k2, k3 = _round_keys(np.uint64(key))
    nn = np.uint64(n)
    v = _feistel(np.uint64(position), k0, k1, k2, k3, lo_bits, lo_mask, hi_mask)
    while v >= nn:
        v = _feistel(v, k0, k1, k2, k3, lo_bits, lo_mask, hi_mask)
    return v


@njit(**INLINE_OPTIONS)
def _known_model(model_id):
    """Whether ``model_id`` is a model of :func:`model_terms` (others give NaN losses and gradients)."""
    return model_id >= 0 and model_id <= 2


@njit(**INLINE_OPTIONS)
def _tile_rows(count, loss, grad):
    """Views of a tile's first ``count`` losses and gradient coordinates: loss, grad[0] and grad[1]."""
    return loss[:count], grad[0, :count], grad[1, :count]


@njit(**INLINE_OPTIONS)
def _fill(value, count, loss, grad):
    """loss[:count], grad[0, :count] and grad[1, :count] = value."""
    l_, g0_, g1_ = _tile_rows(count, loss, grad)
    for j in range(count):
        l_[j] = value
        g0_[j] = value
        g1_[j] = value


@njit(**KERNEL_OPTIONS)
def _accumulate_full(model_id, data, theta, start, count, loss, grad):
    """Sums over every sample of the per-sample terms, into loss[:count] and grad[:, :count]."""
    if not _known_model(model_id):
        _fill(np.nan, count, loss, grad)
        return
    _fill(0.0, count, loss, grad)
    w_ = theta[0, start:start + count]
    b_ = theta[1, start:start + count]
    l_, g0_, g1_ = _tile_rows(count, loss, grad)
    for k in range(data.shape[0]):
        xk = data[k, 0]
        yk = data[k, 1]
        for j in range(count):
            lt, a0, a1 = model_terms(model_id, w_[j], b_[j], xk, yk)
            l_[j] += lt
            g0_[j] += a0
            g1_[j] += a1


@njit(**KERNEL_OPTIONS)
def _full_loss_only(model_id, data, theta, start, count, loss):
    """Sum over every sample of the per-sample loss, into loss[:count] (model_id a known model)."""
    w_ = theta[0, start:start + count]
    b_ = theta[1, start:start + count]
    l_ = loss[:count]
    for j in range(count):
        l_[j] = 0.0
    for k in range(data.shape[0]):
        xk = data[k, 0]
        yk = data[k, 1]
        for j in range(count):
            l_[j] += model_terms(model_id, w_[j], b_[j], xk, yk)[0]


@njit(**KERNEL_OPTIONS)
def _accumulate_gathered(model_id, data, idx, theta, start, count, loss, grad):
    """Add the terms of sample idx[j] for particle j into loss[:count] and grad[:, :count] (model_id a known model)."""
    w_ = theta[0, start:start + count]
    b_ = theta[1, start:start + count]
    l_, g0_, g1_ = _tile_rows(count, loss, grad)
    for j in range(count):
        k = idx[j]
        lt, a0, a1 = model_terms(model_id, w_[j], b_[j], data[k, 0], data[k, 1])
        l_[j] += lt
        g0_[j] += a0
        g1_[j] += a1


@njit(**KERNEL_OPTIONS)
def _scale(scale, count, loss, grad):
    l_, g0_, g1_ = _tile_rows(count, loss, grad)
    for j in range(count):
        l_[j] *= scale
        g0_[j] *= scale
        g1_[j] *= scale


@njit(**KERNEL_OPTIONS)
def full_batch_tile(model_id, data, theta, start, count, loss, grad):
    """Full-data loss and gradient of a tile (the GD path of data_loss_grad_tile)."""
    _accumulate_full(model_id, data, theta, start, count, loss, grad)
    _scale(1.0 / data.shape[0], count, loss, grad)


@njit(**KERNEL_OPTIONS)
def sample_indices_tile(n, batch_size, without_replacement, seed, step, start, count, b,
                        prefix, keys, idx):
    """idx[j] = sample b of particle start + j's batch at ``step`` (see the module's definition).

    ``prefix`` (count,) uint64 holds ``hash_prefix(stream seed, i, step)`` (with
    replacement) and ``keys`` (4, count) uint64 the round keys (without), as
    prepared by :func:`_prepare_keys`.
    """
    nn = np.uint64(n)
    idx_ = idx[:count]
    if not without_replacement:
        p_ = prefix[:count]
        c = np.uint64(b)
        for j in range(count):
            idx_[j] = bounded(hash_finish(p_[j], c), nn)
    else:
        per_epoch = n // batch_size
        position = np.uint64(((step - 1) % per_epoch) * batch_size + b)
        m = feistel_bits(n)
        lo_bits = np.uint64(m // 2)
        lo_mask = (_U1 << lo_bits) - _U1
        hi_mask = (_U1 << np.uint64(m - m // 2)) - _U1
        k0_ = keys[0, :count]
        k1_ = keys[1, :count]
        k2_ = keys[2, :count]
        k3_ = keys[3, :count]
        # Vectorized: every lane walks up to _WALKS steps (selects keep the finished ones).
        for j in range(count):
            k0 = k0_[j]
            k1 = k1_[j]
            k2 = k2_[j]
            k3 = k3_[j]
            v = _feistel(position, k0, k1, k2, k3, lo_bits, lo_mask, hi_mask)
            for _ in range(_WALKS - 1):
                w = _feistel(v, k0, k1, k2, k3, lo_bits, lo_mask, hi_mask)
                v = v if v < nn else w
            idx_[j] = v
        # The rest of the walk, scalar: lanes still >= n, about 6 % for n = 10,000.
        for j in range(count):
            v = idx_[j]
            while v >= nn:
                v = _feistel(v, k0_[j], k1_[j], k2_[j], k3_[j], lo_bits, lo_mask, hi_mask)
            idx_[j] = v


@njit(**KERNEL_OPTIONS)
def _prepare_keys(n, batch_size, without_replacement, seed, step, start, count, prefix, keys):
    if not without_replacement:
        s = stream_seed(seed, BATCH_STREAM)
        p_ = prefix[:count]
        for j in range(count):
            p_[j] = hash_prefix(s, start + j, step)
    else:
        s = stream_seed(seed, EPOCH_STREAM)
        epoch = (step - 1) // (n // batch_size)
        k0_ = keys[0, :count]
        k1_ = keys[1, :count]
        k2_ = keys[2, :count]
        k3_ = keys[3, :count]
        for j in range(count):
            k0_[j], k1_[j], k2_[j], k3_[j] = _round_keys(hash_prefix(s, start + j, epoch))


@njit(**INLINE_OPTIONS)
def data_loss_grad_tile(model_id, data, batch_size, without_replacement, seed, step, theta, start, count,
                        full_loss, loss, grad):
    """Loss and gradient of a data-backed model for particles start .. start + count - 1.

    theta float64 (2, N): row 0 = theta0, row 1 = theta1. For j in range(count),
    particle i = start + j: ``grad[0, j], grad[1, j]`` = gradient of the loss on
    this step's batch for particle i; ``loss[j]`` = the loss on that same batch, or
    on the whole dataset when ``full_loss`` is True. ``batch_size <= 0`` or
    ``>= len(data)``: full batch (GD, deterministic, no sampling; the same result
    bit for bit whatever ``without_replacement`` and ``seed``). Otherwise a batch
    drawn per particle and step as the module docstring defines; step is 1-based
    (the step the gradient is for). data: float64 (n, 2) C-contiguous, n >= 1.
    """
    n = data.shape[0]
    if batch_size <= 0 or batch_size >= n:
        full_batch_tile(model_id, data, theta, start, count, loss, grad)
        return
    if not _known_model(model_id):
        _fill(np.nan, count, loss, grad)
        return
    prefix = np.empty(count, dtype=np.uint64)
    keys = np.empty((4, count), dtype=np.uint64)
    idx = np.empty(count, dtype=np.uint64)
    _prepare_keys(n, batch_size, without_replacement, seed, step, start, count, prefix, keys)
    _fill(0.0, count, loss, grad)
    for b in range(batch_size):
        sample_indices_tile(n, batch_size, without_replacement, seed, step, start, count, b,
                            prefix, keys, idx)
        _accumulate_gathered(model_id, data, idx, theta, start, count, loss, grad)
    _scale(1.0 / batch_size, count, loss, grad)
    if full_loss:
        _full_loss_only(model_id, data, theta, start, count, loss)
        l2_ = loss[:count]
        inv = 1.0 / n
        for j in range(count):
            l2_[j] *= inv


@njit(**KERNEL_OPTIONS)
def _add_noise(kind, sigma, dof, seed, step, start, count, grad):
    s = stream_seed(seed, NOISE_STREAM)
    g0_ = grad[0, :count]
    g1_ = grad[1, :count]
    if kind == 1:
        for j in range(count):
            g0_[j] += sigma * normal(s, start + j, step, 0)
            g1_[j] += sigma * normal(s, start + j, step, 1)
    else:
        for j in range(count):
            g0_[j] += sigma * student_t(s, start + j, step, 0, dof)
            g1_[j] += sigma * student_t(s, start + j, step, 1, dof)


@njit(**INLINE_OPTIONS)
def add_gradient_noise(kind, sigma, dof, seed, step, start, count, grad):
    """Add seeded noise to grad[:, :count] of particles start .. start + count - 1.

    kind 0: none; 1: Gaussian, ``sigma * N(0, 1)``; 2: heavy-tailed, ``sigma * t``
    with t Student's t of ``dof`` degrees of freedom (std ``sigma sqrt(dof/(dof-2))``
    for dof > 2). Coordinate d of particle i at step t draws from (seed, i, t, d)
    (module docstring), so noise does not depend on tiling.
    """
    if kind == 0 or sigma == 0.0:
        return
    _add_noise(kind, sigma, dof, seed, step, start, count, grad)


@njit(parallel=True, **KERNEL_OPTIONS)
def full_loss_points(model_id, data, theta, out):
    """out[i] = full-data loss at (theta[0, i], theta[1, i]) (contour images of data-backed losses)."""
    n = theta.shape[1]
    for tile in prange((n + TILE - 1) // TILE):
        start = tile * TILE
        count = min(TILE, n - start)
        loss = np.empty(TILE)
        grad = np.empty((2, TILE))
        full_batch_tile(model_id, data, theta, start, count, loss, grad)
        part = out[start:start + count]
        for j in range(count):
            part[j] = loss[j]
