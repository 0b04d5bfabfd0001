//! The Python data layer: `bindings-python/python/sepay_einvoice/_models.py`.
//!
//! Each enumeration becomes a `str`/`int` enum; each struct a dataclass with its fields (types by
//! role: requests accept the loose forms callers write, responses hold decoded values), defaults,
//! docs, a `_from_json` decoder, `_wire_names` for `to_dict`, and `_masked` for `repr`. What needs
//! judgement is hand-written in `_model_base.py` and mixed in by name (below).

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::model::{Enum, Field, Model, Role, Struct, Ty};

/// Hand-written behaviour mixed into a generated class (defined in `_model_base.py`).
const MIXINS: &[(&str, &str)] = &[
    ("CreateInvoice", "_CreateInvoiceMixin"),
    ("Job", "_JobMixin"),
    ("JobStatus", "_JobStatusMixin"),
    ("Preflight", "_PreflightMixin"),
];

/// Python member names that are not the Rust variant's name in upper snake case.
const MEMBER_NAMES: &[(&str, &str, &str)] = &[("PaymentMethod", "Khac", "OTHER")];

fn upper_snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_uppercase());
    }
    out
}

/// Text wrapped at `width` columns after `indent`, each line starting with `prefix`.
fn wrap(text: &str, indent: &str, prefix: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + prefix.len() + line.len() + 1 + word.len() > width {
            let _ = writeln!(out, "{indent}{prefix}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{prefix}{line}");
    }
    out
}

/// Rust's `code` backticks as reStructuredText literals, for docstrings.
fn rst(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push_str("``");
        }
        // Inside a code span, JSON's literals are written as Python's.
        let part = match (i % 2 == 1, part) {
            (true, "true") => "True",
            (true, "false") => "False",
            (true, "null") => "None",
            _ => part,
        };
        out.push_str(part);
    }
    // Python source: a backslash or three quotes would bend or end the docstring.
    out.replace('\\', "\\\\").replace("\"\"\"", "'''")
}

fn docstring(text: &str, indent: &str) -> String {
    let mut body = rst(text);
    // A closing quote of the text would merge with the docstring's own.
    if body.ends_with('"') {
        body.push(' ');
    }
    let one = format!("{indent}\"\"\"{body}\"\"\"");
    if one.len() <= 100 {
        return one + "\n";
    }
    let mut out = format!("{indent}\"\"\"");
    let wrapped = wrap(&body, indent, "", 96);
    out.push_str(wrapped.trim_start());
    if out.ends_with('\n') {
        out.pop();
    }
    out.push_str("\"\"\"\n");
    out
}

fn emit_enum(out: &mut String, e: &Enum) {
    let base = if e.integer {
        "enum.IntEnum"
    } else {
        "_StrEnum"
    };
    let _ = writeln!(out, "\nclass {}({base}):", e.name);
    out.push_str(&docstring(&e.description, "    "));
    out.push('\n');
    for v in &e.values {
        let name = MEMBER_NAMES
            .iter()
            .find(|(en, rust, _)| *en == e.name && *rust == v.rust)
            .map(|(_, _, py)| py.to_string())
            .unwrap_or_else(|| upper_snake(&v.rust));
        if !v.description.is_empty() {
            out.push_str(&wrap(&rst(&v.description), "    ", "#: ", 96));
        }
        let _ = writeln!(out, "    {name} = {}", v.wire);
    }
    out.push('\n');
}

/// Names a Python attribute cannot have.
const PYTHON_KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

fn is_int_enum(m: &Model, name: &str) -> bool {
    m.enum_named(name).is_some_and(|e| e.integer)
}

