"""The kernel cache under concurrency: cold compiles in several processes and threads at once."""

import os
import subprocess
import sys
import textwrap

#: Compiles the Adam/Rosenbrock kernel for float32 recording in a worker thread while the main
#: thread compiles it for float64 (two signatures of the same cached functions: the case that
#: could pair one signature's index entry with the other's machine code), then prints a digest
#: of both results and whether the kernel came from the disk cache.
_SCRIPT = textwrap.dedent("""
    import hashlib, threading, sys
    import numpy as np
    from optviz.experiment import Experiment, build_simulation

    def experiment(dtype, count):
        return Experiment.from_dict({
            "landscape": {"name": "rosenbrock"},
            "run": {"steps": 60, "record_dtype": dtype},
            "groups": [{"optimizer": "adam", "hyper": {"lr": 0.01},
                        "init": {"kind": "uniform", "low": [-2, -1], "high": [2, 3], "count": count}}]})

    results, kernels = {}, {}

    def run(dtype, count):
        sim = build_simulation(experiment(dtype, count), max_frames=64)
        sim.advance(60, record_last=True)
        results[dtype] = sim.arrays()["positions"].astype(np.float64).tobytes()
        kernels[dtype] = sim.groups[0].kernel

    worker = threading.Thread(target=run, args=("float32", 3000))
    worker.start()
    run("float64", 500)
    worker.join()
    digest = hashlib.sha256(results["float32"] + results["float64"]).hexdigest()
    misses = sum(sum(getattr(kernels[d].module, name).stats.cache_misses.values())
                 for d in kernels for name in ("advance_serial", "advance_parallel"))
    print(digest, misses)
""")


def _run_all(env, count):
    procs = [subprocess.Popen([sys.executable, "-c", _SCRIPT], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(count)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
    return [out.split() for out, _ in outs]


def test_cold_compiles_in_two_processes_and_a_thread_share_the_cache_safely(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "OPTVIZ_CACHE_DIR": str(tmp_path / "optviz")}
    env.pop("NUMBA_CACHE_DIR", None)
    cold = _run_all(env, 2)
    assert cold[0][0] == cold[1][0]  # same results in both processes
    (warm,) = _run_all(env, 1)
    assert warm[0] == cold[0][0]
    assert warm[1] == "0", "a third process compiled again instead of loading the shared cache"
    lock_files = list((tmp_path / "optviz" / "generated").glob("*.lock"))
    assert lock_files  # the kernels' compile locks
