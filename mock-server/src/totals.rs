//! Invoice arithmetic. It must agree with the SDK's local preview to the last digit, so it is
//! written once, in `Decimal`, with the rounding rule spelled out.

use rust_decimal::{Decimal, RoundingStrategy};

/// The priced fields of one invoice line: all the arithmetic needs (the stored line converts
/// itself with `Item::priced`, so this module depends on nothing else in the crate).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Line {
    /// 1 normal, 2 promotion, 3 trade discount, 4 note.
    pub line_type: u8,
    /// Quantity (default 1).
    pub quantity: Option<Decimal>,
    /// Unit price (default 0).
    pub unit_price: Option<Decimal>,
    /// VAT rate in percent; negative rates carry no tax.
    pub tax_rate: Option<i64>,
    /// Discount percentage.
    pub discount_tax: Option<Decimal>,
    /// Discount amount (wins over the percentage).
    pub discount_amount: Option<Decimal>,
    /// Base of a trade-discount line.
    pub before_discount_and_tax_amount: Option<Decimal>,
    /// Older amount field, used as a trade-discount base.
    pub amount: Option<Decimal>,
}

/// Amounts of one line, each rounded half-up to 2 decimal places.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineAmounts {
    /// Line amount before tax (negative for a trade-discount line).
    pub amount: Decimal,
    /// Tax on the line.
    pub tax: Decimal,
}

/// Invoice-level totals in the currency's precision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Σ line amounts.
    pub total_before_tax: Decimal,
    /// Σ line taxes.
    pub tax_amount: Decimal,
    /// The client's `total_amount` if it sent one, else Σ (line + tax).
    pub total_amount: Decimal,
}

