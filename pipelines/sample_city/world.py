"""The true city behind the feeds: persons, places, organisations and objects.

Every feed row is drawn from these tables, and `ground_truth/` is written from
them, so linkage and risk marts can be scored exactly. All draws are numpy
vectors from one seeded generator per table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import polars as pl

from pipelines.lib import admin_divisions
from pipelines.lib.standards.identifiers import USCC_ALPHABET, identity_check_char, uscc_check_char
from pipelines.sample_city import geography, hazards
from pipelines.sample_city.config import CityConfig
from pipelines.sample_city.resources import FireCover, fire_cover, make_resources, settle_cover
from pipelines.sample_city.vocabulary import (
    CUISINES,
    FOOD_BUSINESS_TYPES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    INDUSTRIES,
    INSTALLATION_KINDS,
    PLATE_LETTERS,
    PUBLIC_UNIT_KINDS,
    RESTAURANT_INDUSTRY,
    STATION_TYPES,
    SURNAMES,
    VEHICLE_TYPES,
)

USCC_CHARACTERS = np.array(list(USCC_ALPHABET))


@dataclass(frozen=True)
class World:
    persons: pl.DataFrame
    places: pl.DataFrame
    organisations: pl.DataFrame
    objects: pl.DataFrame
    hazard_holdings: pl.DataFrame  # installation x chemical: q, Q, beta, exposed people
    roads: pl.DataFrame
    towns: pl.DataFrame
    hazard_sites: pl.DataFrame  # weather and river gauges, waterlogging and geohazard points
    storms: hazards.Storms  # the rain every weather-driven feed reads
    cover: FireCover  # where the fire stations stand and the planted coverage gaps
    resources: dict[str, pl.DataFrame]  # each resource feed's true rows (resources.py)


def where_or_null(condition: np.ndarray, values: pl.Series | np.ndarray) -> pl.Series:
    """values where condition holds, null elsewhere (numpy has no typed null)."""
    series = values if isinstance(values, pl.Series) else pl.Series(values)
    return pl.select(
        pl.when(pl.Series(condition)).then(series).alias(series.name or "value")
    ).to_series()


def pick(
    rng: np.random.Generator,
    options: list[str] | np.ndarray,
    n: int,
    p: Sequence[float] | np.ndarray | None = None,
) -> pl.Series:
    values = np.asarray(options)
    index = rng.choice(len(values), n, p=None if p is None else np.asarray(p) / np.sum(p))
    return pl.Series(values[index])


def ids(prefix: str, n: int, width: int = 7) -> pl.Series:
    return pl.Series(np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)))


def random_chars(rng: np.random.Generator, alphabet: np.ndarray, n: int, length: int) -> np.ndarray:
    """n strings of `length` characters from `alphabet`, built column by column."""
    out = np.full(n, "", dtype=f"<U{length}")
    for _ in range(length):
        out = np.char.add(out, alphabet[rng.integers(0, len(alphabet), n)])
    return out


def first_unique(frame: pl.DataFrame, column: str, n: int, what: str) -> pl.DataFrame:
    """Draws are oversampled, then the first n distinct values kept (names and codes must be unique)."""
    unique = frame.unique(subset=column, keep="first", maintain_order=True)
    if unique.height < n:
        raise ValueError(f"not enough distinct {what}: wanted {n}, drew {unique.height}")
    return unique.head(n)


# ---------------------------------------------------------------- persons


def make_persons(rng: np.random.Generator, n: int, city_code: str) -> pl.DataFrame:
    """Residents born mostly in the city, some elsewhere in its province, a few further away
    (their identity numbers' area codes say where). A province of one city (a municipality)
    has no elsewhere in it: those are born in the city too."""
    areas = admin_divisions.counties()
    local = areas.filter(pl.col("cityCode") == city_code)["code"].to_numpy()
    province = areas.filter(
        (pl.col("provinceCode") == city_code[:2]) & (pl.col("cityCode") != city_code)
    )["code"].to_numpy()
    province = province if len(province) else local
    elsewhere = areas.filter(pl.col("provinceCode") != city_code[:2])["code"].to_numpy()
    origin = rng.choice(3, n, p=[0.75, 0.20, 0.05])
    area = np.where(
        origin == 0,
        local[rng.integers(0, len(local), n)],
        np.where(
            origin == 1,
            province[rng.integers(0, len(province), n)],
            elsewhere[rng.integers(0, len(elsewhere), n)],
        ),
    )
    birth = (
        np.datetime64("1950-01-01")
        + rng.integers(
            0, (np.datetime64("2005-12-31") - np.datetime64("1950-01-01")).astype(int), n
        )
    ).astype("datetime64[D]")
    male = rng.random(n) < 0.52
    birth_text = np.char.replace(birth.astype(str), "-", "")
    sequence = rng.integers(0, 500, n) * 2 + male  # odd sequence = male (GB 11643)
    first17 = np.char.add(
        np.char.add(area.astype(str), birth_text), np.char.zfill(sequence.astype(str), 3)
    )
    # Redraw the sequence where two persons collide, so every identity number is unique.
    while True:
        _, first_index, _counts = np.unique(first17, return_index=True, return_counts=True)
        clash = np.ones(n, dtype=bool)
        clash[first_index] = False
        if not clash.any():
            break
        sequence[clash] = rng.integers(0, 500, clash.sum()) * 2 + male[clash]
        first17[clash] = np.char.add(
            np.char.add(area[clash].astype(str), birth_text[clash]),
            np.char.zfill(sequence[clash].astype(str), 3),
        )
    id_number = np.char.add(first17, identity_check_char(first17))
    given_male = np.array(GIVEN_MALE)
    given_female = np.array(GIVEN_FEMALE)
    first = np.where(
        male,
        given_male[rng.integers(0, len(given_male), n)],
        given_female[rng.integers(0, len(given_female), n)],
    )
    second = np.where(
        male,
        given_male[rng.integers(0, len(given_male), n)],
        given_female[rng.integers(0, len(given_female), n)],
    )
    given = np.where(rng.random(n) < 0.6, np.char.add(first, second), first)
    surname = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    phone = np.char.add(
        np.array(["13", "15", "17", "18", "19"])[rng.integers(0, 5, n)],
        np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9),
    )
    return pl.DataFrame(
        {
            "person_id": ids("H", n),
            "name": np.char.add(surname, given),
            "id_number": id_number,
            "sex": np.where(male, "M", "F"),
            "birth_date": birth.astype("datetime64[D]"),
            "phone": phone,
        }
    )


# ---------------------------------------------------------------- organisations


def uscc(rng: np.random.Generator, category: np.ndarray, county: np.ndarray) -> np.ndarray:
    """GB 32100: authority+category (2), county code (6), organisation code (9), check char."""
    first17 = np.char.add(
        np.char.add(category.astype(str), county.astype(str)),
        random_chars(rng, USCC_CHARACTERS, len(county), 9),
    )
    return np.char.add(first17, uscc_check_char(first17))


class NewPlaces(Protocol):
    """Draws `n` new places, their ids starting with `prefix` (in `county` or `township`, when
    given; `spread` degrees around the township centre instead of geography's)."""

    def __call__(
        self,
        n: int,
        prefix: str,
        county: str | None = None,
        township: str | None = None,
        spread: float | None = None,
    ) -> pl.DataFrame: ...


def make_organisations(
    rng: np.random.Generator,
    config: CityConfig,
    persons: pl.DataFrame,
    new_places: NewPlaces,
    towns: pl.DataFrame,
) -> tuple[pl.DataFrame, FireCover]:
    scale = config.scale
    city = config.city
    profile = city.profile
    frames = []

    # Restaurants and food shops: chains (brand + branch) and independents.
    n = scale.restaurants
    places = new_places(n, "PR")
    brand_words = np.array([w + c for w in city.shop_words for c in CUISINES])
    brands = brand_words[rng.choice(len(brand_words), scale.chain_brands, replace=False)]
    is_chain = rng.random(n) < 0.3
    brand_index = rng.integers(0, len(brands), n)
    road_stem = places["road"].str.replace(r"(路|大道|街|巷).*$", "")
    chain_trade = pl.Series(brands[brand_index]) + "（" + road_stem + "店）"
    chain_legal = (
        profile.short_name
        + pl.Series(brands[brand_index]).str.slice(0, 2)
        + "餐饮管理有限公司"
        + road_stem
        + "分店"
    )
    shop = (
        pick(rng, list(city.shop_words), n) + pick(rng, SURNAMES, n) + "记" + pick(rng, CUISINES, n)
    )
    individual = rng.random(n) < 0.5
    independent_legal = pl.Series(
        np.where(
            individual,
            (profile.name + places["county_name"] + shop).to_numpy(),
            (profile.short_name + shop + "餐饮有限公司").to_numpy(),
        )
    )
    frame = pl.DataFrame(
        {
            "name": pl.Series(
                np.where(is_chain, chain_legal.to_numpy(), independent_legal.to_numpy())
            ),
            "trade_name": pl.Series(np.where(is_chain, chain_trade.to_numpy(), shop.to_numpy())),
            "chain_id": where_or_null(is_chain, np.char.add("B", brand_index.astype(str))),
            "category": np.where(individual & ~is_chain, "92", "91"),
        }
    )
    frame = pl.concat([frame, places], how="horizontal")
    # Two branches of a chain on one road: number the later ones, as chains do (二店).
    frame = frame.with_columns(rank=pl.int_range(1, pl.len() + 1).over("name")).with_columns(
        name=pl.when(pl.col("rank") > 1)
        .then(pl.col("name") + pl.col("rank").cast(pl.String) + "店")
        .otherwise("name"),
        trade_name=pl.when(pl.col("rank") > 1)
        .then(pl.col("trade_name") + pl.col("rank").cast(pl.String))
        .otherwise("trade_name"),
    )
    # Independent shops can draw the same name; the registry would refuse the second one.
    frame = frame.unique("name", keep="first", maintain_order=True)
    restaurant_places = frame.select("place_id", "township_code", "lon", "lat")
    m = frame.height
    business = rng.choice(3, m, p=[0.8, 0.15, 0.05])
    frames.append(
        frame.select(
            "name", "trade_name", "chain_id", "category", "place_id", "county_code"
        ).with_columns(
            kind=pl.lit("restaurant"),
            industry_code=pl.lit(RESTAURANT_INDUSTRY),
            business_type=pl.Series(np.array(FOOD_BUSINESS_TYPES)[business]),
            # JY + business type (1) + county (6) + serial within the county (6) + check digit (1).
            licence_no=pl.concat_str(
                pl.lit("JY"),
                pl.Series(np.array([2, 1, 3])[business]).cast(pl.String),
                pl.col("county_code"),
                pl.int_range(1, pl.len() + 1).over("county_code").cast(pl.String).str.zfill(6),
                pl.Series(rng.integers(0, 10, m)).cast(pl.String),
            ),
            em_registered=pl.Series(rng.random(m) < config.overlap.restaurant_em_registered),
        )
    )

    # Enterprises in the emergency-management registry.
    n = scale.enterprises
    oversample = 2 * n + 50
    # Chemical trades are the first five; weight them so about a quarter of enterprises hold chemicals.
    industry = np.where(
        rng.random(oversample) < 0.25,
        rng.integers(0, 5, oversample),
        rng.integers(5, len(INDUSTRIES), oversample),
    )
    legal_form = pick(rng, ["有限公司", "有限公司", "股份有限公司", "有限责任公司"], oversample)
    name = (
        # The city's short name, the province's, or the city's full name (温州, 浙江, 温州市).
        pick(
            rng,
            [profile.short_name, profile.province_prefixes[-1], profile.name],
            oversample,
        )
        + pick(rng, list(city.company_words), oversample)
        + pick(rng, list(city.name_characters), oversample)
        + pl.Series([INDUSTRIES[i][1] for i in range(len(INDUSTRIES))])[industry]
        + legal_form
    )
    frame = first_unique(
        pl.DataFrame({"name": name, "industry_index": industry}), "name", n, "enterprise names"
    )
    places = new_places(n, "PE")
    enterprise_places = places.select("place_id", "township_code", "lon", "lat")
    industry = frame["industry_index"].to_numpy()
    frames.append(
        pl.concat(
            [frame.select("name"), places.select("place_id", "county_code")], how="horizontal"
        ).with_columns(
            trade_name=pl.lit(None, pl.String),
            chain_id=pl.lit(None, pl.String),
            category=pl.lit("91"),
            kind=pl.Series([INDUSTRIES[i][2] for i in industry]),
            industry_code=pl.Series([INDUSTRIES[i][0] for i in industry]),
            business_type=pl.lit(None, pl.String),
            licence_no=pl.lit(None, pl.String),
            em_registered=pl.lit(True),
        )
    )

    # Schools, malls, hospitals: inspected by fire and rescue only.
    n = scale.public_units
    oversample = n * 3 + 20
    unit_kind = rng.integers(0, len(PUBLIC_UNIT_KINDS), oversample)
    places = new_places(oversample, "PU")
    ordinal = pick(
        rng,
        ["", "第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八", "第九"],
        oversample,
    )
    name = (
        profile.name
        + places["county_name"]
        + pick(rng, list(city.road_stems), oversample)
        + ordinal
        + pl.Series([PUBLIC_UNIT_KINDS[i][1] for i in range(len(PUBLIC_UNIT_KINDS))])[unit_kind]
    )
    frame = first_unique(
        pl.concat(
            [
                pl.DataFrame({"name": name, "unit_kind": unit_kind}),
                places.select("place_id", "county_code"),
            ],
            how="horizontal",
        ),
        "name",
        n,
        "public unit names",
    )
    unit_places = places.filter(pl.col("place_id").is_in(frame["place_id"].implode())).select(
        "place_id", "township_code", "lon", "lat"
    )
    frames.append(
        frame.select("name", "place_id", "county_code").with_columns(
            trade_name=pl.lit(None, pl.String),
            chain_id=pl.lit(None, pl.String),
            category=pl.lit("12"),
            kind=pl.Series([PUBLIC_UNIT_KINDS[i][0] for i in frame["unit_kind"]]),
            industry_code=pl.lit(None, pl.String),
            business_type=pl.lit(None, pl.String),
            licence_no=pl.lit(None, pl.String),
            em_registered=pl.lit(False),
        )
    )

    # Fire stations: one at the centre of every township with organisations, except around the
    # planted coverage gaps (resources.fire_cover), named after the county and a road.
    org_places = pl.concat([restaurant_places, enterprise_places, unit_places], how="diagonal")
    cover = fire_cover(
        rng, towns, org_places, pl.concat([enterprise_places, unit_places]), config.coverage
    )
    station_places = pl.concat(
        [
            new_places(
                1, f"PX{row['township_code']}-", township=row["township_code"], spread=0.0005
            )
            for row in cover.station_towns.iter_rows(named=True)
        ]
    )
    stems = np.array(city.road_stems)[rng.choice(len(city.road_stems), station_places.height)]
    special = rng.random(station_places.height) < 0.25
    frames.append(
        station_places.select(
            name=profile.name
            + "消防救援支队"
            + pl.col("county_name")
            + pl.Series(stems)
            + pl.Series(np.where(special, "特勤站", "消防救援站")),
            place_id="place_id",
            county_code="county_code",
        )
        .with_columns(
            # Two stations on one road: numbered, as the brigade numbers them.
            name=pl.when(pl.int_range(1, pl.len() + 1).over("name") > 1)
            .then(
                pl.col("name") + pl.int_range(1, pl.len() + 1).over("name").cast(pl.String) + "中队"
            )
            .otherwise("name")
        )
        .with_columns(
            trade_name=pl.lit(None, pl.String),
            chain_id=pl.lit(None, pl.String),
            category=pl.lit("11"),
            kind=pl.lit("fire_station"),
            industry_code=pl.lit("S9224"),
            business_type=pl.lit(None, pl.String),
            licence_no=pl.lit(None, pl.String),
            em_registered=pl.lit(False),
        )
    )

    columns = [
        "name",
        "trade_name",
        "chain_id",
        "category",
        "kind",
        "industry_code",
        "business_type",
        "licence_no",
        "em_registered",
        "place_id",
        "county_code",
    ]
    orgs = pl.concat([f.select(columns) for f in frames])
    total = orgs.height
    # Legal representatives: mostly distinct persons, a few represent several organisations.
    reps = rng.choice(persons.height, total, replace=persons.height < total)
    reps = np.where(rng.random(total) < 0.05, reps[rng.integers(0, total, total)], reps)
    registered = np.datetime64("2005-01-01") + rng.integers(0, 7300, total)
    prefixes = np.array(city.phone_prefixes)
    phone = np.char.add(
        prefixes[rng.integers(0, len(prefixes), total)],
        np.char.zfill(rng.integers(0, 10**8, total).astype(str), 8),
    )
    return orgs.with_columns(
        org_id=ids("G", total),
        uscc=pl.Series(uscc(rng, orgs["category"].to_numpy(), orgs["county_code"].to_numpy())),
        legal_rep_person_id=persons["person_id"].gather(reps),
        registered_date=pl.Series(registered.astype("datetime64[D]")),
        phone=pl.Series(phone),
        employees=pl.Series(rng.integers(3, 800, total)),
        high_risk=pl.lit(False),
    ).select("org_id", pl.exclude("org_id")), cover


# ---------------------------------------------------------------- objects


def non_representatives(persons: pl.DataFrame, orgs: pl.DataFrame) -> np.ndarray:
    return persons.filter(~pl.col("person_id").is_in(orgs["legal_rep_person_id"].implode()))[
        "person_id"
    ].to_numpy()


def make_vehicles(
    rng: np.random.Generator,
    n: int,
    persons: pl.DataFrame,
    orgs: pl.DataFrame,
    company_share: float,
    plate_prefixes: tuple[str, ...],
) -> pl.DataFrame:
    oversample = int(n * 1.2) + 20
    alphabet = np.array(PLATE_LETTERS + list("0123456789") * 6)  # digits dominate plates
    plates = np.char.add(
        np.array(plate_prefixes)[rng.integers(0, len(plate_prefixes), oversample)],
        random_chars(rng, alphabet, oversample, 5),
    )
    plates = pl.Series(plates).unique(maintain_order=True).head(n).to_numpy()
    n = len(plates)
    fleet = orgs.filter(pl.col("kind").is_in(["logistics", "chemical", "construction"]))
    company = rng.random(n) < company_share
    owner_org = fleet["org_id"].to_numpy()[rng.integers(0, fleet.height, n)]
    # Private owners are people who represent no organisation, so the share of drivers who
    # do is exactly the configured overlap (the feed picks those on purpose).
    private = non_representatives(persons, orgs)
    owner_person = private[rng.integers(0, len(private), n)]
    private_types, company_types = (
        VEHICLE_TYPES[:2] + VEHICLE_TYPES[4:5],
        VEHICLE_TYPES[2:4] + VEHICLE_TYPES[5:],
    )
    return pl.DataFrame(
        {
            "object_id": ids("V", n),
            "kind": "vehicle",
            "code": plates,
            "name": np.where(
                company,
                np.array(company_types)[rng.integers(0, len(company_types), n)],
                np.array(private_types)[rng.integers(0, len(private_types), n)],
            ),
            "owner_kind": np.where(company, "organisation", "person"),
            "owner_id": np.where(company, owner_org, owner_person),
            "place_id": None,
        },
        schema_overrides={"place_id": pl.String},
    )


def make_installations(
    rng: np.random.Generator, chemical_orgs: pl.DataFrame, chemicals: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Hazard installations of chemical enterprises and the chemicals each holds (GB 18218 inputs)."""
    per_org = rng.integers(1, 4, chemical_orgs.height)
    owner = np.repeat(np.arange(chemical_orgs.height), per_org)
    n = len(owner)
    owners = chemical_orgs[owner]
    sequence = pl.int_range(1, pl.len() + 1).over("county_code").cast(pl.String).str.zfill(4)
    installations = owners.select(
        object_id=ids("I", n),
        kind=pl.lit("hazard_installation"),
        code=pl.lit("HS") + pl.col("county_code") + sequence,
        name=pl.col("name") + pl.Series(np.array(INSTALLATION_KINDS)[rng.integers(0, 3, n)]),
        owner_kind=pl.lit("organisation"),
        owner_id=pl.col("org_id"),
        place_id=pl.col("place_id"),
    ).with_columns(
        exposed_people=pl.Series(np.where(rng.random(n) < 0.15, 0, rng.integers(1, 260, n)))
    )
    per_installation = rng.integers(1, 4, n)
    holder = np.repeat(np.arange(n), per_installation)
    chemical = rng.integers(0, chemicals.height, len(holder))
    critical = chemicals["critical_quantity_t"].to_numpy()[chemical]
    # Ratio q/Q spread so that some installations are major hazard sources (S >= 1) and most are not.
    ratio = np.round(rng.lognormal(mean=-1.2, sigma=1.1, size=len(holder)), 3) + 0.001
    holdings = pl.DataFrame(
        {
            "object_id": installations["object_id"].to_numpy()[holder],
            "cas": chemicals["cas"].to_numpy()[chemical],
            "chemical": chemicals["name_cn"].to_numpy()[chemical],
            "critical_quantity_t": critical,
            "beta": chemicals["beta"].to_numpy()[chemical],
            "quantity_t": np.round(ratio * critical, 3),
        }
    ).unique(subset=["object_id", "cas"], keep="first", maintain_order=True)
    return installations, holdings


def make_points(
    kind: str, prefix: str, code_format: pl.Expr, name: pl.Expr, places: pl.DataFrame
) -> pl.DataFrame:
    """Fixed sensors: traffic detectors and air-quality monitoring stations."""
    return places.select(
        object_id=ids(prefix, places.height),
        kind=pl.lit(kind),
        code=code_format,
        name=name,
        owner_kind=pl.lit(None, pl.String),
        owner_id=pl.lit(None, pl.String),
        place_id="place_id",
    )


def chemicals_reference() -> pl.DataFrame:
    from importlib.resources import files

    data = files("pipelines.reference").joinpath("standards", "gb18218_chemicals.csv").read_bytes()
    return pl.read_csv(data, schema_overrides={"cas": pl.String})


# ---------------------------------------------------------------- planted risk


def plant_high_risk(rng: np.random.Generator, orgs: pl.DataFrame, count: int) -> pl.DataFrame:
    """Mark chemical enterprises (and half as many restaurants) that the feeds will make risky.

    The feeds then give each one what a risk mart should find across silos:
    enterprises a grade-1 hazard source, overdue major hidden hazards and a recent
    fire; restaurants failed food inspections, unrectified fire hazards and a fire.
    """
    chemical = np.flatnonzero(orgs["kind"].to_numpy() == "chemical")
    restaurants = np.flatnonzero(orgs["kind"].to_numpy() == "restaurant")
    chosen = np.concatenate(
        [
            rng.choice(chemical, min(count, len(chemical)), replace=False),
            rng.choice(restaurants, min(max(count // 2, 1), len(restaurants)), replace=False),
        ]
    )
    flag = np.zeros(orgs.height, dtype=bool)
    flag[chosen] = True
    return orgs.with_columns(high_risk=pl.Series(flag))


def grade_one_for_high_risk(
    installations: pl.DataFrame, holdings: pl.DataFrame, orgs: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each high-risk enterprise's first installation: 100+ people exposed, a toxic gas at 30 x Q.

    With alpha = 2.0 and beta >= 2 that gives R = 2 * beta * 30 >= 120: grade 1 (R >= 100).
    """
    risky = orgs.filter(pl.col("high_risk") & (pl.col("kind") == "chemical"))["org_id"]
    first = installations.filter(pl.col("owner_id").is_in(risky.implode())).unique(
        "owner_id", keep="first", maintain_order=True
    )["object_id"]
    installations = installations.with_columns(
        exposed_people=pl.when(pl.col("object_id").is_in(first.implode()))
        .then(pl.lit(180, pl.Int64))
        .otherwise("exposed_people")
    )
    chlorine = chemicals_reference().filter(pl.col("cas") == "7782-50-5").row(0, named=True)
    planted = pl.DataFrame(
        {
            "object_id": first,
            "cas": chlorine["cas"],
            "chemical": chlorine["name_cn"],
            "critical_quantity_t": float(chlorine["critical_quantity_t"]),
            "beta": float(chlorine["beta"]),
            "quantity_t": 30.0 * chlorine["critical_quantity_t"],
        }
    )
    kept = holdings.join(planted.select("object_id", "cas"), on=["object_id", "cas"], how="anti")
    holdings = pl.concat(
        [
            planted,
            kept.with_columns(
                pl.col(c).cast(pl.Float64) for c in ["critical_quantity_t", "beta", "quantity_t"]
            ),
        ]
    )
    return installations, holdings.sort("object_id", "cas")


# ---------------------------------------------------------------- the whole city


def build_world(config: CityConfig, rng_for: Callable[[str], np.random.Generator]) -> World:
    """rng_for(name) gives an independent, seeded generator per table, so one table's size never shifts another's draws."""
    scale = config.scale
    towns = geography.townships(rng_for("townships"), config.city)
    road_table = geography.roads(
        rng_for("roads"), sorted(towns["county_code"].unique().to_list()), config.city
    )
    place_rng = rng_for("places")
    place_frames: list[pl.DataFrame] = []
    house_numbers_taken: dict[tuple[str, int], set[int]] = {}

    def new_places(
        n: int,
        prefix: str,
        county: str | None = None,
        township: str | None = None,
        spread: float | None = None,
    ) -> pl.DataFrame:
        pool = towns
        if county is not None:
            pool = pool.filter(pl.col("county_code") == county)
        if township is not None:
            pool = pool.filter(pl.col("township_code") == township)
        places = geography.random_places(
            place_rng,
            pool,
            road_table,
            n,
            prefix,
            house_numbers_taken,
            config.city,
            geography.PLACE_SPREAD_DEG if spread is None else spread,
        )
        place_frames.append(places)
        return places

    persons = make_persons(rng_for("persons"), scale.persons, config.city.profile.code)
    orgs, cover = make_organisations(rng_for("organisations"), config, persons, new_places, towns)
    orgs = plant_high_risk(rng_for("high_risk"), orgs, scale.high_risk_enterprises)
    vehicles = make_vehicles(
        rng_for("vehicles"),
        scale.vehicles,
        persons,
        orgs,
        config.overlap.company_vehicle,
        config.city.plates,
    )
    chemical_orgs = orgs.filter(pl.col("kind") == "chemical")
    installations, holdings = make_installations(
        rng_for("installations"), chemical_orgs, chemicals_reference()
    )
    installations, holdings = grade_one_for_high_risk(installations, holdings, orgs)
    # Street spots for accidents and fires; the first fiftieth are black spots where accidents recur.
    new_places(scale.days * (scale.accidents + scale.fire_incidents) + 50, "PS")
    detector_places = new_places(scale.detectors, "PD")
    detectors = make_points(
        "traffic_detector",
        "D",
        pl.lit("TD")
        + pl.col("county_code")
        + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(4),
        pl.col("road") + pl.lit("检测器"),
        detector_places,
    )
    station_places = new_places(scale.stations, "PM")
    stations = make_points(
        "monitoring_station",
        "M",
        (pl.int_range(0, pl.len()) + 1431).cast(pl.String) + pl.lit("A"),
        pl.col("township_name") + pl.lit("监测点"),
        station_places,
    ).with_columns(
        station_type=pl.Series(
            np.array(STATION_TYPES)[rng_for("station_types").integers(0, 3, scale.stations)]
        )
    )
    # The natural-hazard sites come last, so adding them shifted no earlier place.
    counties = sorted(towns["county_code"].unique().to_list())
    sites = hazards.make_sites(
        rng_for("hazard sites"), config, new_places, orgs, pl.concat(place_frames), counties
    )
    site_objects = sites.select(
        "object_id", "kind", "code", "name", "owner_kind", "owner_id", "place_id"
    )
    objects = pl.concat(
        [
            vehicles,
            installations.drop("exposed_people"),
            detectors,
            stations.drop("station_type"),
            site_objects,
        ],
        how="vertical",
    )
    extra = installations.select("object_id", "exposed_people").join(
        stations.select("object_id", "station_type"), on="object_id", how="full", coalesce=True
    )
    objects = objects.join(extra, on="object_id", how="left", maintain_order="left")
    # A site moved beside another (the gauge beside a chemical plant) takes its place's point along.
    moved = sites.filter(pl.col("moved").fill_null(False)).select(
        "place_id", lon="place_lon", lat="place_lat"
    )
    sites = sites.drop("moved", "place_lon", "place_lat")
    # Emergency resources come last, so their places shift no other table's draws.
    last_day = np.datetime64(config.start) + np.timedelta64(scale.days - 1, "D")
    resource_objects, resources = make_resources(
        rng_for("resources"),
        towns,
        orgs,
        persons,
        cover,
        new_places,
        last_day,
        config.coverage.gap_townships,
    )
    objects = pl.concat([objects, resource_objects], how="diagonal")
    places = settle_cover(
        rng_for("coverage"),
        pl.concat(place_frames).update(moved, on="place_id"),
        orgs,
        towns,
        cover,
        config.coverage,
    )
    twice = places.filter(pl.col("place_id").is_duplicated())["place_id"].unique().sort()
    if twice.len():
        raise ValueError(
            f"two places drawn with one id ({', '.join(twice.head(3))}): "
            "each new_places prefix must be its own"
        )
    return World(
        persons=persons,
        places=places,
        organisations=orgs,
        objects=objects,
        hazard_holdings=holdings,
        roads=road_table,
        towns=towns,
        hazard_sites=sites,
        storms=hazards.storms(rng_for("storms"), config, counties, sites, places),
        cover=cover,
        resources=resources,
    )
