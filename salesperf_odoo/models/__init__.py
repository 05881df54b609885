from . import crm_team
from . import res_company
from . import res_config_settings
from . import salesperf_completeness_rule
from . import salesperf_demo
from . import salesperf_external_sale
from . import salesperf_kpi
from . import salesperf_target
