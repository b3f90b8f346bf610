"""The catalog: every file and array of every repository, found by what it is.

Entries (one per file, one per array inside a container) carry their geometry and the metadata
their format holds, flattened to key paths in three namespaces: ``meta`` (everything the file
says, text or numbers), ``desc`` (its numeric fields, with units, so a range query converts
them) and ``data`` (statistics of sampled frames, so "the frames' sum above 1000" is a query,
not a scan).  Tags and notes are kept beside the entries, never in the users' files, with who
may see them.  A query is a JSON tree of ``and``/``or``/``not`` over leaves (:mod:`.query`),
also written as text (:mod:`.syntax`), compiled to one SQL statement whose every WHERE holds the
caller's readable repositories (:mod:`.sql`).
"""
