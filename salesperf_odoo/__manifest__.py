# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
{
    "name": "Sales Performance",
    "version": "18.0.1.4.0",
    "category": "Sales/Sales",
    "summary": "Targets, KPIs, forecasts, commissions, reports and scorecards per salesperson, "
    "team and company",
    "author": "salesperf_odoo contributors",
    "website": "https://github.com/salesperf-odoo/salesperf_odoo",
    "license": "LGPL-3",
    "depends": [
        "sale_management",
        "crm",
        "sale_margin",
        "sale_crm",
        # the weekly digest KPIs and the live Sales Performance dashboard
        "digest",
        "spreadsheet_dashboard",
    ],
    "external_dependencies": {
        "python": ["numpy", "pandas", "statsmodels", "xlsxwriter"],
    },
    "data": [
        # security first: groups are referenced by the access rules and menus
        "security/salesperf_groups.xml",
        "security/ir.model.access.csv",
        "security/ir_rules.xml",
        "data/salesperf_completeness_rule_data.xml",
        "data/salesperf_cron_data.xml",
        "data/salesperf_forecast_submission_data.xml",
        "data/salesperf_forecast_data.xml",
        "data/salesperf_forecast_review_data.xml",
        "data/salesperf_report_schedule_data.xml",
        "data/salesperf_scorecard_data.xml",
        "data/salesperf_digest_data.xml",
        "data/salesperf_weekly_digest_data.xml",
        "data/salesperf_customer_score_data.xml",
        "report/salesperf_sale_fact_views.xml",
        "report/salesperf_invoice_fact_views.xml",
        "report/salesperf_activity_fact_views.xml",
        "report/salesperf_performance_views.xml",
        "report/salesperf_pipeline_forecast_views.xml",
        "views/salesperf_stage_rate_views.xml",
        # the import action is referenced by the imported sales list
        "wizard/salesperf_external_sale_import_views.xml",
        "views/salesperf_external_sale_views.xml",
        "views/salesperf_completeness_rule_views.xml",
        "views/res_config_settings_views.xml",
        "wizard/salesperf_kpi_review_views.xml",
        "wizard/salesperf_ranking_views.xml",
        # the split action is referenced by the target form
        "wizard/salesperf_target_wizard_views.xml",
        "views/salesperf_target_views.xml",
        "views/crm_lead_views.xml",
        "views/crm_team_views.xml",
        "views/sale_order_views.xml",
        "views/crm_lead_commission_views.xml",
        "views/crm_lead_forecast_views.xml",
        # the Customer 360 templates are rendered by the partner's computed field
        "views/salesperf_customer_360_templates.xml",
        "views/res_partner_views.xml",
        "views/crm_lead_customer_views.xml",
        "views/sale_order_commission_views.xml",
        # the what-if action is referenced by the plan form
        "wizard/salesperf_commission_whatif_views.xml",
        "views/salesperf_commission_plan_views.xml",
        "views/salesperf_commission_statement_views.xml",
        "wizard/salesperf_commission_export_views.xml",
        "views/res_users_views.xml",
        "views/res_users_digest_views.xml",
        "views/digest_views.xml",
        "report/salesperf_commission_statement_report.xml",
        "views/salesperf_forecast_views.xml",
        "wizard/salesperf_forecast_submit_views.xml",
        "wizard/salesperf_forecast_adjust_views.xml",
        "wizard/salesperf_forecast_rollup_views.xml",
        "views/salesperf_forecast_submission_views.xml",
        "views/salesperf_forecast_accuracy_views.xml",
        "views/salesperf_forecast_anomaly_views.xml",
        "report/salesperf_period_report_templates.xml",
        "wizard/salesperf_period_report_wizard_views.xml",
        "views/salesperf_report_schedule_views.xml",
        "views/salesperf_scorecard_views.xml",
        "views/salesperf_customer_segment_views.xml",
        "views/salesperf_customer_score_views.xml",
        # menus last: they point to the actions above
        "views/salesperf_menus.xml",
        # the dashboard links to the menus above
        "data/salesperf_dashboard_data.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "salesperf_odoo/static/src/pipeline_goals/**/*",
            "salesperf_odoo/static/src/forecast/**/*",
            "salesperf_odoo/static/src/customer_360/**/*",
        ],
        # the pivot and graph views they extend are loaded lazily
        "web.assets_backend_lazy": [
            "salesperf_odoo/static/src/performance/**/*",
        ],
        "web.assets_tests": [
            "salesperf_odoo/static/tests/tours/**/*",
        ],
    },
    "demo": [
        "demo/salesperf_demo.xml",
        # after the demo leads: gives them a stage history, then computes the rates
        "demo/salesperf_forecast_demo.xml",
        # after the demo orders and targets: scores the last two closed months
        "demo/salesperf_scorecard_demo.xml",
        # after every demo order: scores the demo customers
        "demo/salesperf_customer_demo.xml",
    ],
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": True,
}
