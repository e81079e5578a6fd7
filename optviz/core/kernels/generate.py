"""Fill the kernel template for one (optimizer family, gradient source, hyperparameter layout)."""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass

from optviz.core.kernels import template as tpl
from optviz.core.optimizers import FAMILIES

#: Hyperparameter layouts: one value per column for the whole group, or a column per particle.
UNIFORM, PER_PARTICLE = "uniform", "per_particle"

#: Rows of a tile's local array that hold the frame being recorded.
_RECORD_ROWS = ("REC_LOSS", "REC_X", "REC_Y", "REC_GX", "REC_GY", "REC_PRE_X", "REC_PRE_Y", "REC_REAL_X",
                "REC_REAL_Y")

#: Draw functions of optviz.core.data.rng for each kind of point-source gradient noise.
_NOISE_DRAWS = {"gaussian": ("normal", ""), "student_t": ("student_t", ", noise_dof")}


@dataclass(frozen=True)
class GradientSource:
    """Where a kernel's losses and gradients come from.

    ``kind`` "point": a scalar function ``point(x, y, *args)`` imported from ``module``
    (``function`` there), its ``args`` expressions of the packed ``params``; with
    ``noise`` "gaussian" or "student_t", seeded noise is added per particle.
    ``kind`` "data": the data-backed model ``model_id`` (full batch or mini-batches,
    with any noise), computed per tile before the fused loop.
    """

    kind: str
    title: str
    module: str = ""
    function: str = "point"
    args: tuple[str, ...] = ()
    noise: str = "none"
    model_id: int = 0


def check_family(family) -> None:
    """Raise if a family's names and its rule's or coefficients' signatures disagree."""
    rule = list(inspect.signature(family.rule).parameters)
    expected = ["theta", "grad", *family.STATE, *family.COLUMNS, *family.COEFFICIENTS]
    if rule != expected:
        raise TypeError(f"{family.__name__}.rule takes {rule}, expected {expected}")
    coefficients = list(inspect.signature(family.coefficients).parameters)
    if coefficients != ["t", "lr", "carry", *family.COLUMNS]:
        raise TypeError(f"{family.__name__}.coefficients takes {coefficients}, expected t, lr, carry, *COLUMNS")


def _lines(text: str, indent: int) -> str:
    return textwrap.indent(text, " " * indent)


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _nest(header: str, body: str) -> str:
    return header + "\n" + textwrap.indent(body, "    ")


def kernel_source(family_name: str, source: GradientSource, layout: str) -> str:
    """The Python source of the kernel module for this combination."""
    parts = kernel_parts(family_name, source, layout, ("LR_PRE_X", "LR_PRE_Y", "LR_REAL_X", "LR_REAL_Y",
                                                      *_RECORD_ROWS))
    gradient, update = parts["gradient"], parts["update"]
    fast = _join(gradient, tpl.STEP_CHECK, update)
    general = _join(gradient, tpl.STEP_CHECK, tpl.STEP_RECORD, update, tpl.STEP_LEARNING_RATES)
    final = _join(gradient, tpl.STEP_CHECK, tpl.STEP_RECORD, tpl.STEP_NO_UPDATE)
    return tpl.MODULE.substitute(
        **time_loop_slots(parts),
        title=parts["title"],
        family=family_name,
        source_imports=parts["source_imports"],
        load_uniform_columns=_lines(parts["uniform_columns"], 4),
        n_coefficients=parts["n_coefficients"],
        coefficient_locals=parts["coefficient_locals"],
        column_locals=parts["column_locals"],
        store_coefficients=_lines(parts["store_coefficients"], 8),
        rows=parts["rows"],
        fast=_lines(fast, 16),
        general=_lines(general, 16),
        final=_lines(final, 16),
    )


