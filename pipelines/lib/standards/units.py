"""The units a contract may declare, and the factor that converts one into another.

A contract says the unit a department delivers (`sourceUnit`) and the unit bronze
stores (`unit`); ingestion multiplies by `conversion_factor(delivered, stored)`.
Only linear conversions within one dimension are supported (no °C to K): each unit
is an exact multiple of its dimension's base unit, so factors are exact fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Unit:
    symbol: str
    dimension: str
    in_base: Fraction  # how many base units one of this unit is


_UNITS = [
    Unit("µg/m³", "mass concentration", Fraction(1)),
    Unit("mg/m³", "mass concentration", Fraction(1000)),
    Unit("g/m³", "mass concentration", Fraction(1_000_000)),
    Unit("Pa", "pressure", Fraction(1)),
    Unit("kPa", "pressure", Fraction(1000)),
    Unit("MPa", "pressure", Fraction(1_000_000)),
    Unit("mm", "length", Fraction(1, 1000)),
    Unit("cm", "length", Fraction(1, 100)),
    Unit("m", "length", Fraction(1)),
    Unit("km", "length", Fraction(1000)),
    Unit("m²", "area", Fraction(1)),
    Unit("亩", "area", Fraction(10_000, 15)),
    Unit("ha", "area", Fraction(10_000)),
    Unit("km²", "area", Fraction(1_000_000)),
    Unit("L", "volume", Fraction(1, 1000)),
    Unit("m³", "volume", Fraction(1)),
    Unit("g", "mass", Fraction(1, 1000)),
    Unit("kg", "mass", Fraction(1)),
    Unit("t", "mass", Fraction(1000)),
    Unit("s", "duration", Fraction(1)),
    Unit("min", "duration", Fraction(60)),
    Unit("h", "duration", Fraction(3600)),
    Unit("d", "duration", Fraction(86_400)),
    Unit("m/s", "speed", Fraction(1)),
    Unit("km/h", "speed", Fraction(1000, 3600)),
    Unit("元", "money (CNY)", Fraction(1)),
    Unit("万元", "money (CNY)", Fraction(10_000)),
    Unit("亿元", "money (CNY)", Fraction(100_000_000)),
]
UNITS: dict[str, Unit] = {unit.symbol: unit for unit in _UNITS}

# Other spellings of the same unit as departments write them (ASCII, Greek mu, Chinese).
ALIASES: dict[str, str] = {
    "ug/m3": "µg/m³",
    "μg/m³": "µg/m³",  # Greek small letter mu, not the micro sign
    "μg/m3": "µg/m³",
    "µg/m3": "µg/m³",
    "mg/m3": "mg/m³",
    "g/m3": "g/m³",
    "m2": "m²",
    "km2": "km²",
    "公顷": "ha",
    "m3": "m³",
    "立方米": "m³",
    "升": "L",
    "公斤": "kg",
    "千克": "kg",
    "克": "g",
    "吨": "t",
    "米": "m",
    "公里": "km",
    "千米": "km",
    "秒": "s",
    "分钟": "min",
    "小时": "h",
    "天": "d",
}


class UnitError(ValueError):
    """A unit not in the table, or two units that measure different things."""


def unit(symbol: str) -> Unit:
    known = UNITS.get(ALIASES.get(symbol, symbol))
    if known is None:
        raise UnitError(f"unknown unit {symbol!r} (known: {', '.join(UNITS)})")
    return known


def conversion_factor(delivered: str, stored: str) -> float:
    """What a delivered value is multiplied by to be in the stored unit."""
    source, target = unit(delivered), unit(stored)
    if source.dimension != target.dimension:
        raise UnitError(
            f"cannot convert {delivered!r} ({source.dimension}) to {stored!r} ({target.dimension})"
        )
    return float(source.in_base / target.in_base)
