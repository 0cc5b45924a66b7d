"""Tables every service has: the outbox, the inbox of applied events, and the dead letters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from xinfang.common.db import UTCDateTime


class OutboxEvent(SQLModel, table=True):
    """An event written in the same transaction as the state change that implies it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "published_at", "seq"),)

    seq: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    type: str = Field(max_length=120)
    subject: str = Field(max_length=200)
    case_no: str | None = Field(default=None, max_length=64, index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    traceparent: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class AppliedEvent(SQLModel, table=True):
    """An event a consumer has applied; recorded with the effect, so redelivery changes nothing."""

    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=80)
    event_id: str = Field(primary_key=True, max_length=64)
    applied_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class DeadLetter(SQLModel, table=True):
    """A message that could not be applied; kept for an operator, never retried by itself."""

    __tablename__ = "dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    consumer: str = Field(max_length=80, index=True)
    subject: str = Field(max_length=200)
    event_id: str | None = Field(default=None, max_length=64)
    event_type: str | None = Field(default=None, max_length=120)
    stream_seq: int | None = None
    deliveries: int = 1
    payload: str = Field(sa_column=Column(Text, nullable=False))
    error: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
