"""Remote or local: whether a dataset is worth copying next to the notebooks, with the numbers.

Declared once here and served as ``GET repositories/{repo}/advice/{path}``: the viewer shows it
as is, so the thresholds and the speeds behind the sentence are the server's (see
:mod:`.measured`: a pass is timed at the speed the operation reached on that repository, a copy
at the speed copies into the home repository reached).
"""

from __future__ import annotations

from typing import Any

from .measured import MeasuredSpeeds
from .repository import Repository

#: Datasets up to this size are offered a copy into the notebook folder.
COPY_OFFER_BYTES = 2 * 1024**3
#: A pass where the data is this much slower than one next to the notebooks is worth saying.
SLOWER_FACTOR = 2.0
#: Passes shorter than this are not worth a remark (seconds).
NOTICEABLE_S = 1.0
#: The operation whose pass the advice times: the viewer's navigation image.
PASS_OPERATION = "virtual_detector"


def advise(nbytes: int, repository: Repository, home: Repository | None, speeds: MeasuredSpeeds,
           operation: str = PASS_OPERATION) -> dict[str, Any]:
    """The advice for a dataset of ``nbytes`` in ``repository``; ``applies`` is false when it
    already is in the home repository (or there is none)."""
    answer: dict[str, Any] = {"bytes": nbytes, "operation": operation, "home": home.name if home else None,
                              "thresholds": {"copy_offer_bytes": COPY_OFFER_BYTES, "slower_factor": SLOWER_FACTOR,
                                             "noticeable_s": NOTICEABLE_S}}
    if home is None or home.name == repository.name:
        return dict(answer, applies=False, offer_copy=False, slower=False, remote=None, local=None, copy=None)
    remote = speeds.operation(operation, repository)
    local = speeds.operation(operation, home)
    copy = speeds.copy(repository, home)
    remote_s, local_s = remote.seconds(nbytes), local.seconds(nbytes)
    slower = remote_s is not None and remote_s >= NOTICEABLE_S and (local_s is None or remote_s > SLOWER_FACTOR * local_s)
    return dict(answer, applies=True, offer_copy=nbytes <= COPY_OFFER_BYTES, slower=slower,
                remote=remote.to_json(nbytes), local=local.to_json(nbytes), copy=copy.to_json(nbytes))
