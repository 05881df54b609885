# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from ast import literal_eval

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression

TARGET_MODELS = {"customer": "res.partner", "opportunity": "crm.lead"}
NUMERIC_TYPES = ("integer", "float", "monetary")


class SalesperfCompletenessRule(models.Model):
    """A field check behind the data-completeness KPI.

    A record satisfies a rule when at least one of the rule's fields is
    filled (so "email or phone" is one rule with two fields); it is complete
    when it satisfies every active rule of its kind.
    """

    _name = "salesperf.completeness.rule"
    _description = "Data Completeness Rule"
    _order = "applies_to, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    applies_to = fields.Selection(
        [("customer", "Customers"), ("opportunity", "Open Opportunities")], required=True
    )
    model_name = fields.Char(compute="_compute_model_name")
    field_ids = fields.Many2many(
        "ir.model.fields",
        string="Any of These Fields",
        required=True,
        domain="[('model', '=', model_name), ('store', '=', True), "
        "('ttype', 'not in', ('one2many', 'many2many', 'binary'))]",
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", help="Leave empty to apply the rule in every company."
    )
    # Kept on the rule so that measuring completeness needs no access to
    # field metadata (ir.model.fields), which salespeople do not have.
    filled_domain = fields.Char(compute="_compute_filled_domain", store=True)

    @api.depends("applies_to")
    def _compute_model_name(self):
        for rule in self:
            rule.model_name = TARGET_MODELS.get(rule.applies_to)

    @api.depends("field_ids.name", "field_ids.ttype")
    def _compute_filled_domain(self):
        for rule in self:
            rule.filled_domain = repr(
                expression.OR([self._filled_leaf(field) for field in rule.field_ids])
            )

    @api.constrains("applies_to", "field_ids")
    def _check_field_ids(self):
        for rule in self:
            wrong = rule.field_ids.filtered(lambda f, r=rule: f.model != r.model_name)
            if wrong:
                raise ValidationError(
                    _(
                        "Rule %(rule)s checks fields of another model: %(fields)s.",
                        rule=rule.name,
                        fields=", ".join(wrong.mapped("name")),
                    )
                )

    @api.model
    def _complete_domain(self, applies_to, companies):
        """Domain of the records that satisfy every active rule of a kind."""
        rules = self.search(
            [("applies_to", "=", applies_to), ("company_id", "in", [False, *companies.ids])]
        )
        return expression.AND([literal_eval(rule.filled_domain) for rule in rules])

    @api.model
    def _filled_leaf(self, field):
        """Domain leaf of "field is filled": non-zero for numbers, set otherwise."""
        if field.ttype in NUMERIC_TYPES:
            return [(field.name, "not in", [0, False])]
        if field.ttype == "boolean":
            return [(field.name, "=", True)]
        return [(field.name, "!=", False)]
