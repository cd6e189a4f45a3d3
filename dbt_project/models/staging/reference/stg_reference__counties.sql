select code, name, cityCode as city_code, provinceCode as province_code
from {{ reference_csv('admin_divisions/areas.csv') }}
