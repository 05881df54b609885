/** @odoo-module **/

import { Component, onMounted, useState } from "@odoo/owl";
import { CrmKanbanRenderer } from "@crm/views/crm_kanban/crm_kanban_renderer";
import { crmKanbanView } from "@crm/views/crm_kanban/crm_kanban_view";
import { Domain } from "@web/core/domain";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useBus, useService } from "@web/core/utils/hooks";
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

/** The filter of crm's search view that keeps the user's own opportunities. */
const MY_PIPELINE_FILTER = "assigned_to_me";

/** Customers of each list shown on a phone (all of them on wider screens). */
const PHONE_CUSTOMER_LINES = 3;

/** The field of crm.lead that the board is filtered on, per choice. */
const BOARD_FIELDS = { user: "user_id", team: "team_id" };

function choiceKey(choice) {
    return choice ? `${choice.scope}:${choice.id || ""}` : "";
}

/**
 * The goals of the current month and quarter above the CRM pipeline, from
 * `salesperf.target.get_pipeline_panel`: one row of cards per period.
 *
 * - Fetched once the kanban is mounted, never before: the board never waits
 *   for the goals, and a failing fetch only leaves the panel out.
 * - Folded to one line (title and summary) or unfolded, remembered per user
 *   in their `res.users.settings`.
 * - Whoever may look at other goals (a team leader, a director) picks whose
 *   in a selector; the server refuses what they may not see. The board
 *   follows the choice with a filter in the search, which the user sees and
 *   may remove: removing it brings the selector back to the default.
 * - Each card opens the records its actual counts.
 * - Under the goals, the customers to call for the same choice: those at
 *   risk (largest value at risk first, with the reason) and the most
 *   valuable ones without an open opportunity, each opening the customer's
 *   Customer 360.
 */
