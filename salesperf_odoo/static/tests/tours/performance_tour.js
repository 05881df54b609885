/** @odoo-module **/

import { registry } from "@web/core/registry";

/*
 * The KPI matrix ("Performance by Salesperson") and the drill-down from one
 * of its cells, with the data of salesperf_odoo/tests/test_performance_tour.py
 * (English formatting). The default measures come in the pivot's order:
 * revenue, revenue target, revenue attainment, margin %, orders, ...
 */

function row(name) {
    return `.o_pivot table tbody tr:has(th:contains('${name}'))`;
}

function cell(name, index) {
    return `${row(name)} td.o_pivot_cell_value:eq(${index})`;
}

registry.category("web_tour.tours").add("salesperf_performance_matrix_tour", {
    steps: () => [
        {
            content: "The matrix has a row per salesperson",
            trigger: `${row("Sonia Matrix")}`,
        },
        {
            content: "Sonia's revenue this year: 700 + 500",
            trigger: `${cell("Sonia Matrix", 0)}:contains('1,200.00')`,
        },
        {
            content: "Her target of the month, 2,400, and 50 % of it",
            trigger: `${cell("Sonia Matrix", 1)}:contains('2,400.00')`,
        },
        {
            content: "50 % attained",
            trigger: `${cell("Sonia Matrix", 2)}:contains('50.00')`,
        },
        {
            content: "A margin of 40 %, computed on her sums",
            trigger: `${cell("Sonia Matrix", 3)}:contains('40.00')`,
        },
        {
            content: "Sam's revenue: 300",
            trigger: `${cell("Sam Matrix", 0)}:contains('300.00')`,
        },
        {
            content: "Open the sales behind Sonia's revenue",
            trigger: `${cell("Sonia Matrix", 0)}`,
            run: "click",
        },
        {
            content: "The sales lines open, not the analysis rows",
            trigger: ".o_list_view .o_data_row:contains('Matrix Widget'):contains('Sonia Matrix')",
        },
        {
            content: "Her two lines only",
            trigger: ".o_list_view:has(.o_data_row:eq(1)):not(:has(.o_data_row:eq(2))):not(:has(.o_data_row:contains('Sam Matrix')))",
        },
    ],
});

/*
 * The same analysis as a list: a row opens the sales behind it, from the
 * row's own salesperson, team and month.
 */
registry.category("web_tour.tours").add("salesperf_performance_list_tour", {
    steps: () => [
        {
            content: "Open the sales behind Sonia's row of the month",
            trigger: ".o_list_view .o_data_row:contains('Sonia Matrix') td.o_data_cell:eq(0)",
            run: "click",
        },
        {
            content: "The sales lines open, not the analysis row",
            trigger: ".o_list_view .o_data_row:contains('Matrix Widget'):contains('Sonia Matrix')",
        },
        {
            content: "Her two lines only",
            trigger: ".o_list_view:has(.o_data_row:eq(1)):not(:has(.o_data_row:eq(2))):not(:has(.o_data_row:contains('Sam Matrix')))",
        },
    ],
});
