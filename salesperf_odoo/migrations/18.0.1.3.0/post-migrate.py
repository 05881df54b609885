# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""The sales performance KPIs are switched on in Odoo's default digest by a
``noupdate`` data file, which only a new installation loads: switch them on
here for the databases that had the addon before, once. An administrator
may switch them off again, and later upgrades keep the choice."""

from odoo import SUPERUSER_ID, api

KPIS = [
    "kpi_salesperf_revenue_target",
    "kpi_salesperf_attainment",
    "kpi_salesperf_pipeline_coverage",
    "kpi_salesperf_new_customers",
]


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    digest = env.ref("digest.digest_digest_default", raise_if_not_found=False)
    if digest:
        digest.write(dict.fromkeys(KPIS, True))