/// The annotation and the default (Python source) of a field.
fn annotation(m: &Model, s: &Struct, f: &Field) -> Result<(String, Option<String>), String> {
    let request = s.role == Role::Request;
    let opt = |t: &str| format!("Optional[{t}]");
    Ok(match (&f.ty, request) {
        (Ty::String, _) if f.nullable => (opt("str"), Some("None".into())),
        (Ty::String, _) => {
            let default = (request || f.default.is_some() || !f.required).then(|| "\"\"".into());
            ("str".into(), default)
        }
        (Ty::IssuedDate, _) => (
            "Union[str, _dt.datetime, _dt.date]".into(),
            Some("\"\"".into()),
        ),
        (Ty::Decimal, true) => (opt("Money"), Some("None".into())),
        (Ty::Decimal, false) if f.nullable => (opt("Decimal"), Some("None".into())),
        (Ty::Decimal, false) => ("Decimal".into(), None),
        (Ty::Date, _) => (opt("_dt.date"), Some("None".into())),
        (Ty::Integer, _) if f.nullable || request => (opt("int"), Some("None".into())),
        (Ty::Integer, _) => ("int".into(), f.default.as_ref().map(|d| d.to_string())),
        (Ty::Bool, _) => (
            "bool".into(),
            Some(match f.default.as_ref().and_then(|d| d.as_bool()) {
                Some(true) => "True".into(),
                _ => "False".into(),
            }),
        ),
        (Ty::Enum(e), _) => {
            let scalar = if is_int_enum(m, e) { "int" } else { "str" };
            if request || f.nullable {
                (format!("Union[{e}, {scalar}, None]"), Some("None".into()))
            } else {
                let default = f.default.as_ref().map(|d| d.to_string());
                (format!("Union[{e}, {scalar}]"), default)
            }
        }
        (Ty::Struct(t), true) if f.nullable => (
            format!("Union[{t}, Mapping[str, Any], None]"),
            Some("None".into()),
        ),
        (Ty::Struct(t), true) => (
            format!("Union[{t}, Mapping[str, Any]]"),
            Some(format!("field(default_factory={t})")),
        ),
        (Ty::Struct(t), false) if f.nullable => (opt(t), Some("None".into())),
        (Ty::Struct(t), false) => (t.clone(), None),
        (Ty::Array(inner), false) if **inner == Ty::String => (
            "List[str]".into(),
            (f.default.is_some() || !f.required).then(|| "field(default_factory=list)".into()),
        ),
        (Ty::Array(inner), _) => {
            let Ty::Struct(t) = inner.as_ref() else {
                return Err(format!(
                    "{}.{}: arrays of scalars other than strings in answers are not supported",
                    s.name, f.wire
                ));
            };
            let default = (request || f.default.is_some() || !f.required)
                .then(|| "field(default_factory=list)".to_string());
            if request {
                (format!("Sequence[Union[{t}, Mapping[str, Any]]]"), default)
            } else {
                (format!("List[{t}]"), default)
            }
        }
    })
}

/// The decoder expression of a field, reading `data`.
fn decoder(m: &Model, s: &Struct, f: &Field) -> String {
    let request = s.role == Role::Request;
    let wire = &f.wire;
    let v = if f.python() != wire {
        format!("data.get(\"{wire}\", data.get(\"{}\"))", f.python())
    } else {
        format!("data.get(\"{wire}\")")
    };
    match &f.ty {
        Ty::String if f.nullable => format!("_str({v})"),
        Ty::String if f.required && f.default.is_none() && !request => {
            format!("str(data.get(\"{wire}\", \"\"))")
        }
        Ty::String | Ty::IssuedDate => format!("str({v} or \"\")"),
        Ty::Decimal if f.nullable || request => format!("_dec({v})"),
        Ty::Decimal => format!("_dec({v}) or Decimal(0)"),
        Ty::Date => format!("_date({v})"),
        Ty::Integer if f.nullable || request => format!("_int({v})"),
        Ty::Integer => format!("int({v} or 0)"),
        Ty::Bool => {
            let default = match f.default.as_ref().and_then(|d| d.as_bool()) {
                Some(true) => "True",
                _ => "False",
            };
            if f.python() != wire {
                format!(
                    "bool(data.get(\"{wire}\", data.get(\"{}\", {default})))",
                    f.python()
                )
            } else {
                format!("bool(data.get(\"{wire}\", {default}))")
            }
        }
        Ty::Enum(e) if is_int_enum(m, e) => format!("_enum({e}, _int({v}))"),
        Ty::Enum(e) if request || f.nullable => format!("_enum({e}, {v})"),
        Ty::Enum(e) => format!("_enum({e}, {v}) or \"\""),
        Ty::Struct(t) if f.nullable => format!("_nested({t}, {v})"),
        Ty::Struct(t) => format!("{t}._from_json({v} or {{}})"),
        Ty::Array(inner) => match inner.as_ref() {
            Ty::Struct(t) => format!("[{t}._from_json(i) for i in {v} or []]"),
            Ty::String => format!("[str(i) for i in {v} or []]"),
            _ => "[]".into(),
        },
    }
}

