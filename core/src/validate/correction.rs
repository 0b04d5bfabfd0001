//! Rules of a correction's lines: how an adjustment writes its difference.

use rust_decimal::Decimal;

use super::findings::Findings;
use crate::model::{AdjustmentType, CreateInvoice, LineItem, LineType};

/// The source of the adjustment rules.
const SOURCE: &str = "Decree 70/2025/NĐ-CP Art. 19 (increase positive, decrease negative); SePay adjustment docs (lines carry the difference)";

/// A line's difference: quantity (1 when left out) × unit_price; `None` for a line without a
/// price. **Inferred**: SePay's docs do not say how a decrease is written; the SDK (and the mock)
/// take the sign of this product, so a decrease line has a negative `unit_price` (or quantity).
pub fn line_difference(item: &LineItem) -> Option<Decimal> {
    let price = item.unit_price?;
    Some(item.quantity.unwrap_or(Decimal::ONE).saturating_mul(price))
}

/// Whether a line's type moves money (normal and promotional lines; discounts and notes do not
/// follow the sign rules).
fn priced(item: &LineItem) -> bool {
    matches!(item.line_type, LineType::Normal | LineType::Promotion)
}

fn nonzero(v: &Option<Decimal>) -> bool {
    v.is_some_and(|d| !d.is_zero())
}

/// Checks an adjustment's lines against its type.
pub(crate) fn adjustment_lines(f: &mut Findings, req: &CreateInvoice, kind: &AdjustmentType) {
    let at = |i: usize, name: &str| format!("items[{i}].{name}");
    match kind {
        AdjustmentType::Info => {
            for (i, item) in req.items.iter().enumerate() {
                for (name, v) in [
                    ("unit_price", &item.unit_price),
                    ("discount_amount", &item.discount_amount),
                    ("discount_tax", &item.discount_tax),
                    (
                        "before_discount_and_tax_amount",
                        &item.before_discount_and_tax_amount,
                    ),
                    ("amount", &item.amount),
                ] {
                    if nonzero(v) {
                        f.error_from(
                            &at(i, name),
                            "adjust-info-no-money",
                            "an information adjustment changes no amount: leave it out or 0 (use an increase, decrease or combined adjustment to change amounts)",
                            SOURCE,
                        );
                    }
                }
            }
            if nonzero(&req.total_amount) {
                f.error_from(
                    "total_amount",
                    "adjust-info-no-money",
                    "an information adjustment changes no amount: leave it out or 0",
                    SOURCE,
                );
            }
        }
        AdjustmentType::Increase | AdjustmentType::Decrease => {
            let increase = *kind == AdjustmentType::Increase;
            for (i, item) in req.items.iter().enumerate().filter(|(_, it)| priced(it)) {
                let Some(d) = line_difference(item) else {
                    continue;
                };
                let wrong = if increase {
                    d < Decimal::ZERO
                } else {
                    d > Decimal::ZERO
                };
                if wrong {
                    let field = if item.unit_price.is_some_and(|p| p.is_sign_negative())
                        || !item.quantity.is_some_and(|q| q.is_sign_negative())
                    {
                        "unit_price"
                    } else {
                        "quantity"
                    };
                    let message = if increase {
                        format!("an increase adjustment's lines are positive differences, got {d}: use a decrease or combined adjustment to lower an amount")
                    } else {
                        format!("a decrease adjustment's lines are negative differences, got {d}: write the amount taken off with a negative unit_price (e.g. -1000000)")
                    };
                    f.error_from(&at(i, field), "adjust-sign", message, SOURCE);
                }
            }
            if let Some(t) = req.total_amount.filter(|t| !t.is_zero()) {
                if increase == t.is_sign_negative() {
                    f.error_from(
                        "total_amount",
                        "adjust-sign",
                        format!(
                            "must be {} for {} adjustment, got {t}",
                            if increase { "positive" } else { "negative" },
                            if increase {
                                "an increase"
                            } else {
                                "a decrease"
                            }
                        ),
                        SOURCE,
                    );
                }
            }
        }
        AdjustmentType::Combined => {}
        AdjustmentType::Other(v) => {
            f.error(
                "adjustment_type",
                "adjustment-type",
                format!("must be \"increase\", \"decrease\", \"combined\" or \"info\", got {v:?}"),
            );
        }
    }
}
