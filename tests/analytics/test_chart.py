"""Calls per day as text bars and as a PNG (decoded here to check the bars' heights)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from shared.analytics.chart import BLUE, BOTTOM, LEFT, TOP, bar_chart_png, bucketed, text_bars, write_png


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit truecolour PNG with filter 0 (what the writer produces)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 2)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 3 + 1
    rows = [raw[i * stride + 1 : (i + 1) * stride] for i in range(height)]
    assert all(raw[i * stride] == 0 for i in range(height))
    return width, height, rows


def bar_heights(data: bytes, count: int, slot: int) -> list[int]:
    _, _, rows = decode_png(data)
    heights = []
    for index in range(count):
        x = LEFT + index * slot
        heights.append(sum(1 for row in rows if bytes(row[x * 3 : x * 3 + 3]) == bytes(BLUE)))
    return heights


def test_png_bars_are_proportional_to_the_counts(tmp_path: Path) -> None:
    series = [("2030-02-26", 0), ("2030-02-27", 4), ("2030-02-28", 2), ("2030-03-01", 1)]
    path = write_png(tmp_path / "calls.png", series)
    data = path.read_bytes()
    width, height, _ = decode_png(data)
    plot = height - TOP - BOTTOM
    assert bar_heights(data, 4, 24) == [0, plot, round(plot / 2), round(plot / 4)]
    assert width == LEFT + 24 * 4 + 12


def test_png_of_an_empty_period_has_no_bars() -> None:
    data = bar_chart_png([("2030-03-01", 0)] * 30)
    assert bar_heights(data, 30, 24) == [0] * 30


def test_text_bars_scale_to_the_peak() -> None:
    lines = text_bars([("a", 0), ("b", 10), ("c", 5), ("d", 1)], width=20)
    assert [line.count("█") for line in lines] == [0, 20, 10, 2]
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["0", "10", "5", "1"]


def test_long_periods_are_summed_into_buckets() -> None:
    series = [(f"d{i:03d}", 1) for i in range(365)]
    points = bucketed(series, 62)
    assert len(points) <= 62 and sum(n for _, n in points) == 365
    assert points[0] == ("d000", 6)
