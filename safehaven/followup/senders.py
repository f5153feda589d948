"""Pluggable senders: a file sender (demo and tests), SMTP email, and an SMS provider interface.

A sender takes a `contact.Message` and the reminder's idempotency key. A provider that
honours the key never delivers the same message twice. `status(key)` answers, after a
crash, whether the message with that key went out: "sent", "not_sent" or "unknown".

Which sender handles which channel: settings.FOLLOWUP_SENDERS = {"sms": "dotted.path", ...};
without it every channel goes to the file sender (the demo).
"""

import json
import threading
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.module_loading import import_string

from safehaven.consent.outbound import outbound


class SendError(Exception):
    """The sender could not deliver now; the reminder is retried with back-off."""


def ask_consent(message) -> None:
    """Ask the decision function again at the moment of sending; raise SendError if refused."""
    from safehaven.consent.decision import Recipient, may_disclose

    if message.person is None:
        raise SendError("no person for this message")
    if not may_disclose(message.person, Recipient.the_person(), "reminder", ["identity_contact"]):
        raise SendError("consent refused")


class Sender:
    """The interface every sender implements."""

    def send(self, message, *, idempotency_key: str) -> str:
        """Deliver the message once; return the provider's reference."""
        raise NotImplementedError

    def status(self, idempotency_key: str) -> str:
        """Return "sent", "not_sent" or "unknown" for a message sent with this key."""
        return "unknown"


_file_lock = threading.Lock()


class FileSender(Sender):
    """Append each message as a JSON line to an outbox file; a key is written at most once."""

    def __init__(self, path: str | Path | None = None):
        default = Path(getattr(settings, "BASE_DIR", ".")) / "var" / "outbox.jsonl"
        self.path = Path(path or getattr(settings, "FOLLOWUP_OUTBOX", default))

    def _lines(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    @outbound("followup.reminder.file", channel="reminder")
    def send(self, message, *, idempotency_key: str) -> str:
        ask_consent(message)
        with _file_lock:
            for row in self._lines():
                if row.get("key") == idempotency_key:
                    return row["ref"]
            ref = f"file-{idempotency_key}"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            row = {
                "key": idempotency_key, "ref": ref, "at": timezone.now().isoformat(),
                "channel": message.channel, "to": message.to, "sender": message.sender,
                "subject": message.subject, "body": message.body,
                "voicemail": message.allow_voicemail,
            }
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            return ref

    def status(self, idempotency_key: str) -> str:
        found = any(row.get("key") == idempotency_key for row in self._lines())
        return "sent" if found else "not_sent"


class EmailSender(Sender):
    """Send through Django's email backend (SMTP in production) with a neutral From name."""

    @outbound("followup.reminder.email", channel="reminder")
    def send(self, message, *, idempotency_key: str) -> str:
        ask_consent(message)
        from_address = getattr(settings, "DEFAULT_FROM_EMAIL", "no-reply@localhost")
        sender_name = message.sender.replace('"', "").replace("\n", " ")
        email = EmailMessage(
            subject=message.subject, body=message.body, to=[message.to],
            from_email=f'"{sender_name}" <{from_address.split("<")[-1].strip(">")}>',
            headers={"Message-ID": f"<{idempotency_key}@reminder>"},
        )
        try:
            email.send(fail_silently=False)
        except OSError as exc:
            raise SendError(f"email: {exc.__class__.__name__}") from exc
        return f"email-{idempotency_key}"


class SmsProvider:
    """What an SMS / voice provider adapter implements (one per vendor)."""

    def send_sms(self, *, to: str, body: str, idempotency_key: str) -> str:
        raise NotImplementedError

    def place_call(self, *, to: str, body: str, idempotency_key: str, voicemail: bool) -> str:
        """Read the message to the person; hang up on an answering machine unless voicemail."""
        raise NotImplementedError

    def lookup(self, idempotency_key: str) -> str:
        return "unknown"


class SmsSender(Sender):
    """Text messages and calls through an SmsProvider (settings.FOLLOWUP_SMS_PROVIDER)."""

    def __init__(self, provider: SmsProvider | None = None):
        if provider is None:
            path = getattr(settings, "FOLLOWUP_SMS_PROVIDER", "")
            if not path:
                raise SendError("no SMS provider is configured")
            provider = import_string(path)()
        self.provider = provider

    @outbound("followup.reminder.sms", channel="reminder")
    def send(self, message, *, idempotency_key: str) -> str:
        ask_consent(message)
        if message.channel == "phone":
            return self.provider.place_call(
                to=message.to, body=message.body, idempotency_key=idempotency_key,
                voicemail=message.allow_voicemail,
            )
        return self.provider.send_sms(to=message.to, body=message.body, idempotency_key=idempotency_key)

    def status(self, idempotency_key: str) -> str:
        return self.provider.lookup(idempotency_key)


def sender_for(channel: str) -> Sender:
    """Return the configured sender for a channel."""
    configured = getattr(settings, "FOLLOWUP_SENDERS", {}) or {}
    path = configured.get(channel)
    if not path:
        return FileSender()
    return import_string(path)()
