from . import lost_parcel_quantity_line
from . import lost_parcel_confirm_wizard
from . import lost_parcel_dismiss_wizard
from . import lost_parcel_reship_wizard
from . import lost_parcel_refund_wizard
from . import lost_parcel_claim_decision_wizard
