"""The ``optviz`` command.

    optviz [EXPERIMENT.toml]                      open the app (on an experiment)
    optviz run EXPERIMENT.toml -o OUT.npz         run headless, write the recorded history
    optviz list                                   landscapes, optimizers, schedules, defaults, output formats
    optviz figure EXPERIMENT.toml -o OUT.png [--step N] [--size WxH]
    optviz export EXPERIMENT.toml -o OUT.mp4 [--fps F]
                  [--duration S | --frames K] [--size WxH] [--steps-per-frame M]
    optviz figure --from OUT.png                  regenerate an output from its recorded experiment
    optviz tune EXPERIMENT.toml -o TUNED.toml [--param lr] [--low A --high B --n K] [--metric M]
                                                  a fair race: tune each group on the same budget
    optviz map EXPERIMENT.toml -o OUT.png|OUT.svg|OUT.npz [--metric M] [--grid NXxNY]
               [--compare GROUP] [--scheduler tcp://HOST:PORT] [--device cpu|cuda] [--size WxH]
    optviz map --from MAP.npz -o OUT.png          draw a computed map again (nothing recomputed)

A bad file or value exits with status 2 and one clear message, never a traceback.
Ctrl-C (SIGINT) or SIGTERM during run, figure, export or map stops it within about a
second, prints one line and exits with status 130 or 143 (128 + the signal
number), leaving any earlier output file as it was and no temporary file behind.

The output's ending chooses its format; the formats are those of
:data:`optviz.render.writer_registry.registry` (``optviz list`` and ``--help`` show them).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from optviz.interrupt import Interrupted, cancel_on_signals, deferred  # standard library only: loads nothing

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
SUBCOMMANDS = ("run", "list", "figure", "export", "map", "tune")


class CommandError(Exception):
    """A problem to report in one line, exiting with status 2."""


def main(argv: list[str] | None = None) -> int:
    as_program = argv is None  # `optviz ...` / `python -m optviz ...`, not a call from Python
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            with cancel_on_signals():
                args = build_parser().parse_args(argv)
                return args.handler(args)
        return open_app(argv)
    except CommandError as error:
        print(f"optviz: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:  # ExperimentError and validation errors of every layer
        print(f"optviz: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Interrupted as interrupt:
        print(f"optviz: cancelled ({interrupt})", file=sys.stderr)
        if as_program:
            _exit_at_once(interrupt.exit_status)
        return interrupt.exit_status
    except KeyboardInterrupt:
        print("optviz: cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED


def _exit_at_once(status: int) -> None:
    """End the process now, skipping the interpreter's teardown.

    With Numba's compiled kernels and Qt loaded the teardown takes up to a second; a
    cancelled command has already removed its temporary files and closed its widgets.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="optviz", description="See how gradient-based optimizers behave.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run an experiment headless and write its history (.npz)")
    run.add_argument("experiment", help="experiment file (TOML)")
    run.add_argument("-o", "--output", required=True, help="output file (.npz)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.add_argument("--compress", action="store_true", help="deflate the .npz (smaller, much slower to write)")
    run.add_argument("--curvature", action="store_true",
                     help="also record sharpness and preconditioned_sharpness (frames, N): the largest Hessian "
                          "eigenvalue at each recorded position (costs up to a few times the run)")
    run.set_defaults(handler=run_command)

    tune = sub.add_parser("tune", help="a fair race: sweep one hyperparameter of every group on the same budget and "
                                       "metric, keep the best, and write the tuned experiment with the sweep")
    tune.add_argument("experiment", help="experiment file (TOML); its [tune] table gives the defaults")
    tune.add_argument("-o", "--output", required=True, help="the tuned experiment (.toml)")
    tune.add_argument("--param", help='the hyperparameter: "lr" (default), any numeric one, "beta1" or "beta2"')
    tune.add_argument("--low", type=float, help="lowest candidate (default 1e-4)")
    tune.add_argument("--high", type=float, help="highest candidate (default 1)")
    tune.add_argument("--n", type=int, help="number of candidates, 2..1000 (default 25)")
    tune.add_argument("--scale", help='"log" (default) or "linear"')
    tune.add_argument("--metric", help='"mean_log_loss" (default: rewards getting low fast) or "final_loss"')
    tune.add_argument("--groups", help="comma-separated group indices (default: every group)")
    tune.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    tune.set_defaults(handler=tune_command)

    listing = sub.add_parser("list", help="show landscapes, optimizers and schedules with their defaults, "
                                          "and the output formats")
    listing.set_defaults(handler=list_command)
    add_render_commands(sub)
    add_map_command(sub)
    return parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, status 2
        raise CommandError(message)


def open_app(argv: list[str]) -> int:
    parser = _Parser(prog="optviz", description="Open the optviz app (subcommands: " + ", ".join(SUBCOMMANDS) + ").")
    parser.add_argument("experiment", nargs="?", help="experiment file (TOML) to open")
    args = parser.parse_args(argv)
    if args.experiment and not Path(args.experiment).is_file():
        raise CommandError(f"{args.experiment}: no such file")
    from optviz.app import run_app

    return run_app(args.experiment)


def run_command(args: argparse.Namespace) -> int:
    from optviz.core.memory import check_memory
    from optviz.experiment import check_output_path, load_experiment, memory_estimate, run_experiment, run_frames
    from optviz.render.options import RenderOptionError, check_render_table  # Qt-free

    output = Path(args.output)
    if output.suffix != ".npz":
        raise CommandError(f"--output {args.output}: must end in .npz")
    check_output_path(output, "--output ")  # before any work: a folder, a read-only folder
    experiment = load_experiment(args.experiment)
    try:  # as `figure` and `export` will read it
        check_render_table(experiment.render, experiment.run.steps)
    except RenderOptionError as error:
        raise CommandError(f"{args.experiment}: [render] {error}") from None
    check_memory(memory_estimate(experiment, run_frames(experiment), curvature=args.curvature))  # before the bar
    total = experiment.run.steps
    n_particles = sum(experiment.particle_counts())
    bars = _ProgressBars(args.quiet or total * n_particles < 5_000_000)
    progress = bars.callback("optviz run", "step")
    progress(0, total)
    try:
        result = run_experiment(experiment, progress=progress, curvature=args.curvature)
    finally:
        bars.close()
    try:
        result.save(output, compress=args.compress)
    except OSError as error:
        raise CommandError(f"--output {args.output}: cannot write: {error.strerror}") from None
    diverged = int((result.diverged_at >= 0).sum())
    note = f", {diverged} diverged" if diverged else ""
    if result.record_every != experiment.run.record_every:
        note += (f"; history decimated to every {result.record_every} steps to stay within "
                 f"run.max_history_mb = {experiment.run.max_history_mb:g}")
    print(f"wrote {output}: {result.n_frames} frames of {result.positions.shape[1]} particles{note}")
    return 0


def tune_command(args: argparse.Namespace) -> int:
    from optviz.experiment import check_output_path, load_experiment
    from optviz.experiment.toml_io import save_experiment
    from optviz.experiment.tune import check_tune, parse_tune, tune, tune_table

    output = Path(args.output)
    if output.suffix != ".toml":
        raise CommandError(f"--output {args.output}: must end in .toml")
    check_output_path(output, "--output ")
    experiment = load_experiment(args.experiment)
    table = tune_table(experiment.tune) if experiment.tune is not None else {}
    table.pop("results", None)
    flags = {"param": args.param, "low": args.low, "high": args.high, "n": args.n, "scale": args.scale,
             "metric": args.metric}
    table.update({k: v for k, v in flags.items() if v is not None})
    if args.groups is not None:
        try:
            table["groups"] = [int(g) for g in args.groups.split(",")]
        except ValueError:
            raise CommandError(f"--groups {args.groups}: give comma-separated group indices, e.g. 0,2") from None
    request = parse_tune(table, len(experiment.groups))
    check_tune(experiment, request)
    indices = request.groups or range(len(experiment.groups))
    total = len(indices) * experiment.run.steps
    bars = _ProgressBars(args.quiet)
    progress = bars.callback("optviz tune", "step")
    progress(0, total)
    try:
        tuned = tune(experiment, request, progress=progress)
    finally:
        bars.close()
    try:
        save_experiment(tuned, output)
    except OSError as error:
        raise CommandError(f"--output {args.output}: cannot write: {error.strerror}") from None
    candidates = request.candidates()
    for r in tuned.tune.results:
        label = tuned.groups[r.group].label
        edge = ("  (at the edge of the range: widen it)"
                if r.chosen in (candidates[0], candidates[-1]) and r.scores[0] != r.scores[-1] else "")
        print(f"groups[{r.group}] {label}: {request.param} = {r.chosen:.4g}, {request.metric} "
              f"{min(r.scores):.4g}{edge}")
    print(f"wrote {output}")
    return 0


def list_command(args: argparse.Namespace) -> int:
    from optviz.core.landscapes import LANDSCAPES
    from optviz.core.optimizers import ALIASES, OPTIMIZERS
    from optviz.core.schedules import SCHEDULES

    out = ["Landscapes ([landscape] name = ..., params = {...}):"]
    for spec in LANDSCAPES.values():
        params = ", ".join(f"{p.name}={p.default:g}" for p in spec.params)
        out.append(f"  {spec.name:<17} {spec.formula}" + (f"   params: {params}" if params else ""))
    out.append("")
    out.append("Optimizers ([[groups]] optimizer = ..., hyper = {...}):")
    for spec in OPTIMIZERS.values():
        aliases = [a for a, target in ALIASES.items() if target == spec.name]
        out.append(f"  {spec.name:<10} {spec.title} (torch: {spec.torch_class})"
                   + (f", alias: {', '.join(aliases)}" if aliases else ""))
        for h in spec.hypers:
            default = list(h.default) if isinstance(h.default, tuple) else h.default
            tag = "variant" if h.variant else "       "
            out.append(f"      {tag} {h.name:<26} = {_toml_value(default):<14} {h.range_text()}")
    out.append("")
    out.append("Schedules ([[groups]] schedule = { kind = ..., ... }):")
    for s in SCHEDULES.values():
        params = ", ".join(f"{p.name}={_toml_value(p.default)}" for p in s.params)
        out.append(f"  {s.kind:<13} {s.formula}" + (f"   ({params})" if params else ""))
    out.append("")
    out.append("Output formats (optviz figure / optviz export -o FILE; the file's ending chooses the format):")
    out.extend(_format_lines())
    print("\n".join(out))
    return 0


def _format_lines() -> list[str]:
    """One line a registered writer: name, endings, kind, title, and why it is unavailable here if it is."""
    from optviz.render.writer_registry import registry

    lines = []
    for w in registry.writers():
        reason = w.unavailable_reason()
        lines.append(f"  {w.name:<6} {' '.join(w.extensions):<8} {w.kind:<10} {w.title}"
                     + (f"   NOT AVAILABLE: {reason}" if reason else ""))
    return lines


class _OutputHelp:
    """The ``-o`` help of ``figure`` or ``export`` (``%(formats)s``): the registered formats of ``kind``,
    with any unavailable one and why. Made only when help is shown: reading the registry loads the
    render layer (Numba, a second or more), which a command that only parses should not wait for."""

    def __init__(self, kind: str):
        self.kind = kind

    def __str__(self) -> str:
        from optviz.render.writer_registry import registry

        formats = []
        for w in registry.writers(self.kind):
            reason = w.unavailable_reason()
            formats.append("/".join(w.extensions) + (f" (not available: {reason})" if reason else ""))
        default = registry.default(self.kind).extensions[0]
        return f"output file: {', '.join(formats)}; default EXPERIMENT{default}"


def add_render_commands(sub) -> None:
    """The `figure` and `export` subcommands (headless rendering, optviz.render)."""
    from optviz.experiment.vocabulary import COLORMAPS, SIDE_PLOTS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("experiment", nargs="?", help="experiment file (TOML)")
    common.add_argument("--from", dest="from_file", metavar="OUTPUT",
                        help="regenerate from the experiment recorded in an earlier output")
    common.add_argument("--size", help="WIDTHxHEIGHT in pixels (default 1280x720)")
    common.add_argument("--side-plots", help="comma-separated: " + ",".join(SIDE_PLOTS) + '; "none" or "auto"')
    common.add_argument("--colormap", help=", ".join(COLORMAPS))
    common.add_argument("--trail-length", help='recorded frames per trail; -1 whole path, 0 none, "auto"')
    common.add_argument("--theme", help="light or dark")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    fig = sub.add_parser("figure", parents=[common], help="render the scene at one step to an image")
    fig.add_argument("-o", "--output", help="%(formats)s").formats = _OutputHelp("figure")
    fig.add_argument("--step", type=_int_arg("--step"), help="optimizer step to draw (default: the last)")
    fig.set_defaults(handler=figure_command)

    exp = sub.add_parser("export", parents=[common], help="render an animation of the run")
    exp.add_argument("-o", "--output", help="%(formats)s").formats = _OutputHelp("animation")
    exp.add_argument("--fps", type=_float_arg("--fps"), help="frames per second (default 30)")
    length = exp.add_mutually_exclusive_group()
    length.add_argument("--duration", type=_float_arg("--duration"), help="length in seconds")
    length.add_argument("--frames", type=_int_arg("--frames"), help="number of frames")
    exp.add_argument("--steps-per-frame", type=_float_arg("--steps-per-frame"),
                     help="optimizer steps per frame")
    exp.set_defaults(handler=export_command)


def _number_arg(flag: str, convert, noun: str):
    """An argparse ``type`` for ``flag``: ``convert(text)``, or, where that raises ValueError, the
    one-line error "'TEXT' is not NOUN" (the parser names the flag)."""
    def parse(text):
        try:
            return convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
    parse.__name__ = flag
    return parse


def _int_arg(flag):
    return _number_arg(flag, int, "an integer")


def _float_arg(flag):
    return _number_arg(flag, float, "a number")


def _render_inputs(args, kind: str):
    if args.from_file is None and args.experiment is None:
        raise CommandError("give an experiment file (TOML) or --from OUTPUT")
    if args.from_file is not None and args.experiment is not None:
        raise CommandError("give either an experiment file or --from OUTPUT, not both")
    if args.experiment is not None:
        from optviz.experiment import read_experiment_file

        read_experiment_file(args.experiment)  # one line for a missing file, a FIFO, a folder, too large
    output = args.output
    if output is None and args.experiment is not None:
        from optviz.render.writer_registry import registry

        default_suffix = registry.default(kind).extensions[0]
        output = str(Path(args.experiment).with_suffix(default_suffix).name)
    options = {}
    if args.side_plots is not None:
        options["side_plots"] = args.side_plots
    if args.colormap is not None:
        options["colormap"] = args.colormap
    if args.theme is not None:
        options["theme"] = args.theme
    if args.trail_length is not None:
        t = args.trail_length
        try:
            options["trail_length"] = t if t == "auto" else int(t)
        except ValueError:
            raise CommandError(f"--trail-length {t!r} is not allowed; an integer >= -1 or \"auto\"") from None
    return output, options


class _ProgressBars:
    """Progress bars (tqdm) on stderr for the phases of a command (none with --quiet).

    A bar is created by its first report and shows after ``delay`` seconds (the
    simulation's bar: once the simulation has taken half a second). Every call
    into tqdm runs inside :func:`deferred`: tqdm takes its write locks one after
    another, and a cancelling signal raised between two acquisitions would leave a
    lock taken for good, which tqdm's monitor thread then waits on as the command exits.
    """

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self._bars: dict = {}

    def callback(self, desc: str, unit: str, delay: float = 0.0):
        def progress(done: int, total: int) -> None:
            if self.quiet:
                return
            with deferred():
                bar = self._bars.get(desc)
                if bar is None:
                    from tqdm import tqdm

                    bar = self._bars[desc] = tqdm(total=total, unit=unit, desc=desc, dynamic_ncols=True,
                                                  delay=delay)
                bar.update(done - bar.n)
                if done >= total:
                    bar.close()

        return progress

    def close(self) -> None:
        with deferred():
            for bar in self._bars.values():
                bar.close()


def figure_command(args: argparse.Namespace) -> int:
    from optviz.render import figure
    from optviz.render.export import OutputError

    output, options = _render_inputs(args, "figure")
    bars = _ProgressBars(args.quiet)
    try:
        info = figure(args.experiment, output, step=args.step, size=args.size, from_file=args.from_file,
                      sim_progress=bars.callback("optviz figure: simulating", "step", delay=0.5), **options)
    except OutputError as error:
        raise CommandError(str(error)) from None
    finally:
        bars.close()
    print(f"wrote {info.path}: {info.size[0]}x{info.size[1]} {info.format.upper()} at step {info.steps[0]}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from optviz.render import export_animation
    from optviz.render.export import OutputError

    output, options = _render_inputs(args, "animation")
    bars = _ProgressBars(args.quiet)
    try:
        info = export_animation(args.experiment, output, fps=args.fps, frames=args.frames,
                                duration=args.duration, size=args.size,
                                steps_per_frame=args.steps_per_frame, from_file=args.from_file,
                                sim_progress=bars.callback("optviz export: simulating", "step", delay=0.5),
                                progress=bars.callback("optviz export", "frame"), **options)
    except OutputError as error:
        raise CommandError(str(error)) from None
    finally:
        bars.close()
    print(f"wrote {info.path}: {info.frames} frames, {info.size[0]}x{info.size[1]}, "
          f"{info.frames / info.fps:.1f} s at {info.fps:g} fps ({info.format.upper()})")
    return 0


MAP_OUTPUTS = (".npz", ".png", ".svg")
#: Which override a [map] field's error is about (the message names the flag, not the field).
_MAP_FLAGS = {"map.metric": "--metric", "map.x.n": "--grid", "map.y.n": "--grid", "map.compare": "--compare"}


def add_map_command(sub) -> None:
    """The `map` subcommand: an experiment's [map] (basins of attraction, a phase diagram, a difference map)."""
    mp = sub.add_parser("map", help="compute the experiment's [map]: basins of attraction or a hyperparameter phase "
                                    "diagram, as data (.npz) or a picture (.png, .svg)")
    mp.add_argument("experiment", nargs="?", help="experiment file (TOML) with a [map] table")
    mp.add_argument("-o", "--output", help="output file: .npz (the map's arrays), .png or .svg (the picture); "
                                           "default EXPERIMENT.png")
    mp.add_argument("--from", dest="from_file", metavar="OUTPUT",
                    help="a map .npz to draw as .png/.svg without recomputing, or any output (.npz, .png, .svg) "
                         "whose recorded experiment is computed again")
    mp.add_argument("--metric", help="what the cells show: basin (basin maps), final_loss, steps_to_eps, converged, "
                                     "diverged (overrides [map] metric)")
    mp.add_argument("--grid", help="cells: N or NXxNY, each from 2 to 4096 (overrides [map] x.n and y.n)")
    mp.add_argument("--compare", type=_int_arg("--compare"), metavar="GROUP",
                    help="a difference map of the [map] group against group GROUP (an index from 0; "
                         "overrides [map] compare)")
    mp.add_argument("--scheduler", help="Dask scheduler tcp://HOST:PORT (overrides [map] scheduler; "
                                        "default: local threads)")
    mp.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="where the map runs: cpu (default) or cuda (this machine's GPU; equal to the CPU's "
                         "results to float64 rounding)")
    mp.add_argument("--size", help="WIDTHxHEIGHT of a picture in pixels (default 1200x860)")
    mp.add_argument("--theme", help="light or dark")
    mp.add_argument("--colormap", help="the colormap of metric maps")
    mp.add_argument("--compress", action="store_true", help="deflate the .npz")
    mp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    mp.set_defaults(handler=map_command)


def _grid_arg(text: str) -> tuple[int, int]:
    parts = text.lower().replace(" ", "").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2):
        raise CommandError(f"--grid {text!r} is not allowed; give N or NXxNY, e.g. 256 or 512x256")
    return (values[0], values[-1])


