"""Who is on the test hub, and what only the group may read."""

from __future__ import annotations

#: Users and their groups: alice is in ``microscopy``, which alone may read the ``private`` repository.
USERS = {"alice": ["microscopy"], "bob": []}
#: The one file of ``private``: its name must never reach anyone outside the group.
PRIVATE_FILE = "beamtime_4d.npy"
