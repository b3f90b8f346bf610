"""The footprint index's table, in the job store's database (SQLite or a hub's PostgreSQL).

One row per tile file (a tile has one file per band): its sky polygon as unit vectors, its
declination band for the SQL prefilter, and the header cards of its image HDU, so a cutout
knows the tile's WCS and shape without reopening the file's headers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..jobs.models import Base, UTCDateTime


class CutoutTile(Base):
    """One tile file of a survey, as the footprint index knows it."""

    __tablename__ = "remotem_cutout_tiles"
    __table_args__ = (
        UniqueConstraint("survey", "tile", "band", name="uq_remotem_cutout_tiles_file"),
        Index("ix_remotem_cutout_tiles_dec", "survey", "band", "dec_min", "dec_max"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey: Mapped[str] = mapped_column(String(100))
    tile: Mapped[str] = mapped_column(String(255))
    band: Mapped[str] = mapped_column(String(32))
    #: The file, relative to the survey's repository.
    path: Mapped[str] = mapped_column(String(2048))
    #: Index of the image HDU in the file.
    hdu: Mapped[int] = mapped_column(Integer)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    mtime: Mapped[float | None] = mapped_column(Float, nullable=True)
    naxis1: Mapped[int] = mapped_column(Integer)
    naxis2: Mapped[int] = mapped_column(Integer)
    #: The image header's cards (``Header.tostring()``), for the WCS and the provenance cards.
    header: Mapped[str] = mapped_column(Text)
    #: The footprint: polygon vertices as unit vectors ``[[x, y, z], ...]`` in order round the tile.
    vertices: Mapped[list[Any]] = mapped_column(JSON)
    #: Unit vector of the tile's centre, and the largest angle (degrees) from it to the footprint.
    centre: Mapped[list[float]] = mapped_column(JSON)
    radius: Mapped[float] = mapped_column(Float)
    dec_min: Mapped[float] = mapped_column(Float)
    dec_max: Mapped[float] = mapped_column(Float)
    indexed: Mapped[datetime] = mapped_column(UTCDateTime)
