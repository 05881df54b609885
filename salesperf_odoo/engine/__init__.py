# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Computing core of Sales Performance.

Plain Python over plain data: it never imports ``odoo``, so it is tested,
benchmarked and reused without a server. The ORM layer reads Odoo records
with grouped queries, hands the sums to this package and shows its results.
"""
