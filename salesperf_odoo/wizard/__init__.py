from . import salesperf_external_sale_import
from . import salesperf_kpi_review
from . import salesperf_ranking
from . import salesperf_target_revision
from . import salesperf_target_split
from . import salesperf_commission_compute
from . import salesperf_commission_whatif
from . import salesperf_commission_export
