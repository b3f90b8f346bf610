"""Binary masks as one label image: every covered pixel is read once, however many masks there are.

Disjoint binary masks (rings of a radial profile, the segments of a DPC detector) give each pixel
at most one mask, so a pass that adds each pixel into its mask's sum costs the covered pixels, not
pixels x masks as a dense product does.  Overlapping binary masks are cut into their *atoms*: the
regions of pixels that belong to exactly the same set of masks.  Atoms are disjoint, so the same
pass gives one sum per atom, and each mask's sum is the sum of its atoms' sums (an exact integer
sum for integer data; for floats the few additions of atom totals).

The label image is stored as runs of consecutive pixels of one atom (row segments of a ring), at
most :data:`MAX_RUN` long.  The kernel walks the runs with :data:`FRAMES` frames at once, in scalar
code with one accumulator per frame: runs of a few pixels are too short for SIMD, and eight
independent chains keep the adders busy.  It is compiled without re-association so that LLVM does
not vectorise those short loops.

Accumulation: integer frames in int64 (exact; uint64 frames wrap as uint64 sums do), float32
frames in float32 *per run* (at most ``MAX_RUN`` values, an error below 1e-5 of ``sum(|x|)``)
added into float64 totals, other floats in float64.  A non-finite pixel reaches only its atom,
and the atom sums are combined by additions, never by multiplying with zero, so NaN reaches
exactly the masks that cover it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numba import prange

#: Frames processed together by :func:`_label_runs` (the independent accumulator chains).
FRAMES = 8
#: Longest run: bounds the float32 partial sums (128 values: relative error below 1e-5).
MAX_RUN = 128
#: More atoms than this (masks that overlap in every way) are not worth a label image.
MAX_ATOMS = 4096
#: Elements of the per-batch atom sums (8 MB of float64).
ATOM_SUMS_ELEMENTS = 1 << 20

#: Scalar code on purpose: no ``reassoc``, so the short run loops stay unvectorised (see above).
_scalar_parallel_jit = numba.njit(cache=True, nogil=True, parallel=True)


@dataclass(frozen=True)
class Labels:
    """Atoms of a binary mask stack as runs of the flattened frame, and which masks hold them."""

    #: First pixel, length and atom of each run, sorted by first pixel (the order the frame is read).
    start: np.ndarray
    length: np.ndarray
    atom: np.ndarray
    n_atoms: int
    #: Atoms of mask ``j``: ``members[member_start[j]:member_start[j + 1]]``.
    member_start: np.ndarray
    members: np.ndarray
    #: Whether every mask is one atom (disjoint masks): the atom sums are then the answer.
    disjoint: bool
    covered: int

    @classmethod
    def of(cls, flat_masks: np.ndarray) -> Labels | None:
        """Labels of ``(k, pixels)`` binary masks, or None when they cut into too many atoms."""
        k, npix = flat_masks.shape
        nonzero = flat_masks != 0
        covered_px = np.flatnonzero(nonzero.any(axis=0))
        if covered_px.size == 0:
            return None
        # Each covered pixel's set of masks, packed to bytes; pixels with the same set form an atom.
        packed = np.packbits(nonzero[:, covered_px], axis=0).T
        keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
        unique, inverse = np.unique(keys, return_inverse=True)
        if unique.size > MAX_ATOMS:
            return None
        atom_of_pixel = np.full(npix, -1, np.int64)
        atom_of_pixel[covered_px] = inverse.ravel()
        sets = np.unpackbits(unique.view(np.uint8).reshape(unique.size, -1), axis=1, count=k).astype(bool)
        start, length, atom = _runs_of(atom_of_pixel)
        member_lists = [np.flatnonzero(sets[:, j]) for j in range(k)]
        member_start = np.zeros(k + 1, np.int64)
        member_start[1:] = np.cumsum([len(m) for m in member_lists])
        members = np.concatenate(member_lists).astype(np.int64) if k else np.zeros(0, np.int64)
        disjoint = bool(np.all(sets.sum(axis=1) == 1)) and bool(np.all(sets.sum(axis=0) == 1))
        return cls(start, length, atom, int(unique.size), member_start, members, disjoint, int(covered_px.size))

    @classmethod
    def of_image(cls, label_of_pixel: np.ndarray, k: int) -> Labels:
        """Labels of ``k`` disjoint masks given as one label image (each pixel's mask, -1 for
        none): what a radial binning makes at once, with no ``(k, pixels)`` stack to cut."""
        atom_of_pixel = np.asarray(label_of_pixel, np.int64)
        start, length, atom = _runs_of(atom_of_pixel)
        everyone = np.arange(k, dtype=np.int64)
        return cls(start, length, atom, k, np.arange(k + 1, dtype=np.int64), everyone, True,
                   int(np.count_nonzero(atom_of_pixel >= 0)))

    @property
    def runs(self) -> int:
        return int(self.start.size)

    def touched(self, stretch: int) -> int:
        """Stretches of ``stretch`` pixels that hold at least one covered pixel."""
        first = self.start // stretch
        last = (self.start + self.length - 1) // stretch
        marks = np.zeros(int(last.max()) + 2, np.int64)
        np.add.at(marks, first, 1)
        np.add.at(marks, last + 1, -1)
        return int(np.count_nonzero(np.cumsum(marks)))

    def apply(self, x: np.ndarray, out: np.ndarray, acc_dtype: np.dtype) -> None:
        """``out[i, j]`` = sum of frame ``x[i]`` over mask ``j`` (``x`` is ``(n, pixels)``)."""
        run_zero = np.float32(0) if x.dtype == np.float32 else acc_dtype.type(0)
        # Frames a batch at a time, so the atom sums stay small however many atoms there are.
        batch = max(64, ATOM_SUMS_ELEMENTS // self.n_atoms)
        for lo in range(0, x.shape[0], batch):
            hi = min(x.shape[0], lo + batch)
            atoms = np.zeros((hi - lo, self.n_atoms), acc_dtype)
            _label_runs(x[lo:hi], self.start, self.length, self.atom, atoms, run_zero)
            if self.disjoint:  # one atom per mask: its sums are the answer
                out[lo:hi] = atoms[:, self.members]
            else:
                _combine(atoms, self.member_start, self.members, out[lo:hi], acc_dtype.type(0))


def _runs_of(atom_of_pixel: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs of one atom (at most ``MAX_RUN`` long) over the covered pixels."""
    change = np.flatnonzero(np.diff(atom_of_pixel) != 0) + 1
    starts = np.r_[0, change]
    stops = np.r_[change, atom_of_pixel.size]
    keep = atom_of_pixel[starts] >= 0
    starts, stops = starts[keep], stops[keep]
    pieces = -(-(stops - starts) // MAX_RUN)
    piece = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)  # index within its run
    first = np.repeat(starts, pieces) + MAX_RUN * piece
    last = np.minimum(first + MAX_RUN, np.repeat(stops, pieces))
    return first.astype(np.int64), (last - first).astype(np.int64), atom_of_pixel[first].astype(np.int64)


