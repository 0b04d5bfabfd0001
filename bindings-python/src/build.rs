//! Results built as the package's typed objects right here, from the core's values: no JSON text
//! crosses to Python and nothing is decoded twice.
//!
//! The generated data classes carry `_decode_spec` (see xtask/src/python.rs): per field, its
//! attribute, its wire name and how it is read — the same rules as the generated `_from_json`.
//! The package registers its response classes once at import ([`register_models`]); a result
//! whose type has no registered class, or a value that does not fit its spec, takes the generic
//! way (plain Python values handed to `cls._from_json`), so the outcome never differs.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyList, PyString, PyTuple, PyType};
use serde_json::Value;

/// How one field is read (the generated decoder's cases).
enum Kind {
    /// `_str(v)`: `None` stays `None`.
    StrOpt,
    /// `str(data.get(wire, ""))`.
    StrReq,
    /// `str(v or "")`.
    Str,
    /// `_dec(v)`.
    DecOpt,
    /// `_dec(v) or Decimal(0)`.
    DecZero,
    /// `_date(v)`.
    Date,
    /// `_int(v)`.
    IntOpt,
    /// `int(v or 0)`.
    IntZero,
    /// `bool(data.get(wire, default))`.
    Bool(bool),
    /// `_enum(E, v)` (`int`: of `_int(v)`; `or_empty`: `… or ""`).
    Enum {
        members: Py<PyDict>,
        int: bool,
        or_empty: bool,
    },
    /// `_nested(T, v)` (`opt`) or `T._from_json(v or {})`.
    Obj { class: String, opt: bool },
    /// `[T._from_json(i) for i in v or []]`.
    ListObj(String),
    /// `[str(i) for i in v or []]`.
    ListStr,
    /// Always `[]`.
    ListEmpty,
}

struct Field {
    attr: Py<PyString>,
    wire: String,
    /// The Python name, read when the wire name is absent.
    alt: Option<String>,
    kind: Kind,
}

struct Spec {
    class: Py<PyType>,
    fields: Vec<Field>,
}

static MODELS: RwLock<Option<HashMap<String, Arc<Spec>>>> = RwLock::new(None);

/// Whether results of the Rust type named `name` are built here.
pub fn is_registered(name: &str) -> bool {
    MODELS
        .read()
        .map(|m| m.as_ref().is_some_and(|m| m.contains_key(name)))
        .unwrap_or(false)
}

fn spec(name: &str) -> Option<Arc<Spec>> {
    MODELS
        .read()
        .ok()
        .and_then(|m| m.as_ref().and_then(|m| m.get(name).cloned()))
}

/// The last path segment of a Rust type's name (`sepay_einvoice::model::Invoice` → `Invoice`);
/// `None` for generic types.
pub fn short_name<T>() -> Option<&'static str> {
    let full = std::any::type_name::<T>();
    if full.contains('<') {
        return None;
    }
    full.rsplit("::").next()
}

fn kind(py: Python<'_>, code: &str, arg: &Bound<'_, PyAny>) -> PyResult<Kind> {
    let enum_of = |int: bool, or_empty: bool| -> PyResult<Kind> {
        let members = arg
            .getattr("_value2member_map_")?
            .cast_into::<PyDict>()?
            .unbind();
        Ok(Kind::Enum {
            members,
            int,
            or_empty,
        })
    };
    let class = || -> PyResult<String> { arg.extract::<String>() };
    Ok(match code {
        "str?" => Kind::StrOpt,
        "str!" => Kind::StrReq,
        "str" => Kind::Str,
        "dec?" => Kind::DecOpt,
        "dec0" => Kind::DecZero,
        "date" => Kind::Date,
        "int?" => Kind::IntOpt,
        "int0" => Kind::IntZero,
        "bool" => Kind::Bool(arg.is_truthy()?),
        "enum" => enum_of(false, false)?,
        "enum0" => enum_of(false, true)?,
        "enumi" => enum_of(true, false)?,
        "obj?" => Kind::Obj {
            class: class()?,
            opt: true,
        },
        "obj" => Kind::Obj {
            class: class()?,
            opt: false,
        },
        "list:obj" => Kind::ListObj(class()?),
        "list:str" => Kind::ListStr,
        "list" => Kind::ListEmpty,
        other => {
            let _ = py;
            return Err(PyValueError::new_err(format!(
                "unknown field kind {other:?} in a _decode_spec"
            )));
        }
    })
}

