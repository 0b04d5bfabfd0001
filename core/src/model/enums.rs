//! Enumerations of the API. Every enum keeps values it does not know as `Other`, so a new
//! server-side value never breaks decoding.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The JSON Schema of an enumeration: its values, each value's Rust name and doc, and whether
/// unknown values are kept (`x-open`). See `crate::schema`.
#[cfg(feature = "schema")]
fn enum_schema(
    ty: &str,
    doc: &[&str],
    values: serde_json::Value,
    names: &[&str],
    docs: &[&[&str]],
    open: bool,
) -> schemars::Schema {
    let text = |lines: &[&str]| lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    let descriptions: Vec<String> = docs.iter().map(|d| text(d)).collect();
    schemars::json_schema!({
        "type": ty,
        "description": text(doc),
        "enum": values,
        "x-enum-varnames": names,
        "x-enum-descriptions": descriptions,
        "x-open": open,
    })
}

/// The `JsonSchema` impl of an enum declared by `string_enum!` or `int_enum!` (open: unknown
/// values are kept as `Other`).
macro_rules! schema_of {
    ($ty:literal $(#[doc = $doc:literal])* $name:ident { $($(#[doc = $vdoc:literal])* $variant:ident = $wire:literal),+ }) => {
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                enum_schema(
                    $ty,
                    &[$($doc),*],
                    serde_json::json!([$($wire),+]),
                    &[$(stringify!($variant)),+],
                    &[$(&[$($vdoc),*]),+],
                    true,
                )
            }
        }
    };
}

macro_rules! string_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[doc = $vdoc:literal])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[doc = $vdoc])* $variant,)+
            /// A value this version of the SDK does not know, kept as the server sent it.
            Other(String),
        }

        impl $name {
            /// The value as the API writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(s) => s,
                }
            }

            /// Reads a value; matching is case-insensitive and unknown values become `Other`.
            pub fn parse(s: &str) -> Self {
                $(if s.eq_ignore_ascii_case($wire) { return $name::$variant; })+
                $name::Other(s.to_string())
            }

            /// Whether this is a value the SDK knows (not `Other`).
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name::parse(s))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::parse(&s))
            }
        }

        schema_of!("string" $(#[doc = $doc])* $name { $($(#[doc = $vdoc])* $variant = $wire),+ });
    };
}

string_enum! {
    /// Invoice currency.
    Currency {
        /// Vietnamese đồng (no minor unit).
        Vnd = "VND",
        /// US dollar.
        Usd = "USD",
        /// Canadian dollar.
        Cad = "CAD",
    }
}

#[allow(clippy::derivable_impls)] // the enum comes from a macro, so it cannot carry #[default]
impl Default for Currency {
    fn default() -> Self {
        Currency::Vnd
    }
}

impl Currency {
    /// Decimal places used when the API rounds totals in this currency.
    pub fn decimal_places(&self) -> u32 {
        match self {
            Currency::Vnd => 0,
            _ => 2,
        }
    }
}

string_enum! {
    /// How the buyer pays.
    PaymentMethod {
        /// `TM`: cash.
        Cash = "TM",
        /// `CK`: bank transfer.
        BankTransfer = "CK",
        /// `TM/CK`: cash or bank transfer.
        CashOrTransfer = "TM/CK",
        /// `KHAC`: other.
        Khac = "KHAC",
    }
}

string_enum! {
    /// Whether the buyer is a person or a company.
    BuyerType {
        /// A private person.
        Personal = "personal",
        /// A company.
        Company = "company",
    }
}

string_enum! {
    /// State of a create or issue job (the API writes these in Title case).
    JobState {
        /// Received and queued.
        Pending = "Pending",
        /// Done.
        Success = "Success",
        /// Ended in error; see the status message.
        Failed = "Failed",
    }
}

