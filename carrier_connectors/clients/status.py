"""The normalized tracking status shared by every connector and by the Odoo models."""

PENDING = "pending"
INFO_RECEIVED = "info_received"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
AVAILABLE_FOR_PICKUP = "available_for_pickup"
FAILED_ATTEMPT = "failed_attempt"
EXCEPTION = "exception"
RETURNING = "returning"
RETURNED = "returned"
DELIVERED = "delivered"
EXPIRED = "expired"
NOT_FOUND = "not_found"
UNKNOWN = "unknown"

STATUS_SELECTION = [
    (PENDING, "Pending"),
    (INFO_RECEIVED, "Info Received"),
    (IN_TRANSIT, "In Transit"),
    (OUT_FOR_DELIVERY, "Out for Delivery"),
    (AVAILABLE_FOR_PICKUP, "Available for Pickup"),
    (FAILED_ATTEMPT, "Failed Attempt"),
    (EXCEPTION, "Exception"),
    (RETURNING, "Returning to Sender"),
    (RETURNED, "Returned to Sender"),
    (DELIVERED, "Delivered"),
    (EXPIRED, "Expired"),
    (NOT_FOUND, "Not Found"),
    (UNKNOWN, "Unknown"),
]
STATUSES = frozenset(code for code, _label in STATUS_SELECTION)

# Statuses after which the carrier will not report anything new: polling stops. Not EXPIRED: it
# is a parcel "in transit for an extended period and not yet delivered" (17TRACK's status table),
# the one a seller most needs to hear from again; it is asked about slowly instead
# (``stock.picking._tracking_poll_plan``).
FINAL_STATUSES = frozenset({DELIVERED, RETURNED})

# Finer reasons a connector recognises inside EXCEPTION/RETURNING: detection rules and
# claims use them. Stored as the event's and the picking's "exception_kind".
EXCEPTION_KINDS = [
    ("lost", "Lost"),
    ("damaged", "Damaged"),
    ("destroyed", "Destroyed"),
    ("returned", "Returned / Returning"),
    ("customs", "Customs Hold"),
    ("delivery_failed", "Delivery Failure"),
    ("address", "Address Problem"),
    ("delay", "Delayed"),
    ("other", "Other Exception"),
]