@_scalar_parallel_jit
def _label_runs(frames, start, length, atom, out, run_zero):
    """``out[i, a] += sum of frames[i] over the runs of atom a``, eight frames per pass."""
    n = frames.shape[0]
    for block in prange((n + 7) // 8):
        f0 = block * 8
        x0 = frames[f0]
        x1 = frames[min(f0 + 1, n - 1)]
        x2 = frames[min(f0 + 2, n - 1)]
        x3 = frames[min(f0 + 3, n - 1)]
        x4 = frames[min(f0 + 4, n - 1)]
        x5 = frames[min(f0 + 5, n - 1)]
        x6 = frames[min(f0 + 6, n - 1)]
        x7 = frames[min(f0 + 7, n - 1)]
        acc = np.zeros((8, out.shape[1]), out.dtype)
        for r in range(start.shape[0]):
            s = start[r]
            a0 = run_zero
            a1 = run_zero
            a2 = run_zero
            a3 = run_zero
            a4 = run_zero
            a5 = run_zero
            a6 = run_zero
            a7 = run_zero
            for q in range(s, s + length[r]):
                a0 += x0[q]
                a1 += x1[q]
                a2 += x2[q]
                a3 += x3[q]
                a4 += x4[q]
                a5 += x5[q]
                a6 += x6[q]
                a7 += x7[q]
            j = atom[r]
            acc[0, j] += a0
            acc[1, j] += a1
            acc[2, j] += a2
            acc[3, j] += a3
            acc[4, j] += a4
            acc[5, j] += a5
            acc[6, j] += a6
            acc[7, j] += a7
        for i in range(min(8, n - f0)):
            for j in range(out.shape[1]):
                out[f0 + i, j] = acc[i, j]


@_scalar_parallel_jit
def _combine(atoms, member_start, members, out, zero):
    """Each mask's sum from its atoms' sums (additions only: NaN stays where it was)."""
    for i in prange(atoms.shape[0]):
        for j in range(out.shape[1]):
            total = zero
            for m in range(member_start[j], member_start[j + 1]):
                total += atoms[i, members[m]]
            out[i, j] = total
