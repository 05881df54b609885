# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Open an Odoo 18 database as a library, shared by the bench scripts.

The addons path comes from ``--addons-path`` or, when that is not given, from the
``ODOO_ADDONS_PATH`` environment variable; an Odoo configuration file can be given
with ``--config``.  Odoo itself must be importable (``pip install -e /path/to/odoo``
or ``PYTHONPATH=/path/to/odoo``).
"""

import argparse
import contextlib
import os

import odoo
from odoo.modules.registry import Registry


def add_odoo_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options needed to reach an Odoo database."""
    group = parser.add_argument_group("Odoo")
    group.add_argument("-d", "--database", required=True, help="existing Odoo database")
    group.add_argument(
        "--addons-path",
        default=os.environ.get("ODOO_ADDONS_PATH"),
        help="comma-separated addons path (default: $ODOO_ADDONS_PATH)",
    )
    group.add_argument("-c", "--config", help="optional Odoo configuration file")
    group.add_argument("--db-host", help="PostgreSQL host (default: Odoo's)")
    group.add_argument("--db-port", help="PostgreSQL port (default: Odoo's)")
    group.add_argument("--db-user", help="PostgreSQL user (default: Odoo's)")
    group.add_argument("--db-password", help="PostgreSQL password (default: Odoo's)")
    group.add_argument("--log-level", default="warn", help="Odoo log level (default: %(default)s)")


def _odoo_argv(args: argparse.Namespace) -> list[str]:
    argv = ["-d", args.database, f"--log-level={args.log_level}"]
    if args.config:
        argv += ["-c", args.config]
    if args.addons_path:
        argv.append(f"--addons-path={args.addons_path}")
    for option in ("db_host", "db_port", "db_user", "db_password"):
        value = getattr(args, option)
        if value:
            argv.append(f"--{option.replace('_', '-')}={value}")
    return argv


@contextlib.contextmanager
def odoo_environment(args: argparse.Namespace):
    """Yield a superuser ``odoo.api.Environment`` on ``args.database``.

    The cursor is NOT committed automatically: callers commit explicitly, and
    anything left uncommitted is rolled back when the block exits.
    """
    odoo.tools.config.parse_config(_odoo_argv(args), setup_logging=True)
    registry = Registry(args.database)
    cr = registry.cursor()
    try:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    finally:
        cr.rollback()
        cr.close()
