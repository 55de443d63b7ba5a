"""The JSON body parser: DRF's, plus the limits PostgreSQL and Python impose.

- Nesting: Python's parser recurses, so a body nested a few thousand levels
  deep raised RecursionError (a 500). No body the API takes is deeper than
  `MAX_DEPTH`; deeper is a 400 naming the top-level field it is in
  (`validation_error`), or `parse_error` when it is not inside one.
- Text: PostgreSQL stores no U+0000 and no lone surrogate (both valid JSON
  escapes), in text and jsonb columns alike. Every string of the body, keys
  included, is checked here once, so a JSONField (website `settings`) is as
  safe as a CharField; the error names the dotted path of the string.
"""

import json
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.utils.json import strict_constant

from chatelly.text import unstorable

MAX_DEPTH = 20  # the deepest body taken is 6 (settings.business_hours.days.mon.0.0)
TOO_DEEP = f"Nested more than {MAX_DEPTH} levels deep."
BAD_TEXT = "Null characters and lone surrogates are not allowed."

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:]')


def _path(parent: str, key) -> str:
    return f"{parent}.{key}" if parent else str(key)


def check_body(data, max_depth: int = MAX_DEPTH) -> None:
    """ValidationError for the first string PostgreSQL cannot store or the first
    container nested too deep, named by its dotted path (iterative: no recursion)."""
    stack = [("", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, str):
            if unstorable(value):
                raise ValidationError({path or "non_field_errors": BAD_TEXT})
            continue
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        if depth >= max_depth:
            top = path.split(".", 1)[0] if path else ""
            if not top or isinstance(data, list):
                raise ParseError("The request body is nested too deeply.")
            raise ValidationError({top: TOO_DEEP})
        for key, item in items:
            if isinstance(key, str) and unstorable(key):
                # Named by its object: echoing the key would send the NUL back.
                raise ValidationError({path or "non_field_errors": BAD_TEXT})
            stack.append((_path(path, key), item, depth + 1))


def _deep_top_level_key(text: str, max_depth: int) -> str | None:
    """The top-level key whose value nests past `max_depth`, scanning the text
    without recursion (for bodies too deep for the parser)."""
    depth, key, last_string = 0, None, None
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token[0] == '"':
            last_string = token
            continue
        if token in "[{":
            depth += 1
            if depth > max_depth:
                return key
        elif token in "]}":
            depth -= 1
        elif depth == 1 and last_string is not None:  # ':' after a top-level key
            try:
                key = json.loads(last_string)
            except ValueError:
                return None
        last_string = None
    return None


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        try:
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            key = _deep_top_level_key(text, MAX_DEPTH)
            if key is None or unstorable(key):
                raise ParseError("The request body is nested too deeply.") from None
            raise ValidationError({key: TOO_DEEP}) from None
        check_body(data)
        return data
