"""Telling a job's owner that it ended, outside the lab: by e-mail (:mod:`.mailer`).

A job asks for it with ``"notify": "email"`` in the body that creates it, whatever its kind
(:mod:`.request` takes the key off every such body in one place, before the kind's own parser
sees it); the server's mailer sends the notice once the job has ended, from a loop of its own,
so sending never holds up or fails the job.
"""
