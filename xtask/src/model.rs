//! The schema read into what the emitters need: enumerations and structs with typed fields.

use serde_json::{Map, Value};

/// Requests are read from callers; responses are what the API answers (see core/src/schema.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Request,
    Response,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    Bool,
    Integer,
    /// An exact decimal (format `decimal`).
    Decimal,
    /// A calendar date (`YYYY-MM-DD`).
    Date,
    /// `issued_date` as a caller gives it (format `vn-date-time`).
    IssuedDate,
    Enum(String),
    Struct(String),
    Array(Box<Ty>),
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The name on the wire (the API's).
    pub wire: String,
    /// The name in the language APIs when it differs (`x-sdk-name`).
    pub sdk_name: Option<String>,
    /// The Python attribute name when it differs (`x-python-name`).
    pub python_name: Option<String>,
    pub description: String,
    pub ty: Ty,
    /// `null` is a value of the field.
    pub nullable: bool,
    /// Listed in the schema's `required`.
    pub required: bool,
    /// A request field the SDK refuses the request without (`x-required`).
    pub must_give: bool,
    /// The schema's `default`, when it has one.
    pub default: Option<Value>,
    /// Personal data (`x-pii`).
    pub pii: bool,
}

impl Field {
    /// The field's name in Python.
    pub fn python(&self) -> &str {
        self.python_name
            .as_deref()
            .or(self.sdk_name.as_deref())
            .unwrap_or(&self.wire)
    }
    /// The field's name in the language APIs before case conversion.
    pub fn sdk(&self) -> &str {
        self.sdk_name.as_deref().unwrap_or(&self.wire)
    }
}

