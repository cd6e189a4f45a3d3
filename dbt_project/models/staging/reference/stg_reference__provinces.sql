select code, name from {{ reference_csv('admin_divisions/provinces.csv') }}