def time_loop_slots(parts: dict) -> dict:
    """The slots of :func:`kernel_parts` around a time loop, indented as both the particle template
    and the reduction body place them: per tile (before and after the loop) and per step (in it)."""
    return dict(
        load_tile=_lines(parts["load_tile"], 4),
        store_tile=_lines(parts["store_tile"], 4),
        bind_columns=_lines(parts["bind_columns"], 4),
        prepare_source=_lines(parts["prepare_source"], 4),
        step_scalars=_lines(parts["step_scalars"], 8),
        source_step=_lines(parts["source_step"], 8),
    )


def kernel_parts(family_name: str, source: GradientSource, layout: str, step_rows: tuple[str, ...]) -> dict:
    """The pieces of a kernel module that depend on the family, source and layout (unindented).

    ``step_rows`` are the tile rows the template's time loop uses besides θ, the state and
    SINCE (the frame being recorded, or a reduction's running results); a per-particle
    layout adds its column rows after them. Keys: the module's ``title`` (the family, source
    and layout in words), the template slots (rows, load_tile, store_tile, bind_columns,
    step_scalars, source_imports, prepare_source, source_step, uniform_columns, n_coefficients,
    coefficient_locals, column_locals, store_coefficients) and the step pieces ``gradient``
    (steps 1: loss and gradient) and ``update`` (step 4).
    """
    family = FAMILIES[family_name]
    check_family(family)
    columns, coefficients, state = family.COLUMNS, family.COEFFICIENTS, family.STATE
    column_locals = ", ".join(f"h_{c}" for c in columns)
    coefficient_locals = ", ".join(f"c_{c}" for c in coefficients)
    rule_args = ", ".join([*(f"h_{c}" for c in columns), *(f"c_{c}" for c in coefficients)])
    uniform_columns = "\n".join(f"h_{c} = columns[{k}]" for k, c in enumerate(columns))

    state_rows = [f"{name}_{axis}".upper() for name in state for axis in "XY"]
    rows = ["X", "Y", *state_rows, "SINCE", *step_rows]
    load = ["w[X, j] = theta[0, start + j]", "w[Y, j] = theta[1, start + j]",
            *(f"w[{row}, j] = state[{k // 2}, {k % 2}, start + j]" for k, row in enumerate(state_rows))]
    store = ["theta[0, start + j] = w[X, j]", "theta[1, start + j] = w[Y, j]",
             *(f"state[{k // 2}, {k % 2}, start + j] = w[{row}, j]" for k, row in enumerate(state_rows))]
    if layout == UNIFORM:
        bind_columns = uniform_columns
        step_scalars = "\n".join(f"c_{c} = coefs[row, {k}]" for k, c in enumerate(coefficients))
        per_particle = ""
    elif layout == PER_PARTICLE:
        column_rows = [f"COLUMN_{c}".upper() for c in columns]
        rows += [*column_rows, "COLUMN_LR", "CARRY"]
        load += [*(f"w[{row}, j] = columns[{k}, start + j]" for k, row in enumerate(column_rows)),
                 f"w[COLUMN_LR, j] = columns[{len(columns)}, start + j]", "w[CARRY, j] = carry[start + j]"]
        store.append("carry[start + j] = w[CARRY, j]")
        bind_columns = ""
        step_scalars = "lr_scale = lr_schedule[row, 0]\nlr_shift = lr_schedule[row, 1]"
        per_particle = tpl.PER_PARTICLE.substitute(
            load_columns="\n".join(f"h_{c} = w[{row}, j]" for c, row in zip(columns, column_rows, strict=True)),
            coefficient_locals=coefficient_locals, column_locals=column_locals)
    else:
        raise ValueError(f"unknown layout {layout!r}")

    imports, prepare, source_step = _source_parts(source)
    if source.kind == "point":
        args = "".join(f", a_{k}" for k in range(len(source.args)))
        gradient = tpl.STEP_POINT_GRADIENT.substitute(point_args=args)
        if source.noise != "none":
            draw, dof = _NOISE_DRAWS[source.noise]
            gradient = _join(gradient, tpl.STEP_NOISE.substitute(draw=draw, dof=dof))
    else:
        gradient = tpl.STEP_DATA_GRADIENT

    update = tpl.STEP_UPDATE.substitute(
        per_particle=per_particle,
        state_x=", ".join(f"new_{s}_x" for s in state), state_y=", ".join(f"new_{s}_y" for s in state),
        state_x_in=", ".join(f"w[{s.upper()}_X, j]" for s in state),
        state_y_in=", ".join(f"w[{s.upper()}_Y, j]" for s in state),
        rule_args=rule_args,
        store_state="\n".join(f"w[{s.upper()}_{a.upper()}, j] = new_{s}_{a}" for s in state for a in "xy"),
    ).lstrip("\n")
    layout_title = "one value per hyperparameter" if layout == UNIFORM else "hyperparameters per particle"
    return dict(
        title=f"{family_name} on {source.title}, {layout_title}",
        rows="\n".join(f"{row} = {k}" for k, row in enumerate(rows)) + f"\nROWS = {len(rows)}",
        load_tile=_nest("for j in range(count):", "\n".join(load)),
        store_tile=_nest("for j in range(count):", "\n".join(store)),
        bind_columns=bind_columns,
        step_scalars=step_scalars,
        source_imports=imports,
        prepare_source=prepare,
        source_step=source_step,
        uniform_columns=uniform_columns,
        n_coefficients=len(coefficients),
        coefficient_locals=coefficient_locals,
        column_locals=column_locals,
        store_coefficients="\n".join(f"table[s, {k}] = c_{c}" for k, c in enumerate(coefficients)),
        gradient=gradient,
        update=update,
    )


