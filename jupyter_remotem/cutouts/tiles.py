"""Opening tile files: headers only for the index, lazily readable sections for cuts.

Local files are opened by path with memory maps; files in object stores and on WebDAV through
the repository's fsspec filesystem with small read blocks, so a section of a tile-compressed
image fetches only the compressed tiles it needs (astropy's ``CompImageHDU.section``), never the
whole file.  A gzip file cannot seek: it is decompressed as a stream up to what is read.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from typing import IO, Any

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

from ..errors import CorruptFile
from ..storage.repository import Repository

#: Bytes one read of a remote tile asks for: a compressed tile row of a large image, not the file.
REMOTE_BLOCK_BYTES = 256 * 1024
#: Bytes of decompressed compression tiles one open tile-compressed file keeps (at most).
BLOCK_CACHE_BYTES = 16 * 1024**2
#: ... and at least, however many tiles a cache holds (26 rows of a 10,000-pixel-wide float32
#: tile; a read holds what it needs whatever the cache keeps).
MIN_BLOCK_CACHE_BYTES = 1024**2
#: Decompressed pixels all the opened tiles of one cache keep together (16 × 16 MiB, or
#: 256 × 1 MiB).
TILE_CACHE_BYTES = 256 * 1024**2
#: Tiles one cutout touches, at most, in the usual case: a cutout smaller than a tile at a
#: corner where four overlapping tiles meet.
TILES_PER_CUTOUT = 4
#: Tiles a cache keeps open by default (a survey of one band and no planes needs 4).
DEFAULT_ENTRIES = 16
#: Open tiles one cache may hold: each is an open file (a descriptor, or a connection's buffers
#: for remote storage) in a server that also holds kernels' sockets and users' files under a
#: usual limit of 1,024 descriptors per process.
MAX_ENTRIES = 256


def open_file(repository: Repository, path: str) -> IO[bytes] | str:
    """What ``fits.open`` is handed: a contained local path, or a remote file with small blocks."""
    local = repository.local_path(path)
    if local is not None:
        return local
    return repository.open(path, "rb", block_size=REMOTE_BLOCK_BYTES, cache_type="bytes")


def image_hdu(hdus: fits.HDUList, wanted: int | str | None, where: str) -> int:
    """Index of the image HDU: the configured one, else the first with two axes (the header of
    a tile-compressed image is that of its compressed HDU, which astropy presents as an image)."""
    if wanted is not None:
        try:
            hdu = hdus[wanted]
        except (KeyError, IndexError):
            raise CorruptFile(f"'{where}' has no HDU {wanted!r}.", hint="Check the survey's 'hdu' setting.") from None
        return hdus.index(hdu)
    for index, hdu in enumerate(hdus):
        if isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)) and hdu.header.get("NAXIS") == 2:
            return index
    raise CorruptFile(f"'{where}' has no two-dimensional image.", hint="A survey tile is a 2D FITS image with a WCS.")


def read_header(repository: Repository, path: str, wanted: int | str | None) -> tuple[int, fits.Header]:
    """The image HDU's index and header, reading no data."""
    handle = open_file(repository, path)
    try:
        with fits.open(handle, lazy_load_hdus=True, memmap=True) as hdus:
            index = image_hdu(hdus, wanted, path)
            return index, hdus[index].header.copy()
    except CorruptFile:
        raise
    except (OSError, ValueError, TypeError, KeyError, IndexError) as error:
        raise CorruptFile(f"'{path}' is not a readable FITS file: {error}") from None
    finally:
        if not isinstance(handle, str):
            handle.close()


