"""Render the README's pictures from the app's presets (optviz/presets/, package data).

    python scripts/make_gallery.py [--only NAME ...] [--no-animation]

Writes resources/gallery/NAME.png (1280x720, the last step unless the file's
[render] table says otherwise) for every optviz/presets/NAME.toml, its map
resources/gallery/NAME_map.png (`optviz map`) when it has a [map] table, the
difference maps of EXTRA_MAPS, and one looping animation,
resources/gallery/09_race_rosenbrock.gif (800x450).
Each output records its experiment: `optviz figure --from resources/gallery/NAME.png`
regenerates it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's optviz, not an installed one
EXPERIMENTS = ROOT / "optviz" / "presets"
GALLERY = ROOT / "resources" / "gallery"
ANIMATIONS = {"09_race_rosenbrock": dict(size=(800, 450), fps=25, duration=8, format="gif")}
#: More maps of a preset: picture name -> [map] overrides (optviz.experiment.map_run.with_map).
EXTRA_MAPS = {"12_himmelblau_basins": {"difference": dict(compare=1)}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="experiment names (default: all)")
    ap.add_argument("--no-animation", action="store_true")
    args = ap.parse_args(argv)

    from optviz.experiment import load_experiment, run_experiment
    from optviz.experiment.map_run import run_map_experiment, with_map
    from optviz.render import export_animation, figure
    from optviz.render.map_image import write_map_image

    GALLERY.mkdir(parents=True, exist_ok=True)
    for path in sorted(EXPERIMENTS.glob("*.toml")):
        name = path.stem
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        exp = load_experiment(path)
        result = run_experiment(exp)
        info = figure(exp, GALLERY / f"{name}.png", result=result)
        print(f"{info.path.relative_to(ROOT)}  step {info.steps[0]}  ({time.perf_counter() - t0:.1f} s)")
        maps = {"map": {}, **EXTRA_MAPS.get(name, {})} if exp.map is not None else {}
        for suffix, overrides in maps.items():
            t0 = time.perf_counter()
            info = write_map_image(run_map_experiment(with_map(exp, **overrides)), GALLERY / f"{name}_{suffix}.png")
            print(f"{info.path.relative_to(ROOT)}  ({time.perf_counter() - t0:.1f} s)")
        if name in ANIMATIONS and not args.no_animation:
            t0 = time.perf_counter()
            a = dict(ANIMATIONS[name])
            fmt = a.pop("format")
            info = export_animation(exp, GALLERY / f"{name}.{fmt}", result=result, **a)
            print(f"{info.path.relative_to(ROOT)}  {info.frames} frames  ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
