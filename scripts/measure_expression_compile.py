"""Cold compile time of typed landscapes: parse -> SymPy -> codegen -> Numba, one process each.

For each expression, a fresh process with an empty cache (OPTVIZ_CACHE_DIR) builds the
experiment's surface (the expression's module and its grid kernel, and its point function
when it is not inlined) and compiles one optimizer family's particle kernel, and prints the
time of each stage. This is what backs the limits in optviz.core.expressions.grammar.

Usage: python scripts/measure_expression_compile.py [--optimizer adam] [--timeout 300] EXPR...
"""

import argparse
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import sys, time
t0 = time.perf_counter()
import sympy
from optviz.core.expressions import codegen, grammar
from optviz.core.expressions.symbolic import to_sympy
from optviz.experiment.model import Experiment
from optviz.experiment.runner import build_simulation

text, optimizer = sys.argv[1], sys.argv[2]
t = time.perf_counter()
sym = to_sympy(grammar.parse_expression(text))
ops, replacements, reduced = codegen._shared_code(sym)
inline = codegen.is_inlined(ops, codegen._fast_calls([v for _, v in replacements] + list(reduced)))
t_sympy = time.perf_counter() - t
t = time.perf_counter()
exp = Experiment.from_dict({"landscape": {"expression": text}, "run": {"steps": 10},
                            "groups": [{"label": "g", "optimizer": optimizer}]})
exp.landscape_spec()
t_surface = time.perf_counter() - t
t = time.perf_counter()
build_simulation(exp).compile()
t_family = time.perf_counter() - t
print(f"{time.perf_counter() - t0:6.1f} s  (sympy+codegen {t_sympy:.1f}, surface {t_surface:.1f}, "
      f"{optimizer} kernel {t_family:.1f}; {ops} operations, inlined: {inline})")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("expressions", nargs="+")
    parser.add_argument("--optimizer", default="sgd")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    for text in args.expressions:
        with tempfile.TemporaryDirectory(prefix="optviz-measure-") as cache:
            env = {**os.environ, "OPTVIZ_CACHE_DIR": cache}
            try:
                done = subprocess.run([sys.executable, "-c", CHILD, text, args.optimizer], env=env,
                                      capture_output=True, text=True, timeout=args.timeout)
                result = done.stdout.strip() or done.stderr.strip().splitlines()[-1]
            except subprocess.TimeoutExpired:
                result = f"over {args.timeout:g} s"
        shown = text if len(text) <= 60 else text[:57] + "..."
        print(f"{shown!r}: {result}", flush=True)


if __name__ == "__main__":
    main()