/// Half-up (away from zero) rounding to `dp` places.
pub fn round(v: Decimal, dp: u32) -> Decimal {
    v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// Decimal places of a currency: VND has no minor unit, USD and CAD have two.
pub fn currency_dp(currency: &str) -> u32 {
    match currency {
        "VND" => 0,
        _ => 2,
    }
}

/// The amounts of one line, by `line_type`; `None` if an amount overflows `Decimal`.
pub fn line_amounts(item: &Line) -> Option<LineAmounts> {
    let hundred = Decimal::ONE_HUNDRED;
    let qty_times_price = || {
        item.quantity
            .unwrap_or(Decimal::ONE)
            .checked_mul(item.unit_price.unwrap_or(Decimal::ZERO))
    };
    let raw = match item.line_type {
        // Normal and promotional lines: price × quantity less the line discount.
        1 | 2 => {
            let gross = qty_times_price()?;
            let discount = match (item.discount_amount, item.discount_tax) {
                (Some(amount), _) => amount,
                (None, Some(pct)) => gross.checked_mul(pct)?.checked_div(hundred)?,
                (None, None) => Decimal::ZERO,
            };
            gross.checked_sub(discount)?
        }
        // Trade discount: subtracts its base from the invoice.
        3 => {
            let base = match item.before_discount_and_tax_amount.or(item.amount) {
                Some(b) => b,
                None => qty_times_price()?,
            };
            -base
        }
        // Note lines carry no money.
        _ => Decimal::ZERO,
    };
    // Tax is taken on the unrounded line, then both are rounded: the SDK's preview does the same.
    let tax = match (item.line_type, item.tax_rate) {
        (4, _) => Decimal::ZERO,
        (_, Some(rate)) if rate >= 0 => {
            raw.checked_mul(Decimal::from(rate))?.checked_div(hundred)?
        }
        _ => Decimal::ZERO,
    };
    Some(LineAmounts {
        amount: round(raw, 2),
        tax: round(tax, 2),
    })
}

/// Totals of a whole invoice; `None` if an amount overflows `Decimal`.
pub fn totals(
    items: impl IntoIterator<Item = Line>,
    currency: &str,
    client_total: Option<Decimal>,
) -> Option<Totals> {
    let dp = currency_dp(currency);
    let mut sum_line = Decimal::ZERO;
    let mut sum_tax = Decimal::ZERO;
    for item in items {
        let a = line_amounts(&item)?;
        sum_line = sum_line.checked_add(a.amount)?;
        sum_tax = sum_tax.checked_add(a.tax)?;
    }
    Some(Totals {
        total_before_tax: round(sum_line, dp),
        tax_amount: round(sum_tax, dp),
        total_amount: match client_total {
            Some(t) => t,
            None => round(sum_line.checked_add(sum_tax)?, dp),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    fn item(line_type: u8) -> Line {
        Line {
            line_type,
            ..Line::default()
        }
    }

    #[test]
    fn doc_example_two_at_ten_percent() {
        let mut it = item(1);
        it.quantity = Some(d("2"));
        it.unit_price = Some(d("100000"));
        it.tax_rate = Some(10);
        let t = totals([it], "VND", None).unwrap_or_else(|| panic!("overflow"));
        assert_eq!(t.total_before_tax, d("200000"));
        assert_eq!(t.tax_amount, d("20000"));
        assert_eq!(t.total_amount, d("220000"));
    }

    #[test]
    fn discounts_trade_discount_and_notes() {
        let mut a = item(1);
        a.quantity = Some(d("10"));
        a.unit_price = Some(d("100000"));
        a.discount_tax = Some(d("10"));
        a.tax_rate = Some(10);
        let mut b = item(3);
        b.before_discount_and_tax_amount = Some(d("100000"));
        b.tax_rate = Some(10);
        let mut c = item(4);
        c.tax_rate = Some(10);
        let mut e = item(1);
        e.quantity = Some(d("1"));
        e.unit_price = Some(d("50000"));
        e.discount_amount = Some(d("1000"));
        e.discount_tax = Some(d("50"));
        e.tax_rate = Some(-1);
        let t = totals([a, b, c, e], "VND", None).unwrap_or_else(|| panic!("overflow"));
        // 900000 - 100000 + 49000 = 849000; tax 90000 - 10000 = 80000
        assert_eq!(t.total_before_tax, d("849000"));
        assert_eq!(t.tax_amount, d("80000"));
        assert_eq!(t.total_amount, d("929000"));
        let t = totals([item(1)], "VND", Some(d("123"))).unwrap_or_else(|| panic!("overflow"));
        assert_eq!(t.total_amount, d("123"));
    }

    #[test]
    fn overflow_is_reported_not_panicked() {
        let mut a = item(1);
        a.quantity = Some(Decimal::MAX);
        a.unit_price = Some(Decimal::MAX);
        assert_eq!(line_amounts(&a), None);
        let mut b = item(1);
        b.unit_price = Some(Decimal::MAX);
        assert_eq!(totals([b, b], "VND", None), None);
    }

    #[test]
    fn negative_lines_of_an_adjustment() {
        // A decrease: a negative unit_price, and a negative quantity.
        let mut a = item(1);
        a.unit_price = Some(d("-20000"));
        a.tax_rate = Some(10);
        let mut b = item(1);
        b.quantity = Some(d("-2"));
        b.unit_price = Some(d("1000"));
        b.tax_rate = Some(8);
        let t = totals([a, b], "VND", None).unwrap_or_else(|| panic!("overflow"));
        assert_eq!(t.total_before_tax, d("-22000"));
        assert_eq!(t.tax_amount, d("-2160"));
        assert_eq!(t.total_amount, d("-24160"));
        // Half-up is away from zero on both sides: -0.495 -> -0.50.
        let mut c = item(1);
        c.quantity = Some(d("-1.5"));
        c.unit_price = Some(d("0.33"));
        assert_eq!(
            line_amounts(&c),
            Some(LineAmounts {
                amount: d("-0.50"),
                tax: d("0")
            })
        );
        // ... and again to the currency: -0.50 VND -> -1, the mirror of 0.50 -> 1.
        let t = totals([c], "VND", None).unwrap_or_else(|| panic!("overflow"));
        assert_eq!(t.total_before_tax, d("-1"));
        // A client total may be negative too.
        let t = totals([a], "VND", Some(d("-22000"))).unwrap_or_else(|| panic!("overflow"));
        assert_eq!(t.total_amount, d("-22000"));
    }

    #[test]
    fn half_up_per_line_then_currency() {
        let mut a = item(1);
        a.quantity = Some(d("1.5"));
        a.unit_price = Some(d("0.33"));
        a.tax_rate = Some(5);
        // 0.495 -> 0.50; tax 0.02475 -> 0.02
        assert_eq!(
            line_amounts(&a),
            Some(LineAmounts {
                amount: d("0.50"),
                tax: d("0.02")
            })
        );
        let t = totals([a], "USD", None).unwrap_or_else(|| panic!("overflow"));
        assert_eq!(t.total_amount, d("0.52"));
        let t = totals([a], "VND", None).unwrap_or_else(|| panic!("overflow"));
        assert_eq!(t.total_before_tax, d("1"));
        assert_eq!(t.tax_amount, d("0"));
        assert_eq!(t.total_amount, d("1"));
    }
}
