# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
import bisect
import contextlib
import functools
from collections import defaultdict

from psycopg2 import errors as pgerrors

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.models import LOG_ACCESS_COLUMNS
from odoo.tools import SQL, float_repr, float_round, split_every
from odoo.tools.sql import index_exists

from ..report.salesperf_sale_fact import CHANNELS

#: One line of the source system is imported once per company (partial unique index).
EXTERNAL_REF_INDEX = "salesperf_external_sale_company_external_ref_uniq"
#: Lines per INSERT statement of ``_create_imported``.
IMPORT_INSERT_BATCH = 1000


class SalesperfExternalSale(models.Model):
    """A sold line from outside Odoo: another shop, a marketplace, a sheet.

    Filled by the import wizard (``salesperf.external.sale.import``), which
    checks a whole CSV / XLSX file and imports all of it or nothing, or by
    Odoo's standard importer for small files. A line with an external
    reference is imported once per company: importing it again updates it.
    Amounts are in the row's currency and are converted to the company
    currency at the rate of the row's date.
    """

    _name = "salesperf.external.sale"
    _description = "Imported Sale Line"
    _order = "date desc, id desc"

    name = fields.Char(string="Order Reference", required=True, index=True)
    external_ref = fields.Char(
        string="External Reference",
        copy=False,
        help="Id of the line in the source system: importing a line with the same "
        "reference again updates it instead of adding it twice. Unique per company.",
    )
    date = fields.Date(string="Order Date", required=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    channel = fields.Selection(CHANNELS, required=True, default="other")
    origin = fields.Char(string="Source", help="Shop, marketplace or file the line comes from.")
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        required=True,
        index=True,
        domain="[('share', '=', False)]",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    partner_id = fields.Many2one("res.partner", string="Customer", index=True)
    product_id = fields.Many2one("product.product", required=True)
    quantity = fields.Float(required=True, digits="Product Unit of Measure")
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self._default_currency_id()
    )
    price_subtotal = fields.Monetary(string="Untaxed Amount", required=True)
    cost = fields.Monetary(help="Cost of the goods sold, in the line's currency.")
    is_refund = fields.Boolean(
        string="Refund", help="Refund rows count negative, whatever the sign of their figures."
    )
    currency_rate = fields.Float(
        compute="_compute_currency_rate",
        store=True,
        digits=0,
        precompute=True,
        help="Units of the line's currency for one unit of company currency, on the line's date.",
    )

    def _default_currency_id(self):
        return self.env.company.currency_id

    def init(self):
        # create_unique_index() takes no WHERE: lines without reference may repeat
        if not index_exists(self.env.cr, EXTERNAL_REF_INDEX):
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX %s ON %s (company_id, external_ref) "
                    "WHERE external_ref IS NOT NULL",
                    SQL.identifier(EXTERNAL_REF_INDEX),
                    SQL.identifier(self._table),
                )
            )
        return super().init()

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("user_id", "company_id")
    def _compute_team_id(self):
        for line in self:
            if not line.team_id and line.user_id:
                line.team_id = line.user_id.sale_team_id

    @api.depends("currency_id", "company_id", "date")
    def _compute_currency_rate(self):
        keys = {
            line: (line.company_id, line.currency_id, line.date)
            for line in self
            if line.currency_id and line.company_id and line.date
        }
        rates = self._currency_rates(keys.values())
        for line in self:
            line.currency_rate = rates[keys[line]] if line in keys else 1.0

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("quantity", "is_refund")
    def _check_quantity(self):
        for line in self:
            if line.quantity < 0 and not line.is_refund:
                raise ValidationError(
                    _(
                        "Line %(reference)s has a negative quantity (%(quantity)s) but is not "
                        "a refund: tick Refund or enter a positive quantity.",
                        reference=line.name,
                        quantity=line.quantity,
                    )
                )

    @api.constrains("company_id", "user_id", "team_id")
    def _check_company(self):
        # once per (company, salesperson, team): an import checks thousands of lines
        lines_by_key = {}
        for line in self:
            lines_by_key.setdefault((line.company_id, line.user_id, line.team_id), line)
        for (company, user, team), line in lines_by_key.items():
            if user and company not in user.company_ids:
                raise ValidationError(
                    _(
                        "Salesperson %(user)s does not work for company %(company)s "
                        "(line %(reference)s).",
                        user=user.name,
                        company=company.name,
                        reference=line.name,
                    )
                )
            if team.company_id and team.company_id != company:
                raise ValidationError(
                    _(
                        "Sales team %(team)s belongs to another company (line %(reference)s).",
                        team=team.name,
                        reference=line.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        with self._translate_external_ref_violation():
            return super().create(vals_list)

    def write(self, vals):
        if "external_ref" not in vals and "company_id" not in vals:
            return super().write(vals)
        with self._translate_external_ref_violation():
            result = super().write(vals)
            self.flush_recordset(["company_id", "external_ref"])
        return result

    @contextlib.contextmanager
    def _translate_external_ref_violation(self):
        """Turn a violation of the unique external reference index into a clear error."""
        try:
            with self.env.cr.savepoint(flush=False):
                yield
        except pgerrors.UniqueViolation as error:
            if error.diag.constraint_name != EXTERNAL_REF_INDEX:
                raise
            raise ValidationError(
                _(
                    "Another imported line of the same company already has this external "
                    "reference (%(detail)s). A line of the source system is imported once: "
                    "import it again with Import Sales to update it.",
                    detail=error.diag.message_detail,
                )
            ) from error

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _create_imported(self, vals_list):
        """Create the lines of ``vals_list`` (each giving every stored field) with
        one INSERT per 1,000 lines; return them.

        For large imports: it stores what ``create()`` would store, converted and
        rounded the same way (floats to their digits, amounts to their currency),
        with the same log fields (creating user, transaction time), then runs the
        same access checks, dependency notification and Python constraints. It does
        not build each line in cache first, which is most of the time of a large
        ``create()``. An override of ``create()`` is not called: values that are
        not exactly the stored fields make it fall back to ``create()``.
        """
        fnames = sorted(
            fname
            for fname, field in self._fields.items()
            if field.store and field.column_type and fname not in ("id", *LOG_ACCESS_COLUMNS)
        )
        if not vals_list or any(sorted(vals) != fnames for vals in vals_list):
            return self.create(vals_list)
        self.check_access("create")
        convert = self._column_converters(fnames)
        log_values = [self.env.uid, self.env.cr.now(), self.env.uid, self.env.cr.now()]
        rows = [
            tuple(convert[fname](vals[fname], vals) for fname in fnames) + tuple(log_values)
            for vals in vals_list
        ]
        ids = []
        with self._translate_external_ref_violation():
            for batch in split_every(IMPORT_INSERT_BATCH, rows):
                ids += self.env.execute_query(
                    SQL(
                        "INSERT INTO %s (%s) VALUES %s RETURNING id",
                        SQL.identifier(self._table),
                        SQL(", ").join(map(SQL.identifier, [*fnames, *LOG_ACCESS_COLUMNS])),
                        SQL(", ").join(batch),
                    )
                )
        lines = self.browse(id_ for (id_,) in ids)
        # the computed fields are given: protect them like create() does
        computed = [self._fields[fname] for fname in fnames if self._fields[fname].compute]
        with self.env.protecting(computed, lines):
            lines.modified(fnames, create=True)
        lines._validate_fields(fnames)
        lines.check_access("create")
        return lines

    @api.model
    def _column_converters(self, fnames):
        """``{field: function(value, vals)}`` giving the column value ``create()``
        would insert, with the precision of float fields looked up once."""
        converters = {}
        currencies = {}

        def convert_monetary(field, value, vals):
            currency_id = vals[field.get_currency_field(self)]
            if currency_id not in currencies:
                currencies[currency_id] = self.env["res.currency"].browse(currency_id)
            currency = currencies[currency_id]
            if not currency:
                return float(value or 0.0)
            return float_repr(currency.round(float(value or 0.0)), currency.decimal_places)

        def convert_float(scale, value, _vals):
            return float_repr(float_round(float(value or 0.0), precision_digits=scale), scale)

        def convert_other(field, value, vals):
            return field.convert_to_column_insert(value, self, vals)

        for fname in fnames:
            field = self._fields[fname]
            digits = field.type == "float" and field.get_digits(self.env)
            if field.type == "monetary":
                converters[fname] = functools.partial(convert_monetary, field)
            elif digits:
                converters[fname] = functools.partial(convert_float, digits[1])
            else:
                converters[fname] = functools.partial(convert_other, field)
        return converters

    @api.model
    def _currency_rates(self, keys):
        """Conversion rate of each ``(company, currency, date)`` of ``keys``: units of
        the currency for one unit of company currency, as ``_get_conversion_rate``
        gives it.

        The rate of a day is that of the last rates on or before it
        (``res.currency._get_rates``): all the days between two dates that have a
        rate share it. So ``_get_conversion_rate`` is asked once per company,
        currency and such period met in ``keys``, not once per day: a year of
        lines with monthly rates costs about 13 rate queries, not 365.
        """
        keys = set(keys)
        if not keys:
            return {}
        currencies = self.env["res.currency"].browse(
            {currency.id for _company, currency, _day in keys}
            | {company.currency_id.id for company, _currency, _day in keys}
        )
        roots = {company.root_id for company, _currency, _day in keys}
        rate_days = defaultdict(set)  # company root -> days that have a rate it uses
        for rate_company, day in self.env["res.currency.rate"]._read_group(
            [
                ("currency_id", "in", currencies.ids),
                ("company_id", "in", [False, *(root.id for root in roots)]),
            ],
            ["company_id", "name:day"],
        ):
            for root in [rate_company] if rate_company else roots:
                rate_days[root].add(day)
        rate_days = {root: sorted(days) for root, days in rate_days.items()}
        convert = self.env["res.currency"]._get_conversion_rate
        rate_of_period = {}
        rates = {}
        for company, currency, day in keys:
            days = rate_days.get(company.root_id, [])
            # the last day with a rate on or before ``day``; None: before the first
            period = days[bisect.bisect_right(days, day) - 1] if days and days[0] <= day else None
            period_key = (company, currency, period)
            if period_key not in rate_of_period:
                rate_of_period[period_key] = convert(company.currency_id, currency, company, day)
            rates[company, currency, day] = rate_of_period[period_key]
        return rates
