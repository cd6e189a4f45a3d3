"""Coordinate systems used by Chinese map providers, and conversion to WGS-84.

The lake stores every coordinate as WGS-84 (docs/architecture.md, "Standards the
contracts enforce"). Feeds may deliver:

* **GCJ-02** ("Mars coordinates", AMap/Gaode, Tencent, Google China): WGS-84
  plus a deterministic, non-linear obfuscation offset of a few hundred metres
  mandated for published maps of mainland China.
* **BD-09** (Baidu): GCJ-02 plus a further small polar perturbation.

The forward formulas are the ones published by the open-source
reimplementations everyone checks against, notably
googollee/eviltransform (https://github.com/googollee/eviltransform, with its
test vectors) and wandergis/coordTransform_py
(https://github.com/wandergis/coordTransform_py). Neither transform has a
closed-form inverse, so the inverses here are computed by fixed-point
iteration on the forward transform: ``x <- x + (target - forward(x))``. The
offsets vary slowly (their derivative is ~1e-3 of the coordinate), so each
iteration shrinks the error about a thousandfold and a handful of
iterations reach millimetre accuracy.

Everything is vectorised: numpy functions take and return float64 arrays
(scalars are accepted through ``np.asarray``), and :func:`to_wgs84_expr`
builds a native polars expression for lazy pipelines. Both flavours share
one implementation of the formulas (``_gcj02_delta`` and friends are
written once against a tiny math-function table) so they cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

FloatArray = npt.NDArray[np.float64]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
GCJ02_A = 6378245.0  # semi-major axis, metres
GCJ02_EE = 0.00669342162296594323  # first eccentricity squared

# BD-09 perturbation: the angle factor and the final constant shift.
BD09_X_PI = math.pi * 3000.0 / 180.0
BD09_LON_SHIFT = 0.0065
BD09_LAT_SHIFT = 0.006

# The usual rough bounding box of China (eviltransform's). GCJ-02 is only
# applied inside it; outside, WGS-84 and GCJ-02 coincide by convention.
CHINA_MIN_LON = 72.004
CHINA_MAX_LON = 137.8347
CHINA_MIN_LAT = 0.8293
CHINA_MAX_LAT = 55.8271

# IUGG mean Earth radius, the conventional sphere for haversine distances.
EARTH_MEAN_RADIUS_M = 6371008.8

# Numpy inverses stop when every point moved less than this in one
# iteration (1e-7 degrees is ~1 cm); the contraction is ~1e-3 per step,
# so the remaining error at that point is far below a millimetre.
INVERSE_TOLERANCE_DEG = 1e-7
INVERSE_MAX_ITERATIONS = 20

# The polars inverses cannot stop early, so they are unrolled a fixed number
# of times. Starting from an error of at most ~1 km (~1e-2 degrees) and
# shrinking ~1e-3 per step, 4 steps leave < 1e-12 degrees; 5 is a margin
# for the steeper parts of the GCJ-02 sine terms. Tested in
# tests/lib/test_coordinates.py.
EXPR_INVERSE_ITERATIONS = 5

SUPPORTED_SYSTEMS = ("WGS84", "GCJ02", "BD09")

T = TypeVar("T", np.ndarray, pl.Expr)


@dataclass(frozen=True)
class _Math(Generic[T]):
    """The few transcendental functions the formulas need, for one backend.

    numpy arrays and polars expressions share the arithmetic operators but
    not the function-call syntax, so the formulas take this table.
    """

    sin: Callable[[T], T]
    cos: Callable[[T], T]
    sqrt: Callable[[T], T]
    abs: Callable[[T], T]
    atan2: Callable[[T, T], T]  # atan2(y, x)


_NP: _Math[np.ndarray] = _Math(sin=np.sin, cos=np.cos, sqrt=np.sqrt, abs=np.abs, atan2=np.arctan2)
_PL: _Math[pl.Expr] = _Math(
    sin=pl.Expr.sin, cos=pl.Expr.cos, sqrt=pl.Expr.sqrt, abs=pl.Expr.abs, atan2=pl.arctan2
)


# ---------------------------------------------------------------------------
# The published formulas, written once for both backends.
# ---------------------------------------------------------------------------


def _gcj02_delta(lon: T, lat: T, m: _Math[T]) -> tuple[T, T]:
    """The (dlon, dlat) in degrees that GCJ-02 adds to a WGS-84 point.

    No bounding-box test here; callers decide where the offset applies.
    """
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    # The two obfuscation functions, in metres on the Krasovsky ellipsoid.
    t_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * m.sqrt(m.abs(x))
        + (20.0 * m.sin(6.0 * x * pi) + 20.0 * m.sin(2.0 * x * pi)) * 2.0 / 3.0
        + (20.0 * m.sin(y * pi) + 40.0 * m.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * m.sin(y / 12.0 * pi) + 320.0 * m.sin(y * pi / 30.0)) * 2.0 / 3.0
    )
    t_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * m.sqrt(m.abs(x))
        + (20.0 * m.sin(6.0 * x * pi) + 20.0 * m.sin(2.0 * x * pi)) * 2.0 / 3.0
        + (20.0 * m.sin(x * pi) + 40.0 * m.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * m.sin(x / 12.0 * pi) + 300.0 * m.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    # Metres -> degrees using the ellipsoid's meridian and parallel radii.
    rad_lat = lat / 180.0 * pi
    sin_lat = m.sin(rad_lat)
    magic = 1.0 - GCJ02_EE * sin_lat * sin_lat
    sqrt_magic = m.sqrt(magic)
    d_lat = (t_lat * 180.0) / ((GCJ02_A * (1.0 - GCJ02_EE)) / (magic * sqrt_magic) * pi)
    d_lon = (t_lon * 180.0) / (GCJ02_A / sqrt_magic * m.cos(rad_lat) * pi)
    return d_lon, d_lat


def _gcj02_forward_unbounded(lon: T, lat: T, m: _Math[T]) -> tuple[T, T]:
    d_lon, d_lat = _gcj02_delta(lon, lat, m)
    return lon + d_lon, lat + d_lat


def _bd09_forward(lon: T, lat: T, m: _Math[T]) -> tuple[T, T]:
    """GCJ-02 -> BD-09: perturb radius and angle, then shift."""
    z = m.sqrt(lon * lon + lat * lat) + 0.00002 * m.sin(lat * BD09_X_PI)
    theta = m.atan2(lat, lon) + 0.000003 * m.cos(lon * BD09_X_PI)
    return z * m.cos(theta) + BD09_LON_SHIFT, z * m.sin(theta) + BD09_LAT_SHIFT


def _bd09_inverse_first_guess(lon: T, lat: T, m: _Math[T]) -> tuple[T, T]:
    """The published closed-form BD-09 -> GCJ-02 formula.

    It is only an approximation (it evaluates the perturbation at the shifted
    point, off by up to ~1 m), so it is used as the starting point of the
    iteration, not as the answer.
    """
    x = lon - BD09_LON_SHIFT
    y = lat - BD09_LAT_SHIFT
    z = m.sqrt(x * x + y * y) - 0.00002 * m.sin(y * BD09_X_PI)
    theta = m.atan2(y, x) - 0.000003 * m.cos(x * BD09_X_PI)
    return z * m.cos(theta), z * m.sin(theta)


def _in_china(lon: T, lat: T) -> T:
    return (
        (lon >= CHINA_MIN_LON)
        & (lon <= CHINA_MAX_LON)
        & (lat >= CHINA_MIN_LAT)
        & (lat <= CHINA_MAX_LAT)
    )


# ---------------------------------------------------------------------------
# numpy
# ---------------------------------------------------------------------------


def _as_float(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _invert_np(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    target_lon: FloatArray,
    target_lat: FloatArray,
    lon: FloatArray,
    lat: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(lon, lat) == target by fixed-point iteration.

    The loop is over iterations, not rows: every step updates all points still moving at
    once. A point stops after its first step below the tolerance, so its result depends on
    its own value only, not on the other points of the batch (a day ingested alone and the
    same day re-ingested with others give the same bits). It stops when no point moves
    (NaN inputs count as converged so they cannot keep the loop running).
    """
    moving = np.ones(np.shape(lon), dtype=bool)
    for _ in range(INVERSE_MAX_ITERATIONS):
        f_lon, f_lat = forward(lon, lat)
        step_lon = np.where(moving, target_lon - f_lon, 0.0)
        step_lat = np.where(moving, target_lat - f_lat, 0.0)
        lon = lon + step_lon
        lat = lat + step_lat
        moving &= (np.abs(step_lon) >= INVERSE_TOLERANCE_DEG) | (
            np.abs(step_lat) >= INVERSE_TOLERANCE_DEG
        )
        if not moving.any():
            break
    return lon, lat


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS-84 -> GCJ-02 (the published "eviltransform" formula).

    Points outside China's rough bounding box are returned unchanged.
    """
    lon_a, lat_a = _as_float(lon), _as_float(lat)
    g_lon, g_lat = _gcj02_forward_unbounded(lon_a, lat_a, _NP)
    inside = _in_china(lon_a, lat_a)
    return np.where(inside, g_lon, lon_a), np.where(inside, g_lat, lat_a)


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 -> WGS-84, the exact inverse of :func:`wgs84_to_gcj02`.

    Fixed-point iteration ``w <- w + (gcj - wgs84_to_gcj02(w))`` starting at
    the GCJ-02 point, until every point moves less than 1e-7 degrees (at most
    ``INVERSE_MAX_ITERATIONS``). Points outside China's rough bounding box
    are returned unchanged, mirroring the forward transform.
    """
    lon_a, lat_a = _as_float(lon), _as_float(lat)
    inside = _in_china(lon_a, lat_a)
    w_lon, w_lat = _invert_np(
        lambda x, y: _gcj02_forward_unbounded(x, y, _NP), lon_a, lat_a, lon_a, lat_a
    )
    return np.where(inside, w_lon, lon_a), np.where(inside, w_lat, lat_a)


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 -> BD-09 (Baidu's published transform, x_pi = pi * 3000 / 180).

    Applied everywhere: Baidu does not restrict BD-09 to China.
    """
    return _bd09_forward(_as_float(lon), _as_float(lat), _NP)


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 -> GCJ-02, the exact inverse of :func:`gcj02_to_bd09`.

    Starts from the published closed-form approximation and refines it by
    fixed-point iteration until every point moves less than 1e-7 degrees.
    """
    lon_a, lat_a = _as_float(lon), _as_float(lat)
    start_lon, start_lat = _bd09_inverse_first_guess(lon_a, lat_a, _NP)
    return _invert_np(lambda x, y: _bd09_forward(x, y, _NP), lon_a, lat_a, start_lon, start_lat)


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS-84 -> BD-09: :func:`wgs84_to_gcj02` then :func:`gcj02_to_bd09`."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 -> WGS-84: :func:`bd09_to_gcj02` then :func:`gcj02_to_wgs84`."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def haversine_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in metres on the mean-radius sphere (haversine).

    The haversine form stays accurate for very short distances, which is
    what the round-trip checks measure.
    """
    lon1_r, lat1_r = np.radians(_as_float(lon1)), np.radians(_as_float(lat1))
    lon2_r, lat2_r = np.radians(_as_float(lon2)), np.radians(_as_float(lat2))
    h = (
        np.sin((lat2_r - lat1_r) / 2.0) ** 2
        + np.cos(lat1_r) * np.cos(lat2_r) * np.sin((lon2_r - lon1_r) / 2.0) ** 2
    )
    # Clip guards against h drifting a hair above 1 for antipodal points.
    return 2.0 * EARTH_MEAN_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


# ---------------------------------------------------------------------------
# polars
# ---------------------------------------------------------------------------
#
# The iteration state is one struct expression threaded through
# `struct.with_fields`, whose field references (`pl.field`) are leaves. Each
# step therefore references the previous step once, and the expression grows
# linearly with the number of iterations. Substituting the previous step's
# lon/lat expressions into the formula instead would copy them a dozen times
# per step and grow the expression exponentially.


def _invert_expr(
    state: pl.Expr,
    forward: Callable[[pl.Expr, pl.Expr], tuple[pl.Expr, pl.Expr]],
    apply: pl.Expr,
) -> pl.Expr:
    """Unrolled fixed-point iteration on a struct with fields lon, lat, t_lon, t_lat.

    Rows where ``apply`` (evaluated on the state) is false keep lon/lat.
    """
    for _ in range(EXPR_INVERSE_ITERATIONS):
        f_lon, f_lat = forward(pl.field("lon"), pl.field("lat"))
        state = state.struct.with_fields(
            lon=pl.when(apply)
            .then(pl.field("lon") + (pl.field("t_lon") - f_lon))
            .otherwise(pl.field("lon")),
            lat=pl.when(apply)
            .then(pl.field("lat") + (pl.field("t_lat") - f_lat))
            .otherwise(pl.field("lat")),
        )
    return state


def _gcj02_to_wgs84_state(state: pl.Expr) -> pl.Expr:
    """GCJ-02 lon/lat fields of ``state`` -> WGS-84 (outside China: unchanged)."""
    state = state.struct.with_fields(
        t_lon=pl.field("lon"),
        t_lat=pl.field("lat"),
        inside=_in_china(pl.field("lon"), pl.field("lat")),
    )
    return _invert_expr(
        state, lambda x, y: _gcj02_forward_unbounded(x, y, _PL), apply=pl.field("inside")
    )


def _bd09_to_gcj02_state(state: pl.Expr) -> pl.Expr:
    """BD-09 lon/lat fields of ``state`` -> GCJ-02."""
    first_lon, first_lat = _bd09_inverse_first_guess(pl.field("lon"), pl.field("lat"), _PL)
    state = state.struct.with_fields(
        t_lon=pl.field("lon"), t_lat=pl.field("lat"), lon=first_lon, lat=first_lat
    )
    return _invert_expr(state, lambda x, y: _bd09_forward(x, y, _PL), apply=pl.lit(True))


def to_wgs84_expr(lon: pl.Expr, lat: pl.Expr, system: str) -> pl.Expr:
    """Polars expression converting ``lon``/``lat`` in ``system`` to WGS-84.

    ``system`` is one of ``"WGS84"``, ``"GCJ02"``, ``"BD09"``. Returns a
    struct expression with Float64 fields ``lon`` and ``lat``; alias it and
    unnest it as needed. Native polars arithmetic throughout (no Python
    callbacks), so it runs inside lazy pipelines. The inverse iteration is
    unrolled ``EXPR_INVERSE_ITERATIONS`` times, which is well below 1 cm
    within China. Null inputs give null fields.

    Raises:
        ValueError: ``system`` is not one of the supported names.
    """
    if system not in SUPPORTED_SYSTEMS:
        raise ValueError(
            f"unsupported coordinate system {system!r}; expected one of "
            f"{', '.join(SUPPORTED_SYSTEMS)}"
        )
    state = pl.struct(lon=lon.cast(pl.Float64), lat=lat.cast(pl.Float64))
    if system == "BD09":
        state = _gcj02_to_wgs84_state(_bd09_to_gcj02_state(state))
    elif system == "GCJ02":
        state = _gcj02_to_wgs84_state(state)
    # Drop the iteration's working fields: the contract is exactly lon, lat.
    return pl.struct(lon=state.struct.field("lon"), lat=state.struct.field("lat"))
