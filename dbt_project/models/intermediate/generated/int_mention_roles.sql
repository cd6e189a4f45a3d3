-- Generated from the contracts by `safecity contract generate`: edit those, not this.
-- Every mention role of the mappings. A responder (the units sent) is never an event's subject;
-- the register's mentions are preferred for an organisation's name, type and county.
select * from (values
    ('object', 'detector', false, false),
    ('object', 'installation', false, false),
    ('object', 'involved_vehicle', false, false),
    ('object', 'station', false, false),
    ('organisation', 'inspected', false, false),
    ('organisation', 'instructed_unit', false, false),
    ('organisation', 'involved_unit', false, false),
    ('organisation', 'licensee', false, false),
    ('organisation', 'operator', false, false),
    ('organisation', 'permit_holder', false, false),
    ('organisation', 'polluter', false, false),
    ('organisation', 'registered', false, true),
    ('organisation', 'responding_station', true, false),
    ('organisation', 'responsible_unit', false, false),
    ('organisation', 'sampled', false, false),
    ('person', 'driver', false, false),
    ('person', 'legal_representative', false, false),
    ('person', 'victim', false, false),
    ('place', 'accident_site', false, false),
    ('place', 'detector_site', false, false),
    ('place', 'discharge_site', false, false),
    ('place', 'incident_site', false, false),
    ('place', 'inspected_premises', false, false),
    ('place', 'installation_site', false, false),
    ('place', 'instructed_site', false, false),
    ('place', 'premises', false, false),
    ('place', 'station_site', false, false)
) as t (kind, role, responder, register)
