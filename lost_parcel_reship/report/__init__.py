from . import lost_parcel_shipment_report
