from . import salesperf_activity_fact
from . import salesperf_invoice_fact
from . import salesperf_performance
from . import salesperf_period_report
from . import salesperf_period_report_scorecard
from . import salesperf_pipeline_forecast
from . import salesperf_sale_fact
