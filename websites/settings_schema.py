"""The `settings` object of a website: its keys, their types, which are public.

Errors name the key as `settings.<key>` (deeper: `settings.<key>.<part>`),
the way an API error's `details` does (README, "API").
"""

import datetime
import re
import zoneinfo

from chatelly.api.fields import NOT_BLANK
from chatelly.text import unstorable

from .domains import normalize_origin

PUBLIC_KEYS = (
    "title",
    "color",
    "position",
    "greeting",
    "away_message",
    "require_email",
    "locale",
    "business_hours",
    "holidays",
    "offline_mode",
)
PRIVATE_KEYS = ("allowed_origins", "auto_replies")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

MAX_ORIGINS = 50
MAX_RULES = 50
MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 100
MAX_REPLY_CHARS = 1000
MAX_RANGES_PER_DAY = 6
MAX_HOLIDAYS = 366
OFFLINE_MODES = ("live", "form", "hidden")

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")  # fullmatch: "$" takes a final newline


class SettingsError(ValueError):
    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


def _storable(value: str, path: str) -> str:
    # jsonb takes no U+0000 and no lone surrogate: refused here, not by PostgreSQL.
    if unstorable(value):
        raise SettingsError(path, "Null characters and lone surrogates are not allowed.")
    return value


def _text(value, path: str, limit: int) -> str:
    if not isinstance(value, str):
        raise SettingsError(path, "Must be a string.")
    _storable(value, path)
    if len(value) > limit:
        raise SettingsError(path, f"At most {limit} characters.")
    return value


def _title(value, path):
    return _text(value, path, 60)


def _long_text(value, path):
    return _text(value, path, 1000)


def _color(value, path):
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise SettingsError(path, "A colour as #rrggbb.")
    return value.lower()


def _position(value, path):
    if value not in ("left", "right"):
        raise SettingsError(path, 'Either "left" or "right".')
    return value


def _bool(value, path):
    if not isinstance(value, bool):
        raise SettingsError(path, "Must be true or false.")
    return value


def _locale(value, path):
    if not isinstance(value, str) or len(value) > 35 or not _LOCALE.fullmatch(value):
        raise SettingsError(path, "A language tag such as en or de-DE.")
    return value


def _business_hours(value, path):
    if not isinstance(value, dict):
        raise SettingsError(path, "Must be an object with timezone and days.")
    unknown = set(value) - {"timezone", "days"}
    if unknown:
        raise SettingsError(f"{path}.{sorted(unknown)[0]}", "Unknown key.")
    zone = _time_zone(value.get("timezone"), f"{path}.timezone")
    days = value.get("days", {})
    if not isinstance(days, dict):
        raise SettingsError(f"{path}.days", "Must be an object of weekday to time ranges.")
    clean_days = {day: _day_ranges(day, ranges, f"{path}.days.{day}") for day, ranges in days.items()}
    return {"timezone": zone, "days": clean_days}


def _time_zone(zone, path):
    if not isinstance(zone, str) or len(zone) > 64 or unstorable(zone):
        raise SettingsError(path, "An IANA time zone such as Europe/Berlin.")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(path, "An IANA time zone such as Europe/Berlin.") from exc
    return zone


def _day_ranges(day, ranges, path):
    """One weekday's [start, end] ranges, each start before its end."""
    if day not in DAYS:
        raise SettingsError(path, f"Unknown day; one of {', '.join(DAYS)}.")
    if not isinstance(ranges, list) or len(ranges) > MAX_RANGES_PER_DAY:
        raise SettingsError(path, f"A list of at most {MAX_RANGES_PER_DAY} [start, end] ranges.")
    for index, pair in enumerate(ranges):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(t, str) and _TIME.fullmatch(t) for t in pair)
            or pair[0] >= pair[1]
        ):
            raise SettingsError(f"{path}.{index}", 'A range ["HH:MM", "HH:MM"] with start before end.')
    return [list(pair) for pair in ranges]


def _holidays(value, path):
    """Dates (YYYY-MM-DD, in the business hours' time zone) closed all day."""
    if not isinstance(value, list) or len(value) > MAX_HOLIDAYS:
        raise SettingsError(path, f"A list of at most {MAX_HOLIDAYS} dates as YYYY-MM-DD.")
    seen = set()
    for index, day in enumerate(value):
        item_path = f"{path}.{index}"
        if not isinstance(day, str) or not _DATE.fullmatch(day):
            raise SettingsError(item_path, "A date as YYYY-MM-DD.")
        try:
            datetime.date.fromisoformat(day)
        except ValueError as exc:
            raise SettingsError(item_path, "Not a real date.") from exc
        if day in seen:
            raise SettingsError(item_path, "Listed twice.")
        seen.add(day)
    return list(value)


def _offline_mode(value, path):
    if value not in OFFLINE_MODES:
        raise SettingsError(path, f"One of {', '.join(OFFLINE_MODES)}.")
    return value


def _allowed_origins(value, path):
    if not isinstance(value, list) or len(value) > MAX_ORIGINS:
        raise SettingsError(path, f"A list of at most {MAX_ORIGINS} origins.")
    clean = []
    for index, origin in enumerate(value):
        normalized = normalize_origin(origin) if isinstance(origin, str) else None
        if normalized is None or not normalized.startswith(("http://", "https://")):
            raise SettingsError(f"{path}.{index}", "A full origin such as https://app.example.com.")
        if normalized not in clean:
            clean.append(normalized)
    return clean


