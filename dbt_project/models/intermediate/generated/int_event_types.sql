-- Generated from the contracts by `safecity contract generate`: edit those, not this.
-- From contracts/vocabulary.yaml: what each event type means to risk and rectification.
select * from (values
    ('air_quality_episode', 'accident_disaster', false, false),
    ('debris_flow', 'natural_disaster', true, false),
    ('emission_exceedance', 'accident_disaster', false, false),
    ('fire', 'accident_disaster', true, false),
    ('fire_hazard_finding', 'accident_disaster', false, true),
    ('food_inspection_failure', 'public_health', false, false),
    ('food_sampling_failure', 'public_health', false, false),
    ('ground_collapse', 'natural_disaster', true, false),
    ('heavy_rainfall', 'natural_disaster', false, false),
    ('hidden_hazard', 'accident_disaster', false, true),
    ('landslide', 'natural_disaster', true, false),
    ('rescue', 'accident_disaster', true, false),
    ('rockfall', 'natural_disaster', true, false),
    ('sensor_alarm', 'accident_disaster', true, false),
    ('social_assistance', 'accident_disaster', false, false),
    ('traffic_accident', 'accident_disaster', true, false),
    ('water_level_exceedance', 'natural_disaster', true, false),
    ('weather_warning', 'natural_disaster', false, false),
    ('work_accident', 'accident_disaster', true, false)
) as t (event_type, category, proximity, rectifiable)
