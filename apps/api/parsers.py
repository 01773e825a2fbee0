"""The API's JSON parser: DRF's, with a bound on nesting; and a JSON field with the same bound.

A body nested a thousand levels deep made the standard parser raise RecursionError: a 500, even
on the unauthenticated token endpoint. Too deep is the client's mistake, a 400 naming the limit.
A form-encoded or multipart body does not pass the JSON parser: its JSON fields are strings that
the field parses itself, so input serializers use `JSONField` from here, not DRF's.
"""

import codecs

from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json as drf_json

from apps.core.jsonsafe import JSONTooDeep, json_loads_limited


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            parse_constant = drf_json.strict_constant if api_settings.STRICT_JSON else None
            return json_loads_limited(text, parse_constant=parse_constant)
        except ValueError as problem:  # malformed, undecodable, or nested too deep (JSONTooDeep)
            raise ParseError(f"JSON parse error - {problem}") from None


class JSONField(serializers.JSONField):
    """DRF's JSONField, parsing a form field's JSON text with the parser's bound on nesting."""

    def to_internal_value(self, data):
        if not (self.binary or getattr(data, "is_json_string", False)):
            return super().to_internal_value(data)  # already parsed, by JSONParser
        try:
            return json_loads_limited(data.decode() if isinstance(data, bytes) else data)
        except JSONTooDeep as problem:
            raise serializers.ValidationError(str(problem)) from None
        except (TypeError, ValueError):
            self.fail("invalid")
