# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .test_target import SalesperfTargetCommon


@tagged("post_install", "-at_install")
class TestRankingWizard(SalesperfTargetCommon):
    """The ranking's title, units and rows that open what they count."""

    def _ranking(self, user, **values):
        ranking = (
            self.env["salesperf.ranking"]
            .with_user(user)
            .create({"reference_date": date(2025, 3, 10), "company_id": self.company.id, **values})
        )
        ranking.action_compute()
        return {line.user_id: line for line in ranking.line_ids}, ranking

    def test_title_names_metric_team_and_period(self):
        _lines, ranking = self._ranking(self.lena)
        self.assertEqual(ranking.display_name, "Ranking · Revenue · March 2025")
        _lines, ranking = self._ranking(
            self.lena, metric="orders", team_id=self.team_north.id, period_kind="quarter"
        )
        self.assertEqual(ranking.display_name, "Ranking · Orders · North · Q1 2025")
        action = self.env["salesperf.ranking"].with_user(self.lena).action_open()
        opened = self.env["salesperf.ranking"].browse(action["res_id"])
        self.assertEqual(action["name"], opened.display_name)
        self.assertNotIn("salesperf.ranking", action["name"])

    def test_units_of_the_lines(self):
        self._target()  # Sonia: 500 of 1000
        lines, ranking = self._ranking(self.lena)
        self.assertTrue(ranking.is_monetary)
        self.assertEqual(lines[self.sonia].currency_id, self.currency_xsa)
        # the percentage widget shows a ratio: 500 / 1000 = 0.5, read "50%"
        self.assertAlmostEqual(lines[self.sonia].attainment_rate, 0.5)
        _lines, ranking = self._ranking(self.lena, metric="orders")
        self.assertFalse(ranking.is_monetary)

    def test_own_row_opens_own_records_only(self):
        lines, _ranking = self._ranking(self.sonia, rank_by="amount")
        # Sonia may read her own sales, not Sam's: only her row opens
        self.assertTrue(lines[self.sonia].can_open_details)
        self.assertFalse(lines[self.sam].can_open_details)
        action = lines[self.sonia].action_open_details()
        self.assertEqual(action["name"], "Revenue · Sonia · March 2025")
        facts = self.env["salesperf.sale.fact"].with_user(self.sonia).search(action["domain"])
        # her March revenue, as ranked: 400 + 100 = 500
        self.assertAlmostEqual(sum(facts.mapped("revenue")), lines[self.sonia].amount)
        self.assertAlmostEqual(lines[self.sonia].amount, 500.0)
        # whatever the client calls, Sam's row does not open for her
        with self.assertRaises(AccessError):
            lines[self.sam].action_open_details()

    def test_rows_open_for_who_sees_all_documents(self):
        lines, _ranking = self._ranking(self.lena, metric="won_count", rank_by="amount")
        self.assertTrue(all(line.can_open_details for line in lines.values()))
        action = lines[self.sonia].action_open_details()
        self.assertEqual(action["name"], "Won opportunities · Sonia · March 2025")
        leads = self.env["crm.lead"].with_user(self.lena).search(action["domain"])
        # won L3 and L4, the 2 Sonia is ranked on
        self.assertEqual(sorted(leads.mapped("name")), ["L3", "L4"])
        self.assertEqual(lines[self.sonia].amount, 2.0)

    def test_rankings_are_their_creators_only(self):
        self._target()  # Sonia: 500 of 1000
        lines, ranking = self._ranking(self.lena, rank_by="amount")
        # Lena sees every document: amounts read for her, Sam's 400 included
        self.assertAlmostEqual(lines[self.sam].amount, 400.0)
        for model, records, values in (
            ("salesperf.ranking", ranking, {"metric": "orders"}),
            ("salesperf.ranking.line", ranking.line_ids, {"amount": 1.0}),
        ):
            as_sonia = self.env[model].with_user(self.sonia)
            self.assertFalse(as_sonia.search_read([("id", "in", records.ids)], ["id"]))
            with self.assertRaises(AccessError):
                records.with_user(self.sonia).read(["id"])
            with self.assertRaises(AccessError):
                records.with_user(self.sonia).write(values)
        # Sonia's own ranking is hers to read
        _lines, own = self._ranking(self.sonia)
        self.assertEqual(own.with_user(self.sonia).line_ids, own.line_ids)

    def test_quarter_ranked_on_the_sum_of_its_monthly_targets(self):
        # Q1 2025 revenue: Sonia 200 (Feb) + 500 (Mar) = 700, Sam 400 (Mar),
        # Tom 100 (Jan) + 100 (Mar) = 200
        for month, amount in ((1, 1000.0), (2, 1200.0), (3, 800.0)):
            self._target(date_from=date(2025, month, 1), amount=amount)
        # Sam has no February target: January and March do not make a quarter
        for month in (1, 3):
            self._target(user_id=self.sam.id, date_from=date(2025, month, 1), amount=200.0)
        # Tom's own quarter target wins over his months (100 × 3 = 300 unused)
        self._target(
            user_id=self.tom.id, period_kind="quarter", date_from=date(2025, 1, 1), amount=400.0
        )
        for month in (1, 2, 3):
            self._target(user_id=self.tom.id, date_from=date(2025, month, 1), amount=100.0)
        lines, _ranking = self._ranking(self.lena, period_kind="quarter")
        sonia, sam, tom = lines[self.sonia], lines[self.sam], lines[self.tom]
        # Sonia: 1000 + 1200 + 800 = 3000; 700 / 3000 × 100 = 23.33 %, kept
        # to one decimal: 23.3
        self.assertAlmostEqual(sonia.target, 3000.0)
        self.assertAlmostEqual(sonia.attainment, 23.3)
        # Tom: 200 / 400 × 100 = 50 %, ahead of Sonia
        self.assertAlmostEqual(tom.target, 400.0)
        self.assertAlmostEqual(tom.attainment, 50.0)
        self.assertEqual((tom.rank, sonia.rank), (1, 2))
        self.assertTrue(tom.is_ranked and sonia.is_ranked)
        # Sam: no target (never the partial 200 + 200), so not ranked by attainment
        self.assertFalse(sam.has_target)
        self.assertFalse(sam.is_ranked)
        self.assertEqual(sam.target, 0.0)
        self.assertAlmostEqual(sam.amount, 400.0)
        # Q4 2024 had no targets: nobody was ranked, so both are new
        self.assertTrue(tom.is_new and sonia.is_new)
