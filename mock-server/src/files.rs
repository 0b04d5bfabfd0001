//! The invoice documents the download endpoint returns: a small, valid one-page PDF 1.4 and an
//! XML rendering of the invoice.

use std::fmt::Write as _;

use crate::model::{money_str, AdjustmentType, Invoice, InvoiceKind, InvoiceStatus};
use crate::totals;

/// Seller printed on every mock document.
pub const SELLER_NAME: &str = "Công ty TNHH SePay Mock";
/// Seller tax code (a valid MST, taken from SePay's demo seller).
pub const SELLER_TAX_CODE: &str = "0302712571";
/// Seller address.
pub const SELLER_ADDRESS: &str = "Tầng 3, 123 Đường Mẫu, Quận 1, TP.HCM";

/// Vietnamese letters without their diacritics, for the PDF's standard (Latin-1) font.
const FOLD: &[(&str, char)] = &[
    ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
    ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'A'),
    ("èéẻẽẹêềếểễệ", 'e'),
    ("ÈÉẺẼẸÊỀẾỂỄỆ", 'E'),
    ("ìíỉĩị", 'i'),
    ("ÌÍỈĨỊ", 'I'),
    ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
    ("ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'O'),
    ("ùúủũụưừứửữự", 'u'),
    ("ÙÚỦŨỤƯỪỨỬỮỰ", 'U'),
    ("ỳýỷỹỵ", 'y'),
    ("ỲÝỶỸỴ", 'Y'),
    ("đ", 'd'),
    ("Đ", 'D'),
];

fn ascii_fold(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() {
                return c;
            }
            FOLD.iter()
                .find(|(set, _)| set.contains(c))
                .map(|(_, r)| *r)
                .unwrap_or('?')
        })
        .collect()
}

/// A PDF literal string: folded to ASCII, with `\`, `(` and `)` escaped.
fn pdf_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('(');
    for c in ascii_fold(s).chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push(')');
    out
}

fn buyer_field<'a>(inv: &'a Invoice, key: &str) -> &'a str {
    inv.buyer.get(key).and_then(|v| v.as_str()).unwrap_or("")
}

/// The company's legal name when given, else the buyer's name.
fn buyer_name(inv: &Invoice) -> &str {
    match buyer_field(inv, "legal_name") {
        "" => buyer_field(inv, "name"),
        legal => legal,
    }
}

fn money(inv: &Invoice, d: rust_decimal::Decimal) -> String {
    let mut r = totals::round(d, totals::currency_dp(&inv.currency));
    r.rescale(totals::currency_dp(&inv.currency));
    format!("{r} {}", inv.currency)
}

/// What a correction corrects ("Thay thế cho hóa đơn …"); empty for a new invoice.
fn correction_line(inv: &Invoice) -> String {
    match &inv.kind {
        InvoiceKind::New => String::new(),
        InvoiceKind::Replacement { original } => format!("Thay thế cho hóa đơn {original}"),
        InvoiceKind::Adjustment {
            original,
            adjustment,
        } => {
            let what = match adjustment {
                AdjustmentType::Increase => "tăng",
                AdjustmentType::Decrease => "giảm",
                AdjustmentType::Info => "thông tin",
                AdjustmentType::Combined => "tăng/giảm",
            };
            format!("Điều chỉnh {what} cho hóa đơn {original}")
        }
    }
}

/// The text lines printed on the PDF page.
fn pdf_lines(inv: &Invoice) -> Vec<String> {
    let title = if inv.template_code == "2" {
        "HÓA ĐƠN BÁN HÀNG"
    } else {
        "HÓA ĐƠN GIÁ TRỊ GIA TĂNG"
    };
    let mut lines = vec![
        title.to_string(),
        if inv.status == InvoiceStatus::Draft {
            "(BẢN NHÁP - chưa phát hành)".to_string()
        } else {
            String::new()
        },
        format!(
            "Mẫu số: {}   Ký hiệu: {}   Số: {:07}",
            inv.template_code, inv.invoice_series, inv.invoice_number
        ),
        format!("Ngày: {}", inv.issued_date()),
        format!(
            "Mã CQT: {}",
            inv.tax_authority_code.as_deref().unwrap_or("-")
        ),
        String::new(),
        format!("Đơn vị bán: {SELLER_NAME}   MST: {SELLER_TAX_CODE}"),
        format!("Địa chỉ: {SELLER_ADDRESS}"),
        String::new(),
        format!(
            "Người mua: {}   MST: {}",
            buyer_name(inv),
            buyer_field(inv, "tax_code")
        ),
        format!("Địa chỉ: {}", buyer_field(inv, "address")),
        String::new(),
    ];
    let correction = correction_line(inv);
    if !correction.is_empty() {
        lines.insert(2, correction);
    }
    for it in &inv.items {
        let a = totals::line_amounts(&it.priced()).unwrap_or_default();
        lines.push(format!(
            "{}. {} - SL {} x {} = {}   Thuế: {}",
            it.line_number,
            it.item_name,
            it.quantity.map(money_str).unwrap_or_default(),
            it.unit_price.map(money_str).unwrap_or_default(),
            money_str(a.amount),
            money_str(a.tax)
        ));
    }
    lines.push(String::new());
    lines.push(format!(
        "Cộng tiền hàng: {}",
        money(inv, inv.totals.total_before_tax)
    ));
    lines.push(format!(
        "Tiền thuế GTGT: {}",
        money(inv, inv.totals.tax_amount)
    ));
    lines.push(format!(
        "Tổng cộng thanh toán: {}",
        money(inv, inv.totals.total_amount)
    ));
    lines.push(format!("Mã tham chiếu: {}", inv.reference_code));
    lines
}

