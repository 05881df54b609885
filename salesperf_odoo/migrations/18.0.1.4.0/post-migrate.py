# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""The weekly performance email gains the customers at risk and the most
valuable customers without an open opportunity. Its mail template is loaded
from a ``noupdate`` data file, which an upgrade leaves as it was: reload that
one record from the file here, once (changes an administrator made to the
email's text are replaced by the new version)."""

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.tools import convert, file_path

DATA_FILE = "salesperf_odoo/data/salesperf_weekly_digest_data.xml"
TEMPLATE = "mail_template_salesperf_weekly_digest"


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    path = file_path(DATA_FILE)
    record = etree.parse(path).find(f".//record[@id='{TEMPLATE}']")
    importer = convert.xml_import(
        env, "salesperf_odoo", {}, mode="init", noupdate=True, xml_filename=path
    )
    importer._tag_record(record)
