/** @odoo-module **/

import { Component, onWillStart, onWillUnmount, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { getColor, hexToRGBA } from "@web/core/colors/colors";
import { deserializeDate, deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/core/utils/numbers";
import { nbsp } from "@web/core/utils/strings";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

function choiceKey(choice) {
    return choice ? `${choice.level}:${choice.id || 0}` : "";
}

/** "600k", "1.5k", "250": one decimal only where the axis' steps need it. */
function shortAmount(value) {
    const size = Math.abs(value);
    const unit = size >= 1000 ? 1000 ** Math.floor(Math.log10(size) / 3) : 1;
    const decimals = Math.round((size / unit) * 10) % 10 ? 1 : 0;
    return formatFloat(value, { humanReadable: true, decimals });
}

const MONTHLY_SERIES = ["actual", "forecast", "lo80", "hi80", "lo95", "hi95", "target"];

/**
 * The chart's data without the months before the first sale: the forecaster
 * ignores them too, and a flat line at zero before a series' first month
 * reads as months without sales. The current month is always kept.
 */
function trimLeadingMonths(data) {
    const current = data.months.indexOf(data.current_month);
    const last = current === -1 ? data.months.length - 1 : current;
    let first = 0;
    while (
        first < last &&
        !data.actual[first] &&
        MONTHLY_SERIES.every((key) => key === "actual" || data[key][first] === null)
    ) {
        first++;
    }
    if (!first) {
        return data;
    }
    const trimmed = { ...data, months: data.months.slice(first) };
    for (const key of MONTHLY_SERIES) {
        trimmed[key] = data[key].slice(first);
    }
    return trimmed;
}

/**
 * The statistical forecast of one salesperson, team, the company or a
 * product category, from `salesperf.forecast.run.get_forecast_chart`:
 * actuals, the latest run's forecast with its 80 % and 95 % bands, and the
 * monthly revenue target where one exists, on one chart.
 *
 * - Whom the user may look at comes from the server; the selector only
 *   offers what it returned, and the server refuses anything else.
 * - Administrators queue a new run with "Run Forecasts": it is computed in
 *   the background, never in their request.
 */
export class ForecastChart extends Component {
    static template = "salesperf_odoo.ForecastChart";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.canvasRef = useRef("canvas");
        this.keepLast = new KeepLast();
        this.chart = null;
        this.state = useState({ data: null, running: false });
        const initial = this.props.state?.choice;
        onWillStart(async () => {
            await Promise.all([loadBundle("web.chartjs_lib"), this.load(initial)]);
        });
        useEffect(
            () => this.renderChart(),
            () => [this.state.data]
        );
        onWillUnmount(() => this.chart?.destroy());
    }

    // ------------------------------------------------------------------
    // Data
    // ------------------------------------------------------------------

    async load(choice) {
        const data = await this.keepLast.add(
            this.orm.call("salesperf.forecast.run", "get_forecast_chart", [], {
                level: choice?.level || false,
                res_id: choice?.id || false,
            })
        );
        this.state.data = trimLeadingMonths(data);
    }

    get data() {
        return this.state.data;
    }

    get currentKey() {
        return choiceKey(this.data?.choice);
    }

    choiceKey(choice) {
        return choiceKey(choice);
    }

    get choiceGroups() {
        const labels = {
            company: _t("Company"),
            teams: _t("Sales Teams"),
            people: _t("Salespeople"),
            categories: _t("Product Categories"),
        };
        const choices = this.data?.choices || [];
        return Object.entries(labels)
            .map(([group, label]) => ({
                group,
                label,
                choices: choices.filter((choice) => choice.group === group),
            }))
            .filter((group) => group.choices.length);
    }

    get hasForecast() {
        return (this.data?.forecast || []).some((value) => value !== null);
    }

    get methodLabel() {
        return this.data?.method || "";
    }

    get maseLabel() {
        const mase = this.data?.backtest_mase;
        if (mase === false || mase === undefined) {
            return "";
        }
        return formatFloat(mase, { digits: [16, 2] });
    }

    get runLabel() {
        const run = this.data?.run;
        if (!run) {
            return "";
        }
        return _t("Computed on %(date)s from %(months)s months of history", {
            date: formatDateTime(deserializeDateTime(run.date_done)),
            months: this.data.history_months || 0,
        });
    }

    formatAmount(value, short = false) {
        const { symbol, position, digits } = this.data.currency;
        const amount = short
            ? shortAmount(value || 0)
            : formatFloat(value || 0, { digits: [16, digits] });
        return position === "after" ? `${amount}${nbsp}${symbol}` : `${symbol}${nbsp}${amount}`;
    }

    // ------------------------------------------------------------------
    // Chart
    // ------------------------------------------------------------------

    chartConfig() {
        const data = this.data;
        const labels = data.months.map((month) => deserializeDate(month).toFormat("MMM yyyy"));
        const actualColor = getColor(0, "light", "sm"); // blue
        const forecastColor = getColor(3, "light", "sm"); // orange
        const targetColor = getColor(1, "light", "sm"); // red
        // the current month is sold to date only: a point of its own, not
        // the end of the closed months' line
        const current = data.months.indexOf(data.current_month);
        const closed = data.actual.map((value, index) => (index === current ? null : value));
        const toDate = data.actual.map((value, index) => (index === current ? value : null));
        const band = (label, values, fill, opacity) => ({
            label,
            data: values,
            borderWidth: 0,
            pointRadius: 0,
            fill,
            backgroundColor: hexToRGBA(forecastColor, opacity),
            salesperfBand: true,
        });
        const datasets = [
            band(_t("95 % interval (low)"), data.lo95, false, 0),
            band(_t("95 % interval"), data.hi95, "-1", 0.15),
            band(_t("80 % interval (low)"), data.lo80, false, 0),
            band(_t("80 % interval"), data.hi80, "-1", 0.25),
            {
                label: _t("Actual"),
                data: closed,
                borderColor: actualColor,
                backgroundColor: actualColor,
                pointRadius: 2,
                fill: false,
            },
            {
                label: _t("This month so far"),
                data: toDate,
                borderColor: actualColor,
                backgroundColor: "transparent",
                pointRadius: 5,
                pointStyle: "triangle",
                showLine: false,
                fill: false,
            },
            {
                label: _t("Forecast"),
                data: data.forecast,
                borderColor: forecastColor,
                backgroundColor: forecastColor,
                borderDash: [6, 3],
                pointRadius: 2,
                fill: false,
            },
        ];
        if (data.target.some((value) => value !== null)) {
            datasets.push({
                label: _t("Target"),
                data: data.target,
                borderColor: targetColor,
                backgroundColor: targetColor,
                stepped: "middle",
                pointRadius: 3,
                pointStyle: "rectRot",
                spanGaps: false,
                fill: false,
            });
        }
        return {
            type: "line",
            data: { labels, datasets },
            options: {
                maintainAspectRatio: false,
                interaction: { mode: "index", intersect: false },
                scales: {
                    y: {
                        beginAtZero: true,
                        // short ticks ("250k"), so that a phone keeps room for the chart
                        ticks: { callback: (value) => this.formatAmount(value, true) },
                    },
                    x: { ticks: { autoSkip: true, maxRotation: 0 } },
                },
                plugins: {
                    legend: {
                        position: "bottom",
                        labels: {
                            // each band shows once in the legend, by its upper edge
                            filter: (item, chartData) =>
                                !chartData.datasets[item.datasetIndex].label.endsWith(
                                    _t("(low)")
                                ),
                        },
                    },
                    tooltip: {
                        filter: (item) => item.raw !== null,
                        callbacks: {
                            label: (context) =>
                                `${context.dataset.label}: ${this.formatAmount(context.raw)}`,
                        },
                    },
                },
            },
        };
    }

    renderChart() {
        if (this.chart) {
            this.chart.destroy();
            this.chart = null;
        }
        if (!this.data || !this.canvasRef.el) {
            return;
        }
        this.chart = new Chart(this.canvasRef.el, this.chartConfig());
    }

    // ------------------------------------------------------------------
    // Handlers
    // ------------------------------------------------------------------

    async onChoiceChange(ev) {
        const choice = (this.data?.choices || []).find(
            (option) => choiceKey(option) === ev.target.value
        );
        if (choice) {
            await this.load({ level: choice.level, id: choice.id });
        }
    }

    async onRunClick() {
        this.state.running = true;
        try {
            const result = await this.orm.call("salesperf.forecast.run", "action_queue_run", []);
            this.notification.add(result.params.message, { type: "info" });
            await this.load(this.data?.choice);
        } finally {
            this.state.running = false;
        }
    }
}

registry.category("actions").add("salesperf_forecast_chart", ForecastChart);
