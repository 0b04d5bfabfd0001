//! The JSON Schema of the model: the single description of every request and response type,
//! from which `xtask generate` writes the Python data classes and the TypeScript declarations
//! (feature `schema`; committed as `schema/sepay-einvoice.schema.json`).
//!
//! Besides standard JSON Schema 2020-12, definitions carry a few `x-` keywords the generators
//! read:
//! - `x-role`: `request` (read from callers, e.g. `CreateInvoice`) or `response` (what the API
//!   answers); requests are described for deserialisation, responses for serialisation, so
//!   `required` says what a caller must give, or what an answer always holds.
//! - `x-required`: a request field the SDK refuses the request without (it has a serde default
//!   only so that the SDK can name it in its own error).
//! - `x-sdk-name`: the field's name in the language APIs when it differs from the wire name
//!   (`JobStatus.state` is `status` on the wire).
//! - `x-python-name`: the Python attribute when it differs again (`Buyer.type` is `buyer_type`:
//!   `type` is a builtin there).
//! - `x-pii`: personal data, masked in `Debug`/`repr`.
//! - `x-open`: an enumeration that keeps values it does not know (`Other`) instead of failing;
//!   `x-enum-varnames` / `x-enum-descriptions`: each value's name and doc.
//! - formats `decimal` (money: a JSON number or a decimal string in requests, a decimal string in
//!   answers) and `vn-date-time` (`issued_date`: Vietnam time, or an ISO 8601 value).

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value};

/// Money and quantities: exact decimals, never floats.
pub struct Money;

impl JsonSchema for Money {
    fn schema_name() -> Cow<'static, str> {
        "Decimal".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "number"],
            "format": "decimal",
            "description": "An exact decimal: a JSON number or a decimal string in requests (\"100000\", \"1.5\"); a decimal string in answers."
        })
    }
}

/// `issued_date`: what a caller may give.
pub struct IssuedDate;

impl JsonSchema for IssuedDate {
    fn schema_name() -> Cow<'static, str> {
        "IssuedDate".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "vn-date-time",
            "description": "\"YYYY-MM-DD HH:mm:ss\" in Vietnam time (UTC+7), \"YYYY-MM-DD\", or ISO 8601 with an offset; not in the future."
        })
    }
}

/// Definitions generated with one contract, tagged with their role.
fn definitions<F>(serialize: bool, role: &str, add: F) -> Map<String, Value>
where
    F: FnOnce(&mut SchemaGenerator),
{
    let settings = SchemaSettings::draft2020_12();
    let settings = if serialize {
        settings.for_serialize()
    } else {
        settings.for_deserialize()
    };
    let mut generator = settings.into_generator();
    add(&mut generator);
    let mut defs = generator.take_definitions(true);
    for def in defs.values_mut() {
        if let Value::Object(o) = def {
            o.insert("x-role".into(), Value::String(role.into()));
        }
    }
    defs
}

/// The schema document: every request and response type of the model in `$defs`, in a stable
/// order.
pub fn model() -> Value {
    use crate::model::*;
    let requests = definitions(false, "request", |g| {
        g.subschema_for::<CreateInvoice>();
    });
    let responses = definitions(true, "response", |g| {
        g.subschema_for::<Invoice>();
        g.subschema_for::<Job>();
        g.subschema_for::<JobStatus>();
        g.subschema_for::<ProviderAccount>();
        g.subschema_for::<ProviderAccountDetail>();
        g.subschema_for::<Paging>();
        g.subschema_for::<Usage>();
        g.subschema_for::<crate::TokenInfo>();
        g.subschema_for::<crate::Totals>();
        g.subschema_for::<FileType>();
        g.subschema_for::<Preflight>();
        g.subschema_for::<AdjustmentType>();
    });
    // A type used both ways (the buyer, the enumerations) keeps its request form.
    let mut defs: std::collections::BTreeMap<String, Value> = responses.into_iter().collect();
    for (name, def) in requests {
        defs.insert(name, def);
    }
    let mut doc = Map::new();
    doc.insert(
        "$schema".into(),
        Value::String("https://json-schema.org/draft/2020-12/schema".into()),
    );
    doc.insert(
        "$id".into(),
        Value::String(
            "https://github.com/sepay-einvoice/sepay-einvoice/schema/sepay-einvoice.schema.json"
                .into(),
        ),
    );
    doc.insert("title".into(), Value::String("sepay-einvoice model".into()));
    doc.insert(
        "description".into(),
        Value::String(format!(
            "Requests and responses of the SePay eInvoice API as the SDK models them (version {}). Generated from the Rust types by `make generate`; do not edit.",
            crate::VERSION
        )),
    );
    doc.insert("$defs".into(), Value::Object(defs.into_iter().collect()));
    Value::Object(doc)
}
