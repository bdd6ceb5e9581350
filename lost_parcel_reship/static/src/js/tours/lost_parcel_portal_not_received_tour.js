import { registry } from "@web/core/registry";

// The customer's side: the parcel has not arrived; open the order in My Account and say so with
// the button next to the delivery's tracking number.
registry.category("web_tour.tours").add("lost_parcel_portal_not_received_tour", {
    url: "/my/orders",
    steps: () => [
        {
            content: "Open the order from My Account",
            trigger: "a[href*='/my/orders/']:contains('S0')",
            run: "click",
        },
        {
            content: "Say what we should know",
            trigger: "form[action$='/parcel_not_received'] input[name='message']",
            run: "edit Nothing in the mailbox since last week",
        },
        {
            content: "I have not received my parcel",
            trigger: "form[action$='/parcel_not_received'] button.o_parcel_not_received:contains('I have not received my parcel')",
            run: "click",
        },
        {
            content: "The order page thanks the customer",
            trigger: ".o_parcel_not_received_done:contains('we will look into it')",
        },
    ],
});
