from odoo.tests import tagged

from .common import TrackingCommon


@tagged("post_install", "-at_install")
class TestWebhookUnknown(TrackingCommon):
    def test_provider_without_push_has_no_webhook(self):
        self.assertFalse(self.account.supports_webhook)
