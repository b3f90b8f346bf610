"""E-mail when a job ends: the message (:func:`compose`), the SMTP connection (:class:`SmtpSettings`)
and the round that sends what is owed (:class:`Mailer`).

The round runs on the server's own schedule, in an I/O thread, never in a job's worker: a slow or
broken mail server delays only the notice, never the job.  A notice is owed by every ended job
of this server's owner that asked for one (``notify: "email"``) and has none yet; a failed send
is logged (without the password or the message) and tried again on the next rounds, at most
:data:`MAX_ATTEMPTS` times.  On a hub each user's server mails its own owner's jobs, so a job
that ends while its owner's server is stopped is mailed when the server next starts.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import quote

from sqlalchemy import select, update

from ..jobs.models import Job, Phase, utcnow
from . import addresses

#: Tries at sending one notice before it is given up (each round tries once).
MAX_ATTEMPTS = 5
#: Notices sent in one round at most, so a backlog never holds an I/O thread for long.
PER_ROUND = 20
SECURITY = ("none", "starttls", "tls")
_ENDED = (Phase.COMPLETED.value, Phase.ERROR.value, Phase.ABORTED.value)
_HOW = {Phase.COMPLETED.value: "completed", Phase.ERROR.value: "failed", Phase.ABORTED.value: "was cancelled"}


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server (``c.RemotemApp.smtp_*``).  ``password`` is never shown:
    not in ``repr``, logs, answers or job records."""

    host: str
    port: int = 0
    security: str = "starttls"
    sender: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    timeout_s: float = 30.0
    #: Certificate authority file to trust (a private mail server's); None: the system's.
    ca_file: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.sender)

    @property
    def effective_port(self) -> int:
        return self.port or {"tls": 465, "starttls": 587}.get(self.security, 25)

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` (raises the SMTP or network error on failure)."""
        if self.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.effective_port, timeout=self.timeout_s,
                                                    context=self._tls())
        else:
            client = smtplib.SMTP(self.host, self.effective_port, timeout=self.timeout_s)
        with client:
            if self.security == "starttls":
                client.starttls(context=self._tls())
            if self.username:
                self._log_in(client)
            client.send_message(message)

    def _log_in(self, client: smtplib.SMTP) -> None:
        """One login, with the first of PLAIN and LOGIN the server offers.  (``SMTP.login`` would
        try every mechanism in turn, offering a wrong password several times per notice.)"""
        client.ehlo_or_helo_if_needed()
        offered = (client.esmtp_features.get("auth") or "").upper().split()
        mechanism = next((name for name in ("PLAIN", "LOGIN") if name in offered), None)
        if mechanism is None:
            raise smtplib.SMTPNotSupportedError("The mail server offers neither AUTH PLAIN nor AUTH LOGIN.")
        client.user, client.password = self.username, self.password
        client.auth(mechanism, getattr(client, f"auth_{mechanism.lower()}"))

    def scrubbed(self, text: str) -> str:
        """``text`` with the password taken out, for a log line."""
        return text.replace(self.password, "[secret]") if self.password else text


def _duration(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _what(job: Job) -> str:
    request = job.request or {}
    operation = request.get("operation")
    source = request.get("source") or {}
    place = (f"{request['repository']}:{request.get('path', '')}" if isinstance(request.get("repository"), str)
             else f"{source.get('repository')}:{source.get('path', '')}" if isinstance(source, dict) and source
             else None)
    words = operation if isinstance(operation, str) and operation != job.kind else job.kind
    return f"{words} of {place}" if place else words


def links(job: Job, public_url: str) -> dict[str, Any]:
    """Where the job and its results are: the REST URL of the job, and for each result the lab's
    URL that opens it and the REST URL that downloads it."""
    base = public_url.rstrip("/") + "/"
    api = f"{base}remotem/api"
    results = []
    for result in job.results or []:
        repository, path = result.get("repository"), result.get("path")
        if not isinstance(repository, str) or not isinstance(path, str):
            continue
        encoded = "/".join(quote(part, safe="") for part in path.split("/"))
        results.append({"repository": repository, "path": path,
                        "lab": f"{base}lab/tree/RemoteData:{quote(repository, safe='')}/{encoded}",
                        "rest": f"{api}/repositories/{quote(repository, safe='')}/download/{encoded}"})
    return {"job": f"{api}/jobs/{job.id}", "lab": f"{base}lab", "results": results}


def compose(job: Job, sender: str, recipient: str, public_url: str, now: datetime | None = None) -> EmailMessage:
    """The notice that ``job`` ended: what it was, how it ended, how long it ran, where its results are."""
    how = _HOW.get(job.phase, job.phase.lower())
    what = _what(job)
    message = EmailMessage()
    message["Subject"] = f"Your {job.kind} job {how}: {what}"[:200]
    message["From"], message["To"] = sender, recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid("remotem")
    ended = job.ended or now or utcnow()
    lines = [f"Your job {job.id} ({what}) {how} at {ended.strftime('%Y-%m-%d %H:%M:%S UTC')}."]
    if job.started is not None:
        lines.append(f"It ran for {_duration((ended - job.started).total_seconds())}"
                     f" (submitted {job.created.strftime('%Y-%m-%d %H:%M:%S UTC')}).")
    else:
        lines.append(f"It never started (submitted {job.created.strftime('%Y-%m-%d %H:%M:%S UTC')}).")
    if job.phase == Phase.ERROR.value and job.error:
        lines += ["", f"What went wrong: {job.error.get('message') or job.error.get('code')}"]
    where = links(job, public_url)
    if where["results"]:
        lines += ["", "Results:"]
        for result in where["results"]:
            lines += [f"  {result['repository']}:{result['path']}", f"    open in the lab: {result['lab']}",
                      f"    download: {result['rest']}"]
    lines += ["", f"The job: {where['job']}", f"JupyterLab: {where['lab']}", "",
              "You are sent this because the job was submitted with \"notify\": \"email\"."]
    message.set_content("\n".join(lines) + "\n")
    return message


class Mailer:
    """Sends owed notices of ``owner``'s jobs (see the module docstring)."""

    def __init__(self, store: Any, settings: SmtpSettings, owner: str, public_url: str,
                 log: logging.Logger | None = None) -> None:
        self.store, self.settings, self.owner, self.public_url = store, settings, owner, public_url
        self.log = log or logging.getLogger(__name__)
        #: Rounds done, so tests and monitoring can wait on them.
        self.rounds = 0
        self.sent = 0
        #: One round at a time: a slow mail server must not have the next tick send the same notice.
        self._running = threading.Lock()

    def owed(self) -> list[Job]:
        with self.store.reading() as session:
            return list(session.scalars(
                select(Job).where(Job.owner == self.owner, Job.notify == "email", Job.notified.is_(None),
                                  Job.phase.in_(_ENDED)).order_by(Job.ended).limit(PER_ROUND)))

    def _mark(self, job_id: str, sent: bool, attempts: int) -> None:
        values: dict[str, Any] = {"notify_attempts": attempts}
        if sent or attempts >= MAX_ATTEMPTS:
            values["notified"] = utcnow()
        with self.store.writing() as session:
            session.execute(update(Job).where(Job.id == job_id, Job.notified.is_(None)).values(**values)
                            .execution_options(synchronize_session=False))

    def round(self) -> int:
        """Send what is owed now; the number of notices sent (0 while another round runs)."""
        if not self._running.acquire(blocking=False):
            return 0
        sent = 0
        try:
            if not self.settings.enabled:
                return 0
            jobs = self.owed()
            if not jobs:
                return 0
            recipient, _ = addresses.address_of(self.store, self.owner)
            for job in jobs:
                attempts = (job.notify_attempts or 0) + 1
                if recipient is None:
                    self.log.warning("jupyter_remotem: no e-mail address for %s; the notice of job %s is dropped "
                                     "(PUT remotem/api/me/email sets one)", self.owner, job.id)
                    self._mark(job.id, False, MAX_ATTEMPTS)
                    continue
                try:
                    self.settings.send(compose(job, self.settings.sender, recipient, self.public_url))
                except (OSError, smtplib.SMTPException) as error:
                    self.log.warning("jupyter_remotem: sending the notice of job %s failed (try %d of %d): %s: %s",
                                     job.id, attempts, MAX_ATTEMPTS, type(error).__name__,
                                     self.settings.scrubbed(str(error)))
                    self._mark(job.id, False, attempts)
                    continue
                self._mark(job.id, True, attempts)
                sent += 1
            self.sent += sent
            return sent
        finally:
            self.rounds += 1
            self._running.release()
