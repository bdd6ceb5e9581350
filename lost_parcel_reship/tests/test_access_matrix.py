"""Who may do what: every role against every operation, as one table."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .reship_common import ReshipCommon

ALLOWED, REFUSED = True, False
ROLES = {
    "stock_user": "stock.group_stock_user",
    "stock_manager": "stock.group_stock_manager",
    "salesman": "sales_team.group_sale_salesman",
    "lp_user": "stock.group_stock_user,lost_parcel_reship.group_lost_parcel_user",
    "lp_manager": "stock.group_stock_user,lost_parcel_reship.group_lost_parcel_manager",
    "sysadmin": "base.group_system,stock.group_stock_manager,lost_parcel_reship.group_lost_parcel_manager",
    "portal": "base.group_portal",
    "public": "base.group_public",
}
# operation: roles allowed (every other role is refused)
MATRIX = {
    "read case": {"lp_user", "lp_manager", "sysadmin"},
    "write case": {"lp_user", "lp_manager", "sysadmin"},
    "confirm": {"lp_user", "lp_manager", "sysadmin"},
    "reship": {"lp_user", "lp_manager", "sysadmin"},
    "refund": {"lp_user", "lp_manager", "sysadmin"},
    "configure rules": {"lp_manager", "sysadmin"},
    "read tracking account": {"stock_user", "stock_manager", "lp_user", "lp_manager", "sysadmin"},
    "see credentials": {"sysadmin"},
    "change account host": {"sysadmin"},
}


@tagged("post_install", "-at_install")
class TestAccessMatrix(ReshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            role: new_test_user(cls.env, f"matrix_{role}", groups=groups, email=f"{role}@example.com")
            for role, groups in ROLES.items()
        }

    def _operation(self, name, user):
        """Run one operation as ``user`` on fresh records; AccessError (or a UserError saying so)
        means refused."""
        if name in ("read case", "write case", "confirm", "reship", "refund"):
            case = self._lost_case(f"JD0STALLED{user.id:04d}{len(name):02d}")
            if name == "read case":
                return case.with_user(user).read(["name", "state", "goods_value_sale"])
            if name == "write case":
                return case.with_user(user).write({"carrier_confirmation_ref": "CHANGED"})
            if name == "confirm":
                case.state = "to_review"
                return case.with_user(user)._confirm_lost(False, "REF", self.env["ir.attachment"])
            if name == "reship":
                return case.with_user(user).action_reship()
            return case.with_user(user)._refund("The customer asked for the money")
        if name == "configure rules":
            return self.env["lost.parcel.rule"].with_user(user).create({"name": f"Rule of {user.login}"})
        account = self.account.with_user(user)
        if name == "read tracking account":
            return account.read(["name", "provider"])
        if name == "see credentials":
            return account.read(["api_key"])
        return account.write({"base_url": "https://attacker.example.com"})

    def test_every_role_against_every_operation(self):
        for operation, allowed in MATRIX.items():
            for role, user in self.users.items():
                with self.subTest(operation=operation, role=role), self.env.cr.savepoint() as savepoint:
                    try:
                        self._operation(operation, user)
                        outcome = ALLOWED
                    except AccessError:
                        outcome = REFUSED
                    except UserError as exc:
                        # A batch action reports each case's refusal in one message.
                        if "not allowed to access" not in str(exc):
                            self.fail(f"{role} / {operation}: refused for a reason other than access: {exc}")
                        outcome = REFUSED
                    savepoint.rollback()
                    self.assertEqual(outcome, role in allowed, f"{role} / {operation}")

    def test_changing_the_host_clears_the_secrets(self):
        admin = self.users["sysadmin"]
        account = self.account.with_user(admin)
        account.write({"base_url": "https://other-host.example.com"})
        self.assertFalse(account.api_key, "the key of the old host never goes to the new one")
