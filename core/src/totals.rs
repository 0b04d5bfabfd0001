//! A local preview of the amounts the API will compute for a create request.
//!
//! The formula follows the API docs: a line is quantity × unit price less its discount (an
//! amount, else a percentage); a trade-discount line (type 3) subtracts its amount; a note line
//! (type 4) counts nothing; VAT is line × rate / 100 for rates ≥ 0. Lines are rounded half-up to
//! 2 decimals, totals to the currency's places (VND: whole đồng). The mock server uses the same
//! rules, so the preview and the API's answer agree.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::model::{CreateInvoice, LineItem, LineType};

/// Amounts of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LineTotal {
    /// The line's number (its position from 1 when it has none).
    pub line_number: u32,
    /// Amount after discount, before tax (negative on a trade-discount line).
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Money"))]
    pub amount: Decimal,
    /// VAT on the line.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Money"))]
    pub tax_amount: Decimal,
}

/// Amounts of a whole invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Totals {
    /// Each line's amounts.
    pub lines: Vec<LineTotal>,
    /// Σ line amounts, rounded to the currency.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Money"))]
    pub total_before_tax: Decimal,
    /// Σ VAT, rounded to the currency.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Money"))]
    pub tax_amount: Decimal,
    /// The request's `total_amount` when given (the API uses it as-is), else the rounded sum.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Money"))]
    pub total_amount: Decimal,
}

fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// quantity (default 1) × unit price (default 0). Saturating: a preview must not panic on absurd
/// input; validation rejects such amounts before a request.
fn qty_times_price(item: &LineItem) -> Decimal {
    item.quantity
        .unwrap_or(Decimal::ONE)
        .saturating_mul(item.unit_price.unwrap_or(Decimal::ZERO))
}

/// Amount and tax of a single line.
pub fn line_amounts(item: &LineItem) -> (Decimal, Decimal) {
    let priced = || {
        let gross = qty_times_price(item);
        let discount = match (item.discount_amount, item.discount_tax) {
            (Some(a), _) => a,
            (None, Some(p)) => gross.saturating_mul(p) / Decimal::ONE_HUNDRED,
            (None, None) => Decimal::ZERO,
        };
        gross.saturating_sub(discount)
    };
    let amount = match item.line_type {
        LineType::Note => return (Decimal::ZERO, Decimal::ZERO),
        LineType::Discount => {
            let base = item
                .before_discount_and_tax_amount
                .or(item.amount)
                .unwrap_or_else(|| qty_times_price(item));
            -base
        }
        _ => priced(),
    };
    let tax = match item.tax_rate.and_then(|r| r.percent()) {
        Some(p) => amount.saturating_mul(Decimal::from(p)) / Decimal::ONE_HUNDRED,
        None => Decimal::ZERO,
    };
    (round2(amount), round2(tax))
}

impl CreateInvoice {
    /// Computes line amounts, tax and total the way the API documents them, without a request.
    ///
    /// ```
    /// use sepay_einvoice::{CreateInvoice, LineItem, TaxRate};
    /// let req = CreateInvoice {
    ///     items: vec![LineItem::new("Sản phẩm A", 2.into(), 100_000.into()).with_tax_rate(TaxRate::Ten)],
    ///     ..Default::default()
    /// };
    /// let t = req.totals();
    /// assert_eq!((t.total_before_tax, t.tax_amount, t.total_amount), (200_000.into(), 20_000.into(), 220_000.into()));
    /// ```
    pub fn totals(&self) -> Totals {
        let dp = self.currency.decimal_places();
        let round =
            |d: Decimal| d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
        let lines: Vec<LineTotal> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let (amount, tax_amount) = line_amounts(item);
                LineTotal {
                    line_number: item.line_number.unwrap_or(i as u32 + 1),
                    amount,
                    tax_amount,
                }
            })
            .collect();
        // Saturating: a preview must not panic on absurd input; validation rejects such amounts.
        let before = lines
            .iter()
            .fold(Decimal::ZERO, |acc, l| acc.saturating_add(l.amount));
        let tax = lines
            .iter()
            .fold(Decimal::ZERO, |acc, l| acc.saturating_add(l.tax_amount));
        Totals {
            total_before_tax: round(before),
            tax_amount: round(tax),
            total_amount: self
                .total_amount
                .unwrap_or_else(|| round(before.saturating_add(tax))),
            lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, TaxRate};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn req(items: Vec<LineItem>) -> CreateInvoice {
        CreateInvoice {
            items,
            ..Default::default()
        }
    }

    #[test]
    fn documented_example_vat_10() {
        let t = req(vec![
            LineItem::new("A", d("2"), d("100000")).with_tax_rate(TaxRate::Ten)
        ])
        .totals();
        assert_eq!(
            (t.total_before_tax, t.tax_amount, t.total_amount),
            (d("200000"), d("20000"), d("220000"))
        );
    }

    #[test]
    fn discounts_promotions_notes_and_trade_discounts() {
        let mut pct = LineItem::new("A", d("1"), d("4500000"));
        pct.discount_tax = Some(d("2"));
        let mut amt = LineItem::new("B", d("10"), d("100000")).with_tax_rate(TaxRate::Ten);
        amt.discount_amount = Some(d("100000"));
        amt.discount_tax = Some(d("10")); // the amount wins
        let promo = LineItem {
            line_type: LineType::Promotion,
            item_name: "KM".into(),
            quantity: Some(d("1")),
            ..Default::default()
        };
        let trade = LineItem {
            line_type: LineType::Discount,
            item_name: "CK".into(),
            before_discount_and_tax_amount: Some(d("100000")),
            tax_rate: Some(TaxRate::Ten),
            ..Default::default()
        };
        let t = req(vec![pct, amt, promo, trade, LineItem::note("ghi chú")]).totals();
        let amounts: Vec<_> = t.lines.iter().map(|l| (l.amount, l.tax_amount)).collect();
        assert_eq!(
            amounts,
            vec![
                (d("4410000"), d("0")),
                (d("900000"), d("90000")),
                (d("0"), d("0")),
                (d("-100000"), d("-10000")),
                (d("0"), d("0"))
            ]
        );
        assert_eq!(t.total_amount, d("5290000"));
    }

    #[test]
    fn vnd_rounds_to_whole_dong_half_up_and_usd_keeps_cents() {
        let item = LineItem::new("A", d("1.5"), d("333")).with_tax_rate(TaxRate::Eight);
        let t = req(vec![item.clone()]).totals();
        assert_eq!(
            (t.total_before_tax, t.tax_amount, t.total_amount),
            (d("500"), d("40"), d("539"))
        );
        let mut usd = req(vec![item]);
        usd.currency = Currency::Usd;
        let t = usd.totals();
        assert_eq!(
            (t.total_before_tax, t.tax_amount, t.total_amount),
            (d("499.50"), d("39.96"), d("539.46"))
        );
    }

    #[test]
    fn absurd_amounts_do_not_panic() {
        let t = req(vec![
            LineItem::new("A", Decimal::MAX, Decimal::MAX).with_tax_rate(TaxRate::Ten)
        ])
        .totals();
        assert_eq!(t.total_before_tax, Decimal::MAX.round_dp(0));
    }

    #[test]
    fn given_total_is_used_as_is() {
        let mut r = req(vec![LineItem::new("A", d("1"), d("100"))]);
        r.total_amount = Some(d("4950000"));
        assert_eq!(r.totals().total_amount, d("4950000"));
    }
}
