"""Map request parsing and the palette: no data needed."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from frontwatch.errors import InputError
from frontwatch.render import assets, style
from frontwatch.render.query import parse_query, parse_size, parse_step


def test_defaults_and_frames():
    q = parse_query("2025-06-30", start="2025-06-01", step="1w")
    assert q.timelapse and q.step_days == 7
    assert q.frames() == [date(2025, 6, d) for d in (1, 8, 15, 22, 29, 30)]
    assert parse_query("latest").on is None
    assert parse_step("1m") == 30 and parse_step(3) == 3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"on": "2025-02-30"}, "invalid date"),
    ({"on": "2025-06-01", "bbox": "38,48,37,49"}, "minimum greater than maximum"),
    ({"on": "2025-06-01", "bbox": "48,37,49,38,1"}, "expected 4 numbers minlon"),
    ({"on": "2025-06-01", "bbox": "-74,40,-73,41"}, "outside Ukraine"),
    ({"on": "2025-06-01", "region": "donbas", "place": "Kramatorsk"}, "only one of"),
    ({"on": "2025-06-01", "lang": "ru"}, "invalid lang"),
    ({"on": "2025-06-01", "radius_km": "-3"}, "radius_km -3 is too small: at least 0.5"),
    ({"on": "2025-06-01", "radius_km": "far"}, "expected a number"),
    ({"on": "2025-06-01", "compare": "2025-07-01"}, "must be before"),
    ({"on": "2025-06-01", "start": "2025-07-01"}, "must be before"),
    ({"on": "2025-06-01", "step": "weekly", "start": "2025-05-01"}, "invalid step"),
    ({"on": "2025-06-01", "start": "2025-05-01", "compare": "2025-04-01"}, "cannot be"),
    ({"on": None, "start": "2025-05-01"}, "needs an end date"),
])
def test_bad_queries_are_named(kwargs, message):
    on = kwargs.pop("on")
    with pytest.raises(InputError, match=message):
        parse_query(on, **kwargs)


def test_image_size_limits():
    assert parse_size(None, None, None).width == 1200
    with pytest.raises(InputError, match="width 10 is too small: at least 200"):
        parse_size(10, None, None)
    with pytest.raises(InputError, match="dpi"):
        parse_size(None, None, "x")


# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],
                         [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(lin: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ np.clip(lin, 0, 1)
    xyz /= np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_palette_distinguishable_in_deuteranopia():
    """Every pair of map colours stays apart (ΔE*ab > 20) for a deuteranope."""
    names = list(style.FILLS)
    sim = {n: _lab(DEUTERANOPIA @ _linear(style.FILLS[n])) for n in names}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.linalg.norm(sim[a] - sim[b]) > 20, (a, b)


def test_localize_rewrites_known_urls_and_refuses_unknown():
    page = ('<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js">'
            '</script>')
    assert assets.localize(page) == '<script src="/assets/leaflet/dist/leaflet.js"></script>'
    with pytest.raises(InputError, match="no local copy"):
        assets.localize('<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>')
    with pytest.raises(InputError, match="expected one of"):
        assets.apply(page, "offline")


def test_frames_are_counted_on_the_range_drawn():
    """The frame limit is applied once the range is cut to the data (render.scene
    .clamp_timelapse), so parse_query alone accepts a long range; check_frames counts the
    range it is given (without making the dates) and names the range asked when it was cut."""
    import dataclasses

    from frontwatch.render.query import MAX_FRAMES, check_frames

    asked = parse_query("2025-06-01", start="2020-01-01", step="1")
    for step in (1, 2, 7, 30, 3660):
        q = dataclasses.replace(asked, step_days=step)
        assert q.frame_count() == len(q.frames())
    cut = dataclasses.replace(asked, start=date(2025, 1, 6))
    with pytest.raises(InputError, match=r"^147 frames from 2025-01-06 to 2025-06-01 \(the "
                       r"range asked, 2020-01-01 to 2025-06-01, cut to the data\) every 1 "
                       rf"day: at most {MAX_FRAMES}"):
        check_frames(cut, asked)
    with pytest.raises(InputError, match=r"^147 frames from 2025-01-06 to 2025-06-01 every"):
        check_frames(cut, cut)
    check_frames(dataclasses.replace(cut, step_days=7), asked)  # 22 frames: fine
