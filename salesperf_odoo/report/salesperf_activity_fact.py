# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import fields, models
from odoo.tools import SQL


class SalesperfActivityFact(models.Model):
    """One row per activity marked as done by an internal user.

    Marking an activity done posts a message carrying the activity type and
    authored by the user who did it (``mail.activity._action_done``); the
    activity itself is usually deleted. Those messages are the lasting trace
    of completed activities, whatever document they were on.
    """

    _name = "salesperf.activity.fact"
    _description = "Sales Performance Completed Activities"
    _auto = False
    _order = "date desc, id desc"

    date = fields.Date(readonly=True, help="Day the activity was marked done (company time zone).")
    user_id = fields.Many2one("res.users", string="Done By", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    activity_type_id = fields.Many2one("mail.activity.type", readonly=True)
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model", readonly=True)

    @property
    def _table_query(self):
        message = self.env["mail.message"]
        return SQL(
            """SELECT msg.id AS id,
                (msg.date AT TIME ZONE 'UTC'
                    AT TIME ZONE COALESCE(company_partner.tz, 'UTC'))::date AS date,
                usr.id AS user_id,
                usr.sale_team_id AS team_id,
                usr.company_id AS company_id,
                msg.mail_activity_type_id AS activity_type_id,
                msg.model AS res_model,
                msg.res_id AS res_id
            FROM mail_message msg
            JOIN LATERAL (
                SELECT u.id, u.sale_team_id, u.company_id
                FROM res_users u
                WHERE u.partner_id = msg.author_id AND u.share IS NOT TRUE
                ORDER BY u.id
                LIMIT 1
            ) usr ON TRUE
            JOIN res_company company ON company.id = usr.company_id
            JOIN res_partner company_partner ON company_partner.id = company.partner_id
            WHERE msg.mail_activity_type_id IS NOT NULL
              AND msg.message_type = 'notification'
              %s""",
            SQL().join(
                SQL(to_flush=model._fields[name])
                for model, names in [
                    (message, ["mail_activity_type_id", "author_id", "date", "message_type"]),
                    (self.env["res.users"], ["partner_id", "share", "sale_team_id", "company_id"]),
                    (self.env["res.company"], ["partner_id"]),
                    (self.env["res.partner"], ["tz"]),
                ]
                for name in names
            ),
        )
