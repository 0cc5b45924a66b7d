"""The directory as stored: versioned department rows seeded from the reference files, and the
current `Directory` built from them (cached until a new version is written)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.reference import (
    Department,
    load_categories,
    load_departments,
    load_regions,
    load_routing,
)
from xinfang.routing.domain.directory import Directory
from xinfang.routing.models import DepartmentVersion, to_json

SEEDED_BY = "reference-files"


def version_row(
    department: Department, *, version: int, by: str, at: datetime, note: str, active: bool = True
) -> DepartmentVersion:
    """A new version row holding `department`."""
    return DepartmentVersion(
        code=department.code,
        version=version,
        name=department.name,
        level=department.level,
        kind=department.kind,
        parent=department.parent,
        regions_json=to_json(department.regions),
        categories_json=to_json(department.categories),
        active=active,
        changed_by=by,
        changed_at=at,
        note=note,
    )


def department_of(row: DepartmentVersion) -> Department:
    return Department(
        code=row.code,
        name=row.name,
        level=row.level,  # type: ignore[arg-type]
        kind=row.kind,
        parent=row.parent,
        regions=row.regions,
        categories=row.categories,
    )


class DirectoryStore:
    """Reference files in memory, department versions in the database."""

    def __init__(self, reference_dir: Path) -> None:
        self.seed_departments = load_departments(reference_dir)
        self.rules = load_routing(reference_dir)
        self.categories = load_categories(reference_dir)
        self.regions = load_regions(reference_dir)
        self._cached: Directory | None = None

    async def seed(self, session: AsyncSession, *, now: datetime) -> None:
        """Load the shipped departments as version 1, once (an empty directory only)."""
        if (await session.exec(select(func.count()).select_from(DepartmentVersion))).one():
            return
        for department in self.seed_departments:
            session.add(version_row(department, version=1, by=SEEDED_BY, at=now, note="seed"))

    async def current(self, session: AsyncSession) -> Directory:
        """The directory of the latest versions; rebuilt only when a version was added; checked
        once per unit of work."""
        if "directory" in session.info:
            return session.info["directory"]  # type: ignore[no-any-return]
        session.info["directory"] = directory = await self._load(session)
        return directory

    async def _load(self, session: AsyncSession) -> Directory:
        revision = (await session.exec(select(func.max(DepartmentVersion.id)))).one() or 0
        if self._cached is not None and self._cached.revision == revision:
            return self._cached
        rows = await latest_versions(session)
        self._cached = Directory(
            departments=[department_of(r) for r in rows if r.active],
            rules=self.rules,
            categories=self.categories,
            regions=self.regions,
            revision=revision,
        )
        return self._cached


async def latest_versions(session: AsyncSession) -> list[DepartmentVersion]:
    """The latest version of every department, retired ones included."""
    latest = (
        select(DepartmentVersion.code, func.max(DepartmentVersion.version).label("v"))
        .group_by(col(DepartmentVersion.code))
        .subquery()
    )
    query = (
        select(DepartmentVersion)
        .join(
            latest,
            (DepartmentVersion.code == latest.c.code) & (DepartmentVersion.version == latest.c.v),
        )
        .order_by(col(DepartmentVersion.id))
    )
    return list((await session.exec(query)).all())


async def versions_of(session: AsyncSession, *, code: str) -> list[DepartmentVersion]:
    """Every version of one department, oldest first."""
    query = select(DepartmentVersion).where(DepartmentVersion.code == code)
    return list((await session.exec(query.order_by(col(DepartmentVersion.version)))).all())
