/** @odoo-module **/

import { registry } from "@web/core/registry";

/*
 * The Sales Performance board of the Dashboards app, opened by a
 * salesperson with the data of salesperf_odoo/tests/test_dashboard_tour.py:
 * the headline figures read her own sales and target of this year, and no
 * cell of the board evaluates to an error. The grid is drawn on a canvas,
 * so the figures are read from the spreadsheet model the board shows.
 */

function findDashboardModel(node) {
    const model = node.component?.state?.activeDashboard?.model;
    if (model) {
        return model;
    }
    for (const child of Object.values(node.children)) {
        const found = findDashboardModel(child);
        if (found) {
            return found;
        }
    }
    return undefined;
}

function cellValue(model, sheetName, col, row) {
    const sheetId = model.getters.getSheetIdByName(sheetName);
    return model.getters.getEvaluatedCell({ sheetId, col, row }).value;
}

async function waitForValue(read, expected, label) {
    let value;
    for (let attempt = 0; attempt < 80; attempt++) {
        value = read();
        if (value === expected) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${label}: expected ${expected}, got ${value}`);
}

registry.category("web_tour.tours").add("salesperf_dashboard_tour", {
    steps: () => [
        {
            content: "The Sales Performance board is open",
            trigger:
                ".o_spreadsheet_dashboard_action .o_search_panel_category_value.active:contains('Sales Performance')",
        },
        {
            content: "Its headline cards are drawn",
            trigger: ".o-scorecard[title='Revenue']",
        },
        {
            content: "Her revenue (3 × 100), target (400) and attainment (75 %)",
            trigger: ".o-scorecard[title='Attainment']",
            run: async () => {
                const model = findDashboardModel(odoo.__WOWL_DEBUG__.root.__owl__);
                // Data!B2, B3 and B4 (0-based columns and rows)
                await waitForValue(() => cellValue(model, "Data", 1, 1), 300, "Revenue");
                await waitForValue(() => cellValue(model, "Data", 1, 2), 400, "Target");
                await waitForValue(() => cellValue(model, "Data", 1, 3), 0.75, "Attainment");
                // her team's row in the team table: Dashboard!A24 and B24
                await waitForValue(
                    () => cellValue(model, "Dashboard", 0, 23),
                    "Board Team",
                    "Team"
                );
                await waitForValue(() => cellValue(model, "Dashboard", 1, 23), 300, "Team revenue");
                for (const sheetId of model.getters.getSheetIds()) {
                    const zone = {
                        top: 0,
                        left: 0,
                        bottom: model.getters.getNumberRows(sheetId) - 1,
                        right: model.getters.getNumberCols(sheetId) - 1,
                    };
                    const errors = model.getters
                        .getEvaluatedCellsInZone(sheetId, zone)
                        .filter((cell) => cell.type === "error");
                    if (errors.length) {
                        throw new Error(
                            `Cells in error: ${errors.map((cell) => cell.message).join(", ")}`
                        );
                    }
                }
            },
        },
    ],
});
