"""Encrypted, consistent backups of the whole database, restorable on SQLite or PostgreSQL.

Format: a header line `SAFEHAVEN-BACKUP 1 <key id> <base64 salt>`, then chunks, each
`<4-byte length><AES-256-GCM sealed bytes>`. Each chunk's nonce is derived from a random
prefix and its index, and the index plus a "last" flag are bound in as associated data, so
chunks cannot be re-ordered, dropped or truncated unnoticed. The plaintext is gzip-compressed
JSON Lines: one line per row, written from inside a single read transaction (a consistent
snapshot). The backup key is derived (HKDF-SHA256) from a field-encryption key.
"""

import base64
import gzip
import io
import json
import os
import struct
from collections.abc import Iterator

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.core import serializers
from django.db import connection, transaction

MAGIC = b"SAFEHAVEN-BACKUP 1"
CHUNK = 1 << 20


class BackupError(Exception):
    """The backup cannot be written or read (wrong key, damaged or truncated file)."""


def _derive(key_id: str, salt: bytes) -> AESGCM:
    from safehaven.lib import crypto

    _primary, keys = crypto.keyring()
    if key_id not in keys:
        raise BackupError(f"the backup was made with key {key_id!r}, which is not configured")
    # AESGCM keeps its key private; re-read it from the settings entry.
    from django.conf import settings

    for part in settings.FIELD_ENCRYPTION_KEYS.split(","):
        kid, _, encoded = part.strip().partition(":")
        if kid == key_id:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"safehaven-backup").derive(raw)
            return AESGCM(derived)
    raise BackupError(f"key {key_id!r} is not configured")


def _models():
    """Return the models to back up, parents before children."""
    ordered = serializers.sort_dependencies([(cfg, None) for cfg in apps.get_app_configs()], allow_cycles=True)
    return [m for m in ordered if m._meta.managed and not m._meta.proxy]


def _rows() -> Iterator[bytes]:
    for model in _models():
        label = model._meta.label_lower
        for obj in model._base_manager.order_by("pk").iterator(chunk_size=2000):
            data = serializers.serialize("python", [obj])[0]
            yield (json.dumps({"model": label, "pk": data["pk"], "fields": data["fields"]}, default=str) + "\n").encode()


def write_backup(out) -> dict:
    """Write an encrypted backup of the whole database to the binary stream `out`."""
    from safehaven.lib import crypto

    primary, _keys = crypto.keyring()
    salt = os.urandom(16)
    aead = _derive(primary, salt)
    prefix = os.urandom(4)
    out.write(MAGIC + b" " + primary.encode() + b" " + base64.b64encode(salt) + b"\n")
    counts: dict[str, int] = {}
    buffer = io.BytesIO()
    index = 0

    def flush(last: bool) -> None:
        nonlocal index, buffer
        data = buffer.getvalue()
        nonce = prefix + struct.pack(">Q", index)
        sealed = aead.encrypt(nonce, data, struct.pack(">Q?", index, last))
        out.write(struct.pack(">I", len(sealed)) + prefix + sealed)
        index += 1
        buffer = io.BytesIO()

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        gz = gzip.GzipFile(fileobj=_Sink(buffer_getter=lambda: buffer, flush=flush), mode="wb")
        for line in _rows():
            label = json.loads(line)["model"]
            counts[label] = counts.get(label, 0) + 1
            gz.write(line)
        gz.close()
    flush(last=True)
    return counts


class _Sink(io.RawIOBase):
    """A writable stream that seals a chunk every CHUNK bytes."""

    def __init__(self, buffer_getter, flush):
        self._buffer = buffer_getter
        self._flush = flush

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer().write(data)
        if self._buffer().tell() >= CHUNK:
            self._flush(False)
        return len(data)


def read_backup(stream) -> Iterator[dict]:
    """Yield the rows of an encrypted backup, checking every chunk."""
    header = stream.readline().rstrip(b"\n").split(b" ")
    if len(header) != 4 or b" ".join(header[:2]) != MAGIC:
        raise BackupError("this is not a Safe Haven backup")
    key_id = header[2].decode()
    aead = _derive(key_id, base64.b64decode(header[3]))
    plain = io.BytesIO()
    index = 0
    saw_last = False
    while True:
        size_bytes = stream.read(4)
        if not size_bytes:
            break
        if saw_last:
            raise BackupError("the backup has data after its last chunk")
        (size,) = struct.unpack(">I", size_bytes)
        prefix = stream.read(4)
        sealed = stream.read(size)
        if len(sealed) != size or len(prefix) != 4:
            raise BackupError("the backup is truncated")
        nonce = prefix + struct.pack(">Q", index)
        for last in (False, True):
            try:
                plain.write(aead.decrypt(nonce, sealed, struct.pack(">Q?", index, last)))
                saw_last = last
                break
            except Exception:  # noqa: S112 (InvalidTag: try the other flag, then give up)
                continue
        else:
            raise BackupError(f"chunk {index} of the backup is damaged or the key is wrong")
        index += 1
    if not saw_last:
        raise BackupError("the backup is truncated (its last chunk is missing)")
    plain.seek(0)
    with gzip.GzipFile(fileobj=plain, mode="rb") as gz:
        for line in gz:
            yield json.loads(line)


def restore_backup(stream) -> dict:
    """Load a backup into an empty, migrated database, in one transaction."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        from safehaven.accounts.models import User

        if User.objects.exists():
            raise BackupError("the database is not empty; restore into a new, migrated database")
        # Migrations create default rows (roles, the audit chain head): the backup replaces them.
        for model in reversed(_models()):
            model._base_manager.all()._raw_delete(model._base_manager.db)
        batch: list = []
        for row in read_backup(stream):
            batch.append(row)
            counts[row["model"]] = counts.get(row["model"], 0) + 1
            if len(batch) >= 2000:
                _load(batch)
                batch = []
        _load(batch)
        _reset_sequences()
    return counts


def _load(rows: list[dict]) -> None:
    if not rows:
        return
    for obj in serializers.deserialize("python", rows, ignorenonexistent=False):
        obj.save()


def _reset_sequences() -> None:
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), _models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
