select code, name, areaCode as county_code, cityCode as city_code, provinceCode as province_code
from {{ reference_csv('admin_divisions/streets.csv') }}
