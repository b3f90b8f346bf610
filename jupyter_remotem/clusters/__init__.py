"""Dask clusters on demand, one owner each: options and their limits (:mod:`.options`), the
backends that start them (:mod:`.backends`: a ``LocalCluster`` here, or dask-gateway on a hub),
the per-server registry that scales, watches and culls them (:mod:`.registry`), and the private
channel through which a job worker reaches its owner's cluster (:mod:`.channel`)."""
