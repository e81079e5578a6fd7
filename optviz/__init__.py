"""optviz: see how gradient-based optimizers behave on 2-D loss landscapes.

The Python API, loaded on first use (``import optviz`` itself loads nothing heavy)::

    import optviz
    exp = optviz.Experiment.load("optviz/presets/04_adam_bias_correction.toml")
    res = optviz.run_experiment(exp)                   # recorded history (RunResult)
    optviz.figure(exp, "adam.png", step=50)            # PNG or SVG of the scene
    optviz.export_animation(exp, "adam.mp4", fps=30)   # MP4, GIF or WebP
"""

__version__ = "0.1.0"

_API = {
    "Experiment": "optviz.experiment",
    "ExperimentError": "optviz.experiment",
    "RunResult": "optviz.experiment",
    "run_experiment": "optviz.experiment",
    "load_experiment": "optviz.experiment",
    "load_result": "optviz.experiment",
    "figure": "optviz.render.export",
    "export_animation": "optviz.render.export",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'optviz' has no attribute {name!r}")
