select code, name, provinceCode as province_code from {{ reference_csv('admin_divisions/cities.csv') }}
