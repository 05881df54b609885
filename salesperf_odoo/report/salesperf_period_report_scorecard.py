# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from odoo import api, models


class SalesperfPeriodReport(models.AbstractModel):
    """The period report's scorecards section.

    Lives apart from the scorecard models because the report model it
    extends is loaded after them (``report/`` comes after ``models/``)."""

    _inherit = "salesperf.period.report"

    @api.model
    def _report_scorecards(self, ctx):
        """The scorecards of the period the reader may read (their own, their
        team members', or all: the scorecards' record rules), for the scope's
        people; one per person, the locked one first; ``None`` without any.
        Labels in the reader's language, scores unrounded."""
        period = ctx["period"]
        domain = [
            ("company_id", "=", ctx["company"].id),
            ("period_kind", "=", period.kind),
            ("date_start", "=", period.start),
        ]
        if ctx["scope"] == "team":
            domain.append(("team_id", "=", ctx["team"].id))
        elif ctx["scope"] == "user":
            domain.append(("user_id", "=", ctx["user"].id))
        cards = self.env["salesperf.scorecard"].search(domain, order="state desc, score desc, id")
        if not cards:
            return None
        states = dict(cards._fields["state"]._description_selection(self.env))
        rows, seen = [], set()
        for card in cards:
            if card.user_id in seen:
                continue
            seen.add(card.user_id)
            rows.append(
                {
                    "name": card.user_id.name,
                    "user_id": card.user_id.id,
                    "score": card.score,
                    "band": card.band_id.name or "",
                    "state_label": states[card.state],
                    "comment": card.manager_comment or "",
                    "suggestions": card.suggestion_ids.mapped("text"),
                }
            )
        rows.sort(key=lambda row: (-row["score"], row["name"]))
        return rows
