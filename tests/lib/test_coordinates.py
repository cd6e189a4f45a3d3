"""Tests for pipelines.lib.standards.coordinates."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from pipelines.lib.standards.coordinates import (
    EARTH_MEAN_RADIUS_M,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_m,
    to_wgs84_expr,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Published test vectors of googollee/eviltransform (python/test.py):
# (wgs_lon, wgs_lat, gcj_lon, gcj_lat).
EVILTRANSFORM_GCJ02 = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
]

# Beijing railway station, GCJ-02 vs BD-09, as published (5 decimals) in the
# documentation of the R package "cst" (bd2gcj).
BEIJING_STATION_GCJ02 = (116.42703, 39.90245)
BEIJING_STATION_BD09 = (116.43351, 39.90851)

TIANFU_SQUARE_WGS84 = (104.0657, 30.6574)  # central Chengdu


def chengdu_grid() -> tuple[np.ndarray, np.ndarray]:
    """A 0.01-degree grid over Chengdu: lon 102.9..105.0, lat 30.0..31.5."""
    lon, lat = np.meshgrid(np.linspace(102.9, 105.0, 211), np.linspace(30.0, 31.5, 151))
    return lon.ravel(), lat.ravel()


def polars_to_wgs84(lon: np.ndarray, lat: np.ndarray, system: str) -> tuple[np.ndarray, np.ndarray]:
    out = (
        pl.LazyFrame({"x": lon, "y": lat})
        .select(to_wgs84_expr(pl.col("x"), pl.col("y"), system).alias("p"))
        .unnest("p")
        .collect()
    )
    return out["lon"].to_numpy(), out["lat"].to_numpy()


# --- forward transforms against published values ---------------------------


@pytest.mark.parametrize(("w_lon", "w_lat", "g_lon", "g_lat"), EVILTRANSFORM_GCJ02)
def test_wgs84_to_gcj02_matches_published_vectors(
    w_lon: float, w_lat: float, g_lon: float, g_lat: float
) -> None:
    lon, lat = wgs84_to_gcj02(w_lon, w_lat)
    assert abs(lon - g_lon) < 1e-9
    assert abs(lat - g_lat) < 1e-9


@pytest.mark.parametrize(("w_lon", "w_lat", "g_lon", "g_lat"), EVILTRANSFORM_GCJ02)
def test_gcj02_to_wgs84_inverts_published_vectors(
    w_lon: float, w_lat: float, g_lon: float, g_lat: float
) -> None:
    lon, lat = gcj02_to_wgs84(g_lon, g_lat)
    assert haversine_m(lon, lat, w_lon, w_lat) < 0.01


def test_gcj02_to_bd09_matches_published_example() -> None:
    lon, lat = gcj02_to_bd09(*BEIJING_STATION_GCJ02)
    # Published to 5 decimals, i.e. about a metre.
    assert abs(lon - BEIJING_STATION_BD09[0]) < 1e-5
    assert abs(lat - BEIJING_STATION_BD09[1]) < 1e-5
    back_lon, back_lat = bd09_to_gcj02(*BEIJING_STATION_BD09)
    assert haversine_m(back_lon, back_lat, *BEIJING_STATION_GCJ02) < 2.0


def test_gcj02_offset_in_chengdu_is_several_hundred_metres() -> None:
    lon, lat = wgs84_to_gcj02(*TIANFU_SQUARE_WGS84)
    offset = haversine_m(lon, lat, *TIANFU_SQUARE_WGS84)
    assert 100.0 < offset < 1000.0
    # And everywhere on the city grid, not just at one point.
    grid_lon, grid_lat = chengdu_grid()
    offsets = haversine_m(*wgs84_to_gcj02(grid_lon, grid_lat), grid_lon, grid_lat)
    assert offsets.min() > 100.0
    assert offsets.max() < 1000.0


def test_bd09_moves_further_than_gcj02() -> None:
    gcj = wgs84_to_gcj02(*TIANFU_SQUARE_WGS84)
    bd = wgs84_to_bd09(*TIANFU_SQUARE_WGS84)
    # BD-09 adds a further shift of roughly 0.0065/0.006 degrees (~ 800 m).
    assert 300.0 < haversine_m(*bd, *gcj) < 1500.0


def test_points_outside_china_pass_through_gcj02() -> None:
    lon = np.array([-0.1276, 139.7671, 2.3522])  # London, Tokyo, Paris
    lat = np.array([51.5072, 35.6812, 48.8566])
    for transform in (wgs84_to_gcj02, gcj02_to_wgs84):
        out_lon, out_lat = transform(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)
    pl_lon, pl_lat = polars_to_wgs84(lon, lat, "GCJ02")
    np.testing.assert_array_equal(pl_lon, lon)
    np.testing.assert_array_equal(pl_lat, lat)
    # BD-09 is applied everywhere, so it still moves these points...
    bd_lon, bd_lat = gcj02_to_bd09(lon, lat)
    assert (haversine_m(bd_lon, bd_lat, lon, lat) > 100.0).all()
    # ...and still inverts exactly.
    assert (haversine_m(*bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), lon, lat) < 0.01).all()


# --- round trips -------------------------------------------------------------


def test_round_trip_wgs84_gcj02_over_chengdu_within_1cm() -> None:
    lon, lat = chengdu_grid()
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert haversine_m(back_lon, back_lat, lon, lat).max() < 0.01


def test_round_trip_wgs84_bd09_over_chengdu_within_1cm() -> None:
    lon, lat = chengdu_grid()
    back_lon, back_lat = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert haversine_m(back_lon, back_lat, lon, lat).max() < 0.01


def test_round_trip_gcj02_bd09_within_1cm() -> None:
    lon, lat = chengdu_grid()
    back_lon, back_lat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert haversine_m(back_lon, back_lat, lon, lat).max() < 0.01


@pytest.mark.parametrize(
    ("system", "forward"), [("GCJ02", wgs84_to_gcj02), ("BD09", wgs84_to_bd09)]
)
def test_polars_round_trip_over_chengdu_within_1cm(system: str, forward: Callable) -> None:
    lon, lat = chengdu_grid()
    back_lon, back_lat = polars_to_wgs84(*forward(lon, lat), system)
    assert haversine_m(back_lon, back_lat, lon, lat).max() < 0.01


# --- numpy vs polars ---------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "numpy_inverse"),
    [("GCJ02", gcj02_to_wgs84), ("BD09", bd09_to_wgs84)],
)
def test_polars_agrees_with_numpy_on_random_points(system: str, numpy_inverse: Callable) -> None:
    rng = np.random.default_rng(20240611)
    n = 10_000
    # Mostly China (including its far corners), some points abroad.
    lon = np.concatenate([rng.uniform(73.0, 135.0, n - 500), rng.uniform(-180.0, 180.0, 500)])
    lat = np.concatenate([rng.uniform(18.0, 54.0, n - 500), rng.uniform(-80.0, 80.0, 500)])
    np_lon, np_lat = numpy_inverse(lon, lat)
    pl_lon, pl_lat = polars_to_wgs84(lon, lat, system)
    # 1e-8 degrees is about a millimetre.
    np.testing.assert_allclose(pl_lon, np_lon, rtol=0, atol=1e-8)
    np.testing.assert_allclose(pl_lat, np_lat, rtol=0, atol=1e-8)


def test_to_wgs84_expr_wgs84_passes_through_as_float64() -> None:
    df = pl.DataFrame({"x": [104, 105], "y": [30, 31]})
    out = df.select(to_wgs84_expr(pl.col("x"), pl.col("y"), "WGS84").alias("p")).unnest("p")
    assert out.schema == pl.Schema({"lon": pl.Float64, "lat": pl.Float64})
    assert out.to_dict(as_series=False) == {"lon": [104.0, 105.0], "lat": [30.0, 31.0]}


@pytest.mark.parametrize("system", ["WGS84", "GCJ02", "BD09"])
def test_to_wgs84_expr_struct_fields_and_nulls(system: str) -> None:
    df = pl.DataFrame({"x": [104.0, None], "y": [30.6, 30.6]})
    out = df.select(to_wgs84_expr(pl.col("x"), pl.col("y"), system).alias("p"))
    assert out.schema["p"] == pl.Struct({"lon": pl.Float64, "lat": pl.Float64})
    flat = out.unnest("p")
    assert flat["lon"][1] is None
    assert flat["lon"][0] is not None


@pytest.mark.parametrize("system", ["wgs84", "gcj-02", "CGCS2000", ""])
def test_to_wgs84_expr_rejects_unknown_systems(system: str) -> None:
    with pytest.raises(ValueError, match=r"unsupported coordinate system.*WGS84, GCJ02, BD09"):
        to_wgs84_expr(pl.col("x"), pl.col("y"), system)


# --- scalars, NaN, haversine -------------------------------------------------


def test_scalars_are_accepted() -> None:
    lon, lat = wgs84_to_gcj02(104.0657, 30.6574)
    assert lon.shape == () and lat.shape == ()
    assert lon.dtype == np.float64


def test_nan_inputs_give_nan_and_terminate() -> None:
    lon, lat = gcj02_to_wgs84(np.array([np.nan, 104.0]), np.array([30.0, 30.0]))
    assert np.isnan(lon[0])
    assert np.isfinite(lon[1]) and np.isfinite(lat[1])
    lon, lat = bd09_to_wgs84(np.array([np.nan]), np.array([np.nan]))
    assert np.isnan(lon[0]) and np.isnan(lat[0])


def test_haversine_known_distances() -> None:
    one_degree = EARTH_MEAN_RADIUS_M * math.pi / 180.0  # ~111.195 km
    assert haversine_m(104.0, 30.0, 104.0, 31.0) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_m(0.0, 0.0, 180.0, 0.0) == pytest.approx(math.pi * EARTH_MEAN_RADIUS_M)
    assert haversine_m(104.0, 30.0, 104.0, 30.0) == 0.0
    # Vectorised and symmetric.
    d = haversine_m([104.0, 116.4], [30.6, 39.9], [116.4, 104.0], [39.9, 30.6])
    assert d.shape == (2,)
    assert d[0] == pytest.approx(d[1])
    assert 1_400_000 < d[0] < 1_600_000  # Chengdu - Beijing, ~1,500 km


def test_a_point_converts_to_the_same_bits_alone_or_in_any_batch():
    # Points across China need different numbers of iterations to converge: a point must not
    # take more because its batch held a slower one (ingestion batches by delivery file).
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(74.0, 134.0, 400), rng.uniform(19.0, 52.0, 400)
    for convert in (gcj02_to_wgs84, bd09_to_wgs84):
        batch_lon, batch_lat = convert(lon, lat)
        alone = [convert(lon[i : i + 1], lat[i : i + 1]) for i in range(lon.size)]
        assert np.array_equal(batch_lon, np.concatenate([x for x, _ in alone]))
        assert np.array_equal(batch_lat, np.concatenate([y for _, y in alone]))
