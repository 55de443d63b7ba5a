"""Serializer fields that refuse values of the wrong JSON type.

DRF's CharField turns 42 into "42"; a client that sends a number where the
contract says string has a bug we should tell it about.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictTypeMixin:
    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictTypeMixin, serializers.CharField):
    pass


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be an integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


# A character str.strip() keeps: JSON Schema's \s lacks U+001C..U+001F and U+0085.
NOT_BLANK = "[^\\s\\x1c-\\x1f\\x85]"


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 255, "pattern": NOT_BLANK})
class NameField(StrictCharField):
    """A name: trimmed, so one of only spaces is blank (the schema says NOT_BLANK)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(**kwargs)
