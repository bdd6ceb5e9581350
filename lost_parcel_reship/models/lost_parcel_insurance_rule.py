from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount


class LostParcelInsuranceRule(models.Model):
    """When to advise insuring a shipment, and the insurance to suggest. A rule applies when
    every condition it sets holds: goods value above a threshold, a destination among its
    countries or flagged high-risk, a product in a fragile category, a shipping method. The
    first rule that applies (by sequence) gives the warning, the insurer and the premium shown
    on the sale order and the delivery; insuring records the insured value and the premium on
    the delivery, and the insured value then caps claims on the parcel."""

    _name = "lost.parcel.insurance.rule"
    _description = "Shipping Insurance Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")

    # Conditions
    min_goods_value = fields.Monetary(
        "Goods Value Above", help="Goods at the price the customer pays, in the company's currency. 0: any value."
    )
    country_ids = fields.Many2many("res.country", string="Destination Countries", help="Empty: any destination.")
    high_risk_destination = fields.Boolean(
        "High-Risk Destinations Only", help="Destinations the loss statistics list as high risk."
    )
    category_ids = fields.Many2many(
        "product.category",
        string="Fragile Categories",
        help="Applies when the shipment holds a product of these categories (or their subcategories).",
    )
    carrier_ids = fields.Many2many(
        "delivery.carrier", string="Shipping Methods", check_company=True, help="Empty: every shipping method."
    )

    # Advice
    message = fields.Text("Warning", translate=True, help="Shown to the salesperson and the warehouse.")
    insurance_provider = fields.Selection(
        [("carrier", "The carrier (declared value)"), ("insurer", "A shipping insurer")],
        "Insure With",
        default="insurer",
        required=True,
    )
    insurer_id = fields.Many2one("res.partner", "Insurer", help="The shipping insurer to buy the insurance from.")
    premium_rate = fields.Float("Premium (% of Value)", digits=(16, 3))
    premium_min = fields.Monetary("Minimum Premium")

    # ------------------------------------------------------------------ constraints
    @api.constrains("min_goods_value", "country_ids", "high_risk_destination", "category_ids", "premium_rate")
    def _check_conditions(self):
        for rule in self:
            if not (rule.min_goods_value or rule.country_ids or rule.high_risk_destination or rule.category_ids):
                raise ValidationError(
                    self.env._(
                        "Insurance rule %s needs a condition: a goods value, destinations, high-risk destinations "
                        "or fragile categories.",
                        rule.name,
                    )
                )
            if rule.premium_rate < 0 or rule.min_goods_value < 0 or rule.premium_min < 0:
                raise ValidationError(self.env._("Insurance rule %s: amounts cannot be negative.", rule.name))

    @api.constrains("insurance_provider", "insurer_id")
    def _check_insurer(self):
        for rule in self:
            if rule.insurance_provider == "insurer" and not rule.insurer_id:
                raise ValidationError(self.env._("Insurance rule %s: say which insurer to buy from.", rule.name))

    # ------------------------------------------------------------------ advice
    @api.model
    def _advice(self, company, partner, carrier, products, value):
        """The insurance advice for a shipment, or None when no rule applies. Read as
        superuser: salespeople and packers see the advice without reading the rules.

        :param products: product.product recordset shipped
        :param float value: goods value at sale price, in the company's currency
        :return: {"rule", "reasons" (list of str), "provider", "insurer", "value", "premium", "text"}
        """
        rules = self.sudo().search([("company_id", "=", company.id)])
        for rule in rules:
            reasons = rule._match(partner, carrier, products, value)
            if reasons is not None:
                return rule.with_env(self.env)._prepare_advice(reasons, company, value)
        return None

    def _match(self, partner, carrier, products, value):
        """The reasons this rule applies, in the reader's language, or None when it does not."""
        self.ensure_one()
        _ = self.env._
        reasons = []
        if self.carrier_ids and carrier not in self.carrier_ids:
            return None
        if self.min_goods_value:
            if self.currency_id.compare_amounts(value, self.min_goods_value) <= 0:
                return None
            reasons.append(
                _(
                    "goods value %(value)s above %(limit)s",
                    value=format_amount(self.env, value, self.currency_id),
                    limit=format_amount(self.env, self.min_goods_value, self.currency_id),
                )
            )
        country = partner.country_id
        if self.country_ids:
            if country not in self.country_ids:
                return None
            reasons.append(_("destination %s", country.name))
        if self.high_risk_destination:
            risk = self._high_risk_destination(partner, carrier)
            if not risk:
                return None
            reasons.append(risk)
        if self.category_ids:
            fragile = products.filtered_domain([("categ_id", "child_of", self.category_ids.ids)])
            if not fragile:
                return None
            reasons.append(_("fragile: %s", ", ".join(fragile.mapped("display_name"))))
        return reasons

    @api.model
    def _high_risk_destination(self, partner, carrier):
        """Why ``partner``'s address is a high-risk destination for ``carrier`` (a short text
        such as "Netherlands: 8.0% of parcels lost over the last 90 days"), or False: the riskiest
        listed high-risk region (``lost.parcel.risk.region``) the shipment falls in."""
        company = self.company_id if self else self.env.company
        regions = self.env["lost.parcel.risk.region"]._regions_for(company, partner, carrier)
        if not regions:
            return False
        region = regions[0]
        return self.env._(
            "%(region)s: %(rate).1f%% of parcels lost over the last %(days)s days",
            region=region.name,
            rate=region.loss_rate,
            days=region.window_days,
        )

    @api.model
    def _high_risk_advice(self, company, partner, carrier):
        """The insurance line of a high-risk destination warning (``lost.parcel.risk.region``):
        the first rule for high-risk destinations that the destination and carrier meet, with
        its insurer and premium (its other conditions, goods value or fragile goods, are decided
        on the order's own insurance advice), else a plain suggestion to insure. Read as
        superuser, as ``_advice``."""
        rules = self.sudo().search([("company_id", "=", company.id), ("high_risk_destination", "=", True)])
        rule = rules.filtered(
            lambda r: (
                (not r.carrier_ids or carrier in r.carrier_ids)
                and (not r.country_ids or partner.country_id in r.country_ids)
            )
        )[:1]
        if not rule:
            return self.env._("Consider insuring the parcel: no insurance rule covers high-risk destinations yet.")
        rule = rule.with_env(self.env)
        insurer = rule.insurer_id.name if rule.insurance_provider == "insurer" else False
        return self.env._(
            "Insure the parcel (%(rule)s): with %(insurer)s, premium %(rate)s%% of the goods value, at least "
            "%(minimum)s.",
            rule=rule.name,
            insurer=insurer or self.env._("the carrier (declared value)"),
            rate=f"{rule.premium_rate:g}",
            minimum=format_amount(self.env, rule.premium_min, rule.currency_id),
        )

    def _prepare_advice(self, reasons, company, value):
        self.ensure_one()
        currency = company.currency_id
        premium = currency.round(max(value * self.premium_rate / 100.0, self.premium_min))
        insurer = self.insurer_id if self.insurance_provider == "insurer" else self.env["res.partner"]
        with_whom = insurer.name or self.env._("the carrier (declared value)")
        text = self.env._(
            "Insurance advised (%(rule)s): %(reasons)s. Suggested: insure %(value)s with %(insurer)s, "
            "premium %(premium)s.",
            rule=self.name,
            reasons="; ".join(reasons),
            value=format_amount(self.env, value, currency),
            insurer=with_whom,
            premium=format_amount(self.env, premium, currency),
        )
        if self.message:
            text = f"{text}\n{self.message}"
        return {
            "rule": self,
            "reasons": reasons,
            "provider": self.insurance_provider,
            "insurer": insurer,
            "value": currency.round(value),
            "premium": premium,
            "text": text,
        }
