# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .salesperf_commission_statement import COMMISSION_MANAGER


class SalesperfCommissionDispute(models.Model):
    """A salesperson's question on a statement line, and its answer.

    Raised by the statement's salesperson once the statement is confirmed
    (a draft's lines are replaced at each computation), answered and
    resolved by a leader of their team or a Commission Manager; while open,
    it blocks the final approval of the statement. Both sides see it, and
    the statement's chatter keeps each step.
    """

    _name = "salesperf.commission.dispute"
    _description = "Commission Dispute"
    _order = "state, create_date desc"
    _rec_name = "reason"

    line_id = fields.Many2one(
        "salesperf.commission.line", required=True, ondelete="cascade", index=True
    )
    statement_id = fields.Many2one(
        related="line_id.statement_id", store=True, index=True, string="Statement"
    )
    company_id = fields.Many2one(related="line_id.company_id", store=True)
    user_id = fields.Many2one(related="line_id.user_id", store=True, string="Salesperson")
    reason = fields.Text(required=True)
    answer = fields.Text(readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")], default="open", required=True, readonly=True
    )
    resolved_by_id = fields.Many2one("res.users", readonly=True)
    resolved_on = fields.Datetime(readonly=True)
    line_document = fields.Char(related="line_id.document", string="Document")
    line_amount = fields.Monetary(related="line_id.amount", string="Line Amount")
    currency_id = fields.Many2one(related="line_id.currency_id")

    @api.model_create_multi
    def create(self, vals_list):
        is_manager = self.env.user.has_group(COMMISSION_MANAGER)
        # check what will be written, the context's defaults included: the
        # dispute form sends its line as one
        vals_list = [self._add_missing_default_values(vals) for vals in vals_list]
        for vals in vals_list:
            if vals.get("state", "open") != "open" or any(
                vals.get(fname) for fname in ("answer", "resolved_by_id", "resolved_on")
            ):
                raise AccessError(_("A dispute is raised open: only resolving it answers it."))
            if not (vals.get("reason") or "").strip():
                raise UserError(_("Say why you dispute this line."))
            line = self.env["salesperf.commission.line"].browse(vals.get("line_id"))
            line.check_access("read")
            statement = line.statement_id
            if statement.user_id != self.env.user and not is_manager:
                raise AccessError(_("Only the salesperson of a statement disputes its lines."))
            if statement.state == "draft":
                # a draft's lines are replaced at each computation: a dispute
                # on one would vanish with it
                raise UserError(
                    _(
                        "%(statement)s is still a draft: its lines change at each "
                        "computation. Dispute them once it is confirmed.",
                        statement=statement.name,
                    )
                )
            if statement.state in ("paid", "cancel"):
                raise UserError(
                    _(
                        "%(statement)s is paid or cancelled: it is no longer disputed here.",
                        statement=statement.name,
                    )
                )
        # rights were checked above: salespeople cannot write statements'
        # records themselves
        disputes = super(SalesperfCommissionDispute, self.sudo()).create(vals_list)
        for dispute in disputes:
            dispute.statement_id.message_post(
                body=_(
                    "%(user)s disputes the line %(line)s (%(amount)s): %(reason)s",
                    user=self.env.user.name,
                    line=dispute.line_id.document or dispute.line_id.rule_label,
                    amount=dispute.line_id.amount,
                    reason=dispute.reason,
                ),
                partner_ids=dispute.statement_id._dispute_followers().ids,
            )
        return disputes.with_env(self.env)

    def action_resolve(self, answer):
        """Answer and close the dispute: a leader of the salesperson's team
        or a Commission Manager."""
        if not (answer or "").strip():
            raise UserError(_("Resolving a dispute needs an answer."))
        for dispute in self:
            statement = dispute.statement_id
            if not (
                self.env.user.has_group(COMMISSION_MANAGER) or statement._is_led_by(self.env.user)
            ):
                raise AccessError(
                    _(
                        "Only a leader of the salesperson's team or a Commission Manager "
                        "resolves a dispute."
                    )
                )
            if dispute.state != "open":
                raise UserError(_("This dispute is already resolved."))
        self.sudo().write(
            {
                "state": "resolved",
                "answer": answer,
                "resolved_by_id": self.env.user.id,
                "resolved_on": fields.Datetime.now(),
            }
        )
        for dispute in self:
            # sudo: rights were checked above; a team leader cannot write the
            # statement, which posting on it requires
            dispute.statement_id.sudo().message_post(
                body=_(
                    "Dispute on %(line)s resolved by %(user)s: %(answer)s",
                    line=dispute.line_id.document or dispute.line_id.rule_label,
                    user=self.env.user.name,
                    answer=answer,
                ),
                partner_ids=dispute.user_id.partner_id.ids,
            )
        return True

    def action_open_resolve(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Resolve Dispute"),
            "res_model": "salesperf.commission.dispute.resolve",
            "view_mode": "form",
            "target": "new",
            "context": {"default_dispute_id": self.id},
        }


class SalesperfCommissionDisputeResolve(models.TransientModel):
    _name = "salesperf.commission.dispute.resolve"
    _description = "Resolve a Commission Dispute"

    dispute_id = fields.Many2one("salesperf.commission.dispute", required=True, ondelete="cascade")
    reason = fields.Text(related="dispute_id.reason")
    answer = fields.Text(required=True)

    def action_resolve(self):
        self.ensure_one()
        self.dispute_id.action_resolve(self.answer)
        return {"type": "ir.actions.act_window_close"}