#[derive(Debug, Clone)]
pub struct Struct {
    pub name: String,
    pub description: String,
    pub role: Role,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    pub wire: Value,
    pub rust: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct Enum {
    pub name: String,
    pub description: String,
    pub integer: bool,
    /// Unknown values are kept (`x-open`).
    pub open: bool,
    pub values: Vec<EnumValue>,
}

pub struct Model {
    pub enums: Vec<Enum>,
    pub structs: Vec<Struct>,
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or_default().to_string()
}

/// Rust doc text as prose: lines joined, intra-doc links reduced to their last name.
pub fn prose(doc: &str) -> String {
    let joined = doc.split('\n').map(str::trim).collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(joined.len());
    let mut rest = joined.as_str();
    while let Some(start) = rest.find("[`") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("`]") {
            Some(end) => {
                let path = &after[..end];
                let name = path.rsplit("::").next().unwrap_or(path);
                out.push('`');
                out.push_str(name);
                out.push('`');
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("[`");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

impl Model {
    pub fn read(schema: &Value) -> Result<Model, String> {
        let defs = schema
            .get("$defs")
            .and_then(Value::as_object)
            .ok_or("no $defs")?;
        let mut enums = Vec::new();
        let mut structs = Vec::new();
        for (name, def) in defs {
            let def = def
                .as_object()
                .ok_or_else(|| format!("{name} is not an object"))?;
            if def.contains_key("enum") {
                enums.push(read_enum(name, def)?);
            } else if def.get("type").and_then(Value::as_str) == Some("object") {
                structs.push(read_struct(name, def, defs)?);
            } else if scalar_format(def).is_none() {
                // Anything else (a `oneOf` enum, a newtype) would be skipped here and then
                // named as a class that does not exist: refuse it instead.
                return Err(format!(
                    "{name}: the generator knows enums, objects and the formats decimal and vn-date-time, not this shape"
                ));
            }
        }
        Ok(Model { enums, structs })
    }

    pub fn enum_named(&self, name: &str) -> Option<&Enum> {
        self.enums.iter().find(|e| e.name == name)
    }
}

fn read_enum(name: &str, def: &Map<String, Value>) -> Result<Enum, String> {
    let values = def
        .get("enum")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{name}: enum without values"))?;
    let names = def
        .get("x-enum-varnames")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{name}: no x-enum-varnames"))?;
    let docs = def
        .get("x-enum-descriptions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(Enum {
        name: name.to_string(),
        description: prose(&text(def.get("description"))),
        integer: def.get("type").and_then(Value::as_str) == Some("integer"),
        open: def.get("x-open").and_then(Value::as_bool).unwrap_or(false),
        values: values
            .iter()
            .enumerate()
            .map(|(i, v)| EnumValue {
                wire: v.clone(),
                rust: text(names.get(i)),
                description: prose(&text(docs.get(i))),
            })
            .collect(),
    })
}

fn read_struct(
    name: &str,
    def: &Map<String, Value>,
    defs: &Map<String, Value>,
) -> Result<Struct, String> {
    let role = match def.get("x-role").and_then(Value::as_str) {
        Some("request") => Role::Request,
        _ => Role::Response,
    };
    let required: Vec<&str> = def
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let props = def
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{name}: no properties"))?;
    let mut fields = Vec::new();
    for (wire, p) in props {
        let p = p
            .as_object()
            .ok_or_else(|| format!("{name}.{wire}: not an object"))?;
        let (ty, nullable) = read_type(p, defs).map_err(|e| format!("{name}.{wire}: {e}"))?;
        fields.push(Field {
            wire: wire.clone(),
            sdk_name: p
                .get("x-sdk-name")
                .and_then(Value::as_str)
                .map(str::to_string),
            python_name: p
                .get("x-python-name")
                .and_then(Value::as_str)
                .map(str::to_string),
            description: prose(&text(p.get("description"))),
            ty,
            nullable,
            required: required.contains(&wire.as_str()),
            must_give: p
                .get("x-required")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            default: p.get("default").cloned(),
            pii: p.get("x-pii").and_then(Value::as_bool).unwrap_or(false),
        });
    }
    Ok(Struct {
        name: name.to_string(),
        description: prose(&text(def.get("description"))),
        role,
        fields,
    })
}

/// The type of a property schema, and whether `null` is allowed.
fn read_type(p: &Map<String, Value>, defs: &Map<String, Value>) -> Result<(Ty, bool), String> {
    if let Some(r) = p.get("$ref").and_then(Value::as_str) {
        return Ok((ref_type(r, defs)?, false));
    }
    if let Some(any) = p.get("anyOf").and_then(Value::as_array) {
        let nullable = any
            .iter()
            .any(|s| s.get("type").and_then(Value::as_str) == Some("null"));
        let mut others = any
            .iter()
            .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"));
        let inner = others
            .next()
            .and_then(Value::as_object)
            .ok_or("anyOf without a type")?;
        if others.next().is_some() {
            return Err("anyOf with more than one type besides null".into());
        }
        let (ty, n) = read_type(inner, defs)?;
        return Ok((ty, nullable || n));
    }
    let (ty_name, nullable) = match p.get("type") {
        Some(Value::String(t)) => (t.clone(), false),
        Some(Value::Array(ts)) => {
            let nullable = ts.iter().any(|t| t == "null");
            let t = ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .ok_or("a type list of null only")?;
            (t.to_string(), nullable)
        }
        _ => return Err("no type".into()),
    };
    let ty = match ty_name.as_str() {
        "string" if p.get("format").and_then(Value::as_str) == Some("date") => Ty::Date,
        "string" => Ty::String,
        "boolean" => Ty::Bool,
        "integer" => Ty::Integer,
        "array" => {
            let items = p
                .get("items")
                .and_then(Value::as_object)
                .ok_or("an array without items")?;
            Ty::Array(Box::new(read_type(items, defs)?.0))
        }
        other => return Err(format!("unsupported type {other}")),
    };
    Ok((ty, nullable))
}

fn ref_type(r: &str, defs: &Map<String, Value>) -> Result<Ty, String> {
    let name = r.strip_prefix("#/$defs/").ok_or("a $ref outside $defs")?;
    let def = defs
        .get(name)
        .ok_or_else(|| format!("unknown $ref {name}"))?;
    if let Some(ty) = def.as_object().and_then(scalar_format) {
        return Ok(ty);
    }
    Ok(if def.get("enum").is_some() {
        Ty::Enum(name.to_string())
    } else if def.get("type").and_then(Value::as_str) == Some("object") {
        Ty::Struct(name.to_string())
    } else {
        return Err(format!(
            "$ref {name}: neither an enum, an object nor a known format"
        ));
    })
}

/// The scalar a definition with a known `format` stands for (money, the issue date).
fn scalar_format(def: &Map<String, Value>) -> Option<Ty> {
    match def.get("format").and_then(Value::as_str) {
        Some("decimal") => Some(Ty::Decimal),
        Some("vn-date-time") => Some(Ty::IssuedDate),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_links_become_names() {
        assert_eq!(
            prose("resume with [`crate::Client::wait_for_status`].\nNext line"),
            "resume with `wait_for_status`. Next line"
        );
    }
}
