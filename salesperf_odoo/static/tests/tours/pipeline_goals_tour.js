/** @odoo-module **/

import { registry } from "@web/core/registry";

/*
 * The goals panel of the CRM pipeline, with the data of
 * salesperf_odoo/tests/test_pipeline_panel_tour.py (amounts in the company
 * currency, 2 decimals, English formatting).
 *
 * Period 0 is the current month, period 1 the current quarter.
 */

const PANEL = ".o_salesperf_pipeline_goals";
const MONTH = `${PANEL} .o_salesperf_pipeline_goals_period[data-period='0']`;
const QUARTER = `${PANEL} .o_salesperf_pipeline_goals_period[data-period='1']`;
const MEMBER_SELECT = `${PANEL} select.o_salesperf_pipeline_goals_member`;

function goal(period, metric) {
    return `${period} .o_salesperf_goal[data-metric='${metric}']`;
}

/** Sonia's own goals: revenue 1,200 of 1,000 this month, 1,200 of 10,000 this quarter. */
function soniaGoalsSteps() {
    return [
        {
            content: "Sonia's monthly revenue goal shows the actual and the target, in §",
            trigger: `${goal(MONTH, "revenue")}:has(.o_salesperf_goal_actual:contains('1,200.00'):contains('§')) .o_salesperf_goal_target:contains('/'):contains('1,000.00'):contains('§')`,
        },
        {
            content: "1,200 of 1,000 is reached, and ahead whatever the day of the month",
            trigger: `${goal(MONTH, "revenue")}:has(.o_salesperf_goal_status.text-bg-success:contains('Ahead')) .o_salesperf_goal_gap:contains('Reached')`,
        },
        {
            content: "120 % of the target, the bar full",
            trigger: `${goal(MONTH, "revenue")}:has(.progress-bar[style*='width: 100%']) .o_salesperf_goal_attainment:contains('120%')`,
        },
        {
            content: "A reached goal has no gap left to cover",
            trigger: `${goal(MONTH, "revenue")}:not(:has(.o_salesperf_goal_coverage))`,
        },
        {
            content: "The order count is a plain number: 2 of 5",
            trigger: `${goal(MONTH, "orders")} .o_salesperf_goal_values:contains('2 / 5')`,
        },
        {
            content: "A count goal shows no pipeline coverage",
            trigger: `${goal(MONTH, "orders")}:not(:has(.o_salesperf_goal_coverage)) .o_salesperf_goal_gap:contains('3 to go')`,
        },
        {
            content: "The quarter's revenue goal: 8,800 to go",
            trigger: `${goal(QUARTER, "revenue")} .o_salesperf_goal_gap:contains('8,800.00'):contains('§'):contains('to go')`,
        },
        {
            content: "The open pipeline, 13,200 weighted, covers 1.5 times the gap",
            trigger: `${goal(QUARTER, "revenue")}:has(.o_salesperf_goal_status) .o_salesperf_goal_coverage:contains('Pipeline covers 1.5× the gap')`,
        },
    ];
}

registry.category("web_tour.tours").add("salesperf_pipeline_goals_tour", {
    steps: () => [
        {
            content: "The pipeline opens with its columns",
            trigger: ".o_kanban_renderer .o_kanban_record:contains('Panel Big Deal')",
        },
        {
            content: "The panel stands above the kanban columns",
            trigger: `.o_content > ${PANEL} + .o_kanban_renderer`,
        },
        {
            content: "A salesperson sees their own goals, and no member selector",
            trigger: `${PANEL}:not(:has(select)) .o_salesperf_pipeline_goals_title:contains('Sonia Panel')`,
        },
        ...soniaGoalsSteps(),
    ],
});

registry.category("web_tour.tours").add("salesperf_pipeline_goals_leader_tour", {
    steps: () => [
        {
            content: "The team leader sees the team's goals",
            trigger: `${PANEL} .o_salesperf_pipeline_goals_title:contains('Panel Team')`,
        },
        {
            content: "The team's monthly revenue: Sonia's 1,200 of 2,000",
            trigger: `${goal(MONTH, "revenue")} .o_salesperf_goal_values:contains('1,200.00'):contains('2,000.00')`,
        },
        {
            content: "800 to go, covered 16.5 times by the team's open pipeline (13,200)",
            trigger: `${goal(MONTH, "revenue")}:has(.o_salesperf_goal_gap:contains('800.00'):contains('to go')) .o_salesperf_goal_coverage:contains('16.5×')`,
        },
        {
            content: "The team has no quarterly goal: one period only",
            trigger: `${PANEL}:not(:has(.o_salesperf_pipeline_goals_period[data-period='1']))`,
        },
        {
            content: "Switch to Sonia",
            trigger: MEMBER_SELECT,
            run: "selectByLabel Sonia Panel",
        },
        {
            content: "Sonia's goals replace the team's",
            trigger: `${PANEL} .o_salesperf_pipeline_goals_title:contains('Sonia Panel')`,
        },
        ...soniaGoalsSteps(),
        {
            content: "Back to the team",
            trigger: MEMBER_SELECT,
            run: "selectByLabel Panel Team",
        },
        {
            content: "The team's goal is back",
            trigger: `${goal(MONTH, "revenue")} .o_salesperf_goal_values:contains('2,000.00')`,
        },
        {
            content: "Switch to Tina, who has no goal",
            trigger: MEMBER_SELECT,
            run: "selectByLabel Tina Panel",
        },
        {
            content: "No empty cards, and the selector stays to switch back",
            trigger: `${PANEL}:not(:has(.o_salesperf_goal)) .o_salesperf_pipeline_goals_empty`,
        },
    ],
});
