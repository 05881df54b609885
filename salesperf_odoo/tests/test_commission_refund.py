# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date

from odoo import Command
from odoo.tests import tagged

from .common import SalesperfAccountingCommon


@tagged("post_install", "-at_install")
class TestCommissionRefund(SalesperfAccountingCommon):
    """A credit note made from an invoice after the invoice's statement was
    approved: on the invoiced basis it is a negative line of the statement
    of its own month, pointing to the statement it claws back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        plan = cls.env["salesperf.commission.plan"].create(
            {
                "name": "Invoiced 10",
                "company_id": cls.company.id,
                "basis": "invoiced",
                "rate": 10,
                "assignment_ids": [
                    Command.create({"user_id": cls.sonia.id, "date_from": date(2025, 1, 1)})
                ],
            }
        )
        plan.action_activate()
        cls.Statement = cls.env["salesperf.commission.statement"]

    def test_credit_note_claws_back_the_approved_statement(self):
        order = self._create_order(
            self.sonia, self.customer_a, date(2025, 2, 10), [(self.product_x, 3, 100.0, 40.0)]
        )
        invoice = order._create_invoices()
        invoice.invoice_date = date(2025, 2, 20)
        invoice.action_post()
        self.Statement._compute_period(self.company, date(2025, 2, 1))
        february = self.Statement.search(
            [("user_id", "=", self.sonia.id), ("date_from", "=", date(2025, 2, 1))]
        )
        # 3 × 100 = 300 invoiced in February × 10 % = 30.00
        self.assertAlmostEqual(february.total_amount, 30.0, places=2)
        february.action_confirm()
        february.action_approve_manager()
        february.action_approve()

        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "date": date(2025, 3, 5),
                    "journal_id": invoice.journal_id.id,
                    "reason": "Returned",
                }
            )
        )
        reversal.refund_moves()
        refund = invoice.reversal_move_ids
        refund.action_post()
        self.assertEqual(refund.invoice_date, date(2025, 3, 5))

        self.Statement._compute_period(self.company, date(2025, 3, 1))
        march = self.Statement.search(
            [("user_id", "=", self.sonia.id), ("date_from", "=", date(2025, 3, 1))]
        )
        # the whole invoice credited in March: −300 × 10 % = −30.00
        self.assertRecordValues(
            march.line_ids,
            [
                {
                    "kind": "commission",
                    "document": refund.name,
                    "origin": invoice.name,
                    "base": -300.0,
                    "amount": -30.0,
                    "reversed_statement_id": february.id,
                }
            ],
        )
        self.assertIn(february.name, march.line_ids.note)
        self.assertAlmostEqual(march.total_amount, -30.0, places=2)
        # the approved statement is unchanged, and computing February again
        # leaves it alone and posts no adjustment: its invoice still stands
        self.Statement._compute_period(self.company, date(2025, 2, 1))
        self.Statement._compute_period(self.company, date(2025, 3, 1))
        self.assertEqual(february.state, "approved")
        self.assertAlmostEqual(february.total_amount, 30.0, places=2)
        self.assertEqual(len(march.line_ids), 1)