def _map_inputs(args) -> tuple[object, Path, object]:
    """(the experiment with the command's overrides, the output path, a map to draw as it is or None)."""
    from optviz.experiment import ExperimentError, experiment_from_toml, load_experiment
    from optviz.experiment.map_run import load_map_output, with_map

    if (args.from_file is None) == (args.experiment is None):
        raise CommandError("give an experiment file (TOML) or --from OUTPUT" if args.experiment is None
                           else "give either an experiment file or --from OUTPUT, not both")
    source = args.experiment or args.from_file
    output = Path(args.output or (args.from_file if args.from_file else Path(source).with_suffix(".png").name))
    if output.suffix.lower() not in MAP_OUTPUTS:
        raise CommandError(f"--output {output}: must end in {', '.join(MAP_OUTPUTS)}")
    saved = None
    if args.experiment is not None:
        experiment = load_experiment(args.experiment)
    elif Path(args.from_file).suffix.lower() == ".npz":
        saved = load_map_output(args.from_file)
        experiment = saved.experiment
    else:
        from optviz.render.metadata import read_experiment_text

        experiment = experiment_from_toml(read_experiment_text(args.from_file), f"--from {args.from_file}")
    if experiment.map is None:
        raise CommandError(f"{source}: has no [map] table; add one, e.g. [map] kind = \"basin\" (README, Maps)")
    grid = _grid_arg(args.grid) if args.grid is not None else None
    overrides = dict(metric=args.metric, grid=grid, compare=args.compare)
    try:
        changed = with_map(experiment, **overrides)
    except ExperimentError as error:
        flag = _MAP_FLAGS.get(error.field or "")
        if flag is None or all(v is None for v in overrides.values()):
            raise
        raise CommandError(str(error).replace(f"{error.field} =", flag, 1)) from None
    if args.scheduler is not None:
        from optviz.experiment.map_table import check_scheduler

        try:
            check_scheduler(args.scheduler, "--scheduler")
        except ExperimentError as error:
            raise CommandError(str(error)) from None
    redraw = None
    if saved is not None and output.suffix.lower() != ".npz":
        from optviz.experiment.map_run import shown_as

        redraw = shown_as(saved, changed)
    return changed, output, redraw


