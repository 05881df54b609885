/** @odoo-module **/

import { Component, onWillStart, useState } from "@odoo/owl";
import { CrmKanbanRenderer } from "@crm/views/crm_kanban/crm_kanban_renderer";
import { crmKanbanView } from "@crm/views/crm_kanban/crm_kanban_view";
import { _t } from "@web/core/l10n/translation";
import { RPCError } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/core/utils/numbers";
import { nbsp } from "@web/core/utils/strings";
import { formatInteger } from "@web/views/fields/formatters";

/** Bootstrap colour of each pacing status. */
const STATUS_COLORS = {
    ahead: "success",
    on_track: "info",
    at_risk: "warning",
    behind: "danger",
};

/**
 * The goals of the current month and quarter, from
 * `salesperf.target.get_pipeline_panel`: one row of cards per period. A team
 * leader may switch from the team's goals to one of their people's.
 * Renders nothing when there is no goal at all.
 */
export class PipelineGoals extends Component {
    static template = "salesperf_odoo.PipelineGoals";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.keepLast = new KeepLast();
        this.state = useState({
            panel: null,
            // the user shown, false for the caller's own (or team's) goals
            userId: false,
            // the title of the caller's own view, kept for the selector
            ownTitle: "",
        });
        onWillStart(() => this.load(false));
    }

    /**
     * @param {number|false} userId a member of the caller's team, or false
     */
    async load(userId) {
        let panel;
        try {
            panel = await this.keepLast.add(
                this.orm.silent.call("salesperf.target", "get_pipeline_panel", [], {
                    user_id: userId,
                })
            );
        } catch (error) {
            // the panel must never prevent the pipeline from opening
            if (error instanceof RPCError && !this.state.panel) {
                return;
            }
            throw error;
        }
        if (!userId) {
            this.state.ownTitle = panel.title;
        }
        this.state.userId = userId;
        this.state.panel = panel;
    }

    get periods() {
        return (this.state.panel?.periods || []).filter((period) => period.goals.length);
    }

    get members() {
        return this.state.panel?.members || [];
    }

    /** Shown with at least one goal, or once switched to a member, to allow switching back. */
    get visible() {
        return Boolean(this.state.panel) && (this.periods.length > 0 || this.state.userId);
    }

    get ownOptionLabel() {
        return _t("Team: %(team)s", { team: this.state.ownTitle });
    }

    get noGoalMessage() {
        return _t("No goal for this month or quarter.");
    }

    /**
     * @param {Object} goal
     * @param {number} value
     * @returns {string} a monetary amount with the currency, or a count
     */
    formatValue(goal, value) {
        if (!goal.monetary) {
            return formatInteger(value || 0);
        }
        const { symbol, position, digits } = this.state.panel.currency;
        const amount = formatFloat(value || 0, { digits: [16, digits] });
        return position === "after" ? `${amount}${nbsp}${symbol}` : `${symbol}${nbsp}${amount}`;
    }

    attainmentLabel(goal) {
        return `${formatInteger(Math.round(goal.attainment || 0))}%`;
    }

    progressWidth(goal) {
        return Math.min(Math.max(goal.attainment || 0, 0), 100);
    }

    statusColor(goal) {
        return STATUS_COLORS[goal.status] || "secondary";
    }

    gapLabel(goal) {
        if (goal.gap > 0) {
            return _t("%(amount)s to go", { amount: this.formatValue(goal, goal.gap) });
        }
        return _t("Reached");
    }

    /** @returns {string} the pipeline coverage of a monetary goal's gap, or "" */
    coverageLabel(goal) {
        if (!goal.monetary || !(goal.gap > 0) || goal.coverage === false) {
            return "";
        }
        if (!goal.coverage) {
            return _t("No open pipeline for the gap");
        }
        return _t("Pipeline covers %(ratio)s× the gap", {
            ratio: formatFloat(goal.coverage, { digits: [16, 1] }),
        });
    }

    async onMemberChange(ev) {
        const userId = Number.parseInt(ev.target.value, 10) || false;
        await this.load(userId);
    }
}

/**
 * CRM's kanban renderer, with the goals panel above the columns of the
 * opportunity pipeline.
 */
export class SalesperfCrmKanbanRenderer extends CrmKanbanRenderer {
    static template = "salesperf_odoo.CrmKanbanRenderer";
    static components = {
        ...CrmKanbanRenderer.components,
        PipelineGoals,
    };

    get showPipelineGoals() {
        // the view is crm.lead's default kanban: keep the panel off leads
        return this.props.list.context.default_type !== "lead";
    }
}

export const salesperfCrmKanbanView = {
    ...crmKanbanView,
    Renderer: SalesperfCrmKanbanRenderer,
};

registry.category("views").add("salesperf_crm_kanban", salesperfCrmKanbanView);
