"""Identity documents: the GB 11643 resident ID number and its check digit."""

from __future__ import annotations

import re
from datetime import date

ID_TYPES = {
    "resident_id": "居民身份证",
    "passport": "护照",
    "hk_macao_permit": "港澳居民来往内地通行证",
    "taiwan_permit": "台湾居民来往大陆通行证",
    "foreign_permanent_id": "外国人永久居留身份证",
    "other": "其他证件",
}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"  # ISO 7064 MOD 11-2, as GB 11643-1999 prescribes
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    """The 18th character of a resident ID number for its first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def resident_id_problem(number: str) -> str | None:
    """Why an 18-character resident ID number is invalid (in English), or None if it is valid."""
    number = number.upper()
    if not _RESIDENT_ID.match(number):
        return "a resident ID number has 17 digits and a check digit (0-9 or X)"
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "the date of birth in the ID number does not exist"
    if check_digit(number[:17]) != number[17]:
        return "the check digit of the ID number is wrong (GB 11643)"
    return None


def normalise_id_number(number: str) -> str:
    """Upper case, no spaces: the form that is sealed and hashed."""
    return number.replace(" ", "").upper()
