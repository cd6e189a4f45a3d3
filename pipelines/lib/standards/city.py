"""The city the platform serves: its extent, for "coordinates outside the city".

A bounding box in WGS-84 around Chengdu's 20 county-level divisions; a polygon
would be tighter, but a box catches what goes wrong in practice (swapped
longitude and latitude, zeros, another city's coordinates).
"""

CITY_CODE = "5101"  # 成都市
# (lon_min, lat_min, lon_max, lat_max)
CITY_BOUNDS = (102.95, 30.05, 104.95, 31.45)
TIMEZONE = "Asia/Shanghai"  # China Standard Time: every delivered time is in it
