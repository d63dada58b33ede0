"""Calls per day as a picture: text bars for a terminal, or a PNG written with zlib alone (no plotting library).

The PNG is a plain bar chart: one bar per day, the y axis labelled with 0 and the maximum, the x axis with the
first and last date, in a built-in 3x5 pixel font (digits and '-').
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

Series = Sequence[tuple[str, int]]

BAR = "█"
WHITE = (255, 255, 255)
INK = (60, 60, 60)
BLUE = (52, 101, 164)
GRID = (220, 220, 220)

_FONT = {  # 3x5 glyphs, rows top to bottom, bits left to right
    "0": (7, 5, 5, 5, 7), "1": (2, 6, 2, 2, 7), "2": (7, 1, 7, 4, 7), "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1), "5": (7, 4, 7, 1, 7), "6": (7, 4, 7, 5, 7), "7": (7, 1, 1, 1, 1),
    "8": (7, 5, 7, 5, 7), "9": (7, 5, 7, 1, 7), "-": (0, 0, 7, 0, 0),
}  # fmt: skip


def bucketed(series: Series, max_points: int) -> list[tuple[str, int]]:
    """Sums runs of consecutive points so at most ``max_points`` remain, each labelled by its first point."""
    size = max(1, math.ceil(len(series) / max_points))
    return [(series[i][0], sum(n for _, n in series[i : i + size])) for i in range(0, len(series), size)]


def text_bars(series: Series, *, width: int = 40, max_points: int = 62) -> list[str]:
    """One line per point: label, a bar scaled to the largest value, the value."""
    points = bucketed(series, max_points)
    peak = max((n for _, n in points), default=0)
    lines = []
    for label, n in points:
        length = 0 if peak == 0 else max(1 if n else 0, round(n * width / peak))
        lines.append(f"{label} │{BAR * length}{' ' * (width - length)} {n}")
    return lines


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.rows = [bytearray(bytes(WHITE) * width) for _ in range(height)]

    def fill(self, x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int]) -> None:
        """Fill the box [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, x0), min(self.width, x1)
        for y in range(max(0, y0), min(self.height, y1)):
            self.rows[y][x0 * 3 : x1 * 3] = bytes(colour) * max(0, x1 - x0)

    def text(self, x: int, y: int, text: str, *, scale: int = 2) -> None:
        for glyph in text:
            for row, bits in enumerate(_FONT.get(glyph, (0, 0, 0, 0, 0))):
                for col in range(3):
                    if bits >> (2 - col) & 1:
                        self.fill(x + col * scale, y + row * scale, x + (col + 1) * scale, y + (row + 1) * scale, INK)
            x += 4 * scale

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)
        return b"\x89PNG\r\n\x1a\n" + b"".join(
            _chunk(kind, data)
            for kind, data in (
                (b"IHDR", struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)),
                (b"IDAT", zlib.compress(raw, 9)),
                (b"IEND", b""),
            )
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def bar_chart_png(series: Series, *, height: int = 240, bar_width: int | None = None) -> bytes:
    """A PNG bar chart of the series; bar ``i`` spans ``bar_width`` pixels from ``LEFT + i * bar_width``."""
    count = max(1, len(series))
    slot = bar_width or max(2, min(24, 960 // count))
    width = LEFT + slot * count + RIGHT
    canvas = _Canvas(width, height)
    plot_height = height - TOP - BOTTOM
    base = TOP + plot_height
    peak = max((n for _, n in series), default=0)
    canvas.fill(LEFT, TOP, width - RIGHT, TOP + 1, GRID)
    for index, (_, n) in enumerate(series):
        bar = 0 if peak == 0 else round(n * plot_height / peak)
        gap = 1 if slot >= 4 else 0
        canvas.fill(LEFT + index * slot, base - bar, LEFT + (index + 1) * slot - gap, base, BLUE)
    canvas.fill(LEFT - 1, TOP, LEFT, base + 1, INK)
    canvas.fill(LEFT - 1, base, width - RIGHT, base + 1, INK)
    canvas.text(4, TOP, str(peak))
    canvas.text(4, base - 10, "0")
    if series:
        first, last = series[0][0], series[-1][0]
        canvas.text(LEFT, base + 8, first)
        if len(series) > 1 and width - RIGHT - len(last) * 8 >= LEFT + len(first) * 8 + 8:
            canvas.text(width - RIGHT - len(last) * 8, base + 8, last)
    return canvas.png()


def write_png(path: str | Path, series: Series) -> Path:
    target = Path(path)
    target.write_bytes(bar_chart_png(series))
    return target