/// Registers the package's response classes (`{name: class}`), each with its `_decode_spec`.
#[pyfunction]
pub fn register_models(py: Python<'_>, classes: &Bound<'_, PyDict>) -> PyResult<()> {
    let mut specs = HashMap::new();
    for (name, class) in classes.iter() {
        let name: String = name.extract()?;
        let class = class.cast_into::<PyType>()?;
        let mut fields = Vec::new();
        for entry in class.getattr("_decode_spec")?.try_iter()? {
            let entry = entry?.cast_into::<PyTuple>()?;
            let attr = entry.get_item(0)?.cast_into::<PyString>()?;
            let wire: String = entry.get_item(1)?.extract()?;
            let code: String = entry.get_item(2)?.extract()?;
            let arg = entry.get_item(3)?;
            let alt = Some(attr.to_cow()?.into_owned()).filter(|a| *a != wire);
            fields.push(Field {
                attr: attr.unbind(),
                wire,
                alt,
                kind: kind(py, &code, &arg)?,
            });
        }
        specs.insert(
            name,
            Arc::new(Spec {
                class: class.unbind(),
                fields,
            }),
        );
    }
    if let Ok(mut m) = MODELS.write() {
        *m = Some(specs);
    }
    Ok(())
}

struct Cached {
    decimal: Py<PyAny>,
    date: Py<PyAny>,
    object_new: Py<PyAny>,
}

static CACHED: PyOnceLock<Cached> = PyOnceLock::new();

fn cached(py: Python<'_>) -> PyResult<&Cached> {
    CACHED.get_or_try_init(py, || -> PyResult<Cached> {
        Ok(Cached {
            decimal: py.import("decimal")?.getattr("Decimal")?.unbind(),
            date: py.import("datetime")?.getattr("date")?.unbind(),
            object_new: py
                .import("builtins")?
                .getattr("object")?
                .getattr("__new__")?
                .unbind(),
        })
    })
}

/// The typed object of the registered class `name` built from `value` (the core's canonical
/// form of a result).
pub fn model<'py>(py: Python<'py>, name: &str, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    let Some(spec) = spec(name) else {
        return Err(PyValueError::new_err(format!(
            "no class registered for {name}"
        )));
    };
    build(py, &spec, value, 0)
}

/// Builds the registered class `name` from JSON text, as results are built (for the tests that
/// hold this builder to the Python decoder).
#[pyfunction]
pub fn build_model<'py>(py: Python<'py>, name: &str, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| PyValueError::new_err(e.to_string()))?;
    model(py, name, &value)
}

/// Deepest nesting built directly (results are 3 levels deep); deeper goes the generic way.
const MAX_DEPTH: usize = 16;

fn build<'py>(
    py: Python<'py>,
    spec: &Spec,
    value: &Value,
    depth: usize,
) -> PyResult<Bound<'py, PyAny>> {
    if let (Value::Object(map), true) = (value, depth < MAX_DEPTH) {
        if let Some(obj) = direct(py, spec, map, depth)? {
            return Ok(obj);
        }
    }
    // The generic way: exactly what decoding the JSON text did.
    spec.class
        .bind(py)
        .call_method1("_from_json", (plain(py, value)?,))
}

