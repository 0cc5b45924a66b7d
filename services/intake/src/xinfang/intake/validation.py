"""The rules a petition must meet beyond its shape: the law's required fields, ID numbers, the
city's reference codes, representatives of a visit. Every problem is reported, in one error
shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from xinfang.common.errors import ErrorBody, ErrorDetail, ErrorMessage
from xinfang.intake.domain.identity import normalise_id_number, resident_id_problem
from xinfang.intake.models import PetitionCreate, PetitionerCreate

if TYPE_CHECKING:
    from xinfang.intake.bootstrap import Intake

MAX_REPRESENTATIVES = 5  # 《信访工作条例》第二十条第三款: 多人走访 elect at most 5 representatives


class Rejected(Exception):
    """A request refused with one or more standard error details; nothing was stored."""

    def __init__(self, errors: list[ErrorDetail], status: int = 422) -> None:
        super().__init__("; ".join(e.message.en for e in errors))
        self.errors, self.status = errors, status


def install(app: FastAPI) -> None:
    """Answer `Rejected` in the standard error shape."""

    async def on_rejected(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Rejected)
        body = ErrorBody(errors=exc.errors).model_dump(mode="json")
        return JSONResponse(body, status_code=exc.status)

    app.add_exception_handler(Rejected, on_rejected)


@dataclass
class Problems:
    """Collects error details; `raise_if_any()` at the end."""

    errors: list[ErrorDetail] = field(default_factory=list)

    def add(self, code: str, field_: str, zh: str, en: str) -> None:
        self.errors.append(ErrorDetail(code=code, field=field_, message=ErrorMessage(zh=zh, en=en)))

    def missing(self, field_: str, zh_what: str) -> None:
        self.add("missing", field_, f"缺少必填字段：{zh_what}", f"{field_} is required")

    def raise_if_any(self) -> None:
        if self.errors:
            raise Rejected(self.errors)


def check_petition(intake: Intake, cmd: PetitionCreate) -> None:
    """Every rule of law and reference data; raises `Rejected` listing all problems."""
    problems = Problems()
    _check_statement(cmd, problems)
    _check_petitioners(intake, cmd, problems)
    _check_reference(intake, cmd, problems)
    _check_accused(intake, cmd, problems)
    problems.raise_if_any()


def _check_statement(cmd: PetitionCreate, problems: Problems) -> None:
    if cmd.facts is None and cmd.content is None:
        problems.missing("facts", "事实（或 content）")
    if cmd.facts is not None:
        if cmd.request is None:
            problems.missing("request", "请求")
        if cmd.reasons is None:
            problems.missing("reasons", "理由")


def _check_petitioners(intake: Intake, cmd: PetitionCreate, problems: Problems) -> None:
    anonymous = cmd.flags.anonymous
    for i, person in enumerate(cmd.petitioners):
        _check_person(intake, person, f"petitioners.{i}", anonymous, problems)
    if not anonymous and not any(p.phone or p.email for p in cmd.petitioners):
        problems.add(
            "missing_contact",
            "petitioners.0.phone",
            "请至少提供一名信访人的联系电话或电子邮件（匿名信访除外）",
            "give a phone number or e-mail address for at least one petitioner (unless anonymous)",
        )
    limit = intake.settings.max_representatives
    if cmd.channel == "visit" and len(cmd.petitioners) > limit:
        problems.add(
            "too_many_representatives",
            "petitioners",
            f"多人走访应推选代表，代表人数不得超过{limit}人",
            f"a visit by several people records at most {limit} representatives",
        )


def _check_person(
    intake: Intake, person: PetitionerCreate, at: str, anonymous: bool, problems: Problems
) -> None:
    if not anonymous and person.name is None:
        problems.missing(f"{at}.name", "姓名或单位名称")
    if not anonymous and person.address is None:
        problems.missing(f"{at}.address", "住址")
    if (person.id_type is None) != (person.id_number is None):
        missing = "id_number" if person.id_number is None else "id_type"
        problems.missing(f"{at}.{missing}", "证件类型与证件号码须同时提供")
    number = normalise_id_number(person.id_number or "")
    if person.id_type == "resident_id" and len(number) != 15:
        problem = resident_id_problem(number)
        if problem:
            problems.add("id_number_invalid", f"{at}.id_number", "居民身份证号码无效", problem)
    code = person.address_region_code
    if code is not None and code not in intake.regions:
        problems.add(
            "unknown_region",
            f"{at}.address_region_code",
            f"未知的行政区划代码 {code}",
            f"unknown division code {code}",
        )


def _check_reference(intake: Intake, cmd: PetitionCreate, problems: Problems) -> None:
    if cmd.category_code not in intake.categories:
        problems.add(
            "unknown_category",
            "category_code",
            f"未知的内容分类代码 {cmd.category_code}",
            f"unknown category code {cmd.category_code}",
        )
    if cmd.region_code not in intake.regions:
        problems.add(
            "unknown_region",
            "region_code",
            f"未知的问题属地代码 {cmd.region_code}",
            f"unknown division code {cmd.region_code}",
        )
    office = cmd.receiving_office
    if office is not None and office not in intake.departments:
        problems.add(
            "unknown_department",
            "receiving_office",
            f"未知的登记机构 {office}",
            f"unknown office {office}",
        )


def _check_accused(intake: Intake, cmd: PetitionCreate, problems: Problems) -> None:
    accused = cmd.accused
    if accused is None:
        return
    code = accused.department_code
    if code is not None and code not in intake.departments:
        problems.add(
            "unknown_department",
            "accused.department_code",
            f"未知的单位代码 {code}",
            f"unknown department code {code}",
        )
    if accused.kind == "unit" and code is None and accused.unit_name is None:
        problems.missing("accused.unit_name", "被反映单位名称或单位代码")
    if accused.kind == "person" and accused.person_name is None:
        problems.missing("accused.person_name", "被反映人姓名")
