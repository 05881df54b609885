# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""The team leaders' rules on targets, milestones and the performance
analysis now read a team's current members only: ``user_id.crm_team_ids``
is read without the active filter in a record rule, so a leader kept
reading a former member's figures. They live in a ``noupdate`` file, which
an upgrade never rewrites: drop them here, and the upgrade creates them
anew from the file."""

RULES = [
    "salesperf_target_rule_team_leader",
    "salesperf_target_milestone_rule_team_leader",
    "salesperf_performance_rule_team_leader",
]


def migrate(cr, version):
    cr.execute(
        """DELETE FROM ir_rule WHERE id IN (
            SELECT res_id FROM ir_model_data
            WHERE module = 'salesperf_odoo' AND model = 'ir.rule' AND name = ANY(%s))""",
        [RULES],
    )
    cr.execute(
        """DELETE FROM ir_model_data
        WHERE module = 'salesperf_odoo' AND model = 'ir.rule' AND name = ANY(%s)""",
        [RULES],
    )
