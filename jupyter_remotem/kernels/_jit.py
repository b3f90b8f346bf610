"""The one numba configuration every kernel is compiled with.

``cache=True`` keeps compiled machine code next to the sources, so a server restart or a test run
does not recompile.  ``nogil=True`` lets Dask's threads run kernels side by side.  Of the fast-math
flags only ``reassoc`` (so LLVM may split a sum into SIMD lanes) and ``contract`` (fused
multiply-add) are enabled: ``nnan``/``ninf`` would let LLVM assume the data holds no NaN, and NaN
must reach the results of the masks that cover it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba

FASTMATH = frozenset({"reassoc", "contract"})

jit = numba.njit(cache=True, nogil=True, fastmath=set(FASTMATH))
parallel_jit = numba.njit(cache=True, nogil=True, fastmath=set(FASTMATH), parallel=True)


@contextmanager
def limit_threads(threads: int) -> Iterator[None]:
    """Run the kernels of the calling thread on at most ``threads`` cores.

    numba's thread count is per calling thread, so a Dask worker thread can ask for 1 while the
    interactive path uses every core.  The OpenMP layer numba picks here is safe to enter from
    several threads at once.
    """
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(previous)
