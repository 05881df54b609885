from . import test_external_sale_import
from . import test_kpi
from . import test_kpi_review
from . import test_pipeline_panel_tour
from . import test_pos_fact
from . import test_sale_fact
from . import test_target
from . import test_security
