"""Flask's JSON through orjson.

Every hook answer carries the whole evaluation in each card's extension; orjson
serializes it several times faster than the standard library (docs/performance.md).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask.json.provider import JSONProvider


class OrjsonProvider(JSONProvider):
    """`app.json` backed by orjson (keys kept in insertion order, no NaN)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize to a JSON string (the standard library for integers beyond 64 bits, which orjson refuses)."""
        try:
            return orjson.dumps(obj).decode()
        except TypeError:
            return json.dumps(obj)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a JSON string or bytes."""
        return orjson.loads(s)
