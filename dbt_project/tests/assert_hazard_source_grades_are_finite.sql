-- Hazard-source grades never show NaN or infinity: S = Σ q/Q and R = α · Σ β·q/Q are finite for
-- every installation (an empty S or R, for a substance the standard's table lacks, is no failure).
-- Ingestion refuses non-finite quantities and a critical quantity of 0; this holds the warehouse to it.
select object_key, hazard_source_code, alpha, s_value, r_value, inputs
from {{ ref('hazard_source_grades') }}
where not isfinite(alpha) or not isfinite(s_value) or not isfinite(r_value)
