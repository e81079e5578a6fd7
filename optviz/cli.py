"""The ``optviz`` command.

    optviz [EXPERIMENT.toml]                      open the app (on an experiment)
    optviz run EXPERIMENT.toml -o OUT.npz         run headless, write the recorded history
    optviz list                                   landscapes, optimizers, schedules, defaults

A bad file or value exits with status 2 and one clear message, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_USAGE = 2
SUBCOMMANDS = ("run", "list")


class CommandError(Exception):
    """A problem to report in one line, exiting with status 2."""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            args = build_parser().parse_args(argv)
            return args.handler(args)
        return open_app(argv)
    except CommandError as error:
        print(f"optviz: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:  # ExperimentError and validation errors of every layer
        print(f"optviz: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("optviz: cancelled", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="optviz", description="See how gradient-based optimizers behave.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run an experiment headless and write its history (.npz)")
    run.add_argument("experiment", help="experiment file (TOML)")
    run.add_argument("-o", "--output", required=True, help="output file (.npz)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=run_command)

    listing = sub.add_parser("list", help="show landscapes, optimizers and schedules with their defaults")
    listing.set_defaults(handler=list_command)
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
    from optviz.experiment import load_experiment, run_experiment

    output = Path(args.output)
    if output.suffix != ".npz":
        raise CommandError(f"--output {args.output}: must end in .npz")
    if not output.parent.exists() if str(output.parent) else False:
        raise CommandError(f"--output {args.output}: folder {output.parent} does not exist")
    experiment = load_experiment(args.experiment)
    total = experiment.run.steps
    n_particles = sum(p.shape[0] for p in experiment.initial_positions())
    bar = None
    if not args.quiet and total * n_particles >= 5_000_000:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="step", desc="optviz run", dynamic_ncols=True)

    def progress(done: int, _total: int) -> None:
        if bar is not None:
            bar.update(done - bar.n)

    try:
        result = run_experiment(experiment, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    try:
        result.save(output)
    except OSError as error:
        raise CommandError(f"--output {args.output}: cannot write: {error.strerror}") from None
    diverged = int((result.diverged_at >= 0).sum())
    note = f", {diverged} diverged" if diverged else ""
    if result.record_every != experiment.run.record_every:
        note += (f"; history decimated to every {result.record_every} steps to stay within "
                 f"run.max_history_mb = {experiment.run.max_history_mb:g}")
    print(f"wrote {output}: {result.n_frames} frames of {result.positions.shape[1]} particles{note}")
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
    print("\n".join(out))
    return 0


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
