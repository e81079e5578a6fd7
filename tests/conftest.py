"""Test-wide set-up. Runs before any test module imports Qt or Numba."""

import os

# Qt without a display (renders the same as Xvfb; PLATFORM.md). Set
# QT_QPA_PLATFORM=xcb yourself to watch tests in a real window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Numba's default `workqueue` layer aborts when parallel kernels run from two
# threads (PLATFORM.md, trap 5).
os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")