def header_wcs(header: fits.Header) -> WCS:
    """The celestial WCS of an image header (quietly fixing what astropy fixes)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        wcs = WCS(header, naxis=2)
    if not wcs.has_celestial:
        raise CorruptFile("The tile's header has no celestial WCS.",
                          hint="Tiles need CTYPE1/2, CRVAL, CRPIX, CD or CDELT.")
    return wcs


def is_icrs(wcs: WCS) -> bool:
    """Whether RA/Dec of the WCS are ICRS, so pixels follow from ``all_world2pix`` without the
    frame transformation ``skycoord_to_pixel`` would make (the same numbers, faster)."""
    ctype = [str(t).upper() for t in list(wcs.wcs.ctype)[:2]]
    radesys = str(wcs.wcs.radesys).strip().upper()
    return (ctype[0].startswith("RA--") and ctype[1].startswith("DEC-")
            and (radesys == "ICRS" or (radesys == "" and not np.isfinite(wcs.wcs.equinox))))


class OpenTile:
    """One opened tile: its section (lazy), shape, WCS, and a lock, since a file handle seeks."""

    def __init__(self, repository: Repository, path: str, hdu: int | str, header: str | None = None) -> None:
        self.path = path
        self._handle = open_file(repository, path)
        try:
            self._hdus = fits.open(self._handle, lazy_load_hdus=True, memmap=True)
            try:
                self.hdu = self._hdus[hdu]
            except (KeyError, IndexError):
                raise CorruptFile(f"'{path}' has no HDU {hdu!r}.",
                                  hint="Check the survey's 'hdu' and 'planes' settings against its tiles.") from None
            if not isinstance(self.hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
                raise CorruptFile(f"HDU {hdu!r} of '{path}' is a {type(self.hdu).__name__}, not an image.",
                                  hint="Check the survey's 'hdu' and 'planes' settings against its tiles.")
            self.header = fits.Header.fromstring(header) if header else self.hdu.header
            self.shape = (int(self.header["NAXIS2"]), int(self.header["NAXIS1"]))
            self.wcs = header_wcs(self.header)
            self.icrs = is_icrs(self.wcs)
            self.section = self.hdu.section
        except CorruptFile:
            self.close()
            raise
        except (OSError, ValueError, TypeError, KeyError, IndexError) as error:
            self.close()
            raise CorruptFile(f"'{path}' is not a readable FITS file: {error}") from None
        self.lock = threading.Lock()
        self.compressed = isinstance(self.hdu, fits.CompImageHDU)
        self.tile_shape = tuple(int(n) for n in self.hdu.tile_shape) if self.compressed else self.shape
        self._blocks: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._block_bytes = 0
        #: Decompressed rows kept (the cache that holds this tile lowers it when it holds many).
        self.block_limit = BLOCK_CACHE_BYTES

    def read(self, rows: slice, cols: slice) -> np.ndarray:
        """Pixels ``[rows, cols]`` (steps of 1, within the image)."""
        with self.lock:
            if not self.compressed:
                return np.asarray(self.section[rows, cols])
            return self._read_compressed(rows, cols)

    def _read_compressed(self, rows: slice, cols: slice) -> np.ndarray:
        """Assemble from decompressed compression tiles, decompressing the missing ones in one
        section read and keeping them (least recently used dropped past :attr:`block_limit`):
        cutouts near each other, the usual case for a batch or a dragged preview, decompress once."""
        th, tw = self.tile_shape
        ny, nx = self.shape
        ty0, ty1 = rows.start // th, (rows.stop - 1) // th
        tx0, tx1 = cols.start // tw, (cols.stop - 1) // tw
        wanted = [(ty, tx) for ty in range(ty0, ty1 + 1) for tx in range(tx0, tx1 + 1)]
        # What this read uses is held here: storing new pieces may evict older ones from the cache.
        pieces = {key: self._blocks[key] for key in wanted if key in self._blocks}
        for key in pieces:
            self._blocks.move_to_end(key)
        missing = [key for key in wanted if key not in pieces]
        if missing:
            my0, my1 = min(k[0] for k in missing), max(k[0] for k in missing)
            mx0, mx1 = min(k[1] for k in missing), max(k[1] for k in missing)
            y0, x0 = my0 * th, mx0 * tw
            block = np.asarray(self.section[y0:min((my1 + 1) * th, ny), x0:min((mx1 + 1) * tw, nx)])
            for ty in range(my0, my1 + 1):
                for tx in range(mx0, mx1 + 1):
                    piece = block[ty * th - y0:(ty + 1) * th - y0, tx * tw - x0:(tx + 1) * tw - x0].copy()
                    pieces[(ty, tx)] = piece
                    self._store(ty, tx, piece)
        out = np.empty((rows.stop - rows.start, cols.stop - cols.start), dtype=pieces[wanted[0]].dtype)
        for ty, tx in wanted:
            piece = pieces[(ty, tx)]
            ya, yb = max(rows.start, ty * th), min(rows.stop, ty * th + piece.shape[0])
            xa, xb = max(cols.start, tx * tw), min(cols.stop, tx * tw + piece.shape[1])
            out[ya - rows.start:yb - rows.start, xa - cols.start:xb - cols.start] = \
                piece[ya - ty * th:yb - ty * th, xa - tx * tw:xb - tx * tw]
        return out

    def _store(self, ty: int, tx: int, piece: np.ndarray) -> None:
        previous = self._blocks.pop((ty, tx), None)
        if previous is not None:
            self._block_bytes -= previous.nbytes
        self._blocks[(ty, tx)] = piece
        self._block_bytes += piece.nbytes
        while self._block_bytes > self.block_limit and len(self._blocks) > 1:
            _, dropped = self._blocks.popitem(last=False)
            self._block_bytes -= dropped.nbytes

    def close(self) -> None:
        hdus = getattr(self, "_hdus", None)
        if hdus is not None:
            hdus.close()
        if not isinstance(self._handle, str):
            self._handle.close()


def open_plane(repository: Repository, path: str, hdu: int | str, image_header: str, plane: str = "") -> OpenTile:
    """A plane of a tile (weight, mask ...) opened on its own HDU with the *image's* header, so it
    is cut on exactly the image's grid; a plane whose shape is not the image's is refused, since
    its pixels would not be the image's pixels."""
    tile = OpenTile(repository, path, hdu, image_header)
    own = tile.hdu.header
    shape = (int(own.get("NAXIS2", -1)), int(own.get("NAXIS1", -1))) if own.get("NAXIS") == 2 else None
    if shape != tile.shape:
        tile.close()
        seen = "x".join(str(n) for n in reversed(shape)) if shape else f"{own.get('NAXIS', 0)}-dimensional"
        raise CorruptFile(f"Plane '{plane}' (HDU {hdu!r}) of '{path}' is {seen}, its image is "
                          f"{tile.shape[1]}x{tile.shape[0]}: its pixels are not the image's.",
                          hint="A plane has the image's shape; check the survey's 'planes' setting.")
    return tile


