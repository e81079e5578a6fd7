"""Race statistics of a run's result (optviz.core.race), with the experiment's eps and known minima.

``optviz run`` writes them into its .npz under the keys of
:meth:`optviz.core.race.RaceStatistics.arrays`: ``race_eps`` (), ``race_steps_to_eps`` (N,),
``race_reached``, ``race_within``, ``race_diverged`` (G, F), ``race_converged`` (G,),
``race_final_loss_quantiles`` (G, Q) at ``race_quantiles`` (Q,).
"""

from __future__ import annotations

from optviz.core.race import RaceStatistics, minima_array, race_statistics

__all__ = ["race_of"]


def race_of(result) -> RaceStatistics:
    """The race statistics of a RunResult (or alike: ``loss``, ``positions``, ``grad``, ``step``,
    ``group``, ``diverged_at``, ``experiment``), with eps = ``experiment.race_eps()`` and the
    landscape's known minima."""
    exp = result.experiment
    minima = minima_array(exp.landscape_spec().minima())
    return race_statistics(result.loss, result.step, result.group, len(exp.groups), exp.race_eps(), minima,
                           positions=result.positions, grad=result.grad, diverged_at=result.diverged_at)
