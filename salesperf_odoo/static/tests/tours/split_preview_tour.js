/** @odoo-module **/

import { registry } from "@web/core/registry";

/*
 * The split preview of a team target, with the data of
 * salesperf_odoo/tests/test_split_preview_tour.py (amounts in the company
 * currency §, after the amount, English formatting): Sonia and Sam sold last
 * year, Tina did not.
 */

const DIALOG = ".modal:has(.o_form_view)";
const PREVIEW = `${DIALOG} .o_field_widget[name='line_ids']`;

function row(name) {
    return `${PREVIEW} .o_data_row:has(.o_data_cell:contains('${name}'))`;
}

registry.category("web_tour.tours").add("salesperf_split_preview_tour", {
    steps: () => [
        {
            content: "The team target opens",
            trigger: ".o_form_view .o_field_widget[name='name']:contains('Split Team')",
        },
        {
            isActive: ["desktop"],
            content: "Its actual is one click away",
            trigger: ".o_form_view .oe_stat_button[name='action_view_actual']:contains('Actual')",
        },
        {
            isActive: ["desktop"],
            content: "Its leader splits it",
            trigger: ".o_form_view .o_form_statusbar button:contains('Split')",
            run: "click",
        },
        {
            isActive: ["mobile"],
            content: "On a phone, the target's actions are in the cog menu",
            trigger: ".o_cp_action_menus button:has(.fa-cog)",
            run: "click",
        },
        {
            isActive: ["mobile"],
            content: "Its leader splits it",
            trigger: ".o-dropdown--menu button:contains('Split')",
            run: "click",
        },
        {
            content: "Among the salespeople, by last year's share",
            trigger: `${DIALOG} .o_field_widget[name='method'] input[data-value='history']`,
            run: "click",
        },
        {
            content: "Preview",
            trigger: `${DIALOG} .modal-footer button[name='action_preview']:contains('Preview')`,
            run: "click",
        },
        {
            content: "Tina, who sold nothing last year, is flagged",
            trigger: `${row("Tina Split")} .badge:contains('No history')`,
        },
        {
            content: "Sonia, who sold, is not",
            trigger: `${row("Sonia Split")}:not(:has(.badge:contains('No history')))`,
        },
        {
            content: "The preview says who has no history and asks what they get",
            trigger: `${DIALOG} .alert:contains('1 of 3 have no history')`,
        },
        {
            content: "By default an equal share: Tina 33.33 %, 1,000.00 §",
            trigger: `${row("Tina Split")}:has(.o_data_cell:contains('33.33%')) .o_data_cell:contains('1,000.00'):contains('§')`,
        },
        {
            content: "Sonia's share is a percentage, not her raw history",
            trigger: `${row("Sonia Split")}:has(.o_data_cell:contains('50%')) .o_data_cell:contains('1,500.00'):contains('§')`,
        },
        {
            content: "Sam: 16.67 %, 500.00 §",
            trigger: `${row("Sam Split")}:has(.o_data_cell:contains('16.67%')) .o_data_cell:contains('500.00')`,
        },
        {
            content: "Choose nothing for those without history",
            trigger: `${DIALOG} .o_field_widget[name='without_history'] input[data-value='zero']`,
            run: "click",
        },
        {
            content: "Tina now gets 0",
            trigger: `${row("Tina Split")}:not(:has(.o_data_cell:contains('1,000.00'))):has(.o_data_cell:contains('0%')) .o_data_cell:contains('0.00')`,
        },
        {
            content: "Sonia gets 75 %: 2,250.00 §",
            trigger: `${row("Sonia Split")}:has(.o_data_cell:contains('75%')) .o_data_cell:contains('2,250.00')`,
        },
        {
            content: "Apply",
            trigger: `${DIALOG} .modal-footer button[name='action_apply']`,
            run: "click",
        },
        {
            isActive: ["desktop"],
            content: "The three children are listed, Sam's 750.00 §",
            trigger: ".o_list_view .o_data_row:contains('Sam Split'):contains('750.00'):contains('§')",
        },
        {
            isActive: ["desktop"],
            content: "Three children, Tina's at 0",
            trigger: ".o_list_view:has(.o_data_row:contains('Tina Split'):contains('0.00')) .o_data_row:eq(2)",
        },
        {
            isActive: ["mobile"],
            content: "On a phone, a card per child: Sam's 750.00 §",
            trigger: ".o_kanban_view .o_kanban_record:contains('Sam Split'):contains('750.00'):contains('§')",
        },
        {
            isActive: ["mobile"],
            content: "Three cards, Tina's at 0",
            trigger: ".o_kanban_view:has(.o_kanban_record:contains('Tina Split'):contains('0.00')) .o_kanban_record:not(.o_kanban_ghost):eq(2)",
        },
    ],
});
