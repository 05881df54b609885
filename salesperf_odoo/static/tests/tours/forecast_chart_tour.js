/** @odoo-module **/

import { registry } from "@web/core/registry";

/*
 * The forecast chart, with the data of
 * salesperf_odoo/tests/test_forecast_run.py (TestForecastChartTour): a
 * director opens the company's forecast, looks at a team's, and queues a
 * new run; a salesperson sees her own forecast only.
 */
registry.category("web_tour.tours").add("salesperf_forecast_chart_tour", {
    steps: () => [
        {
            content: "The company's forecast opens first, with its chart",
            trigger: ".o_salesperf_forecast_title:contains('Salesperf Forecast Tour Co')",
        },
        {
            content: "The chart is drawn",
            trigger: ".o_salesperf_forecast_canvas canvas",
        },
        {
            content: "The method and its backtest error are shown",
            trigger: ".o_salesperf_forecast_method strong:not(:empty)",
        },
        {
            content: "Look at the team's forecast",
            trigger: "select.o_salesperf_forecast_choice",
            run: "selectByLabel North Tour",
        },
        {
            content: "The team's forecast",
            trigger: ".o_salesperf_forecast_title:contains('North Tour')",
        },
        {
            content: "Queue a new run",
            trigger: "button.o_salesperf_forecast_run",
            run: "click",
        },
        {
            content: "It is computed in the background",
            trigger: ".o_salesperf_forecast_pending",
        },
        {
            content: "Still on the team",
            trigger: ".o_salesperf_forecast_title:contains('North Tour')",
        },
    ],
});

registry.category("web_tour.tours").add("salesperf_forecast_chart_salesperson_tour", {
    steps: () => [
        {
            content: "Her own forecast",
            trigger: ".o_salesperf_forecast_title:contains('Sonia Tour')",
        },
        {
            content: "The chart is drawn",
            trigger: ".o_salesperf_forecast_canvas canvas",
        },
        {
            content: "Nobody else to choose, no run to queue",
            trigger:
                ".o_salesperf_forecast:not(:has(select.o_salesperf_forecast_choice)):not(:has(button.o_salesperf_forecast_run))",
        },
    ],
});
