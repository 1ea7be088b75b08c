"""探访关爱: the visit plan (who is visited, how often, how), visit records and the measure.

Qt-free and database-free: the plan file is data (``resources/visit_plans/``), tiers are
computed with the service-list rule engine from an elder's current attributes and grade, the
schedule and the monthly visit rate are plain functions over visits, shared by the laptop
(store, app, CLI) and the county server.
"""
