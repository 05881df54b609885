from . import salesperf_kpi_review
