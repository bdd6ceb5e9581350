from . import carrier_tracking_account
from . import delivery_carrier
from . import stock_tracking_event
from . import stock_picking
from . import res_config_settings
from . import carrier_claim_account
from . import carrier_connectors_demo
from . import marketplace_account
