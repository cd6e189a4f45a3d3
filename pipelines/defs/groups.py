"""The asset groups, in the order data flows through them.

The UI's group view draws one box per group and an edge wherever an asset of one group
feeds an asset of another, so each group is one stage a person names:

landing → <department> (bronze, one group per department) → warehouse_staging →
warehouse_intermediate → linkage → warehouse → marts → alerts, publish → quality.

`warehouse_config` holds the seeds an analyst tunes (risk weights, warning rules, response
targets). `publish` holds what leaves the pipeline for people: the analysts' copy, each
department's extract, the dbt docs site; so marts → publish reads in the group view.
`quality` holds the department scorecard and the quality reports of the extracts.
"""

LANDING = "landing"
WAREHOUSE_CONFIG = "warehouse_config"
WAREHOUSE_STAGING = "warehouse_staging"
WAREHOUSE_INTERMEDIATE = "warehouse_intermediate"
LINKAGE = "linkage"
WAREHOUSE = "warehouse"
MARTS = "marts"
ALERTS = "alerts"
PUBLISH = "publish"
QUALITY = "quality"

# Every group but the departments' (contracts/feeds/<department>/), in flow order.
STAGE_GROUPS = (
    LANDING,
    WAREHOUSE_CONFIG,
    WAREHOUSE_STAGING,
    WAREHOUSE_INTERMEDIATE,
    LINKAGE,
    WAREHOUSE,
    MARTS,
    ALERTS,
    PUBLISH,
    QUALITY,
)