def map_command(args: argparse.Namespace) -> int:
    from optviz.experiment import check_output_path
    from optviz.experiment.map_run import run_map_experiment

    experiment, output, saved = _map_inputs(args)
    picture = output.suffix.lower() != ".npz"
    check_output_path(output, "--output ")  # before any work: a folder, a read-only folder
    options = dict(size=args.size, theme=args.theme, colormap=args.colormap)
    if picture:
        from optviz.render.options import RenderOptionError, resolve_options
        from optviz.render.writer_registry import registry

        registry.for_output(output, "figure")
        try:
            resolve_options(experiment.render, **options)
        except RenderOptionError as error:
            raise CommandError(str(error)) from None
    if saved is None:
        bars = _ProgressBars(args.quiet)
        try:
            result = run_map_experiment(experiment, scheduler=args.scheduler, device=args.device,
                                        progress=bars.callback("optviz map", "cell", delay=0.5))
        finally:
            bars.close()
    else:
        result = saved
    if picture:
        from optviz.render.export import OutputError
        from optviz.render.map_image import write_map_image

        try:
            info = write_map_image(result, output, **options)
        except OutputError as error:
            raise CommandError(str(error)) from None
        what = f"{info.size[0]}x{info.size[1]} {info.format.upper()}"
    else:
        try:
            result.save(output, compress=args.compress)
        except OSError as error:
            raise CommandError(f"--output {output}: cannot write: {error.strerror}") from None
        what = "arrays"
    print(f"wrote {output}: {what} of {_map_summary(result)}")
    return 0


def _map_summary(result) -> str:
    """One line: which map, its grid and what became of its cells."""
    config = result.config
    ny, nx = result.value.shape
    label = result.experiment.groups[config.group].label
    cells = result.cells
    text = f"a {nx}x{ny} {config.kind} map of {label!r} ({result.metric})"
    text += (f": {100 * float(cells['converged'].mean()):.1f} % converged, "
             f"{100 * float(cells['diverged'].mean()):.1f} % diverged")
    if result.seconds:
        text += f", {result.seconds:.1f} s"
    return text


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
