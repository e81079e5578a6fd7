#!/usr/bin/env bash
# Line coverage of optviz/core by the core tests, with Numba's JIT off so that coverage sees
# the kernels' Python (compiled kernels run as machine code, which coverage cannot trace).
# Slow (about 8 minutes on 2 cores: the kernels run as plain Python), so it is not part of
# the default test command.
#
#   scripts/coverage.sh                        # a line per file, then the total
#   scripts/coverage.sh --cov-report=html      # extra pytest arguments are passed on
#
# Generated kernels run from optviz's code cache, not from optviz/core, so they are not
# counted; the template they are made from is. Left out, as they test what only the
# compiled code does:
# - recompilation and the compiled evaluators' signatures (there is nothing compiled);
# - NaN and inf through the vectorizable sin/cos, which converts to int as machine code
#   does and Python refuses to;
# - the expression test that reads compiled functions' .py_func;
# - the random-expression test against finite differences: plain Python's math raises at a
#   domain edge (log1p(-1): "math domain error") where the compiled code gives -inf;
# - the map that counts its progress over a whole grid (minutes as plain Python).
# Overflow warnings are not errors here: plain Python warns where the compiled kernels
# (error_model="numpy") quietly give inf, which the tests check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export QT_QPA_PLATFORM=offscreen NUMBA_DISABLE_JIT=1
export COVERAGE_FILE="${COVERAGE_FILE:-${TMPDIR:-/tmp}/optviz-core.coverage}"
exec .venv/bin/python -m pytest -q -p no:cacheprovider -W "ignore::RuntimeWarning" \
    --cov=optviz/core --cov-report=term:skip-covered \
    --deselect tests/test_engine.py::test_no_recompilation_for_new_hyperparameters_sizes_or_schedules \
    --deselect tests/test_landscapes.py::test_point_evaluators_compile_once \
    --deselect 'tests/test_landscapes.py::test_nan_propagates[rastrigin]' \
    --deselect 'tests/test_landscapes.py::test_nan_propagates[ackley]' \
    --deselect 'tests/test_landscapes.py::test_nan_propagates[levy13]' \
    --deselect tests/test_landscapes.py::test_fast_sincos_non_finite_gives_nan \
    --deselect tests/test_expressions.py::test_random_valid_trees_symbolic_gradient \
    --deselect tests/test_expressions.py::test_random_valid_trees_numba_and_finite_differences \
    --deselect tests/test_maps.py::test_a_second_map_with_other_values_sizes_steps_and_schedules_does_not_recompile \
    --deselect tests/test_maps.py::test_progress_reaches_every_cell_and_cancel_stops_the_map \
    tests/test_engine.py tests/test_optimizers_variants.py tests/test_optimizers_torch.py \
    tests/test_landscapes.py tests/test_worked_examples.py tests/test_sweep.py tests/test_memory.py \
    tests/test_data.py tests/test_expressions.py tests/test_render_kernels.py tests/test_schedules.py \
    tests/test_curvature.py tests/test_gradient_flow.py tests/test_diagnostics.py tests/test_explain.py \
    tests/test_race.py tests/test_maps.py \
    "$@"
