/** @odoo-module **/

import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";

/*
 * The goals panel of the CRM pipeline, with the data of
 * salesperf_odoo/tests/test_pipeline_panel_tour.py (amounts in the company
 * currency, 2 decimals, English formatting).
 */

const PANEL = ".o_salesperf_pipeline_goals";
const MONTH = `${PANEL} .o_salesperf_pipeline_goals_period[data-period='month']`;
const QUARTER = `${PANEL} .o_salesperf_pipeline_goals_period[data-period='quarter']`;
const CHOICE = `${PANEL} select.o_salesperf_pipeline_goals_choice`;
const TITLE = `${PANEL} .o_salesperf_pipeline_goals_title`;
const TOGGLE = `${PANEL} .o_salesperf_pipeline_goals_toggle`;
const BIG_DEAL = ".o_kanban_record:contains('Panel Big Deal')";
const SMALL_DEAL = ".o_kanban_record:contains('Panel Small Deal')";

/** The kanban showing the records of ``shows`` and none of ``hides``. */
function board({ shows = [], hides = [] }) {
    return [
        ".o_kanban_renderer",
        ...shows.map((record) => `:has(${record})`),
        ...hides.map((record) => `:not(:has(${record}))`),
    ].join("");
}

function goal(period, metric) {
    return `${period} .o_salesperf_goal[data-metric='${metric}']`;
}

function facet(label) {
    return `.o_searchview_facet:contains('${label}')`;
}

/** On a phone the search bar, and its facets, is behind a toggler. */
const openSearchBarOnPhone = {
    isActive: ["mobile"],
    content: "Show the search bar",
    trigger: ".o_control_panel_navigation button:has(.fa-search):not(.active)",
    run: "click",
};

/**
 * Wait until the user's settings say the panel is ``folded``, then reload the
 * page: the toggle saves without making the user wait.
 */
function reloadOnceSaved(folded) {
    return {
        content: `Once saved ${folded ? "folded" : "unfolded"}, reload the page`,
        trigger: `${PANEL}${folded ? "" : ":not(.o_salesperf_pipeline_goals_folded)"}`,
        async run() {
            for (let attempt = 0; attempt < 50; attempt++) {
                const [settings] = await rpc("/web/dataset/call_kw/res.users.settings/search_read", {
                    model: "res.users.settings",
                    method: "search_read",
                    args: [[], ["salesperf_pipeline_goals_folded"]],
                    kwargs: {},
                });
                if (settings.salesperf_pipeline_goals_folded === folded) {
                    window.location.reload();
                    return;
                }
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            throw new Error("The panel's folded state was not saved");
        },
    };
}

/** Sonia's confirmed goals: revenue 1,200 of 1,000 this month, 1,200 of 10,000 this quarter. */
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
            trigger: `.o_kanban_renderer ${BIG_DEAL}`,
        },
        {
            content: "The panel stands above the kanban columns",
            trigger: `.o_content > ${PANEL} + .o_kanban_renderer`,
        },
        {
            content: "A salesperson sees their own goals, and no selector",
            trigger: `${PANEL}:not(:has(select)) .o_salesperf_pipeline_goals_title:contains('Sonia Panel')`,
        },
        ...soniaGoalsSteps(),
        {
            content: "Her draft goal is not hers to see yet",
            trigger: `${PANEL}:not(:has(.o_salesperf_goal[data-state='draft'])):not(:has([data-metric='won_count']))`,
        },
        {
            content: "Fold the panel",
            trigger: TOGGLE,
            run: "click",
        },
        {
            content: "Folded, one line: the title and a summary, no card",
            trigger: `${PANEL}.o_salesperf_pipeline_goals_folded:not(:has(.o_salesperf_goal)) .o_salesperf_pipeline_goals_summary:contains('3 goals')`,
        },
        reloadOnceSaved(true),
        {
            content: "After a reload the panel is still folded",
            trigger: `${PANEL}.o_salesperf_pipeline_goals_folded:not(:has(.o_salesperf_goal)) .o_salesperf_pipeline_goals_toggle[aria-expanded='false']`,
        },
        {
            content: "Unfold it",
            trigger: TOGGLE,
            run: "click",
        },
        {
            content: "The cards are back",
            trigger: goal(MONTH, "revenue"),
        },
        reloadOnceSaved(false),
        {
            content: "After a reload the panel is still unfolded",
            trigger: `${PANEL}:not(.o_salesperf_pipeline_goals_folded) .o_salesperf_pipeline_goals_period[data-period='month'] .o_salesperf_goal[data-metric='revenue']`,
        },
        {
            content: "Open what the monthly revenue goal counts",
            trigger: goal(MONTH, "revenue"),
            run: "click",
        },
        {
            content: "Her two order lines of the month, in the sales analysis",
            trigger: ".o_list_view:has(.o_data_row + .o_data_row):not(:has(.o_data_row + .o_data_row + .o_data_row))",
        },
        {
            content: "Named after the goal (in the control panel, or the navbar on a phone)",
            trigger: ".o_web_client:has(.o_list_view):contains('Revenue · Sonia Panel')",
        },
    ],
});

