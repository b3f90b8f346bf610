"""LiberTEM's own UDFs for the newer reductions, run in LiberTEM's environment.

Usage: python _libertem_udfs.py OPERATION PATH REPEATS PARAMS_JSON
    OPERATION: fem | crystallinity | blobs | map; PATH: a .npy stack (scan_y, scan_x, h, w).
Prints one JSON line: the best seconds of each executor (``inline``, ``threads``), the dataset
held in memory as a LiberTEM user holding a stack in a notebook would.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def udfs(operation: str, params: dict, sig: tuple[int, int]) -> list:
    height, width = sig
    centre = ((width - 1) / 2, (height - 1) / 2)
    if operation == "fem":
        from libertem.udf.FEM import FEMUDF

        return [FEMUDF(center=(centre[1], centre[0]), rad_in=params["ri"], rad_out=params["ro"])]
    if operation == "crystallinity":
        from libertem.udf.crystallinity import CrystallinityUDF

        return [CrystallinityUDF(rad_in=params["r_in"], rad_out=params["r_out"],
                                 real_center=(centre[1], centre[0]), real_rad=params["beam_r"])]
    if operation == "blobs":
        from libertem_blobfinder.common.patterns import BackgroundSubtraction
        from libertem_blobfinder.udf.correlation import FullFrameCorrelationUDF

        # The blobfinder refines peaks it is given (found once, e.g. on the sum frame): the known lattice.
        peaks = np.array([(y, x) for y in params["lattice"] for x in params["lattice"]])
        return [FullFrameCorrelationUDF(peaks=peaks, match_pattern=BackgroundSubtraction(radius=params["radius"]))]
    if operation == "map":
        from libertem.udf.auto import AutoUDF  # what ctx.map(dataset, f) runs

        return [AutoUDF(f=FUNCTIONS[params["function"]])]
    raise ValueError(operation)


#: The per-frame functions ``benchmarks/user_functions.py`` maps, by name (the same code on both sides).
FUNCTIONS = {
    "max": lambda frame: frame.max(),
    "centre_sum": lambda frame: frame[56:72, 56:72].sum(),
    "profile": lambda frame: frame.sum(axis=0)[::8],
}


def main() -> None:
    operation, path, repeats, params = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
    import libertem.api as lt

    data = np.load(path)
    results = {}
    for executor in ("inline", "threads"):
        ctx = lt.Context.make_with(executor, cpus=2) if executor == "threads" else lt.Context.make_with("inline")
        try:
            ds = ctx.load("memory", data=data, sig_dims=2)
            ctx.run_udf(dataset=ds, udf=udfs(operation, params, data.shape[-2:]))  # compile outside the timing
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                ctx.run_udf(dataset=ds, udf=udfs(operation, params, data.shape[-2:]))
                best = min(best, time.perf_counter() - start)
            results[executor] = best
        finally:
            ctx.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
