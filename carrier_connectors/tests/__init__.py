from . import test_tracking_poll
from . import test_tracking_account
from . import test_webhook
