//! `cargo run -p xtask -- generate [--check]` (`make generate`): writes the JSON Schema of the
//! Rust model and, from that schema, the bindings' data layer:
//!
//! - `schema/sepay-einvoice.schema.json`: the model (from `sepay_einvoice::schema::model()`);
//! - `bindings-python/python/sepay_einvoice/_models.py`: the Python enums and data classes
//!   (fields, types, defaults, docs, decoders);
//! - `bindings-node/models.d.ts`: the TypeScript model interfaces and unions.
//!
//! `--check` writes nothing and fails, naming the files, when any of them differs from what the
//! generator would write: `make test` runs it, so a model change without `make generate` cannot
//! land.

mod model;
mod python;
mod typescript;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn root() -> PathBuf {
    // xtask/ sits at the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    if args.first().map(String::as_str) != Some("generate") {
        eprintln!("usage: cargo run -p xtask -- generate [--check]");
        return ExitCode::from(2);
    }
    let schema = sepay_einvoice::schema::model();
    let schema_text = match serde_json::to_string_pretty(&schema) {
        Ok(t) => t + "\n",
        Err(e) => {
            eprintln!("cannot write the schema: {e}");
            return ExitCode::FAILURE;
        }
    };
    let model = match model::Model::read(&schema) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("the schema cannot be generated from: {e}");
            return ExitCode::FAILURE;
        }
    };
    let python = match python::generate(&model) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("the Python model cannot be generated: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outputs = [
        ("schema/sepay-einvoice.schema.json", schema_text),
        ("bindings-python/python/sepay_einvoice/_models.py", python),
        ("bindings-node/models.d.ts", typescript::generate(&model)),
    ];
    let root = root();
    let mut stale = Vec::new();
    for (path, text) in &outputs {
        let full = root.join(path);
        let current = std::fs::read_to_string(&full).unwrap_or_default();
        if current == *text {
            continue;
        }
        if check {
            stale.push(*path);
            continue;
        }
        if let Some(dir) = full.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("cannot create {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        if let Err(e) = std::fs::write(&full, text) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
        println!("wrote {path}");
    }
    if !stale.is_empty() {
        eprintln!(
            "generated files are stale (the Rust model changed): {}\nrun `make generate` and commit the result",
            stale.join(", ")
        );
        return ExitCode::FAILURE;
    }
    if check {
        println!("generated files are up to date ({} files)", outputs.len());
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `make generate` does with a new optional `LineItem` field: one Rust edit reaches
    /// the Python class (field, doc, decoder) and the TypeScript interface.
    #[test]
    fn a_new_optional_line_item_field_reaches_both_languages() {
        let mut schema = sepay_einvoice::schema::model();
        let props = schema
            .pointer_mut("/$defs/LineItem/properties")
            .and_then(serde_json::Value::as_object_mut)
            .expect("LineItem has properties");
        props.insert(
            "warranty_months".into(),
            serde_json::json!({"type": ["integer", "null"], "description": "Warranty in months."}),
        );
        let model = model::Model::read(&schema).expect("the schema reads");
        let py = python::generate(&model).expect("the model generates");
        assert!(
            py.contains("    #: Warranty in months.\n    warranty_months: Optional[int] = None\n")
        );
        assert!(py.contains("            warranty_months=_int(data.get(\"warranty_months\")),\n"));
        let ts = typescript::generate(&model);
        assert!(ts.contains("  /** Warranty in months. */\n  warrantyMonths?: number\n"));
    }

    /// Every definition of the real model reads (an unsupported schema shape fails here, not in
    /// a half-written file).
    #[test]
    fn the_model_reads_and_every_struct_has_fields() {
        let model = model::Model::read(&sepay_einvoice::schema::model()).expect("the schema reads");
        assert!(model.structs.iter().all(|s| !s.fields.is_empty()));
        assert!(model.enum_named("TaxRate").is_some_and(|e| e.integer));
    }
}
