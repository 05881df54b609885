/** @odoo-module **/

import { serializeDate } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { listView } from "@web/views/list/list_view";
import { ListController } from "@web/views/list/list_controller";
import { graphView } from "@web/views/graph/graph_view";
import { GraphModel } from "@web/views/graph/graph_model";
import { GraphRenderer } from "@web/views/graph/graph_renderer";
import { pivotView } from "@web/views/pivot/pivot_view";
import { PivotRenderer } from "@web/views/pivot/pivot_renderer";

const PERFORMANCE_MODEL = "salesperf.performance";

/**
 * Asks the server which records are behind a figure of the analysis (the
 * orders, opportunities, activities or targets it counts) and opens them.
 * The server translates the reporting domain and checks it; the user's own
 * access rules on those records apply.
 */
async function openDetails(orm, actionService, domain, measure) {
    const action = await orm.call(PERFORMANCE_MODEL, "action_open_details", [domain, measure]);
    await actionService.doAction(action);
}

export class PerformancePivotRenderer extends PivotRenderer {
    setup() {
        super.setup();
        this.orm = useService("orm");
    }

    /**
     * A cell opens the documents behind its measure, not the reporting rows.
     * @override
     */
    onOpenView(cell) {
        if (cell.value === undefined || this.model.metaData.disableLinking) {
            return;
        }
        const group = {
            rowValues: cell.groupId[0],
            colValues: cell.groupId[1],
            originIndex: cell.originIndexes[0],
        };
        return openDetails(
            this.orm,
            this.actionService,
            this.model.getGroupDomain(group),
            cell.measure
        );
    }
}

export const performancePivotView = {
    ...pivotView,
    Renderer: PerformancePivotRenderer,
};

/**
 * The line chart of a measure, with the measure's target (the field
 * `<measure>_target`, when there is one) as a dashed line over the same
 * months. Only for the current period: a comparison keeps its own lines.
 */
export class PerformanceGraphModel extends GraphModel {
    setup() {
        super.setup(...arguments);
        this.targetLabels = new Set();
    }

    targetMeasure(metaData = this.metaData) {
        const name = `${metaData.measure}_target`;
        return metaData.mode === "line" && name in metaData.fields ? name : null;
    }

    /** @override */
    async _loadDataPoints(metaData) {
        const dataPoints = await super._loadDataPoints(metaData);
        const target = this.targetMeasure(metaData);
        if (!target) {
            return dataPoints;
        }
        const allIntegers = metaData.allIntegers;
        const targetPoints = await super._loadDataPoints({
            ...metaData,
            measure: target,
            domains: metaData.domains.slice(0, 1),
        });
        metaData.allIntegers = allIntegers;
        for (const dataPoint of targetPoints) {
            dataPoint.isTarget = true;
        }
        // months without a target leave a gap in its line, not a zero
        return [...dataPoints, ...targetPoints.filter((dataPoint) => dataPoint.value)];
    }

    /** @override */
    _getDatasetLabel(dataPoint) {
        if (!dataPoint.isTarget) {
            return super._getDatasetLabel(dataPoint);
        }
        const { fields, measure } = this.metaData;
        const rest = dataPoint.labels.slice(1).join(" / ");
        const label = fields[`${measure}_target`].string + (rest ? ` / ${rest}` : "");
        this.targetLabels.add(label);
        return label;
    }

    /** @override */
    _getData() {
        this.targetLabels = new Set();
        const data = super._getData(...arguments);
        const target = this.targetMeasure();
        for (const dataset of data.datasets) {
            dataset.isTarget = Boolean(target) && this.targetLabels.has(dataset.label);
            dataset.measure = dataset.isTarget ? target : this.metaData.measure;
            if (dataset.isTarget) {
                dataset.data = dataset.data.map((value, index) =>
                    dataset.domains[index].length ? value : null
                );
            }
        }
        return data;
    }
}

export class PerformanceGraphRenderer extends GraphRenderer {
    setup() {
        super.setup();
        this.orm = useService("orm");
    }

    /** @override */
    getLineChartData() {
        const data = super.getLineChartData();
        for (const dataset of data.datasets) {
            if (dataset.isTarget) {
                // a stack of its own: a stacked chart adds up the measure's
                // lines, never the target onto them
                dataset.stack = "salesperf_target";
                // drawn last, over the actual's filled area
                dataset.order = -1;
                dataset.borderDash = [6, 4];
                dataset.pointRadius = 0;
                dataset.pointHoverRadius = 4;
                dataset.fill = false;
            }
        }
        return data;
    }

    /**
     * A point opens the documents behind it: the target's line opens the
     * targets, the measure's line its records.
     * @override
     */
    onGraphClicked(ev) {
        const [activeElement] = this.chart.getElementsAtEventForMode(
            ev,
            "nearest",
            { intersect: true },
            false
        );
        if (!activeElement || this.model.metaData.disableLinking) {
            return;
        }
        const { datasetIndex, index } = activeElement;
        const dataset = this.chart.data.datasets[datasetIndex];
        const domain = dataset.domains?.[index];
        if (!domain) {
            return;
        }
        return openDetails(
            this.orm,
            this.actionService,
            domain,
            dataset.measure || this.model.metaData.measure
        );
    }
}

export const performanceGraphView = {
    ...graphView,
    Model: PerformanceGraphModel,
    Renderer: PerformanceGraphRenderer,
};

/** The id of a many2one value of a record (`[id, name]` or `{ id }`), or false. */
function many2oneId(value) {
    return (Array.isArray(value) ? value[0] : value?.id) || false;
}

export class PerformanceListController extends ListController {
    setup() {
        super.setup();
        this.orm = useService("orm");
    }

    /**
     * A row opens the sales behind it: the domain of the row's own values
     * (its level, company, team, salesperson and month), which the server
     * translates like a pivot cell's, reading no reporting row.
     * @override
     */
    async openRecord(record) {
        const { data } = record;
        const domain = [
            ["level", "=", data.level],
            // the column is there in multi-company only: the server keeps to
            // the current company anyway
            ...(data.company_id ? [["company_id", "=", many2oneId(data.company_id)]] : []),
            ["team_id", "=", many2oneId(data.team_id)],
            ["user_id", "=", many2oneId(data.user_id)],
            ["date", ">=", serializeDate(data.date.startOf("month"))],
            ["date", "<", serializeDate(data.date.startOf("month").plus({ months: 1 }))],
        ];
        return openDetails(this.orm, this.actionService, domain, "revenue");
    }
}

export const performanceListView = {
    ...listView,
    Controller: PerformanceListController,
};

registry.category("views").add("salesperf_performance_pivot", performancePivotView);
registry.category("views").add("salesperf_performance_list", performanceListView);
registry.category("views").add("salesperf_performance_graph", performanceGraphView);