export class PipelineGoals extends Component {
    static template = "salesperf_odoo.PipelineGoals";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.keepLast = new KeepLast();
        this.state = useState({ panel: null, folded: false });
        onMounted(() => {
            // back from a breadcrumb, the search keeps the panel's filter
            const filter = this.activePanelFilter();
            this.load(filter?.salesperfGoalsChoice, { initial: true });
        });
        if (this.env.searchModel) {
            useBus(this.env.searchModel, "update", () => this.onSearchUpdate());
        }
    }

    // ------------------------------------------------------------------
    // Data
    // ------------------------------------------------------------------

    /**
     * @param {{scope: string, id: number|false}|undefined} choice whose goals,
     *      the user's default ones when undefined
     * @param {{initial?: boolean}} options
     */
    async load(choice, { initial = false } = {}) {
        let panel;
        try {
            panel = await this.keepLast.add(
                this.orm.silent.call("salesperf.target", "get_pipeline_panel", [], {
                    scope: choice?.scope || false,
                    owner_id: choice?.id || false,
                })
            );
        } catch {
            // the panel must never keep the pipeline from working: without
            // its data it stays out, or keeps the goals it showed
            if (!initial) {
                this.notification.add(_t("The goals could not be loaded."), {
                    type: "warning",
                });
            }
            return false;
        }
        if (initial) {
            this.state.folded = panel.folded;
        }
        this.state.panel = panel;
        return true;
    }

    get panel() {
        return this.state.panel;
    }

    get periods() {
        return (this.panel?.periods || []).filter((period) => period.goals.length);
    }

    get goals() {
        return this.periods.flatMap((period) => period.goals);
    }

    get choices() {
        return this.panel?.choices || [];
    }

    /** The choices in sections, for the selector's option groups. */
    get choiceGroups() {
        const labels = {
            company: _t("Company"),
            teams: _t("Sales Teams"),
            people: _t("Salespeople"),
        };
        return Object.entries(labels)
            .map(([group, label]) => ({
                group,
                label,
                choices: this.choices.filter((choice) => choice.group === group),
            }))
            .filter((group) => group.choices.length);
    }

    get currentKey() {
        return choiceKey(this.panel?.choice);
    }

    choiceKey(choice) {
        return choiceKey(choice);
    }

    /** Shown with a goal, a customer to call, or someone else to choose. */
    get visible() {
        return (
            Boolean(this.panel) &&
            (this.goals.length > 0 ||
                this.choices.length > 0 ||
                Boolean(this.panel.commission) ||
                this.hasCustomers)
        );
    }

    /** The customers at risk and the most valuable ones without an open opportunity. */
    get customers() {
        return this.panel?.customers || { at_risk: [], valuable: [], value_at_risk: [] };
    }

    /** On a phone each list shows its first lines only: the board stays in reach. */
    get phoneLines() {
        return PHONE_CUSTOMER_LINES;
    }

    get hasCustomers() {
        return this.customers.at_risk.length > 0 || this.customers.valuable.length > 0;
    }

    /** Customers of several companies name their company. */
    get showCustomerCompanies() {
        const lines = [...this.customers.at_risk, ...this.customers.valuable];
        return new Set(lines.map((line) => line.company)).size > 1;
    }

    /** @returns {string} e.g. "3 customers at risk · value at risk $ 9,000.00" */
    get atRiskSummary() {
        const { at_risk_count: count, value_at_risk: totals } = this.customers;
        if (!count) {
            return "";
        }
        const amounts = totals
            .map((total) => this.formatAmount(total.currency_id, total.amount))
            .join(" + ");
        return count === 1
            ? _t("1 customer at risk · value at risk %(amount)s", { amount: amounts })
            : _t("%(count)s customers at risk · value at risk %(amount)s", {
                  count,
                  amount: amounts,
              });
    }

    /** Goals of several companies name their company on the card. */
    get showCompanies() {
        return new Set(this.goals.map((goal) => goal.company)).size > 1;
    }

    /** @returns {string} e.g. "3 goals · 1 behind" */
    get summary() {
        const goals = this.goals;
        if (!goals.length) {
            // unfolded, the panel says so under its title
            return this.state.folded ? this.noGoalMessage : "";
        }
        const parts = [
            goals.length === 1 ? _t("1 goal") : _t("%s goals", goals.length),
        ];
        const behind = goals.filter((goal) => goal.status === "behind").length;
        if (behind) {
            parts.push(_t("%s behind", behind));
        }
        const atRisk = goals.filter((goal) => goal.status === "at_risk").length;
        if (atRisk) {
            parts.push(_t("%s at risk", atRisk));
        }
        const customersAtRisk = this.customers.at_risk_count;
        if (customersAtRisk) {
            parts.push(
                customersAtRisk === 1
                    ? _t("1 customer at risk")
                    : _t("%s customers at risk", customersAtRisk)
            );
        }
        return parts.join(" · ");
    }

    get noGoalMessage() {
        return _t("No goal for this month or quarter.");
    }

    get toggleLabel() {
        return this.state.folded ? _t("Show the goals") : _t("Hide the goals");
    }

    // ------------------------------------------------------------------
    // Formatting
    // ------------------------------------------------------------------

    /**
     * @param {Object} goal
     * @param {number} value
     * @returns {string} an amount in the currency of the goal's company, or a count
     */
    formatValue(goal, value) {
        if (!goal.monetary) {
            return formatInteger(value || 0);
        }
        return this.formatAmount(goal.currency_id, value);
    }

    /**
     * @param {number} currencyId one of the panel's currencies
     * @param {number} value
     * @returns {string} the amount with its currency's symbol and digits
     */
    formatAmount(currencyId, value) {
        const { symbol, position, digits } = this.panel.currencies[currencyId];
        const amount = formatFloat(value || 0, { digits: [16, digits] });
        return position === "after" ? `${amount}${nbsp}${symbol}` : `${symbol}${nbsp}${amount}`;
    }

    attainmentLabel(goal) {
        if (goal.attainment === false) {
            return "";
        }
        return `${formatInteger(Math.round(goal.attainment))}%`;
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

    /** @returns {string} the forecast of a revenue goal's period end, or "" */
    forecastLabel(goal) {
        if (goal.forecast === false || goal.forecast === undefined) {
            return "";
        }
        return _t("Forecast: %(amount)s", { amount: this.formatValue(goal, goal.forecast) });
    }

    forecastTitle() {
        return _t(
            "What the closed months of the period sold, plus this month's forecast (or what it sold so far, when more), plus the forecast of the months left, from the latest statistical forecast"
        );
    }

    /** Bootstrap text colour of the forecast: below the target is a warning. */
    forecastColor(goal) {
        return goal.forecast < goal.target ? "text-warning-emphasis" : "text-success";
    }

    cardTitle(goal) {
        return _t("Open what %(goal)s counts", { goal: goal.label });
    }

    // ------------------------------------------------------------------
    // Handlers
    // ------------------------------------------------------------------

    onToggle() {
        const folded = !this.state.folded;
        this.state.folded = folded;
        // as mail's sidebar categories do: the user's settings keep it
        this.orm.silent
            .call("res.users.settings", "set_res_users_settings", [[this.panel.settings_id]], {
                new_settings: { salesperf_pipeline_goals_folded: folded },
            })
            .catch(() => {});
    }

    async onChoiceChange(ev) {
        const choice = this.choices.find((choice) => choiceKey(choice) === ev.target.value);
        if (!choice) {
            return;
        }
        if (await this.load({ scope: choice.scope, id: choice.id })) {
            this.applyChoiceToBoard(choice);
        } else {
            ev.target.value = this.currentKey;
        }
    }

    /** The period of the user's latest commission statement (wide screens only). */
    get commissionPrefix() {
        return _t("Commission %(period)s:", { period: this.panel.commission.period });
    }

    /** The total payable of the user's latest commission statement. */
    get commissionAmount() {
        const commission = this.panel.commission;
        return this.formatAmount(commission.currency_id, commission.amount);
    }

    get commissionTitle() {
        return _t("Your commission statement of %(period)s (%(state)s): open your statements", {
            period: this.panel.commission.period,
            state: this.panel.commission.state,
        });
    }

    async onCommissionClick() {
        await this.action.doAction("salesperf_odoo.salesperf_commission_statement_action_mine");
    }

    async onGoalClick(goal) {
        const action = await this.orm.call("salesperf.target", "action_view_actual", [[goal.id]]);
        await this.action.doAction(action);
    }

    customerTitle(line) {
        return _t("Open %(customer)s", { customer: line.name });
    }

    /** A customer's line opens the customer's Customer 360 (purchase history and interactions). */
    async onCustomerClick(line) {
        const action = await this.orm.call("res.partner", "action_open_salesperf_customer_360", [
            [line.partner_id],
        ]);
        await this.action.doAction(action);
    }

    onGoalKeydown(ev, goal) {
        if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            this.onGoalClick(goal);
        }
    }

    // ------------------------------------------------------------------
    // The board follows the choice
    // ------------------------------------------------------------------

    /** The search item of the filter this panel added, if still in the search. */
    activePanelFilter() {
        const searchModel = this.env.searchModel;
        if (!searchModel) {
            return null;
        }
        for (const { searchItemId } of searchModel.query) {
            const item = searchModel.searchItems[searchItemId];
            if (item?.salesperfGoalsChoice) {
                return item;
            }
        }
        return null;
    }

    /**
     * Filter the board on the chosen salesperson's or team's opportunities,
     * with a facet of its own in the search, replacing the panel's previous
     * one and "My Pipeline" (which would leave only the user's own). Back to
     * the default choice, the facet goes and "My Pipeline" comes back.
     *
     * @param {{scope: string, id: number|false, name: string}} choice
     */
    applyChoiceToBoard(choice) {
        const searchModel = this.env.searchModel;
        if (!searchModel) {
            return;
        }
        const previous = this.activePanelFilter();
        const myPipeline = Object.values(searchModel.searchItems).find(
            (item) => item.type === "filter" && item.name === MY_PIPELINE_FILTER
        );
        const isMyPipeline = ({ searchItemId }) => searchItemId === myPipeline?.id;
        // kept on the filter itself, which outlives this component (breadcrumbs)
        const myPipelineRemoved =
            Boolean(previous?.salesperfGoalsChoice.myPipelineRemoved) ||
            searchModel.query.some(isMyPipeline);
        if (choiceKey(choice) === choiceKey(this.panel.default) || !BOARD_FIELDS[choice.scope]) {
            if (!previous) {
                return;
            }
            if (myPipelineRemoved && myPipeline && !searchModel.query.some(isMyPipeline)) {
                searchModel.query.push({ searchItemId: myPipeline.id });
            }
            searchModel.deactivateGroup(previous.groupId);
            return;
        }
        searchModel.query = searchModel.query.filter(
            (element) =>
                !searchModel.searchItems[element.searchItemId]?.salesperfGoalsChoice &&
                !isMyPipeline(element)
        );
        const description =
            choice.scope === "team"
                ? _t("Sales Team: %s", choice.name)
                : _t("Salesperson: %s", choice.name);
        searchModel.createNewFilters([
            {
                description,
                domain: new Domain([[BOARD_FIELDS[choice.scope], "=", choice.id]]).toString(),
                salesperfGoalsChoice: { scope: choice.scope, id: choice.id, myPipelineRemoved },
            },
        ]);
    }

    /** The user removed the panel's facet: back to the default goals. */
    onSearchUpdate() {
        const panel = this.panel;
        if (!panel || choiceKey(panel.choice) === choiceKey(panel.default)) {
            return;
        }
        if (!this.activePanelFilter()) {
            this.load(panel.default);
        }
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
