"""Detection rules, pure: repeat, collective and leapfrog petitions, and the refusals (§3, §10).

Each rule that fires gives a `Finding`: the words shown on the case ("why flagged") in Chinese and
English, and the earlier case it relates to, if any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from datasketch import MinHash

LEVEL_RANK = {"street": 0, "district": 1, "city": 2, "province": 3, "national": 4}
LEVEL_ZH = {
    "street": "街道/乡镇",
    "district": "区县",
    "city": "市",
    "province": "省",
    "national": "国家",
}
NUM_PERM = 64
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Finding:
    """One rule that fired on a case, explained."""

    rule: str  # repeat, collective, leapfrog, not_accepted, not_reaccepted, redirected
    zh: str
    en: str
    related_case: str | None = None
    count: int = 0  # for a repeat: how many earlier similar cases


@dataclass(frozen=True)
class EarlierCase:
    """An earlier case of the same petitioner, as the repeat rules need it."""

    case_no: str
    text: str
    received_at: datetime
    office_level: str
    finalised: bool
    closed: bool  # refused, or answered with its review windows lapsed
    refs: frozenset[str] = frozenset()  # its petitioners' pseudonymous references


def shingles(text: str, n: int = 3) -> set[str]:
    """Character n-grams of the text without punctuation or spaces (works for Chinese)."""
    clean = _NOISE.sub("", text.lower())
    if len(clean) <= n:
        return {clean} if clean else set()
    return {clean[i : i + n] for i in range(len(clean) - n + 1)}


# The permutations depend only on the seed: drawn once, not for every signature.
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=11).permutations


def signature(text: str) -> MinHash:
    """A MinHash of the text's character 3-grams."""
    sig = MinHash(num_perm=NUM_PERM, seed=11, permutations=_PERMUTATIONS, scheme="affine32")
    sig.update_batch([s.encode() for s in shingles(text)])
    return sig


def similarity(a: MinHash, b: MinHash) -> float:
    """Estimated Jaccard similarity of two texts' 3-gram sets."""
    return float(a.jaccard(b))


def similar_earlier(
    text: str, earlier: list[EarlierCase], *, threshold: float
) -> list[tuple[EarlierCase, float]]:
    """The earlier cases similar to `text`, most similar first."""
    if not earlier:  # a petitioner's first petition: nothing to compare (the usual case)
        return []
    sig = signature(text)
    scored = [(case, similarity(sig, signature(case.text))) for case in earlier]
    return sorted([s for s in scored if s[1] >= threshold], key=lambda s: -s[1])


def repeat_finding(matches: list[tuple[EarlierCase, float]]) -> Finding | None:
    """Same petitioner, similar matter within the window: a repeat, linked to the earliest."""
    if not matches:
        return None
    first = min((m[0] for m in matches), key=lambda c: c.received_at)
    best = matches[0][1]
    return Finding(
        rule="repeat",
        zh=f"重复信访：同一信访人此前已反映相似事项（{first.case_no}，相似度 {best:.2f}，"
        f"共 {len(matches)} 件）",
        en=f"repeat petition: the same petitioner raised a similar matter before "
        f"({first.case_no}, similarity {best:.2f}, {len(matches)} earlier case(s))",
        related_case=first.case_no,
        count=len(matches),
    )


def collective_finding(people_involved: int, *, threshold: int) -> Finding | None:
    """People involved at or above the threshold: a collective petition (集体访/集体信)."""
    if people_involved < threshold:
        return None
    return Finding(
        rule="collective",
        zh=f"集体信访：涉及人数 {people_involved} 人，达到 {threshold} 人的标准",
        en=f"collective petition: {people_involved} people involved (threshold {threshold})",
    )


def leapfrog_finding(*, office_level: str, locality_level: str) -> Finding | None:
    """The receiving office sits more than one level above the level of the matter's locality."""
    gap = LEVEL_RANK[office_level] - LEVEL_RANK[locality_level]
    if gap <= 1:
        return None
    return Finding(
        rule="leapfrog",
        zh=f"越级信访：问题属地为{LEVEL_ZH[locality_level]}级，受理机关为{LEVEL_ZH[office_level]}级，"
        f"越过 {gap - 1} 级",
        en=f"leapfrog petition: the matter belongs at {locality_level} level and was brought to "
        f"a {office_level}-level office, skipping {gap - 1} level(s)",
    )