/// Builds the object field by field; `None` when a value does not fit (the caller then takes
/// the generic way, which decides as the Python decoder always did).
fn direct<'py>(
    py: Python<'py>,
    spec: &Spec,
    map: &serde_json::Map<String, Value>,
    depth: usize,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let c = cached(py)?;
    let dict = PyDict::new(py);
    for f in &spec.fields {
        // `str(data.get(wire, ""))` reads the wire name only; every other case falls back to
        // the Python name.
        let raw = match f.kind {
            Kind::StrReq => map.get(&f.wire),
            _ => map
                .get(&f.wire)
                .or_else(|| f.alt.as_ref().and_then(|a| map.get(a))),
        };
        let present = raw.filter(|v| !v.is_null());
        let v: Bound<'py, PyAny> = match &f.kind {
            Kind::StrOpt | Kind::Str | Kind::StrReq => match (raw, &f.kind) {
                (Some(Value::String(s)), _) => PyString::new(py, s).into_any(),
                (None, Kind::StrOpt) | (Some(Value::Null), Kind::StrOpt) => {
                    py.None().into_bound(py)
                }
                (None, _) | (Some(Value::Null), Kind::Str) => PyString::new(py, "").into_any(),
                _ => return Ok(None),
            },
            Kind::DecOpt | Kind::DecZero => match present {
                Some(Value::String(s)) => {
                    let d = c.decimal.bind(py).call1((s.as_str(),))?;
                    if matches!(f.kind, Kind::DecZero) && !d.is_truthy()? {
                        c.decimal.bind(py).call1((0,))?
                    } else {
                        d
                    }
                }
                None if matches!(f.kind, Kind::DecOpt) => py.None().into_bound(py),
                None => c.decimal.bind(py).call1((0,))?,
                _ => return Ok(None),
            },
            Kind::Date => match present {
                None => py.None().into_bound(py),
                Some(Value::String(s)) if s.is_empty() => py.None().into_bound(py),
                Some(Value::String(s)) => match ymd(s) {
                    Some((y, m, d)) => c.date.bind(py).call1((y, m, d))?,
                    None => return Ok(None),
                },
                _ => return Ok(None),
            },
            Kind::IntOpt | Kind::IntZero => match present {
                Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.as_i64().map_or_else(
                    || {
                        n.as_u64()
                            .unwrap_or_default()
                            .into_pyobject(py)
                            .map(Bound::into_any)
                    },
                    |i| i.into_pyobject(py).map(Bound::into_any),
                )?,
                None if matches!(f.kind, Kind::IntOpt) => py.None().into_bound(py),
                None => 0i64.into_pyobject(py)?.into_any(),
                _ => return Ok(None),
            },
            Kind::Bool(default) => match raw {
                Some(Value::Bool(b)) => PyBool::new(py, *b).to_owned().into_any(),
                None => PyBool::new(py, *default).to_owned().into_any(),
                Some(Value::Null) => PyBool::new(py, false).to_owned().into_any(),
                _ => return Ok(None),
            },
            Kind::Enum {
                members,
                int,
                or_empty,
            } => {
                let key: Bound<'py, PyAny> = match (present, int) {
                    (None, _) => {
                        dict.set_item(
                            f.attr.bind(py),
                            if *or_empty {
                                PyString::new(py, "").into_any()
                            } else {
                                py.None().into_bound(py)
                            },
                        )?;
                        continue;
                    }
                    (Some(Value::String(s)), false) => PyString::new(py, s).into_any(),
                    (Some(Value::Number(n)), true) if n.is_i64() => {
                        n.as_i64().unwrap_or_default().into_pyobject(py)?.into_any()
                    }
                    _ => return Ok(None),
                };
                match members.bind(py).get_item(&key)? {
                    Some(member) => member,
                    // An open enum keeps an unknown value as it came.
                    None => key,
                }
            }
            Kind::Obj { class, opt } => match present {
                None if *opt => py.None().into_bound(py),
                // `T._from_json(v or {})`: any falsy value reads as `{}`.
                Some(v) if !*opt && falsy(v) => match spec_of(class) {
                    Some(s) => build(py, &s, &Value::Object(Default::default()), depth + 1)?,
                    None => return Ok(None),
                },
                None => match spec_of(class) {
                    Some(s) => build(py, &s, &Value::Object(Default::default()), depth + 1)?,
                    None => return Ok(None),
                },
                Some(v) => match spec_of(class) {
                    Some(s) => build(py, &s, v, depth + 1)?,
                    None => return Ok(None),
                },
            },
            Kind::ListObj(class) => match present {
                None => PyList::empty(py).into_any(),
                Some(v) if falsy(v) => PyList::empty(py).into_any(),
                Some(Value::Array(items)) => {
                    let Some(s) = spec_of(class) else {
                        return Ok(None);
                    };
                    let list = PyList::empty(py);
                    for item in items {
                        list.append(build(py, &s, item, depth + 1)?)?;
                    }
                    list.into_any()
                }
                _ => return Ok(None),
            },
            Kind::ListStr => match present {
                None => PyList::empty(py).into_any(),
                Some(v) if falsy(v) => PyList::empty(py).into_any(),
                Some(Value::Array(items)) => {
                    let list = PyList::empty(py);
                    for item in items {
                        match item {
                            Value::String(s) => list.append(s.as_str())?,
                            _ => return Ok(None),
                        }
                    }
                    list.into_any()
                }
                _ => return Ok(None),
            },
            Kind::ListEmpty => PyList::empty(py).into_any(),
        };
        dict.set_item(f.attr.bind(py), v)?;
    }
    // The data class's own `__init__` only assigns these fields; setting them at once is the
    // same object, built without running Python code.
    let obj = c.object_new.bind(py).call1((spec.class.bind(py),))?;
    obj.setattr(pyo3::intern!(py, "__dict__"), dict)?;
    Ok(Some(obj))
}

/// Whether Python would find the decoded value false (`v or default` takes the default).
fn falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn spec_of(class: &str) -> Option<Arc<Spec>> {
    spec(class)
}

/// `YYYY-MM-DD` at the start of `s` (what `date.fromisoformat(s[:10])` reads).
fn ymd(s: &str) -> Option<(i32, u8, u8)> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    Some((
        i32::try_from(y).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(d).ok()?,
    ))
}

/// A JSON value as plain Python values, numbers with a fraction as `Decimal` (as
/// `json.loads(text, parse_float=Decimal)` gives them).
pub fn plain<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                cached(py)?.decimal.bind(py).call1((n.to_string(),))?
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(plain(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, plain(py, v)?)?;
            }
            dict.into_any()
        }
    })
}