/// A field's entry in `_decode_spec`: how the native layer reads it, case for case the same as
/// [`decoder`] (bindings-python/src/build.rs interprets the codes).
fn spec_entry(m: &Model, s: &Struct, f: &Field) -> String {
    let request = s.role == Role::Request;
    let quoted = |t: &str| format!("\"{t}\"");
    let (code, arg) = match &f.ty {
        Ty::String if f.nullable => ("str?", "None".to_string()),
        Ty::String if f.required && f.default.is_none() && !request => ("str!", "None".into()),
        Ty::String | Ty::IssuedDate => ("str", "None".into()),
        Ty::Decimal if f.nullable || request => ("dec?", "None".into()),
        Ty::Decimal => ("dec0", "None".into()),
        Ty::Date => ("date", "None".into()),
        Ty::Integer if f.nullable || request => ("int?", "None".into()),
        Ty::Integer => ("int0", "None".into()),
        Ty::Bool => {
            let default = match f.default.as_ref().and_then(|d| d.as_bool()) {
                Some(true) => "True",
                _ => "False",
            };
            ("bool", default.into())
        }
        Ty::Enum(e) if is_int_enum(m, e) => ("enumi", e.clone()),
        Ty::Enum(e) if request || f.nullable => ("enum", e.clone()),
        Ty::Enum(e) => ("enum0", e.clone()),
        Ty::Struct(t) if f.nullable => ("obj?", quoted(t)),
        Ty::Struct(t) => ("obj", quoted(t)),
        Ty::Array(inner) => match inner.as_ref() {
            Ty::Struct(t) => ("list:obj", quoted(t)),
            Ty::String => ("list:str", "None".into()),
            _ => ("list", "None".into()),
        },
    };
    format!("(\"{}\", \"{}\", \"{code}\", {arg})", f.python(), f.wire)
}

fn emit_struct(out: &mut String, m: &Model, s: &Struct) -> Result<(), String> {
    let mixin = MIXINS.iter().find(|(n, _)| *n == s.name).map(|(_, x)| *x);
    let bases = match mixin {
        Some(x) => format!("{x}, _Model"),
        None => "_Model".into(),
    };
    // `__init__` is written out below and `__eq__` is `_Model`'s: @dataclass would compile both
    // from source text at every import (most of the package's import time). It still records
    // the fields, so `dataclasses.fields`, `asdict` and `replace` work as before.
    let _ = writeln!(
        out,
        "\n@dataclass(init=False, repr=False, eq=False)\nclass {}({bases}):",
        s.name
    );
    out.push_str(&docstring(&s.description, "    "));
    out.push('\n');
    let mut seen_default = false;
    let mut params = Vec::new();
    let mut assigns = Vec::new();
    for f in &s.fields {
        if PYTHON_KEYWORDS.contains(&f.python()) {
            return Err(format!(
                "{}.{} is a Python keyword: give the field an x-python-name",
                s.name, f.wire
            ));
        }
        let (ann, default) = annotation(m, s, f)?;
        if default.is_none() && seen_default {
            return Err(format!(
                "{}.{}: a required field follows one with a default; move it up in the Rust struct",
                s.name, f.wire
            ));
        }
        seen_default |= default.is_some();
        if !f.description.is_empty() {
            out.push_str(&wrap(&rst(&f.description), "    ", "#: ", 96));
        }
        let name = f.python();
        match &default {
            Some(d) => {
                let _ = writeln!(out, "    {name}: {ann} = {d}");
            }
            None => {
                let _ = writeln!(out, "    {name}: {ann}");
            }
        }
        // What the dataclass `__init__` would do: a factory default is made per object.
        let factory = default
            .as_deref()
            .and_then(|d| d.strip_prefix("field(default_factory="))
            .and_then(|d| d.strip_suffix(')'));
        match (&default, factory) {
            (_, Some(make)) => {
                params.push(format!("{name}: {ann} = _FACTORY"));
                assigns.push(format!(
                    "self.{name} = {make}() if {name} is _FACTORY else {name}"
                ));
            }
            (Some(d), None) => {
                params.push(format!("{name}: {ann} = {d}"));
                assigns.push(format!("self.{name} = {name}"));
            }
            (None, None) => {
                params.push(format!("{name}: {ann}"));
                assigns.push(format!("self.{name} = {name}"));
            }
        }
    }
    let masked: Vec<String> = s
        .fields
        .iter()
        .filter(|f| f.pii)
        .map(|f| format!("\"{}\"", f.python()))
        .collect();
    let renamed: Vec<String> = s
        .fields
        .iter()
        .filter(|f| f.python() != f.wire)
        .map(|f| format!("\"{}\": \"{}\"", f.python(), f.wire))
        .collect();
    out.push('\n');
    if !masked.is_empty() {
        // A one-element tuple needs its trailing comma.
        let comma = if masked.len() == 1 { "," } else { "" };
        let _ = writeln!(out, "    _masked = ({}{comma})", masked.join(", "));
    }
    if !renamed.is_empty() {
        let _ = writeln!(out, "    _wire_names = {{{}}}", renamed.join(", "));
    }
    out.push_str("\n    def __init__(\n        self,\n");
    for p in &params {
        let _ = writeln!(out, "        {p},");
    }
    out.push_str("    ) -> None:\n");
    for a in &assigns {
        let _ = writeln!(out, "        {a}");
    }
    out.push('\n');
    // Read by the native layer, which builds results without decoding JSON text in Python.
    out.push_str("    _decode_spec = (\n");
    for f in &s.fields {
        let _ = writeln!(out, "        {},", spec_entry(m, s, f));
    }
    out.push_str("    )\n");
    let _ = writeln!(
        out,
        "\n    @classmethod\n    def _from_json(cls, data: Mapping[str, Any]) -> {}:\n        return cls(",
        s.name
    );
    for f in &s.fields {
        let _ = writeln!(out, "            {}={},", f.python(), decoder(m, s, f));
    }
    out.push_str("        )\n\n");
    Ok(())
}

