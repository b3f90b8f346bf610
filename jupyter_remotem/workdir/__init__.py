"""``remotem``: a dataset as a working directory on a laptop — init, clone, status, push, pull.

The server's copy is the dataset; the working directory remembers, in ``.remotem/state.json``,
which dataset it is and each file as it was when last in step with the server (size and mtime
here and there, SHA-256 once needed).  ``status`` compares the directory with that record and
with the server's current listing (size and mtime first, the content only of a file whose
size is the same and whose mtime moved); ``push`` uploads only what changed here (tus,
resumable, each chunk verified; small files several at a time), ``pull`` downloads only what
changed there, and ``clone`` takes a dataset's small files in one zip.  A closed dataset
refuses a push before a byte is sent.
"""
