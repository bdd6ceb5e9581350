from . import test_tracking_poll
from . import test_tracking_account
from . import test_webhook
from . import test_providers
from . import test_poll_scale
from . import test_claim_account
from . import test_marketplace_account
from . import test_tracking_reliability
