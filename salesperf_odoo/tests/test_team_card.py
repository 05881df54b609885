# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from freezegun import freeze_time
from lxml import etree

from odoo.tests import tagged

from .test_target import SalesperfTargetCommon


@tagged("post_install", "-at_install")
class TestTeamCard(SalesperfTargetCommon):
    """One goal, one number per measure: the team's card and form show the
    month's revenue target once, measured on confirmed sales, next to Odoo's
    own invoicing bar (paid invoices) for the same amount."""

    @freeze_time("2025-03-14 12:00:00")
    def test_card_shows_target_actual_and_attainment_once(self):
        north = self.team_north
        self._target(scope="team", team_id=north.id, user_id=False, amount=1800)
        # confirmed sales of North in March: Sonia 500 + Sam 400 = 900 of 1800
        self.assertEqual(north.salesperf_target_amount, 1800)
        self.assertEqual(north.invoiced_target, 1800)
        self.assertAlmostEqual(north.salesperf_actual, 900.0)
        self.assertAlmostEqual(north.salesperf_attainment, 50.0)
        # South has no target: nothing to show
        self.assertFalse(self.team_south.salesperf_target_id)
        self.assertEqual(self.team_south.salesperf_actual, 0.0)

        # the card: one "Confirmed Sales" bar against the same maximum as
        # sale's "Invoicing" bar, no second percentage line
        arch = etree.fromstring(
            self.env["crm.team"].get_views([(False, "kanban")])["views"]["kanban"]["arch"]
        )
        bars = arch.xpath("//field[@widget='progressbar' or @widget='sales_team_progressbar']")
        self.assertEqual(
            [(bar.get("name"), bar.get("title")) for bar in bars],
            [("salesperf_actual", "Confirmed Sales"), ("invoiced", "Invoicing")],
        )
        self.assertIn("'max_value': 'salesperf_target_amount'", bars[0].get("options"))
        self.assertFalse(arch.xpath("//field[@name='salesperf_attainment']"))

    @freeze_time("2025-03-14 12:00:00")
    def test_member_without_all_documents_sees_no_team_figure(self):
        north = self.team_north
        self._target(scope="team", team_id=north.id, user_id=False, amount=1800)
        # Sonia reads only her own targets: the team's is not hers to see
        sonia_view = north.with_user(self.sonia)
        self.assertFalse(sonia_view.salesperf_target_id)
        self.assertEqual(sonia_view.salesperf_actual, 0.0)
        # Sam leads North: the whole team's 900, though he reads only his orders
        self.assertAlmostEqual(north.with_user(self.sam).salesperf_actual, 900.0)
