import { registry } from "@web/core/registry";

// The tours of each role, in English and in Simplified Chinese. The key buttons and labels are
// found by their visible text, so a missing or wrong translation fails the Chinese tour.
// Parcel references and the chatter's mail are the same in every language.
const LABELS = {
    en_US: {
        app: "Lost Parcels",
        filterToReview: "To Review",
        confirmLost: "Confirm Lost",
        confirmAndReship: "Confirm and Reship",
        reshipOfCase: "Reship of Case",
        stateToReview: "To Review",
        stateConfirmed: "Confirmed Lost",
        stateReshipped: "Reshipped",
        stateRefunded: "Refunded",
        stateDismissed: "Dismissed",
        stateFalseAlarm: "False Alarm",
        reporting: "Reporting",
        carrierScorecards: "Carrier Scorecards",
        lossRate: "Loss rate",
        carrierPerformance: "Carrier Performance",
        lossRateMeasure: "Loss Rate (%)",
        configuration: "Configuration",
        settings: "Settings",
        settingsBlock: "Lost Parcels",
        detectionRules: "Detection Rules",
        customerNotices: "Customer Notices",
    },
    zh_CN: {
        app: "丢失包裹",
        filterToReview: "待审核",
        confirmLost: "确认丢失",
        confirmAndReship: "确认并补发",
        reshipOfCase: "补发所属案例",
        stateToReview: "待审核",
        stateConfirmed: "已确认丢失",
        stateReshipped: "已补发",
        stateRefunded: "已退款",
        stateDismissed: "非丢失·已关闭",
        stateFalseAlarm: "误报",
        reporting: "报表",
        carrierScorecards: "承运商评分卡",
        lossRate: "丢失率",
        carrierPerformance: "承运商表现",
        lossRateMeasure: "丢失率（%）",
        configuration: "配置",
        settings: "设置",
        settingsBlock: "丢失包裹",
        detectionRules: "检测规则",
        customerNotices: "客户通知",
    },
};

const APP_XMLID = "lost_parcel_reship.menu_lost_parcel_root";

function openApp(L) {
    return [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Lost Parcels app",
            trigger: `.o_app[data-menu-xmlid='${APP_XMLID}']:contains('${L.app}')`,
            run: "click",
        },
        {
            content: "The app opens on the queue of cases",
            trigger: `.o_main_navbar .o_menu_brand:contains('${L.app}')`,
        },
    ];
}

// The warehouse user reviews a stalled parcel, confirms it lost with the carrier's reference,
// reships it, validates the replacement with its tracking number and sees the customer's mail.
function warehouseSteps(L) {
    return [
        ...openApp(L),
        {
            content: "The review queue lists the cases",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Open the filters",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Show the cases waiting for review",
            trigger: `.o_filter_menu .o-dropdown-item:contains('${L.filterToReview}')`,
            run: "click",
        },
        {
            content: "The filter is applied",
            trigger: `.o_searchview_facet:contains('${L.filterToReview}')`,
        },
        {
            content: "Open the stalled parcel's case",
            trigger: ".o_list_view .o_data_row td[name='carrier_tracking_ref']:contains('JD0STALLEDWH')",
            run: "click",
        },
        {
            content: "The case waits for review",
            trigger: `.o_form_view .o_statusbar_status button[data-value='to_review'][aria-checked='true']:contains('${L.stateToReview}')`,
        },
        {
            content: "Confirm the parcel lost",
            trigger: `.o_form_view .o_form_statusbar button[name='action_confirm_lost']:contains('${L.confirmLost}')`,
            run: "click",
        },
        {
            content: "Enter the carrier's confirmation reference",
            trigger: ".modal .o_field_widget[name='carrier_confirmation_ref'] input",
            run: "edit DHL-WH-TOUR-7",
        },
        {
            content: "Confirm and reship in one click",
            trigger: `.modal .modal-footer button[name='action_confirm_and_reship']:contains('${L.confirmAndReship}')`,
            run: "click",
        },
        {
            content: "The new delivery opens, linked to the case",
            timeout: 30000, // server work that takes a while on a loaded machine
            trigger: `.o_form_view .o_field_widget[name='lost_parcel_case_id'] a:contains('LOST/')`,
        },
        {
            content: "The link to the case has its label",
            trigger: `.o_form_view label:contains('${L.reshipOfCase}')`,
        },
        {
            content: "The replacement is reserved",
            trigger: ".o_form_view .o_statusbar_status button[data-value='assigned'][aria-checked='true']",
        },
        {
            content: "Open the additional information tab",
            trigger: ".o_form_view .o_notebook .nav-link[name='extra']",
            run: "click",
        },
        {
            content: "Enter the replacement's tracking number",
            trigger: ".o_form_view .o_field_widget[name='carrier_tracking_ref'] input",
            run: "edit JD0WHRESHIP",
        },
        {
            content: "Validate the replacement",
            trigger: ".o_form_view .o_form_statusbar button[name='button_validate']",
            run: "click",
        },
        {
            content: "The replacement is done",
            timeout: 30000, // server work that takes a while on a loaded machine
            trigger: ".o_form_view .o_statusbar_status button[data-value='done'][aria-checked='true']",
        },
        {
            content: "Go back to the case",
            trigger: ".o_control_panel .o_breadcrumb .breadcrumb-item a:contains('LOST/')",
            run: "click",
        },
        {
            content: "The case is reshipped",
            timeout: 30000, // server work that takes a while on a loaded machine
            trigger: `.o_form_view .o_statusbar_status button[data-value='reshipped'][aria-checked='true']:contains('${L.stateReshipped}')`,
        },
        {
            content: "The customer got the new tracking number, in the chatter",
            trigger: ".o-mail-Chatter .o-mail-Message-body:contains('JD0WHRESHIP')",
        },
    ];
}

