-- Every fact behind every risk score, with its weight: points = weight x occurrences, the
-- occurrences counted up to the fact's cap so no single kind of fact can swamp a profile.
-- The weights are configuration (seeds/config/risk_weights.csv), not code.
select
    f.subject_kind,
    f.subject_key,
    f.fact,
    w.description,
    f.occurrences,
    least(f.occurrences, w.cap) as counted,
    w.weight,
    w.weight * least(f.occurrences, w.cap) as points,
    f.latest
from {{ ref('int_risk_facts') }} as f
join {{ ref('risk_weights') }} as w using (subject_kind, fact)
