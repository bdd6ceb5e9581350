from . import lost_parcel_shipment_report
from . import lost_parcel_carrier_scorecard
from . import lost_parcel_case_handling_report
