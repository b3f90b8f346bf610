"""The administrator's view of the job store: every user's jobs, the queue, workers, throughput,
quota use and the record behind estimates (:mod:`.queries`), and what an administrator may do to
any job (:mod:`.actions`).  Who is an administrator is :mod:`.access`'s one question.

On a JupyterHub the job store is one database that every user's server shares, so an
administrator's server sees every user's jobs; on a single-user setup, the jobs of that store.
"""
