//! The language a user writes, machine-readable: a JSON Schema an editor or a linter can
//! complete and check node and property names with.
//!
//! KDL has no schema language editors read, so the schema describes a spec as JSON, one
//! object per node: `{"args": [...], "props": {...}, "children": {"NAME": [node, ...]}}`,
//! the document being the top node's `children`. [`spec_as_json`] writes that form of a spec.
//! What each node takes comes from the lowerer itself ([`crate::lower::trace`]): the schema
//! file under `schema/` is the trace over every spec of the test suite, with the
//! descriptions of `stdlib/language.toml`, and a test keeps the two equal.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use crate::ast::{Node, Value};
use crate::diag::Diags;
use crate::lower::trace::{Language, NodeLang, Ty};

/// `stdlib/language.toml`: a description of every node by its path, and of the properties
/// by name (`reason`) or by path and name (`host/fstab/tmpfs.size`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Descriptions {
    pub node: BTreeMap<String, String>,
    pub prop: BTreeMap<String, String>,
}

/// The `$defs` key of a node: its path with dots (`host.ssh.port`), `spec` for the top.
fn key(path: &str) -> String {
    if path.is_empty() { "spec".to_string() } else { path.replace('/', ".") }
}

fn ty_schema(ty: &Ty) -> Json {
    match ty {
        Ty::Any => json!({"type": ["string", "integer", "number", "boolean"]}),
        Ty::String => json!({"type": "string"}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Ty::Duration => json!({
            "description": "whole seconds, or a number with a unit: 30s, 10m, 1h, 1d, 1w",
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+[smhdw]?$"}]
        }),
        Ty::OneOf { words } => {
            let mut words = words.clone();
            words.sort();
            words.dedup();
            json!({"enum": words})
        }
        Ty::False => json!({"const": false, "description": "only `#false`: pynoc never grants it"}),
        Ty::Refused => json!({"not": {}, "description": "never in a spec: secrets are referenced, not written"}),
    }
}

/// A waiver, allowed in every block: `allow CODE reason="…" [until="YYYY-MM-DD"]`.
fn waiver() -> Json {
    json!({
        "description": "a waiver: `allow CODE reason=\"…\" [until=\"YYYY-MM-DD\"]` excuses a finding of a waivable rule inside this block",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "args": {"type": "array", "prefixItems": [{"type": "string", "pattern": "^[EWew][0-9]{3}$"}], "items": false, "minItems": 1},
            "props": {
                "type": "object",
                "additionalProperties": false,
                "required": ["reason"],
                "properties": {
                    "reason": {"type": "string", "description": "why the finding is accepted: repeated in the artifacts for reviewers"},
                    "until": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "the date the waiver expires"}
                }
            }
        }
    })
}

fn node_schema(path: &str, n: &NodeLang, d: &Descriptions) -> Json {
    let mut props = Map::new();
    for (name, ty) in &n.props {
        let mut s = ty_schema(ty);
        let text = d.prop.get(&format!("{path}.{name}")).or_else(|| d.prop.get(name));
        if let (Some(text), Some(o)) = (text, s.as_object_mut())
            && !o.contains_key("description")
        {
            o.insert("description".into(), text.clone().into());
        }
        props.insert(name.clone(), s);
    }
    let mut fields = Map::new();
    let fixed: Vec<Json> =
        n.args.iter().filter(|(i, _)| n.rest.is_none_or(|r| **i <= r)).map(|(_, t)| ty_schema(t)).collect();
    let args = match (fixed.is_empty(), n.rest) {
        (true, _) => json!({"type": "array", "maxItems": 0}),
        (false, Some(r)) => json!({"type": "array", "prefixItems": fixed, "items": ty_schema(&n.args[&r])}),
        (false, None) => json!({"type": "array", "prefixItems": fixed, "items": false}),
    };
    fields.insert("args".into(), args);
    fields.insert("props".into(), json!({"type": "object", "additionalProperties": false, "properties": props}));
    let mut children = Map::new();
    for c in &n.children {
        let one = json!({"$ref": format!("#/$defs/{}", key(&join(path, c)))});
        let one = if c == "allow" { json!({"anyOf": [one, {"$ref": "#/$defs/waiver"}]}) } else { one };
        children.insert(c.clone(), json!({"type": "array", "items": one}));
    }
    if !n.children.contains("allow") {
        children.insert("allow".into(), json!({"type": "array", "items": {"$ref": "#/$defs/waiver"}}));
    }
    if !n.leaf {
        fields.insert(
            "children".into(),
            json!({"type": "object", "additionalProperties": false, "properties": children}),
        );
    }
    let mut s = json!({"type": "object", "additionalProperties": false, "properties": fields});
    if let Some(text) = d.node.get(if path.is_empty() { "spec" } else { path }) {
        s["description"] = text.clone().into();
    }
    s
}

fn join(path: &str, child: &str) -> String {
    if path.is_empty() { child.to_string() } else { format!("{path}/{child}") }
}

/// The JSON Schema of `lang`, with the descriptions of `d`.
pub fn schema(lang: &Language, d: &Descriptions) -> String {
    let mut defs = Map::new();
    for (path, n) in lang {
        defs.insert(key(path), node_schema(path, n, d));
    }
    defs.insert("waiver".into(), waiver());
    let s = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pynoc spec",
        "description": "The language of a pynoc spec (KDL), as JSON: each node is an object with its positional `args`, its `props` and its `children` by name (a list of nodes per name); the document is the top node's `children`. `pynoc schema --ir` prints the model the spec lowers to instead.",
        "$ref": "#/$defs/spec",
        "$defs": defs,
    });
    let mut out = serde_json::to_string_pretty(&s).expect("the schema serializes");
    out.push('\n');
    out
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::String(s) => s.clone().into(),
        Value::Int(i) => i64::try_from(*i).map_or_else(|_| Json::String(i.to_string()), Json::from),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Bool(b) => (*b).into(),
        Value::Null => Json::Null,
    }
}

fn node_json(n: &Node) -> Json {
    let mut o = Map::new();
    o.insert("args".into(), n.args.iter().map(|a| value_json(&a.value)).collect());
    o.insert("props".into(), n.props.iter().map(|p| (p.name.value.clone(), value_json(&p.value.value))).collect());
    if n.children.is_some() {
        o.insert("children".into(), children_json(n.children()));
    }
    Json::Object(o)
}

fn children_json(nodes: &[Node]) -> Json {
    let mut o: Map<String, Json> = Map::new();
    for n in nodes {
        if let Json::Array(a) = o.entry(n.name().to_string()).or_insert_with(|| Json::Array(Vec::new())) {
            a.push(node_json(n));
        }
    }
    Json::Object(o)
}

/// The JSON form of a spec the schema describes (`pynoc schema --of SPEC`), or the syntax
/// error when it is not KDL.
pub fn spec_as_json(text: &str, file_name: &str) -> Result<String, Vec<crate::diag::Diagnostic>> {
    let d = Diags::default();
    let Some(doc) = crate::parse::parse(text, &d) else {
        let source = std::sync::Arc::new(miette::NamedSource::new(file_name, std::sync::Arc::new(text.to_string())));
        return Err(d.into_sorted().into_iter().map(|x| x.with_source(source.clone())).collect());
    };
    let top = json!({"args": [], "props": {}, "children": children_json(&doc.nodes)});
    let mut out = serde_json::to_string_pretty(&top).expect("a spec serializes");
    out.push('\n');
    Ok(out)
}
