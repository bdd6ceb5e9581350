import { registry } from "@web/core/registry";

// The warehouse user's main flow: open the review queue, confirm a parcel lost with the
// carrier's reference, reship it and land on the new delivery.
registry.category("web_tour.tours").add("lost_parcel_review_tour", {
    url: "/odoo/action-lost_parcel_reship.action_lost_parcel_case",
    steps: () => [
        {
            content: "Open the stalled parcel's case from the review queue",
            trigger: ".o_list_view .o_data_row td[name='carrier_tracking_ref']:contains('JD0STALLEDTOUR')",
            run: "click",
        },
        {
            content: "The case shows why the parcel was flagged",
            trigger: ".o_form_view .o_field_widget[name='reason_ids'] td:contains('No tracking event for 30 days')",
        },
        {
            content: "Confirm the parcel lost",
            trigger: ".o_form_view .o_form_statusbar button[name='action_confirm_lost']",
            run: "click",
        },
        {
            content: "Enter the carrier's confirmation reference",
            trigger: ".modal .o_field_widget[name='carrier_confirmation_ref'] input",
            run: "edit DHL-TOUR-42",
        },
        {
            trigger: ".modal .modal-footer button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The case is confirmed",
            trigger: ".o_form_view .o_statusbar_status button[aria-checked='true']:contains('Confirmed Lost')",
        },
        {
            content: "Reship in one click",
            trigger: ".o_form_view .o_form_statusbar button[name='action_reship']",
            run: "click",
        },
        {
            content: "The new delivery opens, reserved and linked to the case",
            trigger: ".o_form_view .o_field_widget[name='lost_parcel_case_id'] a:contains('LOST/')",
        },
        {
            trigger: ".o_form_view .o_statusbar_status button[aria-checked='true']:contains('Ready')",
        },
    ],
});