def _source_parts(source: GradientSource) -> tuple[str, str, str]:
    """(imports, lines before the time loop, lines at the start of each step) of a gradient source."""
    if source.kind == "point":
        imports = f"from {source.module} import {source.function} as point"
        prepare = [f"a_{k} = {arg}" for k, arg in enumerate(source.args)]
        if source.noise != "none":
            draw, _ = _NOISE_DRAWS[source.noise]
            imports += (f"\nfrom optviz.core.data.gradients import NOISE_STREAM, stream_seed"
                        f"\nfrom optviz.core.data.rng import {draw}")
            prepare += ["noise_scale = gradient[NOISE_SCALE]", "noise_dof = gradient[NOISE_DOF]",
                        "noise_seed = stream_seed(seed, NOISE_STREAM)"]
        return imports, "\n".join(prepare), ""
    if source.kind == "data":
        imports = "from optviz.core.data.gradients import add_gradient_noise, data_loss_grad_tile"
        prepare = "\n".join([
            "loss = np.empty(TILE)",
            "grad = np.empty((2, TILE))",
            "batch_size = int(gradient[BATCH_SIZE])",
            "without_replacement = gradient[WITHOUT_REPLACEMENT] != 0.0",
            "noise_kind = int(gradient[NOISE_KIND])",
            "noise_scale = gradient[NOISE_SCALE]",
            "noise_dof = gradient[NOISE_DOF]",
        ])
        step = "\n".join([
            "for j in range(count):",
            "    theta[0, start + j] = w[X, j]",
            "    theta[1, start + j] = w[Y, j]",
            f"data_loss_grad_tile({source.model_id}, data, batch_size, without_replacement, seed, t + 1, theta, "
            "start, count, due, loss, grad)",
            "add_gradient_noise(noise_kind, noise_scale, noise_dof, seed, t + 1, start, count, grad)",
        ])
        return imports, prepare, step
    raise ValueError(f"unknown gradient source kind {source.kind!r}")


def points_source(source: GradientSource) -> str:
    """The Python source of a module with ``evaluate_points`` for a point source (no noise)."""
    if source.kind != "point":
        raise ValueError("only point sources evaluate at arbitrary points")
    imports, prepare, _ = _source_parts(GradientSource("point", source.title, source.module, source.function,
                                                       source.args))
    return tpl.POINTS.substitute(title=source.title, source_imports=imports, prepare_source=_lines(prepare, 4),
                                 point_args="".join(f", a_{k}" for k in range(len(source.args))))
