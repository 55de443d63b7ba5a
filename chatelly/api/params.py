"""Query parameters parsed strictly: a malformed one is a 400 naming it, never a 500.

`int()` takes " 7", "+7", Arabic-Indic digits (U+0660..U+0669) and 4,000-digit numbers;
the database takes none of them past its column's range, and PostgreSQL takes
no U+0000 in text. These take ASCII digits and storable text only.
"""

import re

from rest_framework.exceptions import ValidationError

_INTEGER = re.compile(r"-?[0-9]{1,4000}")  # int() refuses more than 4,300 digits


def int_param(
    query, name: str, default: int | None, *, minimum: int, maximum: int | None = None
) -> int | None:
    """`query[name]` as an int in [minimum, maximum]; `default` when absent ("" is no integer)."""
    raw = query.get(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):
        raise ValidationError({name: "Must be an integer."})
    value = int(raw)
    if value < minimum:
        raise ValidationError({name: f"At least {minimum}."})
    if maximum is not None and value > maximum:
        raise ValidationError({name: f"At most {maximum}."})
    return value


def text_param(query, name: str, *, max_length: int | None = None) -> str | None:
    """`query[name]`, or None when absent or empty; text PostgreSQL can store."""
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if "\x00" in raw:
        raise ValidationError({name: "Null characters are not allowed."})
    if max_length is not None and len(raw) > max_length:
        raise ValidationError({name: f"At most {max_length} characters."})
    return raw


def choice_param(query, name: str, choices: tuple[str, ...], *, empty_is_absent: bool = True) -> str | None:
    raw = query.get(name)
    if raw is None or (raw == "" and empty_is_absent):
        return None
    if raw not in choices:
        raise ValidationError({name: "One of " + ", ".join(f'"{c}"' for c in choices) + "."})
    return raw
