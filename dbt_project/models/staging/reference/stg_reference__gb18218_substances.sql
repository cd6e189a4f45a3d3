-- GB 18218-2018: critical quantity Q (t) and correction factor β per substance, by CAS number.
select
    cas,
    name_cn as substance_name,
    name_en as substance_name_en,
    cast(critical_quantity_t as double) as critical_quantity_t,
    cast(beta as double) as beta,
    beta_basis
from {{ reference_csv('standards/gb18218_chemicals.csv') }}
