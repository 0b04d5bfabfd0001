//! Vietnamese tax codes (mã số thuế).

/// Whether `s` is a tax code of the documented shape: 10 digits, or 10 digits, a dash and 3
/// digits for a branch (`0101234567-001`). Thirteen digits without the dash are refused: the
/// API's examples always write the dash, and a missing one usually means a mistyped code.
pub fn is_tax_code_shape(s: &str) -> bool {
    if !s.is_ascii() {
        return false; // also keeps the byte slicing below on character boundaries
    }
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match s.len() {
        10 => digits(s),
        14 => s.as_bytes()[10] == b'-' && digits(&s[..10]) && digits(&s[11..]),
        _ => false,
    }
}

/// The tax-code check digit test (Circular 105/2020): weights 31,29,23,19,17,13,7,5,3 over the
/// first nine digits, check = 10 − (sum mod 11). Some official API examples fail it, so the SDK
/// only warns.
pub fn tax_code_checksum_ok(s: &str) -> bool {
    let d: Vec<u32> = s
        .bytes()
        .take(10)
        .filter(u8::is_ascii_digit)
        .map(|b| u32::from(b - b'0'))
        .collect();
    if d.len() != 10 {
        return false;
    }
    const W: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let sum: u32 = d.iter().zip(W).map(|(a, w)| a * w).sum();
    let r = sum % 11;
    if r == 0 {
        return false;
    }
    (10 - r) % 10 == d[9]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_code_checksum_matches_reference_values() {
        assert!(tax_code_checksum_ok("0100233488"));
        assert!(tax_code_checksum_ok("0314409058-002"));
        assert!(tax_code_checksum_ok("0317887567"));
        assert!(!tax_code_checksum_ok("0101234567"));
        assert!(!tax_code_checksum_ok("0123456789"));
        assert!(is_tax_code_shape("0314409058-002"));
        assert!(!is_tax_code_shape("0314409058002"));
        assert!(!is_tax_code_shape("03144090580"));
        assert!(!is_tax_code_shape("ééééééé"));
    }
}
