# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Make the computing core importable without Odoo.

The core lives inside the addon (``salesperf_odoo/engine``) but never imports
``odoo``; these tests load it as the top-level package ``engine``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "salesperf_odoo"))