/// Structs in an order where each one's nested types come first (defaults build them).
fn ordered(m: &Model) -> Vec<&Struct> {
    fn deps(ty: &Ty, out: &mut Vec<String>) {
        match ty {
            Ty::Struct(t) => out.push(t.clone()),
            Ty::Array(inner) => deps(inner, out),
            _ => {}
        }
    }
    fn visit<'a>(
        m: &'a Model,
        s: &'a Struct,
        done: &mut BTreeSet<String>,
        out: &mut Vec<&'a Struct>,
    ) {
        if !done.insert(s.name.clone()) {
            return;
        }
        let mut names = Vec::new();
        for f in &s.fields {
            deps(&f.ty, &mut names);
        }
        for n in names {
            if let Some(d) = m.structs.iter().find(|x| x.name == n) {
                visit(m, d, done, out);
            }
        }
        out.push(s);
    }
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for s in &m.structs {
        visit(m, s, &mut done, &mut out);
    }
    out
}

pub fn generate(m: &Model) -> Result<String, String> {
    let mut out = String::from(
        r#""""Typed inputs and outputs of the SePay eInvoice API.

GENERATED by ``make generate`` from the Rust model (``schema/sepay-einvoice.schema.json``): do
not edit; change the Rust types and regenerate. Outputs are built from the canonical JSON the
Rust core produces (API field names, decimals as strings, dates ``YYYY-MM-DD``); inputs are turned
into JSON with the API's field names and handed to the core, which validates them. Behaviour that
needs judgement (``repr`` masking, pickling, the reference-code memory) is in ``_model_base.py``.
"""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, List, Mapping, Optional, Sequence, Union

from ._model_base import (
    _FACTORY,
    Money,
    _CreateInvoiceMixin,
    _JobMixin,
    _JobStatusMixin,
    _Model,
    _PreflightMixin,
    _StrEnum,
    _date,
    _dec,
    _enum,
    _int,
    _nested,
    _str,
)

"#,
    );
    for e in &m.enums {
        emit_enum(&mut out, e);
    }
    for s in ordered(m) {
        emit_struct(&mut out, m, s)?;
    }
    let requests: Vec<&str> = m
        .structs
        .iter()
        .filter(|s| s.role == Role::Request && s.name == "CreateInvoice")
        .map(|s| s.name.as_str())
        .collect();
    for r in requests {
        let _ = writeln!(
            out,
            "\n#: A ``{r}`` or a plain mapping with the API's field names.\n{r}Like = Union[{r}, Mapping[str, Any]]"
        );
    }
    let mut names: Vec<String> = m.enums.iter().map(|e| e.name.clone()).collect();
    names.extend(m.structs.iter().map(|s| s.name.clone()));
    names.extend(["CreateInvoiceLike", "Money"].map(String::from));
    names.sort();
    out.push_str("\n__all__ = [\n");
    for n in names {
        let _ = writeln!(out, "    \"{n}\",");
    }
    out.push_str("]\n");
    // Tidy blank lines: at most two in a row.
    while out.contains("\n\n\n\n") {
        out = out.replace("\n\n\n\n", "\n\n\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(upper_snake("BankTransfer"), "BANK_TRANSFER");
        assert_eq!(upper_snake("Vnd"), "VND");
        assert_eq!(rst("`a` and `b`"), "``a`` and ``b``");
        assert_eq!(rst("`true` or `null`"), "``True`` or ``None``");
    }

    #[test]
    fn docstrings_stay_python() {
        // A backslash, three quotes or a closing quote must not end or bend the docstring.
        assert_eq!(rst(r#"a \d """ b"#), r#"a \\d ''' b"#);
        assert_eq!(docstring(r#"says "x""#, ""), "\"\"\"says \"x\" \"\"\"\n");
    }
}
