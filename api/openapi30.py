"""FastAPI's OpenAPI 3.1 document rewritten as OpenAPI 3.0.3, the version OGC API – Features
Part 1 names (conformance class `oas30`) and the one its clients and test suites read.

FastAPI writes JSON Schema 2020-12 spellings that 3.0 lacks; the few it uses map one to one:
an optional value (`anyOf: [X, {type: null}]`) becomes X with `nullable: true`, a schema's
`examples` list its single `example`, a numeric `exclusiveMinimum`/`exclusiveMaximum` the
bound with the 3.0 flag, and `const` a one-value `enum`. Parameter and media-type `examples`
(maps of named examples) are the same in both versions and stay.
"""

from __future__ import annotations

import copy
from typing import Any

VERSION = "3.0.3"


def downgrade(doc: dict[str, Any]) -> dict[str, Any]:
    """A 3.0.3 copy of a 3.1 document produced by FastAPI (the input is left unchanged)."""
    out = _walk(copy.deepcopy(doc))
    out["openapi"] = VERSION
    return out


def _walk(node: Any) -> Any:
    if isinstance(node, list):
        return [_walk(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _walk(v) for k, v in node.items()}
    if isinstance(node.get("examples"), list):  # a schema's examples (a parameter's is a map)
        examples = node.pop("examples")
        if examples:
            node.setdefault("example", examples[0])
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del node[key]
            if len(rest) == 1 and "$ref" not in rest[0]:
                node = {**rest[0], **node}
            elif len(rest) == 1:  # a $ref takes no siblings in 3.0: wrap it
                node["allOf"] = rest
            else:
                node[key] = rest
            node["nullable"] = True
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = node.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            node[plain], node[bound] = value, True  # 3.1: a number; 3.0: a flag on the bound
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if node.get("type") == "null":
        del node["type"]
        node["nullable"] = True
    return node