def cache_entries(surveys: Iterable[Any]) -> int:
    """Open tiles a cache needs so that one cutout never reopens a file it has just opened:
    bands × (the image and each plane, each an HDU opened on its own) × the tiles one cutout
    touches (:data:`TILES_PER_CUTOUT`), for the survey needing most — 3 bands with weight and mask
    planes: 3 × 3 × 4 = 36.  A batch grouped by tile then opens each tile HDU once per group
    instead of once per cutout.  At least :data:`DEFAULT_ENTRIES`; at most :data:`MAX_ENTRIES`
    (open files of one process), so a survey of many bands and planes reopens some files rather
    than exhausting the server's file descriptors."""
    needed = max((len(s.bands) * (1 + len(s.planes)) * TILES_PER_CUTOUT for s in surveys), default=0)
    return max(DEFAULT_ENTRIES, min(MAX_ENTRIES, needed))


class TileCache:
    """Opened tiles kept between requests (least recently used closed first), re-opened when the
    index says the file changed (its size and time are part of the key).  Memory: at most
    :data:`TILE_CACHE_BYTES` of decompressed pixels, shared by the entries (each keeps
    :data:`MIN_BLOCK_CACHE_BYTES` to :data:`BLOCK_CACHE_BYTES`); size it with
    :func:`cache_entries`.  ``counted`` keeps how often each key was opened (:attr:`opened`): a
    batch reports it, so that a tile opened more than once per group shows."""

    def __init__(self, entries: int = DEFAULT_ENTRIES, counted: bool = False) -> None:
        self.entries = entries
        self.block_limit = max(MIN_BLOCK_CACHE_BYTES, min(BLOCK_CACHE_BYTES, TILE_CACHE_BYTES // max(entries, 1)))
        #: Opens per key (None: not counted).
        self.opened: Counter[tuple[Any, ...]] | None = Counter() if counted else None
        self._tiles: OrderedDict[tuple[Any, ...], OpenTile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], make: Callable[[], OpenTile]) -> OpenTile:
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
                return tile
        tile = make()
        tile.block_limit = self.block_limit
        with self._lock:
            if self.opened is not None:
                self.opened[key] += 1
            if self.entries <= 0:
                return tile
            self._tiles[key] = tile
            while len(self._tiles) > self.entries:
                # A request may still be reading an evicted tile: it keeps its handle until collected.
                self._tiles.popitem(last=False)
        return tile

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
