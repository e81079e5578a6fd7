"""Data-backed losses: datasets, two-parameter models and stochastic-gradient tile functions.

- :mod:`.rng`: counter-based random numbers (pure functions of seed, particle, step, k).
- :mod:`.datasets`: :class:`Dataset`, :func:`make_dataset`, :func:`load_csv`.
- :mod:`.models`: the models (linear, logistic, tanh), their per-sample terms and metadata.
- :mod:`.gradients`: :func:`data_loss_grad_tile` and :func:`add_gradient_noise` for the kernels.
"""

from optviz.core.data.datasets import MAX_ROWS, Dataset, DatasetError, load_csv, make_dataset
from optviz.core.data.gradients import add_gradient_noise, data_loss_grad_tile
from optviz.core.data.models import MODELS, ModelSpec, full_loss, full_loss_grad, get_model, view_bounds

__all__ = ["MAX_ROWS", "Dataset", "DatasetError", "load_csv", "make_dataset", "add_gradient_noise",
           "data_loss_grad_tile", "MODELS", "ModelSpec", "full_loss", "full_loss_grad", "get_model",
           "view_bounds"]
