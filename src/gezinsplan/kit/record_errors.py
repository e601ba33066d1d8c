"""What is wrong with one record of a bulk sync, as the ``invalidParams`` of its problem."""

from collections import defaultdict
from typing import Any

from pydantic import ValidationError


def _param_name(loc: tuple[int | str, ...]) -> str:
    # Union branches appear in the location as "function-after[...]"; the field is enough.
    parts = [str(part) for part in loc if not (isinstance(part, str) and "[" in part)]
    return ".".join(parts) or "record"


def invalid_params(exc: ValidationError) -> list[dict[str, Any]]:
    """One entry per field, its reasons joined: a code outside both product category lists
    names both."""
    by_name: dict[str, dict[str, None]] = defaultdict(dict)
    for error in exc.errors(include_url=False):
        by_name[_param_name(tuple(error["loc"]))][str(error["msg"])] = None
    return [{"name": name, "reason": "; ".join(found)} for name, found in by_name.items()]
