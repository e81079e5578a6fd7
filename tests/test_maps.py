"""Maps (optviz.core.maps): basin and hyperparameter maps against theory, single runs and a NumPy reference."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import local_dask_cluster
from numpy_reference import RefOptimizer, landscape_value_grad

from optviz.core import maps
from optviz.core.engine import ParticleGroup, Simulation
from optviz.core.landscapes import Minimum
from optviz.core.maps import (
    MapAxis,
    MapCancelled,
    MapError,
    MapRequest,
    MapResult,
    cell_group,
    difference,
    refine_map,
    run_map,
)
from optviz.core.optimizers import get_optimizer
from optviz.core.schedules import resolve_schedule
from optviz.core.surface import builtin_surface, expression_surface

HIMMELBLAU = builtin_surface("himmelblau")


def group(optimizer: str, hyper: dict, starts=((0.0, 0.0),), schedule=None) -> ParticleGroup:
    spec = get_optimizer(optimizer)
    return ParticleGroup(spec, spec.resolve(hyper), resolve_schedule(schedule or {"kind": "constant"}),
                         np.array(starts, dtype=np.float64))


def basin_request(g, surface=HIMMELBLAU, n=(24, 20), box=((-5, 5), (-5, 5)), steps=300, eps=1e-6, minima=None):
    return MapRequest("basin", MapAxis("x", *box[0], n[0]), MapAxis("y", *box[1], n[1]), g, surface, steps, eps,
                      surface.known_minima if minima is None else minima)


# The NumPy reference of the reduction kernel -------------------------------------------------


def reference_map(optimizer, hyper, landscape, params, starts, steps, eps, minima):
    """Per start point: (final θ, final loss, settled step, diverged), by the module docstring's definitions.

    Plain NumPy, one step at a time for all points: the loss and gradient from numpy_reference,
    the optimizer from its RefOptimizer; a point whose loss leaves [-1e30, 1e30] (or is not
    finite) is diverged from then on, and so is one whose update would leave it (it stays put).
    """
    theta = np.array(starts, dtype=np.float64)
    opt = RefOptimizer(optimizer, hyper, theta)
    centers = np.array([[m.x, m.y] for m in minima])
    values = np.array([m.value for m in minima])
    alive = np.ones(len(theta), dtype=bool)
    settled = np.full(len(theta), -1)
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            f, gx, gy = landscape_value_grad(landscape, params, theta[:, 0], theta[:, 1])
            alive &= np.isfinite(f) & (np.abs(f) <= 1e30)
            distance = ((theta[:, None, :] - centers[None]) ** 2).sum(axis=2)
            gap = np.abs(f - values[np.argmin(distance, axis=1)])
            within = alive & (gap < eps)
            settled = np.where(within, np.where(settled >= 0, settled, t), -1)
            loss = np.where(alive, f, np.inf)
            if t == steps:
                break
            new, _ = opt.step(theta, np.stack([gx, gy], axis=1), hyper["lr"])
            moved = alive & (np.abs(new) <= 1e30).all(axis=1)
            alive &= moved
            theta = np.where(moved[:, None], new, theta)
    return theta, loss, settled, ~alive


@pytest.mark.parametrize("optimizer, hyper", [
    ("sgd", {"lr": 0.01}),
    ("momentum", {"lr": 0.02, "momentum": 0.9}),
    ("adam", {"lr": 0.1}),
])
def test_the_reduction_kernel_matches_its_numpy_reference(optimizer, hyper):
    g = group(optimizer, hyper)
    request = basin_request(g, n=(17, 15), steps=250)
    result = run_map(request)
    xs, ys = request.x.values(), request.y.values()
    gx, gy = np.meshgrid(xs, ys)
    theta, loss, settled, diverged = reference_map(optimizer, hyper, "himmelblau", {},
                                                   np.stack([gx.ravel(), gy.ravel()], axis=1), 250, 1e-6,
                                                   HIMMELBLAU.known_minima)
    assert diverged.any() or optimizer != "momentum", "the momentum case should include diverging cells"
    np.testing.assert_array_equal(result.diverged.ravel(), diverged.astype(float))
    ok = ~diverged
    np.testing.assert_allclose(result.final_position.reshape(-1, 2)[ok], theta[ok], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.final_loss.ravel()[ok], loss[ok], rtol=1e-7, atol=1e-15)
    assert np.all(np.isinf(result.final_loss.ravel()[diverged]))
    np.testing.assert_array_equal(result.steps_to_eps.ravel(), settled)
    centers = np.array([[m.x, m.y] for m in HIMMELBLAU.known_minima])
    nearest = np.argmin(((theta[:, None] - centers[None]) ** 2).sum(axis=2), axis=1)
    expected = np.where(diverged, -2, np.where(settled >= 0, nearest, -1))
    np.testing.assert_array_equal(result.basin.ravel(), expected)


# Theory: the heavy-ball boundary, the basins of Himmelblau, symmetry -----------------------------


def test_heavy_ball_converges_below_its_stability_boundary_and_diverges_beyond_it():
    """GD with heavy-ball momentum on a quadratic: stable iff lr·λ_max < 2(1 + momentum)."""
    condition = 4.0  # the ravine's Hessian has eigenvalues 1 and `condition`
    surface = builtin_surface("ravine", {"condition": condition, "angle": 30.0})
    g = group("momentum", {"lr": 0.1, "momentum": 0.5}, starts=((1.5, -1.0),))
    request = MapRequest("hyper", MapAxis("lr", 0.02, 2.0, 28, "log"), MapAxis("momentum", 0.0, 0.95, 21), g,
                         surface, 3000, 1e-10, surface.known_minima)
    result = run_map(request)
    lr, momentum = np.meshgrid(result.x, result.y)
    boundary = 2.0 * (1.0 + momentum) / condition
    stable, unstable = lr < 0.9 * boundary, lr > 1.1 * boundary
    assert stable.sum() > 100 and unstable.sum() > 100
    assert np.all(result.converged[stable] == 1.0)
    assert np.all(result.basin[stable] == 0)
    assert np.all(result.diverged[unstable] == 1.0)
    assert np.all(result.basin[unstable] == maps.DIVERGED)
    assert np.all(result.steps_to_eps[unstable] == -1) and np.all(np.isinf(result.final_loss[unstable]))
    # Plain GD is the momentum = 0 row: lr·λ_max < 2.
    assert np.all(result.converged[0][result.x < 0.9 * 2 / condition] == 1.0)
    assert np.all(result.diverged[0][result.x > 1.1 * 2 / condition] == 1.0)
    # The boundary a map view draws: the analytic threshold minus λ_max, read off the landscape's Hessian.
    assert maps.quadratic_curvatures(surface) == pytest.approx((1.0, condition), rel=1e-12)
    margin = maps.stability_margin(request)
    np.testing.assert_allclose(margin, 2.0 * (1.0 + momentum) / lr - condition, rtol=1e-12)
    clear = np.abs(margin) > 0.1 * condition
    np.testing.assert_array_equal(result.converged[clear] == 1.0, margin[clear] > 0)
    assert maps.stability_margin(replace(request, surface=HIMMELBLAU, minima=HIMMELBLAU.known_minima)) is None
    adam = MapRequest("hyper", MapAxis("lr", 0.01, 1.0, 4), MapAxis("beta1", 0.0, 0.9, 3),
                      group("adam", {"lr": 0.1}), surface, 10, 1e-6, surface.known_minima)
    assert maps.stability_margin(adam) is None


def gd_end_points(starts: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """Plain gradient descent on Himmelblau in NumPy (numpy_reference's gradient), all start points at once."""
    theta = starts.copy()
    for _ in range(steps):
        _, gx, gy = landscape_value_grad("himmelblau", {}, theta[:, 0], theta[:, 1])
        theta = theta - lr * np.stack([gx, gy], axis=1)
    return theta


def test_plain_gd_splits_himmelblau_into_its_four_basins_in_the_expected_fractions():
    lr, steps = 0.01, 400
    result = run_map(basin_request(group("sgd", {"lr": lr}), n=(160, 160), steps=steps, eps=1e-8))
    assert set(np.unique(result.basin)) == {0, 1, 2, 3}, "every cell converges to one of the four minima"
    fractions = np.bincount(result.basin.ravel(), minlength=4) / result.basin.size
    # Independently: GD end points from a different, staggered grid of start points, nearest minimum.
    offsets = np.linspace(-5, 5, 71)[:-1] + 5 / 70
    starts = np.stack(np.meshgrid(offsets, offsets), axis=-1).reshape(-1, 2)
    ends = gd_end_points(starts, lr, steps)
    centers = np.array([[m.x, m.y] for m in HIMMELBLAU.known_minima])
    distance = np.sqrt(((ends[:, None] - centers[None]) ** 2).sum(axis=2))
    assert distance.min(axis=1).max() < 1e-3
    expected = np.bincount(np.argmin(distance, axis=1), minlength=4) / len(starts)
    np.testing.assert_allclose(fractions, expected, atol=0.02)
    # Each start's own basin: a start right next to a minimum ends in it.
    for k, m in enumerate(HIMMELBLAU.known_minima):
        i, j = np.argmin(np.abs(result.y - m.y)), np.argmin(np.abs(result.x - m.x))
        assert result.basin[i, j] == k


def test_a_basin_map_has_the_symmetry_of_its_landscape():
    """Styblinski-Tang is symmetric under x <-> y; on a square grid the map is its own transpose."""
    surface = builtin_surface("styblinski_tang")
    minima = surface.known_minima
    swap = [next(i for i, n in enumerate(minima) if (n.x, n.y) == (m.y, m.x)) for m in minima]
    for optimizer, hyper in (("sgd", {"lr": 0.02}), ("adam", {"lr": 0.2})):
        result = run_map(basin_request(group(optimizer, hyper), surface, n=(61, 61), box=((-5, 5), (-5, 5)),
                                       steps=400, eps=1e-8))
        assert set(np.unique(result.basin)) == {0, 1, 2, 3}
        np.testing.assert_array_equal(np.asarray(swap)[result.basin.T], result.basin)
        np.testing.assert_array_equal(result.steps_to_eps.T, result.steps_to_eps)
        np.testing.assert_array_equal(result.final_position.transpose(1, 0, 2)[..., ::-1], result.final_position)


# Cells are single runs ------------------------------------------------------------------------


def settled_from_history(losses: np.ndarray, positions: np.ndarray, minima, eps: float) -> int:
    """steps_to_eps from a recorded trajectory (frame t = θ_t), by the definition."""
    centers = np.array([[m.x, m.y] for m in minima])
    values = np.array([m.value for m in minima])
    nearest = np.argmin(((positions[:, None] - centers[None]) ** 2).sum(axis=2), axis=1)
    within = np.abs(losses - values[nearest]) < eps
    if not within[-1]:
        return -1
    outside = np.flatnonzero(~within)
    return int(outside[-1] + 1) if len(outside) else 0


@pytest.mark.parametrize("kind", ["basin", "hyper"])
def test_every_cell_is_the_ordinary_engine_run_of_its_configuration(kind):
    schedule = {"kind": "cosine", "T_max": 200, "eta_min": 1e-3}
    if kind == "basin":
        request = basin_request(group("adam", {"lr": 0.08}, schedule=schedule), n=(7, 6), steps=240)
    else:
        g = group("adam", {"lr": 0.05}, starts=((1.0, 1.0), (-2.0, 0.5), (0.3, -3.0)), schedule=schedule)
        request = MapRequest("hyper", MapAxis("lr", 1e-3, 0.3, 6, "log"), MapAxis("beta1", 0.0, 0.99, 5), g,
                             HIMMELBLAU, 240, 1e-6, HIMMELBLAU.known_minima)
    result = run_map(request)
    for i in range(len(result.y)):
        for j in range(len(result.x)):
            cell = cell_group(request, i, j)
            sim = Simulation(HIMMELBLAU, [cell], record_dtype=np.float64, max_frames=300)
            sim.advance(240, record_last=True)
            frames = sim.arrays()
            end = sim.positions(0)
            if kind == "basin":  # the same kernel arithmetic, bit for bit
                np.testing.assert_array_equal(end[0], result.final_position[i, j])
            else:  # a per-particle lr is scheduled as lr·scale + shift: equal to float64 rounding
                np.testing.assert_allclose(np.median(end, axis=0), result.final_position[i, j], rtol=1e-12,
                                           atol=1e-14)
            settled = [settled_from_history(frames["loss"][:, p], frames["positions"][:, p], HIMMELBLAU.known_minima,
                                            1e-6) for p in range(len(end))]
            if kind == "basin":
                assert result.steps_to_eps[i, j] == settled[0]
                assert result.final_loss[i, j] == frames["loss"][-1, 0]
            else:
                converged = [s for s in settled if s >= 0]
                assert result.converged[i, j] == len(converged) / len(settled)
                half = sorted(s if s >= 0 else math.inf for s in settled)[1]
                assert result.steps_to_eps[i, j] == (half if half != math.inf else -1)


# Landscapes without known minima ---------------------------------------------------------------


def test_without_known_minima_converged_end_points_are_clustered_into_the_stationary_points_found():
    surface = expression_surface("(x**2 - 1)**2 + 0.5*y**2")
    result = run_map(basin_request(group("sgd", {"lr": 0.05}), surface, n=(40, 9), box=((-2, 2), (-1, 1)),
                                   steps=600, eps=1e-7, minima=()))
    found = {(round(m.x, 5), round(m.y, 5)) for m in result.minima}
    assert {(-1.0, 0.0), (1.0, 0.0)} <= found
    left, right = result.x < 0, result.x > 0
    assert len({result.minima[k] for k in result.basin[:, left].ravel()}) == 1
    assert len({result.minima[k] for k in result.basin[:, right].ravel()}) == 1
    assert result.minima[result.basin[0, 0]].x == pytest.approx(-1.0, abs=1e-6)


# Dask, refinement, difference, progress --------------------------------------------------------


@pytest.mark.slow
def test_a_dask_cluster_of_two_worker_processes_gives_the_local_result_bit_for_bit():
    requests = [
        basin_request(group("adam", {"lr": 0.05}), n=(40, 33), steps=200),
        MapRequest("hyper", MapAxis("lr", 1e-3, 0.5, 12, "log"), MapAxis("momentum", 0.0, 0.99, 9),
                   group("momentum", {"lr": 0.01}, starts=((1.0, 1.0), (-2.0, 0.5))), HIMMELBLAU, 150, 1e-6,
                   HIMMELBLAU.known_minima),
        # A typed landscape: each worker process compiles the expression's module itself.
        basin_request(group("sgd", {"lr": 0.05}), expression_surface("(x**2 - 1)**2 + 0.5*y**2"), n=(30, 20),
                      box=((-2, 2), (-1, 1)), steps=300, minima=()),
    ]
    with local_dask_cluster() as cluster:
        for request in requests:
            ticks: list[tuple[int, int]] = []
            remote = run_map(request, scheduler=cluster.scheduler_address,
                             progress=lambda *tick, out=ticks: out.append(tick))
            local = run_map(request)
            assert ticks[-1] == (local.basin.size, local.basin.size)
            for name in ("basin", "steps_to_eps", "final_loss", "converged", "diverged", "final_position"):
                np.testing.assert_array_equal(getattr(remote, name), getattr(local, name), err_msg=name)
            assert remote.minima == local.minima


def test_refine_map_shows_a_coarse_map_first_and_ends_with_the_full_one():
    request = basin_request(group("adam", {"lr": 0.05}), n=(97, 65), steps=100)
    levels = list(refine_map(request, levels=[8, 2]))
    assert [r.basin.shape for r in levels] == [(9, 13), (33, 49), (65, 97)]
    for r in levels:
        assert (r.x[0], r.x[-1], r.y[0], r.y[-1]) == (-5, 5, -5, 5)
    final = run_map(request)
    for name in ("basin", "steps_to_eps", "final_loss", "final_position"):
        np.testing.assert_array_equal(getattr(levels[-1], name), getattr(final, name))
    assert maps.refine_levels(request) == (8, 1)
    assert maps.refine_levels(replace(request, steps=100_000)) == (8, 2, 1)


def test_difference_codes_same_other_only_a_only_b_neither():
    x, y = np.arange(5.0), np.arange(1.0)

    def result(basin):
        shape = (1, 5)
        return MapResult(x, y, np.array([basin]), np.zeros(shape, np.int64), np.zeros(shape), np.zeros(shape),
                         np.zeros(shape), np.zeros(shape + (2,)), minima=HIMMELBLAU.known_minima)

    a = result([0, 1, 2, -1, -2])
    b = result([0, 3, -2, 1, -1])
    np.testing.assert_array_equal(difference(a, b), [[0, 1, 2, 3, 4]])
    gd = run_map(basin_request(group("sgd", {"lr": 0.01})))
    heavy = run_map(basin_request(group("momentum", {"lr": 0.01, "momentum": 0.9})))
    codes = difference(gd, heavy)
    both = (gd.basin >= 0) & (heavy.basin >= 0)
    np.testing.assert_array_equal(codes[both] == 0, gd.basin[both] == heavy.basin[both])
    assert (codes == 1).any(), "momentum carries some starts into another basin"
    with pytest.raises(MapError, match="b is a 5x1 map"):
        difference(gd, a)


def test_progress_reaches_every_cell_and_cancel_stops_the_map():
    request = basin_request(group("adam", {"lr": 0.05}), n=(200, 100), steps=500)
    ticks = []
    run_map(request, progress=lambda done, total: ticks.append((done, total)), workers=2)
    assert ticks[-1] == (20_000, 20_000) and all(b >= a for (a, _), (b, _) in zip(ticks, ticks[1:], strict=False))
    assert len(ticks) > 2
    with pytest.raises(MapCancelled):
        run_map(request, cancel=lambda: True)


def test_a_second_map_with_other_values_sizes_steps_and_schedules_does_not_recompile():
    first = basin_request(group("adam", {"lr": 0.05}), n=(8, 8), steps=20)
    run_map(first)
    plan = maps._plan(first)
    module = maps._reducer(plan).module
    before = len(module.reduce_serial.signatures)
    run_map(basin_request(group("adamw", {"lr": 0.2, "betas": (0.5, 0.9)}, schedule={"kind": "step", "step_size": 5}),
                          n=(33, 17), box=((-1, 2), (0, 3)), steps=77, eps=1e-3))
    assert len(module.reduce_serial.signatures) == before


# CUDA, in Numba's simulator ----------------------------------------------------------------------

#: Tiny maps on device="cuda" and on the CPU: basin (Adam), hyper with a cloud (momentum, some cells
#: diverge), and a typed landscape without known minima. Prints one line per map that agrees.
_CUDA_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    sys.path.insert(0, {tests!r})
    from test_maps import HIMMELBLAU, basin_request, group
    from optviz.core.maps import MapAxis, MapRequest, run_map
    from optviz.core.surface import expression_surface
    from numba import config

    assert config.ENABLE_CUDASIM
    requests = [
        basin_request(group("adam", {{"lr": 0.1}}), n=(8, 6), steps=40),
        MapRequest("hyper", MapAxis("lr", 1e-3, 0.5, 4, "log"), MapAxis("momentum", 0.0, 0.99, 3),
                   group("momentum", {{"lr": 0.01}}, starts=((1.0, 1.0), (-2.0, 0.5))), HIMMELBLAU, 30, 1e-2,
                   HIMMELBLAU.known_minima),
        basin_request(group("sgd", {{"lr": 0.05}}), expression_surface("(x**2 - 1)**2 + 0.5*y**2"), n=(5, 3),
                      box=((-2, 2), (-1, 1)), steps=30, eps=1e-2, minima=()),
    ]
    for request in requests:
        gpu, cpu = run_map(request, device="cuda"), run_map(request)
        for name in ("basin", "steps_to_eps", "converged", "diverged"):
            np.testing.assert_array_equal(getattr(gpu, name), getattr(cpu, name), err_msg=name)
        np.testing.assert_allclose(gpu.final_position, cpu.final_position, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(gpu.final_loss, cpu.final_loss, rtol=1e-12, atol=1e-14)
        print("agrees", request.kind, int(np.sum(gpu.diverged > 0)))
""")


@pytest.mark.slow
def test_cuda_maps_agree_with_the_cpu_in_numbas_cuda_simulator():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    script = _CUDA_SCRIPT.format(tests=str(Path(__file__).parent))
    done = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.split("\n")
    assert lines[:3] == ["agrees basin 0", lines[1], "agrees basin 0"] and lines[1].startswith("agrees hyper ")
    assert int(lines[1].split()[-1]) > 0, "the hyper map should include diverging cells"


def test_cuda_without_a_gpu_is_a_map_error_naming_the_device():
    from numba import cuda

    request = basin_request(group("sgd", {"lr": 0.01}), n=(4, 4), steps=5)
    with pytest.raises(MapError, match="device = 'metal' must be one of cpu, cuda"):
        run_map(request, device="metal")
    with pytest.raises(MapError, match="does not combine with a scheduler"):
        run_map(request, device="cuda", scheduler="tcp://127.0.0.1:8786")
    if not cuda.is_available():
        with pytest.raises(MapError, match="device = 'cuda': no CUDA GPU is available here") as error:
            run_map(request, device="cuda")
        assert error.value.field == "device"


# Bad requests -----------------------------------------------------------------------------------


def _bad(**changes):
    request = MapRequest("hyper", MapAxis("lr", 1e-3, 1.0, 8, "log"), MapAxis("momentum", 0.0, 0.99, 8),
                         group("momentum", {"lr": 0.01}), HIMMELBLAU, 100, 1e-6, HIMMELBLAU.known_minima)
    return replace(request, **changes)


@pytest.mark.parametrize("changes, field, message", [
    (dict(kind="phase"), "kind", "kind = 'phase' must be one of basin, hyper"),
    (dict(x=MapAxis("lr", 1e-3, 1.0, 0, "log")), "x.n", "x.n = 0 must be an integer in [1, 4096]"),
    (dict(x=MapAxis("lr", 1e-3, 1.0, 5000)), "x.n", "x.n = 5000 must be an integer in [1, 4096]"),
    (dict(x=MapAxis("lr", 0.0, 1.0, 8, "log")), "x.low", "x.low = 0.0 must be > 0 on a log axis"),
    (dict(x=MapAxis("lr", 1.0, 0.1, 8)), "x.high", "x.high = 0.1 must be greater than x.low = 1.0"),
    (dict(x=MapAxis("lr", 1e-3, 1.0, 8, "cubic")), "x.scale", "x.scale = 'cubic' must be one of linear, log"),
    (dict(x=MapAxis("lr", 1e-3, math.inf, 8)), "x.high", "x.high = inf must be a finite number"),
    (dict(y=MapAxis("momentum", 0.0, 1.5, 8)), "y.high",
     "y.high = 1.5 is out of range for momentum: must be in [0, 1]"),
    (dict(y=MapAxis("beta1", 0.0, 0.9, 8)), "y.param", "y.param = 'beta1' is not a numeric hyperparameter of momentum"),
    (dict(y=MapAxis("lr", 0.01, 0.9, 8)), "y.param", "y.param = 'lr' is the x axis' parameter too"),
    (dict(steps=0), "steps", "steps = 0 must be an integer in [1, 10000000]"),
    (dict(steps=2.5), "steps", "steps = 2.5 must be an integer"),
    (dict(eps=-1.0), "eps", "eps = -1.0 must be > 0"),
    (dict(eps="small"), "eps", "eps = 'small' must be a number"),
    (dict(minima=("here",)), "minima[0]", "minima[0] = 'here' must be a Minimum (x, y, value)"),
    (dict(minima=(Minimum(0.0, math.nan, 0.0, "global"),)), "minima[0]", "must have finite x, y and value"),
    (dict(group=group("momentum", {"lr": 0.01}, starts=np.zeros((0, 2)))), "group.positions",
     "a hyper map needs (P, 2) start points"),
    (dict(group=replace(group("momentum", {"lr": 0.01}), noise="gaussian")), "group.noise",
     "group.noise = 'gaussian': maps run noise-free gradients"),
    (dict(group=replace(group("momentum", {"lr": 0.01}), hyper={**get_optimizer("momentum").resolve({}),
                                                              "lr": np.array([0.1, 0.2])})),
     "group.hyper.lr", "group.hyper.lr varies per particle"),
    (dict(group=group("nesterov", {"lr": 0.01})), "group.hyper",
     "at x.low, y.low: hyper.nesterov = true requires momentum > 0"),
])
def test_bad_requests_raise_a_map_error_naming_the_field(changes, field, message):
    with pytest.raises(MapError) as error:
        run_map(_bad(**changes))
    assert error.value.field == field
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_basin_axes_scheduler_levels_and_metric_name_the_field():
    request = basin_request(group("sgd", {"lr": 0.01}), n=(4, 4), steps=5)
    for changes, field in ((dict(x=MapAxis("lr", 0, 1, 4)), "x.param"), (dict(y=MapAxis("x", 0, 1, 4)), "y.param")):
        with pytest.raises(MapError) as error:
            run_map(replace(request, **changes))
        assert error.value.field == field
    with pytest.raises(MapError, match="scheduler = 'localhost:8786' must be a Dask scheduler address"):
        run_map(request, scheduler="localhost:8786")
    with pytest.raises(MapError, match="levels = \\[1, 8\\] must decrease"):
        refine_map(request, levels=[1, 8])
    with pytest.raises(MapError, match="metric = 'speed' is not a map metric"):
        run_map(request).metric("speed")


def test_metrics_are_float_images_of_the_arrays():
    result = run_map(basin_request(group("momentum", {"lr": 0.03, "momentum": 0.9}), n=(12, 10), steps=150))
    for name in maps.METRICS:
        image = result.metric(name)
        assert image.dtype == np.float64 and image.shape == (10, 12)
        np.testing.assert_array_equal(image, np.asarray(getattr(result, name), dtype=np.float64))
