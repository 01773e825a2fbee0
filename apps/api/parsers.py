"""The API's JSON parser: DRF's, with a bound on nesting.

A body nested a thousand levels deep made the standard parser raise RecursionError: a 500, even
on the unauthenticated token endpoint. Too deep is the client's mistake, a 400 naming the limit.
"""

import codecs

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json as drf_json

from apps.core.jsonsafe import json_loads_limited


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            parse_constant = drf_json.strict_constant if api_settings.STRICT_JSON else None
            return json_loads_limited(text, parse_constant=parse_constant)
        except ValueError as problem:  # malformed, undecodable, or nested too deep (JSONTooDeep)
            raise ParseError(f"JSON parse error - {problem}") from None