// The manager looks at the queue's kanban, the carrier scorecards, the carrier performance
// report (pivot and graph) and the settings.
function managerSteps(L) {
    return [
        ...openApp(L),
        {
            content: "Switch the queue to its kanban",
            trigger: ".o_control_panel .o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "The open states are columns",
            trigger: `.o_kanban_view .o_kanban_group:not(.o_column_folded) .o_column_title:contains('${L.stateToReview}')`,
        },
        {
            trigger: `.o_kanban_view .o_kanban_group:not(.o_column_folded) .o_column_title:contains('${L.stateConfirmed}')`,
        },
        {
            content: "The closed states are folded",
            trigger: `.o_kanban_view .o_kanban_group.o_column_folded .o_column_title:contains('${L.stateReshipped}')`,
        },
        {
            trigger: `.o_kanban_view .o_kanban_group.o_column_folded .o_column_title:contains('${L.stateRefunded}')`,
        },
        {
            trigger: `.o_kanban_view .o_kanban_group.o_column_folded .o_column_title:contains('${L.stateDismissed}')`,
        },
        {
            trigger: `.o_kanban_view .o_kanban_group.o_column_folded .o_column_title:contains('${L.stateFalseAlarm}')`,
        },
        {
            content: "The case waiting for review is on its card",
            trigger: ".o_kanban_view .o_kanban_group:not(.o_column_folded) .o_kanban_record:contains('JD0STALLEDMGR')",
        },
        {
            content: "Open the reporting menu",
            trigger: `.o_menu_sections [data-menu-xmlid='lost_parcel_reship.menu_lost_parcel_reporting']:contains('${L.reporting}')`,
            run: "click",
        },
        {
            content: "Open the carrier scorecards",
            trigger: `.dropdown-menu [data-menu-xmlid='lost_parcel_reship.menu_lost_parcel_carrier_scorecard']:contains('${L.carrierScorecards}')`,
            run: "click",
        },
        {
            content: "The report is titled and shows the carrier that lost a parcel",
            trigger: `.o_control_panel .o_breadcrumb:contains('${L.carrierScorecards}')`,
        },
        {
            trigger: `.o_kanban_view .o_kanban_record:contains('DHL Express (test)'):contains('${L.lossRate}')`,
        },
        {
            content: "Open the reporting menu again",
            trigger: `.o_menu_sections [data-menu-xmlid='lost_parcel_reship.menu_lost_parcel_reporting']:contains('${L.reporting}')`,
            run: "click",
        },
        {
            content: "Open the carrier performance report",
            trigger: `.dropdown-menu [data-menu-xmlid='lost_parcel_reship.menu_lost_parcel_shipment_report']:contains('${L.carrierPerformance}')`,
            run: "click",
        },
        {
            content: "The pivot is titled, with the loss rate per carrier and destination",
            trigger: `.o_control_panel .o_breadcrumb:contains('${L.carrierPerformance}')`,
        },
        {
            trigger: `.o_pivot thead:contains('${L.lossRateMeasure}')`,
        },
        {
            trigger: ".o_pivot tbody th:contains('DHL Express (test)')",
        },
        {
            content: "Switch to the graph",
            trigger: ".o_control_panel .o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The graph draws the carriers' loss rates",
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "Open the configuration menu",
            trigger: `.o_menu_sections [data-menu-xmlid='lost_parcel_reship.menu_lost_parcel_config']:contains('${L.configuration}')`,
            run: "click",
        },
        {
            content: "Open the settings",
            trigger: `.dropdown-menu [data-menu-xmlid='lost_parcel_reship.menu_lost_parcel_settings']:contains('${L.settings}')`,
            run: "click",
        },
        {
            content: "The lost-parcel settings are shown",
            timeout: 30000, // server work that takes a while on a loaded machine
            trigger: `.app_settings_block[data-key='lost_parcel_reship']:contains('${L.settingsBlock}')`,
        },
        {
            trigger: `.app_settings_block[data-key='lost_parcel_reship'] .o_setting_box:contains('${L.detectionRules}')`,
        },
        {
            trigger: `.app_settings_block[data-key='lost_parcel_reship'] .o_setting_box:contains('${L.customerNotices}')`,
        },
    ];
}

for (const [lang, labels] of Object.entries(LABELS)) {
    registry.category("web_tour.tours").add(`lost_parcel_warehouse_tour_${lang}`, {
        url: "/odoo",
        steps: () => warehouseSteps(labels),
    });
    registry.category("web_tour.tours").add(`lost_parcel_manager_tour_${lang}`, {
        url: "/odoo",
        steps: () => managerSteps(labels),
    });
}
