# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import _, fields, models
from odoo.exceptions import AccessError

from .salesperf_commission_statement import COMMISSION_MANAGER

#: Who sees and keeps payroll references: user administrators and finance.
PAYROLL_REF_GROUPS = "base.group_erp_manager,salesperf_odoo.group_salesperf_commission_manager"


class ResUsers(models.Model):
    _inherit = "res.users"

    salesperf_payroll_ref = fields.Char(
        string="Payroll Reference",
        copy=False,
        groups=PAYROLL_REF_GROUPS,
        help="The salesperson's employee number in the payroll system, the same in every "
        "company: the commission payroll file identifies salespeople by it.",
    )
    salesperf_weekly_digest = fields.Boolean(
        string="Weekly Performance Email",
        default=True,
        help="Get your attainment, ranking, deals to close and milestones by email once a week.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["salesperf_weekly_digest"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + ["salesperf_weekly_digest"]

    def write(self, vals):
        if set(vals) == {"salesperf_payroll_ref"} and self._salesperf_payroll_ref_by_finance():
            # Commission Managers keep payroll references without the right to
            # edit users otherwise: checked just above, on users they can see
            return super(ResUsers, self.sudo()).write(vals)
        return super().write(vals)

    def _salesperf_payroll_ref_by_finance(self):
        """Whether a Commission Manager who is not a user administrator sets
        payroll references of users they can see (:class:`AccessError` for
        users they cannot)."""
        user = self.env.user
        if self.env.su or user.has_group("base.group_erp_manager"):
            return False
        if not user.has_group(COMMISSION_MANAGER):
            return False
        self.check_access("read")
        if self.filtered("share"):
            raise AccessError(_("Only internal users have a payroll reference."))
        return True
