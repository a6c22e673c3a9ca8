"""The API's own response headers and what each says: the one list that CORS exposes to
browsers (api.app.EXPOSED) and that the OpenAPI document describes on the routes sending
them (:func:`documented`). A header a route sends must be named here (tests/test_cors.py
sweeps the routes), or browsers could not read it and clients would not know of it."""

from __future__ import annotations

from typing import Any

OWN: dict[str, str] = {
    "X-Data-Attribution": "whose control data the answer shows (several: joined by \"; \")",
    "X-Data-Notice": "sent with illustrative demo data only: says it is not real",
    "X-Data-Through": "valid_at (ISO 8601, UTC) of the newest snapshot the answer could show",
    "X-Snapshot-Age-Days": "age in days of the snapshot shown on the date asked for (the "
    "latest state or an open range: today, UTC); several snapshots or a range: the oldest's, "
    "or the range's newest revision's",
    "X-Range-Clamped": "sent when the range asked for was cut to the data: "
    "`to=<newest day>; requested=<to asked for>` when `to` was cut, "
    "`from=<first day>; from_requested=<from asked for>` when `from` was (both parts, "
    "joined by \"; \", when both were)",
    "X-Data-Note": "what the figures of a table mean where it matters (its JSON `note`)",
}
CREDIT = ("X-Data-Attribution", "X-Data-Notice", "X-Data-Through")
AGED = (*CREDIT, "X-Snapshot-Age-Days")
RANGED = (*AGED, "X-Range-Clamped")


def documented(responses: dict[int | str, dict[str, Any]], *names: str
               ) -> dict[int | str, dict[str, Any]]:
    """`responses` (a route's OpenAPI responses, left unchanged) with the headers `names`
    described on its 200 answer."""
    ok = dict(responses.get(200, {}))
    ok["headers"] = {**ok.get("headers", {}),
                     **{n: {"description": OWN[n], "schema": {"type": "string"}}
                        for n in names}}
    ok.setdefault("description", "Successful Response")
    return {**responses, 200: ok}
