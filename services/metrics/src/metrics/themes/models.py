"""The managed taxonomy of comment themes per journey, and which comments carry which theme."""

from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from cxshared.db import JSONType
from cxshared.models import Editable


class Theme(Editable, table=True):
    """A theme of a journey's comments: staff name it, describe it and give example phrases,
    which decide the comments it covers."""

    __tablename__ = "theme"
    __table_args__ = (UniqueConstraint("journey_id", "name"),)

    journey_id: str = Field(max_length=64, index=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    phrases: list[str] = Field(default_factory=list, sa_type=JSONType)


class CommentTheme(SQLModel, table=True):
    """A response's comment mentions the theme. Kept as comments arrive and when the theme
    changes; a fact's rows go with it."""

    __tablename__ = "comment_theme"

    response_id: str = Field(primary_key=True, max_length=64)
    theme_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