def _auto_replies(value, path):
    if not isinstance(value, list) or len(value) > MAX_RULES:
        raise SettingsError(path, f"A list of at most {MAX_RULES} rules.")
    clean = []
    for index, rule in enumerate(value):
        rule_path = f"{path}.{index}"
        if not isinstance(rule, dict) or set(rule) != {"keywords", "reply"}:
            raise SettingsError(rule_path, 'An object {"keywords": [...], "reply": "..."}.')
        keywords = rule["keywords"]
        if not isinstance(keywords, list) or not 1 <= len(keywords) <= MAX_KEYWORDS:
            raise SettingsError(f"{rule_path}.keywords", f"A list of 1 to {MAX_KEYWORDS} keywords.")
        for k_index, keyword in enumerate(keywords):
            if (
                not isinstance(keyword, str)
                or not keyword.strip()
                or len(keyword) > MAX_KEYWORD_CHARS
                or unstorable(keyword)
            ):
                raise SettingsError(
                    f"{rule_path}.keywords.{k_index}",
                    f"A non-empty string of at most {MAX_KEYWORD_CHARS} characters (no NUL).",
                )
        reply = _text(rule["reply"], f"{rule_path}.reply", MAX_REPLY_CHARS)
        if not reply.strip():
            raise SettingsError(f"{rule_path}.reply", "May not be blank.")
        clean.append({"keywords": [k.strip() for k in keywords], "reply": reply})
    return clean


VALIDATORS = {
    "title": _title,
    "color": _color,
    "position": _position,
    "greeting": _long_text,
    "away_message": _long_text,
    "require_email": _bool,
    "locale": _locale,
    "business_hours": _business_hours,
    "holidays": _holidays,
    "offline_mode": _offline_mode,
    "allowed_origins": _allowed_origins,
    "auto_replies": _auto_replies,
}


def validate_settings(value) -> dict:
    """The cleaned settings, or SettingsError naming the first bad key."""
    if not isinstance(value, dict):
        raise SettingsError("settings", "Must be an object.")
    clean = {}
    for key, item in value.items():
        validator = VALIDATORS.get(key)
        if validator is None:
            # Named by the object when the key itself is unstorable text (no NUL echoed back).
            named = isinstance(key, str) and not unstorable(key)
            raise SettingsError(f"settings.{key}" if named else "settings", "Unknown setting.")
        path = f"settings.{key}"
        clean[key] = validator(item, path)
    return clean


def public_settings(settings: dict) -> dict:
    return {key: settings[key] for key in PUBLIC_KEYS if key in settings}


def _string(max_length: int, **extra) -> dict:
    return {"type": "string", "maxLength": max_length, **extra}


_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ORIGIN = rf"^https?://{_LABEL}(\.{_LABEL})*(:[1-9][0-9]{{0,3}})?$"
_HHMM = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"

# The OpenAPI description of `settings`, as strict as validate_settings() except
# where JSON Schema cannot say it: a range's start before its end, and a
# keyword or reply that is not only spaces.
OPENAPI_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title": _string(60),
        "color": {"type": "string", "pattern": _COLOR.pattern.join("^$")},
        "position": {"type": "string", "enum": ["left", "right"]},
        "greeting": _string(1000),
        "away_message": _string(1000),
        "require_email": {"type": "boolean"},
        "locale": _string(35, pattern=_LOCALE.pattern.join("^$")),
        "business_hours": {
            "type": "object",
            "additionalProperties": False,
            "required": ["timezone"],
            "properties": {
                "timezone": {"type": "string", "enum": sorted(zoneinfo.available_timezones())},
                "days": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        day: {
                            "type": "array",
                            "maxItems": MAX_RANGES_PER_DAY,
                            "items": {
                                "type": "array",
                                "minItems": 2,
                                "maxItems": 2,
                                "items": {"type": "string", "pattern": _HHMM},
                                "description": '["HH:MM", "HH:MM"], start before end',
                            },
                        }
                        for day in DAYS
                    },
                },
            },
        },
        "holidays": {
            "type": "array",
            "maxItems": MAX_HOLIDAYS,
            "uniqueItems": True,
            "items": {"type": "string", "format": "date"},
            "description": "Days closed all day, as YYYY-MM-DD in the business hours' time zone.",
        },
        "offline_mode": {
            "type": "string",
            "enum": list(OFFLINE_MODES),
            "default": "live",
            "description": (
                "What the widget shows when closed: outside business hours, or when no "
                "agent is online if there are no business hours."
            ),
        },
        "allowed_origins": {
            "type": "array",
            "maxItems": MAX_ORIGINS,
            "items": {
                "type": "string",
                "format": "uri",
                "description": "A full origin: https://app.example.com",
            },
        },
        "auto_replies": {
            "type": "array",
            "maxItems": MAX_RULES,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["keywords", "reply"],
                "properties": {
                    "keywords": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_KEYWORDS,
                        "items": _string(MAX_KEYWORD_CHARS, minLength=1, pattern=NOT_BLANK),
                    },
                    "reply": _string(MAX_REPLY_CHARS, minLength=1, pattern=NOT_BLANK),
                },
            },
        },
    },
}
