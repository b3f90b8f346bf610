"""The table of storages users add themselves, in the job store's database (migration 0010)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..jobs.models import Base, UTCDateTime


class OwnStorage(Base):
    """One user's storage: where it is and how to open it, its secrets sealed (see :mod:`.credentials`)."""

    __tablename__ = "remotem_user_storage"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_remotem_user_storage_owner_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    protocol: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(2048))
    #: fsspec options that are not secret (an endpoint, a region, a user name).
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The names of the secret fields that are set (their values are only in ``secrets``).
    secret_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The secret fields as one Fernet token; never in clear.
    secrets: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    writable: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
