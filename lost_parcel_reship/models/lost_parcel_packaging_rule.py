from odoo import api, fields, models


class LostParcelPackagingRule(models.Model):
    """How to pack what breaks or gets lost: advice for the packer, and a package type, by
    product category and destination. Every rule that applies to a delivery shows its advice
    on the delivery; the first one with a package type (by sequence) suggests it."""

    _name = "lost.parcel.packaging.rule"
    _description = "Packaging Advice Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    category_ids = fields.Many2many(
        "product.category",
        string="Product Categories",
        help="Applies when the delivery holds a product of these categories (or their subcategories). Empty: any.",
    )
    scope = fields.Selection(
        [("all", "All destinations"), ("domestic", "Domestic"), ("international", "International")],
        default="all",
        required=True,
        help="Domestic: the delivery address is in the company's country.",
    )
    country_ids = fields.Many2many("res.country", string="Destination Countries", help="Empty: any destination.")
    carrier_ids = fields.Many2many(
        "delivery.carrier", string="Shipping Methods", check_company=True, help="Empty: every shipping method."
    )
    advice = fields.Text(required=True, translate=True, help="What the packer reads on the delivery.")
    package_type_id = fields.Many2one("stock.package.type", "Package Type", check_company=True)

    @api.model
    def _advice(self, company, partner, carrier, products):
        """The rules that apply to a shipment, read as superuser (packers do not read rules).

        :return: {"rules", "lines" (advice texts), "package_type"}
        """
        rules = self.sudo().search([("company_id", "=", company.id)])
        matched = rules.filtered(lambda rule: rule._matches(company, partner, carrier, products)).with_env(self.env)
        return {
            "rules": matched,
            "lines": [f"{rule.name}: {rule.advice}" for rule in matched],
            "package_type": matched.package_type_id[:1],
        }

    def _matches(self, company, partner, carrier, products):
        self.ensure_one()
        if self.carrier_ids and carrier not in self.carrier_ids:
            return False
        country = partner.country_id
        if self.country_ids and country not in self.country_ids:
            return False
        if self.scope != "all":
            domestic = bool(company.country_id) and country == company.country_id
            if domestic != (self.scope == "domestic"):
                return False
        if self.category_ids:
            return bool(products.filtered_domain([("categ_id", "child_of", self.category_ids.ids)]))
        return bool(products)
