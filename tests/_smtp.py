"""A real local SMTP server (aiosmtpd) for the tests of e-mail when jobs end: what it received,
and the logins it was offered."""

from __future__ import annotations

import email
import email.policy
import socket
import threading

import pytest
from _api import wait_until

#: The only password the test SMTP server accepts (for user ``mailer``).
PASSWORD = "s3cret-Mail-Pass-7731"


class Inbox:
    """What the SMTP server received, and the logins it was offered."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.logins: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        login, password = auth_data.login.decode(), auth_data.password.decode()
        with self._lock:
            self.logins.append((login, password))
        return AuthResult(success=(login, password) == ("mailer", PASSWORD), handled=False)


def smtp_server(inbox: Inbox, **options):
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port (aiosmtpd's own check cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller


@pytest.fixture
def inbox():
    return Inbox()


@pytest.fixture
def plain_smtp(inbox):
    controller = smtp_server(inbox)
    yield controller
    controller.stop()


def subject(message) -> str:
    """The subject as one line (a long one is folded onto the next header line)."""
    return " ".join(str(message["Subject"]).split())


async def wait_for_mail(inbox: Inbox, count: int):
    async def arrived():
        return len(inbox.messages) >= count

    await wait_until(arrived, f"{count} e-mails", timeout=120)
