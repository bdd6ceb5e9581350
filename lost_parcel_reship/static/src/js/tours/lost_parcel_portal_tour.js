import { registry } from "@web/core/registry";

// The customer's side: open the order in My Account, see what happened to the parcel, open the
// case and choose a refund with one button.
registry.category("web_tour.tours").add("lost_parcel_portal_refund_tour", {
    url: "/my/orders",
    steps: () => [
        {
            content: "Open the order from My Account",
            trigger: "a[href*='/my/orders/']:contains('S0')",
            run: "click",
        },
        {
            content: "The order says the parcel was lost",
            trigger: "#lost_parcel_cases .o_lost_parcel_case:contains('Your parcel was lost in transit')",
        },
        {
            content: "Open the case to choose",
            trigger: "#lost_parcel_cases a.o_lost_parcel_case_link:contains('Choose what we do')",
            run: "click",
        },
        {
            content: "Both choices are offered",
            trigger: ".o_lost_parcel_choice button.o_lost_parcel_choose_reship",
        },
        {
            content: "Refund me",
            trigger: ".o_lost_parcel_choice button.o_lost_parcel_choose_refund",
            run: "click",
        },
        {
            content: "The refund is confirmed on the page",
            trigger: ".alert-success:contains('we have refunded you')",
        },
        {
            trigger: ".o_lost_parcel_status:contains('You have been refunded')",
        },
    ],
});
