"""The engine: NumPy and Numba only (no Qt, no files).

Importing any part of it first configures Numba (optviz.core.jit): its threading
layer and its kernel cache folder must be set before Numba is imported.
"""

from optviz.core import jit  # noqa: F401
