"""Where foreign exceptions become :mod:`jupyter_remotem.errors`.

h5py, numpy, zarr and rsciio fail in many ways on a bad file (OSError, ValueError, KeyError,
struct.error, ...).  The server must answer 4xx with a readable message, never 500, so every
entry point of this package runs its format code inside :func:`converted_errors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import CorruptFile, NotFound, RemotemError, StorageUnavailable


def summary(error: BaseException, limit: int = 240) -> str:
    """First line of an exception message, without tracebacks or enormous reprs."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = text if len(text) <= limit else text[:limit] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


#: What to do about a file its own library cannot decode (a chunk that fails to decompress, a
#: header that lies): the bytes are wrong, so retrying cannot help.
DAMAGED = ("The file may be damaged or only partly copied: check it with the format's own tool "
           "(h5dump, tifffile, zarr) and copy it again from its source.")


@contextmanager
def converted_errors(path: str, label: str, action: str = "read") -> Iterator[None]:
    """Let our own errors through; turn everything else into a 4xx with the file named."""
    try:
        yield
    except RemotemError:
        raise
    except FileNotFoundError as error:
        raise NotFound(f"'{path}' (or a file it needs) does not exist.") from error
    except (ConnectionError, TimeoutError) as error:
        raise StorageUnavailable(f"Storage did not answer while reading '{path}'.") from error
    except MemoryError as error:
        raise CorruptFile(
            f"Could not {action} '{path}' as {label}: it asks for more memory than is available.",
            hint="The file's header may be corrupt, or the request is too large; ask for a smaller part.",
        ) from error
    except Exception as error:
        raise CorruptFile(f"Could not {action} '{path}' as {label}: {summary(error)}", hint=DAMAGED) from error
