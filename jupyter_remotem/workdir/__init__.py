"""``remotem``: a dataset as a working directory on a laptop — init, clone, status, push, pull.

The server's copy is the dataset; the working directory remembers, in ``.remotem/state.json``,
which dataset it is and each file as it was when last in step with the server (size, mtime,
SHA-256).  ``status`` compares the directory with that record (size and mtime first, the
digest only when they differ) and with the server's current listing; ``push`` uploads only
what changed here (tus, resumable, each chunk verified), ``pull`` downloads only what changed
there.  A closed dataset refuses a push before a byte is sent.
"""