string_enum! {
    /// Status of an invoice (lower case on the wire).
    InvoiceStatus {
        /// A draft: not signed, no number yet (`invoice_number` is `"0"`).
        Draft = "draft",
        /// Issued: signed and numbered.
        Issued = "issued",
        /// Cancelled.
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// Where an invoice was made.
    Source {
        /// In SePay's web interface.
        Manual = "manual",
        /// Through the API.
        Api = "api",
    }
}

string_enum! {
    /// Which stage a job tracks.
    JobKind {
        /// `POST /v1/invoices/create`.
        Create = "create",
        /// `POST /v1/invoices/issue`.
        Issue = "issue",
        /// `POST /v1/invoices/replace`: a replacement invoice (checked like a create).
        Replace = "replace",
        /// `POST /v1/invoices/adjust`: an adjustment invoice (checked like a create).
        Adjust = "adjust",
    }
}

string_enum! {
    /// What an adjustment invoice changes (`adjustment_type`). Lines carry only the difference.
    AdjustmentType {
        /// Raises amounts: every line's amount is positive.
        Increase = "increase",
        /// Lowers amounts: every priced line's amount is negative (a negative `unit_price`).
        Decrease = "decrease",
        /// Raises some lines and lowers others (each line signed).
        Combined = "combined",
        /// Corrects information only (names, codes, addresses): no amount changes.
        Info = "info",
    }
}

string_enum! {
    /// How serious a [`crate::Problem`] is.
    Severity {
        /// The request would be refused: it is not sent.
        Error = "error",
        /// Likely a mistake, or a rule whose legal basis may have been extended: sent anyway
        /// (an error in strict mode).
        Warning = "warning",
    }
}

/// File format for [`crate::Client::download_invoice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    /// The signed invoice as PDF.
    Pdf,
    /// The invoice XML.
    Xml,
}

impl FileType {
    /// `"pdf"` or `"xml"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Xml => "xml",
        }
    }
}

impl std::str::FromStr for FileType {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "pdf" => Ok(FileType::Pdf),
            "xml" => Ok(FileType::Xml),
            _ => Err(crate::Error::validation(
                "type",
                "must be \"pdf\" or \"xml\"",
            )),
        }
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for FileType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FileType".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        enum_schema(
            "string",
            &["File format of a download."],
            serde_json::json!(["pdf", "xml"]),
            &["Pdf", "Xml"],
            &[&["The signed invoice as PDF."], &["The invoice XML."]],
            false,
        )
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! int_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[doc = $vdoc:literal])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[doc = $vdoc])* $variant,)+
            /// A value this version of the SDK does not know (client-side validation rejects it).
            Other(i64),
        }

        impl $name {
            /// The value as the API writes it.
            pub fn value(self) -> i64 {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(v) => v,
                }
            }

            /// Reads a value; unknown values become `Other`.
            pub fn from_value(v: i64) -> Self {
                match v {
                    $($wire => $name::$variant,)+
                    other => $name::Other(other),
                }
            }

            /// Whether this is a value the SDK knows (not `Other`).
            pub fn is_known(self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                $name::from_value(v)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.value())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.value())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IntVisitor).map($name::from_value)
            }
        }

        schema_of!("integer" $(#[doc = $doc])* $name { $($(#[doc = $vdoc])* $variant = $wire),+ });
    };
}

/// Reads an integer written as a JSON number or a string ("10", "10.00").
struct IntVisitor;

impl Visitor<'_> for IntVisitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        if v.fract() != 0.0 || !v.is_finite() {
            Err(E::custom("expected a whole number, got a fraction"))
        } else if v.abs() >= 1e15 {
            Err(E::custom("is too large"))
        } else {
            Ok(v as i64)
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        let d: rust_decimal::Decimal = v
            .trim()
            .parse()
            .map_err(|_| E::custom("expected a whole number, got text that is not a number"))?;
        if d.fract().is_zero() {
            i64::try_from(d).map_err(|_| E::custom("integer out of range"))
        } else {
            Err(E::custom("expected a whole number, got a fraction"))
        }
    }
}

int_enum! {
    /// Kind of invoice line.
    LineType {
        /// 1: an ordinary good or service.
        Normal = 1,
        /// 2: a promotional item (worth 0 unless it has a price).
        Promotion = 2,
        /// 3: a trade discount (subtracts its amount).
        Discount = 3,
        /// 4: a note line printed on the invoice (no amount).
        Note = 4,
    }
}

#[allow(clippy::derivable_impls)] // the enum comes from a macro, so it cannot carry #[default]
impl Default for LineType {
    fn default() -> Self {
        LineType::Normal
    }
}

int_enum! {
    /// VAT rate of a line. Only needed on VAT invoices (template 1).
    TaxRate {
        /// -2: not subject to VAT (KCT).
        NotSubject = -2,
        /// -1: not declared or paid (KKKNT).
        NotDeclared = -1,
        /// 0 %.
        Zero = 0,
        /// 5 %.
        Five = 5,
        /// 8 % (the temporarily reduced rate).
        Eight = 8,
        /// 10 %.
        Ten = 10,
    }
}

impl TaxRate {
    /// The percentage applied to the line, or `None` for KCT/KKKNT (no tax).
    pub fn percent(self) -> Option<i64> {
        let v = self.value();
        (v >= 0).then_some(v)
    }
}
