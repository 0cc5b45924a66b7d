"""Builders for intake's tests (and the benchmark): petitions with sensible defaults."""

from __future__ import annotations

from typing import Any

from xinfang.intake.domain.identity import check_digit


def a_resident_id(first17: str = "36990119800101123") -> str:
    """A resident ID number with a correct GB 11643 check digit."""
    return first17 + check_digit(first17)


def a_petitioner(**overrides: Any) -> dict[str, Any]:
    person = {
        "name": "张三丰",
        "phone": "13800138000",
        "address": "江城区鼓楼街道解放路1号",
        "email": "zhang@example.cn",
    }
    return person | overrides


def a_petition(**overrides: Any) -> dict[str, Any]:
    """The older API shape: title and content."""
    body = {
        "channel": "web",
        "petitioners": [a_petitioner()],
        "region_code": "369901",
        "category_code": "140000",
        "title": "小区夜间施工噪音扰民",
        "content": "某工地连续多日夜间施工，噪音严重影响居民休息，请求依法处理。",
    }
    return body | overrides


def a_full_petition(**overrides: Any) -> dict[str, Any]:
    """Every part of the record: facts, request and reasons, ID, accused unit, flags."""
    body = {
        "channel": "letter",
        "petitioners": [
            a_petitioner(
                id_type="resident_id",
                id_number=a_resident_id(),
                address_region_code="369901001",
            )
        ],
        "region_code": "369901",
        "category_code": "060101",
        "matter_type": "appeal",
        "purpose": "resolution",
        "title": "讨要拖欠工资",
        "facts": "本人在某建筑工地务工半年，工资两万元至今未结清，多次讨要无果。",
        "request": "请求督促施工单位支付拖欠的工资。",
        "reasons": "依据劳动合同法，用人单位应当按时足额支付劳动报酬。",
        "people_involved": 1,
        "flags": {"confidential": True},
    }
    return body | overrides