/// A one-page PDF 1.4 showing the invoice; the xref table holds the true byte offsets.
pub fn pdf(inv: &Invoice) -> Vec<u8> {
    let mut content = String::from("BT\n/F1 11 Tf\n14 TL\n50 800 Td\n");
    for (i, line) in pdf_lines(inv).iter().enumerate() {
        if i == 0 {
            let _ = writeln!(content, "/F1 16 Tf {} Tj /F1 11 Tf T* T*", pdf_string(line));
        } else {
            let _ = writeln!(content, "{} Tj T*", pdf_string(line));
        }
    }
    content.push_str("ET\n");

    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
         /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
    ];
    let mut out: Vec<u8> = Vec::with_capacity(2048);
    out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref_at = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        // Each entry is exactly 20 bytes, ending in space + newline.
        let _ = writeln!(xref, "{off:010} 00000 n ");
    }
    let _ = write!(
        xref,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(xref.as_bytes());
    out
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An XML invoice document shaped after the tax authority's `HDon` layout.
pub fn xml(inv: &Invoice) -> Vec<u8> {
    let mut x = String::with_capacity(2048);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<HDon>\n");
    let _ = writeln!(x, "  <DLHDon Id=\"{}\">", esc(&inv.reference_code));
    x.push_str("    <TTChung>\n      <PBan>2.1.0</PBan>\n");
    let kind = if inv.template_code == "2" {
        "Hóa đơn bán hàng"
    } else {
        "Hóa đơn giá trị gia tăng"
    };
    let header = [
        ("THDon", kind.to_string()),
        ("KHMSHDon", inv.template_code.clone()),
        ("KHHDon", inv.invoice_series.clone()),
        ("SHDon", inv.invoice_number.to_string()),
        ("NLap", inv.issued_date()),
        ("DVTTe", inv.currency.clone()),
        ("HTTToan", inv.payment_method.clone().unwrap_or_default()),
        ("MaTChieu", inv.reference_code.clone()),
    ];
    for (tag, val) in header {
        let _ = writeln!(x, "      <{tag}>{}</{tag}>", esc(&val));
    }
    x.push_str("    </TTChung>\n    <NDHDon>\n      <NBan>\n");
    for (tag, val) in [
        ("Ten", SELLER_NAME),
        ("MST", SELLER_TAX_CODE),
        ("DChi", SELLER_ADDRESS),
    ] {
        let _ = writeln!(x, "        <{tag}>{}</{tag}>", esc(val));
    }
    x.push_str("      </NBan>\n      <NMua>\n");
    for (tag, key) in [
        ("Ten", "name"),
        ("TenDVi", "legal_name"),
        ("MST", "tax_code"),
        ("DChi", "address"),
        ("DCTDTu", "email"),
        ("SDThoai", "phone"),
        ("MKHang", "buyer_code"),
        ("CCCDan", "national_id"),
    ] {
        let val = buyer_field(inv, key);
        if !val.is_empty() {
            let _ = writeln!(x, "        <{tag}>{}</{tag}>", esc(val));
        }
    }
    x.push_str("      </NMua>\n      <DSHHDVu>\n");
    for it in &inv.items {
        let a = totals::line_amounts(&it.priced()).unwrap_or_default();
        x.push_str("        <HHDVu>\n");
        let fields = [
            ("TChat", it.line_type.to_string()),
            ("STT", it.line_number.to_string()),
            ("MHHDVu", it.item_code.clone().unwrap_or_default()),
            ("THHDVu", it.item_name.clone()),
            ("DVTinh", it.unit.clone().unwrap_or_default()),
            ("SLuong", it.quantity.map(money_str).unwrap_or_default()),
            ("DGia", it.unit_price.map(money_str).unwrap_or_default()),
            ("ThTien", money_str(a.amount)),
            ("TSuat", tax_label(it.tax_rate)),
            ("TThue", money_str(a.tax)),
        ];
        for (tag, val) in fields {
            let _ = writeln!(x, "          <{tag}>{}</{tag}>", esc(&val));
        }
        x.push_str("        </HHDVu>\n");
    }
    x.push_str("      </DSHHDVu>\n      <TToan>\n");
    for (tag, val) in [
        ("TgTCThue", inv.totals.total_before_tax),
        ("TgTThue", inv.totals.tax_amount),
        ("TgTTTBSo", inv.totals.total_amount),
    ] {
        let _ = writeln!(x, "        <{tag}>{}</{tag}>", val.normalize());
    }
    x.push_str("      </TToan>\n    </NDHDon>\n  </DLHDon>\n");
    if let Some(code) = &inv.tax_authority_code {
        let _ = writeln!(x, "  <MCCQT>{}</MCCQT>", esc(code));
    }
    x.push_str("</HDon>\n");
    x.into_bytes()
}

/// The provider's label of a tax rate (`KCT`, `KKKNT`, `10%`).
fn tax_label(rate: Option<i64>) -> String {
    match rate {
        None => String::new(),
        Some(-2) => "KCT".to_string(),
        Some(-1) => "KKKNT".to_string(),
        Some(r) => format!("{r}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_and_escape() {
        assert_eq!(pdf_string("Hóa đơn (A)\\"), "(Hoa don \\(A\\)\\\\)");
        assert_eq!(ascii_fold("Đường Nguyễn Huệ"), "Duong Nguyen Hue");
    }
}