registry.category("web_tour.tours").add("salesperf_pipeline_goals_leader_tour", {
    steps: () => [
        {
            content: "The team leader sees the team's goals",
            trigger: `${TITLE}:contains('Panel Team')`,
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
            content: "The team's draft goal is his to prepare: shown, marked and muted",
            trigger: `${goal(MONTH, "orders")}.o_salesperf_goal_draft[data-state='draft'] .o_salesperf_goal_draft_badge:contains('Draft')`,
        },
        {
            content: "The team has no quarterly goal: one period only",
            trigger: `${PANEL}:not(:has(.o_salesperf_pipeline_goals_period[data-period='quarter']))`,
        },
        {
            content: "His own pipeline only, as the action opens it",
            trigger: board({ shows: [SMALL_DEAL], hides: [BIG_DEAL] }),
        },
        {
            content: "Switch to Sonia",
            trigger: CHOICE,
            run: "selectByLabel Sonia Panel",
        },
        {
            content: "Sonia's goals replace the team's",
            trigger: `${TITLE}:contains('Sonia Panel')`,
        },
        ...soniaGoalsSteps(),
        {
            content: "Her draft goal is marked for her leader",
            trigger: `${goal(MONTH, "won_count")}[data-state='draft'] .o_salesperf_goal_draft_badge`,
        },
        {
            content: "The board follows: Sonia's opportunities, not his",
            trigger: board({ shows: [BIG_DEAL], hides: [SMALL_DEAL] }),
        },
        openSearchBarOnPhone,
        {
            content: "A facet says so, in place of My Pipeline",
            trigger: `${facet("Salesperson: Sonia Panel")}`,
        },
        {
            content: "My Pipeline is out of the search",
            trigger: `.o_searchview:not(:has(${facet("My Pipeline")}))`,
        },
        {
            content: "Back to the team",
            trigger: CHOICE,
            run: "selectByLabel Panel Team",
        },
        {
            content: "The team's goal is back",
            trigger: `${goal(MONTH, "revenue")} .o_salesperf_goal_values:contains('2,000.00')`,
        },
        {
            content: "The panel's facet goes, My Pipeline comes back",
            trigger: `.o_searchview:has(${facet("My Pipeline")}):not(:has(${facet("Salesperson:")}))`,
        },
        {
            content: "And the board shows his own pipeline again",
            trigger: board({ shows: [SMALL_DEAL], hides: [BIG_DEAL] }),
        },
        {
            content: "Switch to Sonia again",
            trigger: CHOICE,
            run: "selectByLabel Sonia Panel",
        },
        {
            content: "Her facet is in the search",
            trigger: facet("Salesperson: Sonia Panel"),
        },
        {
            content: "Remove it",
            trigger: `${facet("Salesperson: Sonia Panel")} .o_facet_remove`,
            run: "click",
        },
        {
            content: "The selector and the goals go back to the team",
            trigger: `${TITLE}:contains('Panel Team')`,
        },
        {
            content: "The board shows every opportunity he may see",
            trigger: board({ shows: [SMALL_DEAL, BIG_DEAL] }),
        },
        {
            content: "He may pick himself",
            trigger: CHOICE,
            run: "selectByLabel Sam Panel",
        },
        {
            content: "His own pipeline on the board",
            trigger: board({ shows: [SMALL_DEAL], hides: [BIG_DEAL] }),
        },
        {
            content: "He has no goal of his own: no empty cards, and the selector stays",
            trigger: `${PANEL}:has(select):not(:has(.o_salesperf_goal)) .o_salesperf_pipeline_goals_empty`,
        },
    ],
});

registry.category("web_tour.tours").add("salesperf_pipeline_goals_director_tour", {
    steps: () => [
        {
            content: "A director sees the company's goals",
            trigger: `${TITLE}:contains('Salesperf Panel Company')`,
        },
        {
            content: "The company's revenue: 1,200 of 5,000",
            trigger: `${goal(MONTH, "revenue")} .o_salesperf_goal_values:contains('1,200.00'):contains('5,000.00')`,
        },
        {
            content: "Her own pipeline is empty",
            trigger: board({ hides: [SMALL_DEAL, BIG_DEAL] }),
        },
        {
            content: "Pick the team",
            trigger: CHOICE,
            run: "selectByLabel Panel Team",
        },
        {
            content: "The team's goals",
            trigger: `${goal(MONTH, "revenue")} .o_salesperf_goal_values:contains('2,000.00')`,
        },
        {
            content: "She reads but does not manage the team's targets: no draft",
            trigger: `${PANEL}:not(:has(.o_salesperf_goal[data-state='draft']))`,
        },
        {
            content: "The board shows the team's opportunities",
            trigger: board({ shows: [SMALL_DEAL, BIG_DEAL] }),
        },
        openSearchBarOnPhone,
        {
            content: "Under a facet of the team",
            trigger: facet("Sales Team: Panel Team"),
        },
    ],
});

/* With a panel that answers only after 2 seconds. */
registry.category("web_tour.tours").add("salesperf_pipeline_goals_slow_tour", {
    steps: () => [
        {
            content: "The columns show without waiting for the panel",
            trigger: `.o_content:not(:has(${PANEL})) .o_kanban_renderer ${BIG_DEAL}`,
        },
        {
            content: "The panel comes afterwards, above them",
            trigger: `.o_content > ${PANEL}:has(.o_salesperf_goal[data-metric='revenue']) + .o_kanban_renderer`,
        },
    ],
});

/* With a panel whose server method fails. */
registry.category("web_tour.tours").add("salesperf_pipeline_goals_failing_tour", {
    steps: () => [
        {
            content: "The pipeline opens",
            trigger: `.o_kanban_renderer ${BIG_DEAL}`,
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The list works",
            trigger: ".o_list_view .o_data_row:contains('Panel Big Deal')",
        },
        {
            content: "Back to the kanban",
            trigger: ".o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "The columns are back, with no panel and no error",
            trigger: `body:not(:has(.o_error_dialog)):not(:has(${PANEL})) .o_kanban_renderer ${BIG_DEAL}`,
        },
    ],
});
