"""Apply k virtual-detector masks to n frames in one pass: ``result[i, j] = sum(frames[i] * masks[j])``.

Three representations, chosen per mask set by :class:`MaskSet` from a cost estimate:

* **dense** — a register-blocked kernel: 4 frames x up to 4 masks share one inner loop over a
  tile of 2048 pixels, so each data element is loaded once per 4 masks and each mask element
  once per 4 frames, with all 16 partial sums in SIMD registers; tiles keep the mask rows hot in
  L1 when there are many masks.  Only the *window* of the flattened frame from the first to the
  last pixel any mask covers is read, so a bright-field disk costs the rows it spans, no more.
  Parallel over blocks of frames.
* **runs** — each mask as runs of consecutive non-zero pixels (row segments of a disk or ring)
  with their weights.  Work is proportional to the pixels the masks cover, but each run pays a
  loop start-up, so this wins only for masks of few pixels spread over the frame (points, thin
  outlines).  Parallel over frames.  Weighted masks only since binary masks have **labels**.
* **labels** (binary masks) — one label image of the masks' disjoint regions (:mod:`.labels`):
  each covered pixel is read once and added once, however many masks there are, so 16 rings of a
  radial profile cost about what one large ring does; overlapping masks are sums of their
  regions.  Also the cheapest form of a small disk, which touches a few rows of each frame.

Accumulation (the dtype of the result):

* integer frames with binary masks: exact, returned as int64 (uint64 frames: uint64).  8- and
  16-bit data is summed in float64, exact below 2**53 (a 16-bit frame would need 1.3e11 pixels)
  and one compiled kernel fewer per dtype; 32- and 64-bit data in int64, with no overflow for
  any 32-bit frame below 2**31 pixels.
* everything else in float64, with two exceptions measured to matter: float32 frames with four or
  more masks form float32 partial sums per 2048-pixel tile (in 16 SIMD lanes) and add the tiles
  in float64 — 14 instead of 10 GB/s for 16 masks on two cores; and the labels representation
  sums float32 frames in float32 per run of at most 128 pixels.  Both keep the error below 1e-5
  of ``sum(|frame * mask|)`` (checked by the tests).  Labels sum all integer data in int64.

NaN and infinity: a non-finite pixel reaches exactly the results of the masks with a non-zero
weight there.  The dense kernel would smear it into every mask (``NaN * 0`` is NaN), so frames
whose dense result is not finite are recomputed with the runs representation, which only reads
covered pixels.  An empty mask gives 0.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numba import prange

from ..errors import BadParameter
from ._dtypes import exact_dtype, flat_frames, is_integer, signed_view
from ._jit import jit, limit_threads, parallel_jit
from .labels import Labels

#: Pixels per tile of the dense kernel (4 frames + 4 masks of float64 stay within L1/L2).
TILE = 2048
#: Integer data up to this many bytes per value is summed exactly in float64: a 16-bit frame
#: would need 1.3e11 pixels to pass 2**53.  Wider integers are summed in int64.
FLOAT_EXACT_MAX_ITEMSIZE = 2
#: From this many masks on, float32 frames use float32 partial sums per tile (see module doc).
FLOAT32_PARTIALS_FROM = 4
#: Cost of one covered pixel in the runs kernel, in units of one dense pixel-mask product
#: (measured: a bright-field + ADF + HAADF set runs ~4x slower as runs than dense).
RUN_PIXEL_COST = 6.0
#: Cost of starting one run, in covered-pixel units (loop set-up, an unvectorised tail).
RUN_START_COST = 16.0
#: The labels/dense choice, in nanoseconds per frame on one core (measured on 128 x 128 float32
#: frames, 2026-12): streaming one pixel from memory; one dense pixel-mask product; adding one
#: covered pixel, starting one run and adding one atom into a mask in the labels kernel.
STREAM_NS = 0.31
DENSE_PRODUCT_NS = 0.042
LABEL_PIXEL_NS = 0.2
LABEL_RUN_NS = 1.9
LABEL_MEMBER_NS = 0.5
#: Pixels streamed together when any one of them is read (cache lines and their prefetch).
STRETCH = 64


@jit
def _block4x1(x0, x1, x2, x3, w0, acc, zero):
    a0 = zero
    a1 = zero
    a2 = zero
    a3 = zero
    for p in range(x0.shape[0]):
        u = w0[p]
        a0 += x0[p] * u
        a1 += x1[p] * u
        a2 += x2[p] * u
        a3 += x3[p] * u
    acc[0, 0] += a0
    acc[1, 0] += a1
    acc[2, 0] += a2
    acc[3, 0] += a3


@jit
def _block4x2(x0, x1, x2, x3, w0, w1, acc, zero):
    a00 = zero
    a01 = zero
    a10 = zero
    a11 = zero
    a20 = zero
    a21 = zero
    a30 = zero
    a31 = zero
    for p in range(x0.shape[0]):
        v0 = x0[p]
        v1 = x1[p]
        v2 = x2[p]
        v3 = x3[p]
        u0 = w0[p]
        u1 = w1[p]
        a00 += v0 * u0
        a01 += v0 * u1
        a10 += v1 * u0
        a11 += v1 * u1
        a20 += v2 * u0
        a21 += v2 * u1
        a30 += v3 * u0
        a31 += v3 * u1
    acc[0, 0] += a00
    acc[0, 1] += a01
    acc[1, 0] += a10
    acc[1, 1] += a11
    acc[2, 0] += a20
    acc[2, 1] += a21
    acc[3, 0] += a30
    acc[3, 1] += a31


@jit
def _block4x3(x0, x1, x2, x3, w0, w1, w2, acc, zero):
    a00 = zero
    a01 = zero
    a02 = zero
    a10 = zero
    a11 = zero
    a12 = zero
    a20 = zero
    a21 = zero
    a22 = zero
    a30 = zero
    a31 = zero
    a32 = zero
    for p in range(x0.shape[0]):
        v0 = x0[p]
        v1 = x1[p]
        v2 = x2[p]
        v3 = x3[p]
        u0 = w0[p]
        u1 = w1[p]
        u2 = w2[p]
        a00 += v0 * u0
        a01 += v0 * u1
        a02 += v0 * u2
        a10 += v1 * u0
        a11 += v1 * u1
        a12 += v1 * u2
        a20 += v2 * u0
        a21 += v2 * u1
        a22 += v2 * u2
        a30 += v3 * u0
        a31 += v3 * u1
        a32 += v3 * u2
    acc[0, 0] += a00
    acc[0, 1] += a01
    acc[0, 2] += a02
    acc[1, 0] += a10
    acc[1, 1] += a11
    acc[1, 2] += a12
    acc[2, 0] += a20
    acc[2, 1] += a21
    acc[2, 2] += a22
    acc[3, 0] += a30
    acc[3, 1] += a31
    acc[3, 2] += a32


@jit
def _block4x4(x0, x1, x2, x3, w0, w1, w2, w3, acc, zero):
    a00 = zero
    a01 = zero
    a02 = zero
    a03 = zero
    a10 = zero
    a11 = zero
    a12 = zero
    a13 = zero
    a20 = zero
    a21 = zero
    a22 = zero
    a23 = zero
    a30 = zero
    a31 = zero
    a32 = zero
    a33 = zero
    for p in range(x0.shape[0]):
        v0 = x0[p]
        v1 = x1[p]
        v2 = x2[p]
        v3 = x3[p]
        u0 = w0[p]
        u1 = w1[p]
        u2 = w2[p]
        u3 = w3[p]
        a00 += v0 * u0
        a01 += v0 * u1
        a02 += v0 * u2
        a03 += v0 * u3
        a10 += v1 * u0
        a11 += v1 * u1
        a12 += v1 * u2
        a13 += v1 * u3
        a20 += v2 * u0
        a21 += v2 * u1
        a22 += v2 * u2
        a23 += v2 * u3
        a30 += v3 * u0
        a31 += v3 * u1
        a32 += v3 * u2
        a33 += v3 * u3
    acc[0, 0] += a00
    acc[0, 1] += a01
    acc[0, 2] += a02
    acc[0, 3] += a03
    acc[1, 0] += a10
    acc[1, 1] += a11
    acc[1, 2] += a12
    acc[1, 3] += a13
    acc[2, 0] += a20
    acc[2, 1] += a21
    acc[2, 2] += a22
    acc[2, 3] += a23
    acc[3, 0] += a30
    acc[3, 1] += a31
    acc[3, 2] += a32
    acc[3, 3] += a33


#: Multiply-adds below which masks are applied on the calling thread only (about 50 µs of work).
SERIAL_BELOW = 1 << 18

@parallel_jit
def _dense(frames, masks, first, out, zero):
    """``out[i, j] = sum_q frames[i, first + q] * masks[j, q]``: the masks cover the pixel window
    starting at ``first``.  The type of ``zero`` (and of the products) sets the type of the
    per-tile partial sums, ``out.dtype`` that of the totals."""
    for block in prange((frames.shape[0] + 3) // 4):
        _dense_block(frames, masks, first, out, zero, block * 4)


@jit
def _dense_block(frames, masks, first, out, zero, f0):
    """Frames ``f0 .. f0 + 3`` (the last repeated past the end) against all masks."""
    n = frames.shape[0]
    k, npix = masks.shape
    x0 = frames[f0]
    x1 = frames[min(f0 + 1, n - 1)]
    x2 = frames[min(f0 + 2, n - 1)]
    x3 = frames[min(f0 + 3, n - 1)]
    acc = np.zeros((4, 4), out.dtype)
    for m0 in range(0, k, 4):
        acc[:] = 0
        width = min(4, k - m0)
        for p0 in range(0, npix, TILE):
            p1 = min(npix, p0 + TILE)
            t0 = x0[first + p0 : first + p1]
            t1 = x1[first + p0 : first + p1]
            t2 = x2[first + p0 : first + p1]
            t3 = x3[first + p0 : first + p1]
            if width == 4:
                _block4x4(t0, t1, t2, t3, masks[m0, p0:p1], masks[m0 + 1, p0:p1],
                          masks[m0 + 2, p0:p1], masks[m0 + 3, p0:p1], acc, zero)
            elif width == 3:
                _block4x3(t0, t1, t2, t3, masks[m0, p0:p1], masks[m0 + 1, p0:p1],
                          masks[m0 + 2, p0:p1], acc, zero)
            elif width == 2:
                _block4x2(t0, t1, t2, t3, masks[m0, p0:p1], masks[m0 + 1, p0:p1], acc, zero)
            else:
                _block4x1(t0, t1, t2, t3, masks[m0, p0:p1], acc, zero)
        for i in range(min(4, n - f0)):
            for j in range(width):
                out[f0 + i, m0 + j] = acc[i, j]


@parallel_jit
def _runs(frames, rows, run_start, run_length, run_offset, mask_runs, weights, binary, out, zero):
    """``out[r, j]`` for the frames ``rows`` (all when empty) from each mask's non-zero runs:
    ``mask_runs[j]:mask_runs[j+1]`` index runs starting at pixel ``run_start`` of length
    ``run_length`` whose weights begin at ``weights[run_offset]``."""
    k = mask_runs.shape[0] - 1
    count = rows.shape[0] if rows.shape[0] > 0 else frames.shape[0]
    for r in prange(count):
        x = frames[rows[r]] if rows.shape[0] > 0 else frames[r]
        for j in range(k):
            total = zero
            for run in range(mask_runs[j], mask_runs[j + 1]):
                start = run_start[run]
                seg = x[start : start + run_length[run]]
                part = zero
                if binary:
                    for q in range(seg.shape[0]):
                        part += seg[q]
                else:
                    w = weights[run_offset[run] : run_offset[run] + seg.shape[0]]
                    for q in range(seg.shape[0]):
                        part += seg[q] * w[q]
                total += part
            out[r, j] = total


@dataclass(frozen=True)
class Runs:
    """Masks as runs of consecutive non-zero pixels of the flattened frame (see :func:`_runs`)."""

    start: np.ndarray
    length: np.ndarray
    offset: np.ndarray
    mask_runs: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, flat_masks: np.ndarray) -> Runs:
        starts, lengths, values, counts = [], [], [], [0]
        for m in flat_masks:
            idx = np.flatnonzero(m)
            first = last = np.zeros(0, np.int64)
            if idx.size:
                breaks = np.flatnonzero(np.diff(idx) != 1) + 1
                first, last = np.r_[0, breaks], np.r_[breaks, idx.size]
            starts.append(idx[first])
            lengths.append(last - first)
            values.append(m[idx])
            counts.append(len(first))
        length = np.concatenate(lengths).astype(np.int64)
        return cls(
            start=np.concatenate(starts).astype(np.int64),
            length=length,
            offset=np.concatenate(([0], np.cumsum(length)[:-1])).astype(np.int64),
            mask_runs=np.cumsum(counts).astype(np.int64),
            weights=np.concatenate(values).astype(np.float64),
        )

    @property
    def count(self) -> int:
        return int(self.start.size)

    @property
    def pixels(self) -> int:
        return int(self.length.sum())


class MaskSet:
    """A stack of masks prepared once for many :meth:`apply` calls (one per partition).

    ``masks`` is ``(k, *sig_shape)``, bool or numeric, finite.  The representation (``"dense"``,
    ``"runs"`` or, for binary masks, ``"labels"``) is fixed at construction from the masks alone (or
    forced by ``representation``), so results never depend on how the data was partitioned;
    per-dtype copies of the masks are made on first use.  Instances are read-only once built and
    may be shared between threads (the compute layer caches them per geometry).
    """

    def __init__(self, masks: np.ndarray, representation: str | None = None) -> None:
        m = np.asarray(masks)
        if m.ndim < 2 or m.shape[0] < 1 or m.size == 0:
            raise BadParameter(f"Masks must be a non-empty (k, *sig_shape) stack, got shape {m.shape}.")
        if m.dtype.kind not in "biuf":
            raise BadParameter(f"Masks of dtype {m.dtype} are not numeric.")
        if not np.all(np.isfinite(m)):
            raise BadParameter("Mask weights must be finite numbers.")
        self.sig_shape: tuple[int, ...] = tuple(int(s) for s in m.shape[1:])
        self.k = int(m.shape[0])
        self._flat = m.reshape(self.k, -1)
        covered = np.flatnonzero(np.any(self._flat != 0, axis=0))
        self.window: tuple[int, int] = (int(covered[0]), int(covered[-1]) + 1) if covered.size else (0, 0)
        self.binary = bool(m.dtype == np.bool_ or np.all((self._flat == 0) | (self._flat == 1)))
        if representation not in (None, "dense", "runs", "labels"):
            raise BadParameter(f"Unknown mask representation {representation!r}.",
                               hint='Use "dense", "runs" or (binary masks) "labels".')
        if representation == "labels" and not self.binary:
            raise BadParameter("The labels representation is for binary masks only.")
        if representation == "labels" and self.labels is None:
            representation = "dense"  # nothing covered, or too many regions: dense is as good
        self.representation: str = representation or self._cheaper_representation()
        self._dense_cache: dict[np.dtype, np.ndarray] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        """Picklable for cluster workers (plans travel there): the lock stays behind."""
        return {key: value for key, value in self.__dict__.items() if key != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _cheaper_representation(self) -> str:
        width = self.window[1] - self.window[0]
        if self.binary:
            labels = self.labels
            if labels is None:
                return "dense"
            dense_ns = max(width * STREAM_NS, width * self.k * DENSE_PRODUCT_NS)
            label_ns = labels.covered * LABEL_PIXEL_NS + labels.runs * LABEL_RUN_NS
            if not labels.disjoint:
                label_ns += labels.members.size * LABEL_MEMBER_NS
            # Both are bound by the stream of what they touch, counted in 64-pixel stretches (the
            # hardware prefetches neighbouring lines anyway); ties go to dense (float64 sums).
            label_ns = max(label_ns, labels.touched(STRETCH) * STRETCH * STREAM_NS)
            return "labels" if label_ns < dense_ns else "dense"
        runs = self.runs
        dense_cost = width * (1.0 + self.k)
        runs_cost = RUN_PIXEL_COST * (runs.pixels + RUN_START_COST * runs.count)
        return "runs" if runs_cost < dense_cost else "dense"

    @cached_property
    def runs(self) -> Runs:
        return Runs.of(self._flat)

    @cached_property
    def labels(self) -> Labels | None:
        """The label image of binary masks (None when nothing is covered or too fragmented)."""
        return Labels.of(self._flat) if self.binary else None

    @cached_property
    def _int_runs_weights(self) -> np.ndarray:
        return self.runs.weights.astype(np.int64)

    def _dense_masks(self, dtype: np.dtype) -> np.ndarray:
        key = np.dtype(dtype)
        cached = self._dense_cache.get(key)
        if cached is None:
            with self._lock:  # shared between request threads: build each copy once
                cached = self._dense_cache.get(key)
                if cached is None:
                    lo, hi = self.window
                    cached = self._dense_cache[key] = np.ascontiguousarray(self._flat[:, lo:hi], dtype=key)
        return cached

    def result_dtype(self, frame_dtype: np.dtype) -> np.dtype:
        """int64 (uint64 for uint64 frames) for binary masks on integer data, else float64."""
        if self.binary and is_integer(frame_dtype):
            return exact_dtype(frame_dtype)
        return np.dtype(np.float64)

    def apply(self, frames: np.ndarray) -> np.ndarray:
        """``(n, *sig_shape)`` frames to an ``(n, k)`` array of :meth:`result_dtype`."""
        x = flat_frames(frames, self.sig_shape)
        out_dtype = self.result_dtype(x.dtype)
        if x.dtype == np.uint64 and not self.binary:
            x = x.astype(np.float64)
        x = signed_view(x)
        labels = self.labels if self.representation == "labels" else None
        exact = out_dtype.kind in "iu" and (x.dtype.itemsize > FLOAT_EXACT_MAX_ITEMSIZE or labels is not None)
        acc_dtype = np.dtype(np.int64) if exact else np.dtype(np.float64)
        out = np.zeros((x.shape[0], self.k), acc_dtype)
        if x.shape[0] == 0 or self.window[1] == self.window[0]:
            return out.astype(out_dtype, copy=False) if out_dtype.kind in "iu" else out
        first = self.window[0]
        if labels is not None:
            labels.apply(x, out, acc_dtype)
        elif self.representation == "runs":
            self._apply_runs(x, np.zeros(0, np.int64), out, exact)
        else:
            # A small product runs on this thread alone: a parallel region waits until every
            # thread was scheduled, milliseconds on a busy machine for microseconds of work.
            threads = 1 if x.shape[0] * (self.window[1] - self.window[0]) * self.k < SERIAL_BELOW else None
            with limit_threads(threads) if threads else nullcontext():
                if exact:
                    _dense(x, self._dense_masks(np.int64), first, out, np.int64(0))
                elif x.dtype == np.float32 and self.k >= FLOAT32_PARTIALS_FROM:
                    _dense(x, self._dense_masks(np.float32), first, out, np.float32(0))
                else:
                    _dense(x, self._dense_masks(np.float64), first, out, np.float64(0))
            if not exact and x.dtype.kind == "f":
                bad = np.flatnonzero(~np.all(np.isfinite(out), axis=1))
                if bad.size:
                    fixed = np.zeros((bad.size, self.k), acc_dtype)
                    self._apply_runs(x, bad.astype(np.int64), fixed, exact)
                    out[bad] = fixed
        if exact:
            return out.view(out_dtype)
        return out.astype(out_dtype) if out_dtype.kind in "iu" else out

    def _apply_runs(self, x: np.ndarray, rows: np.ndarray, out: np.ndarray, exact: bool) -> None:
        r = self.runs
        weights = self._int_runs_weights if exact else r.weights
        zero = np.int64(0) if exact else np.float64(0)
        _runs(x, rows, r.start, r.length, r.offset, r.mask_runs, weights, self.binary, out, zero)


def apply_masks(frames: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``(n, *sig)`` frames and ``(k, *sig)`` masks to the ``(n, k)`` masked sums.

    Convenience for one-off calls; build a :class:`MaskSet` once when the same masks meet many
    partitions, so the representation and the per-dtype mask copies are made only once.
    """
    return MaskSet(masks).apply(frames)


#: Frame dtypes whose kernels :func:`warm_up` compiles (the detectors we meet most).
WARM_DTYPES = (np.float32, np.uint16, np.uint8, np.uint32, np.float64)


def warm_up(dtypes=WARM_DTYPES) -> None:
    """Compile (or load from the on-disk cache) the common kernels on tiny arrays, so the first
    interactive request does not wait for numba.  Safe to call from a background thread."""
    binary = np.zeros((FLOAT32_PARTIALS_FROM, 4, 4), bool)
    binary[:, 1:3, 1:3] = True
    weighted = binary * np.float32(0.5)
    sets = [MaskSet(m, representation=r) for m in (binary, weighted) for r in ("dense", "runs")]
    # Disjoint masks (atom sums are the answer) and nested ones (atoms combined per mask).
    sets += [MaskSet(np.concatenate([binary[:1], ~binary[:1]]), representation="labels"),
             MaskSet(np.concatenate([binary, np.ones_like(binary)]), representation="labels")]
    for dtype in dtypes:
        frames = np.ones((5, 4, 4), dtype)
        for mask_set in sets:
            mask_set.apply(frames)
