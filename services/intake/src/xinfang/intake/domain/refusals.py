"""When intake refuses a petition at registration, with the written reason the law asks for
(regulations §10)."""

from __future__ import annotations

from dataclasses import dataclass

from xinfang.intake.domain.detection import LEVEL_RANK, EarlierCase


@dataclass(frozen=True)
class Refusal:
    """A refusal: its kind (as in `PetitionRefused`), the reason in both languages, the rule."""

    kind: str  # not_accepted 不予受理, not_reaccepted 不再受理, redirected 引导
    zh: str
    en: str
    basis: str
    related_case: str | None = None


COURT_RELATED = Refusal(
    kind="redirected",
    zh="该事项涉及诉讼权利救济（涉法涉诉），依法应通过诉讼、仲裁、行政复议等法定途径解决。"
    "请向有管辖权的人民法院、人民检察院或政法部门依照其程序提出。",
    en="the matter concerns remedies available through the courts; it must go through "
    "litigation, arbitration or administrative reconsideration: please bring it to the "
    "competent court, procuratorate or politics-and-law department under their procedures",
    basis="《信访工作条例》第二十条第二款、第二十二条第二款、第二十八条第二款",
)


def refusal_for(
    *, matches: list[EarlierCase], office_level: str, court_related: bool
) -> Refusal | None:
    """The refusal a petition earns, if any; `matches` are the same petitioner's similar cases."""
    if court_related:
        return COURT_RELATED
    finalised = [m for m in matches if m.finalised]
    if finalised:
        case = finalised[0].case_no
        return Refusal(
            kind="not_reaccepted",
            zh=f"同一事实和理由的信访事项（{case}）已经复查、复核终结，不再受理。",
            en=f"the matter on the same facts and reasons ({case}) was finalised after review "
            "and re-review and is not accepted again",
            basis="《信访工作条例》第三十六条第三款",
            related_case=case,
        )
    open_lower = [
        m
        for m in matches
        if not m.closed and LEVEL_RANK[office_level] > LEVEL_RANK.get(m.office_level, 0)
    ]
    if open_lower:
        case = open_lower[0].case_no
        return Refusal(
            kind="not_accepted",
            zh=f"同一信访事项（{case}）已经受理或正在办理，在规定期限内向上级机关再次提出的，不予受理。",
            en=f"the same matter ({case}) has been accepted or is being handled; brought to a "
            "higher office within its time limits it is not accepted",
            basis="《信访工作条例》第十九条第三款",
            related_case=case,
        )
    return None
