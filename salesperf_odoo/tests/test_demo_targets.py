# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from freezegun import freeze_time

from odoo.tests import tagged

from .test_target import SalesperfTargetCommon


@tagged("post_install", "-at_install")
class TestDemoTargets(SalesperfTargetCommon):
    """The demo's targets: a company year target split to teams, salespeople
    and months, each split summing exactly to its parent."""

    @freeze_time("2025-03-14 12:00:00")
    def test_year_target_split_to_every_level(self):
        demo = self.env["salesperf.demo"].with_company(self.company)
        people = self.sonia | self.sam | self.tom
        demo._demo_create_targets(
            [(person, None) for person in people], self.team_north | self.team_south
        )
        targets = self.Target.search([("company_id", "=", self.company.id)])
        revenue = targets.filtered(lambda t: t.metric == "revenue")

        def find(owner, kind, month=None):
            field, scope = (
                ("user_id", "user") if owner._name == "res.users" else ("team_id", "team")
            )
            return revenue.filtered(
                lambda t: (
                    t[field] == owner
                    and t.scope == scope
                    and t.period_kind == kind
                    and (month is None or t.date_from.month == month)
                )
            )

        (year,) = revenue.filtered(lambda t: t.scope == "company" and t.period_kind == "year")
        # 2024: Sonia (North) sold 300 in March and 100 in November = 400;
        # 400 × 1.12 = 448, at least 1,000
        self.assertEqual((year.amount, year.state), (1000.0, "confirmed"))
        # every parent's children of one kind sum exactly to it
        for parent in revenue.filtered("child_ids"):
            by_time = parent.child_ids.filtered(lambda c: c.period_kind == "month")
            by_owner = parent.child_ids - by_time
            for children in (by_time, by_owner):
                if children:
                    self.assertEqual(round(sum(children.mapped("amount")), 2), parent.amount)
        # months: the 10 months without 2024 sales get 1/12 each; March and
        # November share the other 2/12 as 300 : 100. Company: 1,000 / 12 =
        # 83.333 (8,333.33 cents), March 1,000 × 2/12 × 3/4 = 125, November
        # 1,000 × 2/12 × 1/4 = 41.667: 4 cents left, to November (.67) then
        # January, February, April (.33, first listed first)
        company_months = revenue.filtered(
            lambda t: t.scope == "company" and t.period_kind == "month"
        ).sorted("date_from")
        self.assertEqual(
            company_months.mapped("amount"),
            [83.34, 83.34, 125.0, 83.34] + [83.33] * 6 + [41.67, 83.33],
        )
        # teams: North sold 400, South nothing: South gets 1/2, North the other
        # half; in North, Sam (no 2024 sales) 1/2, Sonia the rest
        self.assertEqual(find(self.team_north, "year").amount, 500.0)
        self.assertEqual(find(self.team_south, "year").amount, 500.0)
        self.assertEqual(find(self.sonia, "year").amount, 250.0)
        self.assertEqual(find(self.sam, "year").amount, 250.0)
        self.assertEqual(find(self.tom, "year").amount, 500.0)
        # a person's months follow the team's season: Sonia's 250 → 20.833
        # (2,083.33 cents) × 10, March 31.25, November 10.417; 4 cents left:
        # November, January, February, April
        self.assertEqual(
            find(self.sonia, "month").sorted("date_from").mapped("amount"),
            [20.84, 20.84, 31.25, 20.84] + [20.83] * 6 + [10.42, 20.83],
        )
        # North's March: 500 × 2/12 × 3/4 = 62.50, which Odoo's invoicing
        # target of the month follows
        self.assertEqual(find(self.team_north, "month", 3).amount, 62.5)
        self.assertEqual(self.team_north.invoiced_target, 62.5)
        # other goals: orders this month (last March's 1 × 1.1, at least 2),
        # won value this quarter (at least 1,000), company margin in draft
        # (2024 margin 160 × 1.1 rounds to 0: the 100,000 fallback)
        self.assertEqual(
            sorted(targets.filtered(lambda t: t.metric == "orders").mapped("amount")), [2.0] * 3
        )
        self.assertEqual(
            targets.filtered(lambda t: t.metric == "won_value").mapped("amount"), [1000.0] * 3
        )
        margin = targets.filtered(lambda t: t.metric == "margin")
        self.assertEqual((margin.amount, margin.state), (100_000.0, "draft"))
