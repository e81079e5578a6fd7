"""optviz: see how gradient-based optimizers behave on 2-D loss landscapes."""

__version__ = "0.1.0"
