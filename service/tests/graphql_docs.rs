//! docs/graphql.md: a hand-written head (authentication, roles, examples)
//! followed by a reference generated here from graphql/schema.graphql. The
//! generated part lists every query, mutation, subscription and type with its
//! description, so the reference cannot fall behind the SDL, which
//! `api_surface.rs` in turn keeps equal to the schema the service builds.
//!
//! Regenerate after changing the SDL:
//! `cargo test -p cronkeeper --test graphql_docs -- --ignored regenerate_the_graphql_reference`

use async_graphql_parser::types::{BaseType, FieldDefinition, InputValueDefinition, Type, TypeDefinition, TypeKind, TypeSystemDefinition};
use async_graphql_parser::Positioned;

mod api_support;

const SDL_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../graphql/schema.graphql");
const DOC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/graphql.md");

/// Everything above this line in docs/graphql.md is written by hand and kept
/// as it is; everything below is generated.
const MARKER: &str = "<!-- Generated from graphql/schema.graphql by service/tests/graphql_docs.rs: do not edit below this line. -->";

#[test]
fn the_graphql_reference_matches_the_committed_sdl() {
    let committed = std::fs::read_to_string(DOC_PATH).expect("docs/graphql.md exists");
    assert!(committed.contains(MARKER), "docs/graphql.md lost its marker line:\n{MARKER}");
    let expected = with_reference(&committed);
    assert!(
        committed == expected,
        "docs/graphql.md is out of date with graphql/schema.graphql; regenerate it with \
         `cargo test -p cronkeeper --test graphql_docs -- --ignored regenerate_the_graphql_reference` and commit it"
    );
}

/// Rewrites the generated part of docs/graphql.md; run on purpose only.
#[test]
#[ignore]
fn regenerate_the_graphql_reference() {
    let committed = std::fs::read_to_string(DOC_PATH).expect("docs/graphql.md exists");
    std::fs::write(DOC_PATH, with_reference(&committed)).unwrap();
}

#[test]
fn every_operation_and_type_of_the_sdl_has_a_heading() {
    let doc = reference(&std::fs::read_to_string(SDL_PATH).unwrap());
    for probe in ["#### `Query.timeline`", "#### `Mutation.upsertJob`", "#### `Subscription.runEvents`", "#### Run\n", "#### RunStatus\n", "#### JobInput\n", "#### JobExecutor\n"] {
        assert!(doc.contains(probe), "missing `{probe}`");
    }
}

/// The examples above the marker are run, in order, against a fresh API, each
/// with the role its first line names (`# role: operator`), and must succeed.
/// Subscriptions need a WebSocket and are only parsed.
#[tokio::test]
async fn every_example_in_the_guide_part_runs_without_errors() {
    let committed = std::fs::read_to_string(DOC_PATH).expect("docs/graphql.md exists");
    let head = committed.split(MARKER).next().unwrap_or_default();
    let api = api_support::spawn_api().await;
    let mut ran = 0;
    for example in head.split("```graphql\n").skip(1).map(|rest| rest.split("```").next().unwrap_or_default()) {
        async_graphql_parser::parse_query(example).unwrap_or_else(|e| panic!("example does not parse: {e}\n{example}"));
        if example.trim_start().starts_with("subscription") {
            continue;
        }
        let role = example.lines().next().and_then(|l| l.strip_prefix("# role: ")).unwrap_or_else(|| panic!("example without `# role:` line:\n{example}"));
        let body = api.gql(role.trim(), example, serde_json::json!({})).await;
        assert!(body.get("errors").is_none(), "example failed as {role}: {body}\n{example}");
        ran += 1;
    }
    assert!(ran >= 10, "only {ran} examples found");
}

fn with_reference(committed: &str) -> String {
    let head = committed.split(MARKER).next().unwrap_or_default();
    let sdl = std::fs::read_to_string(SDL_PATH).expect("graphql/schema.graphql exists");
    format!("{head}{MARKER}\n\n{}", reference(&sdl))
}

/// The reference: root operations first, then every named type by kind.
fn reference(sdl: &str) -> String {
    let doc = async_graphql_parser::parse_schema(sdl).expect("graphql/schema.graphql parses");
    let types: Vec<&TypeDefinition> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => Some(&t.node),
            _ => None,
        })
        .collect();
    let find = |name: &str| types.iter().find(|t| t.name.node.as_str() == name).copied();
    let mut out = String::from("## Reference\n\nEvery operation and type of `graphql/schema.graphql`, with its description.\n\n");

    for (root, title) in [("Query", "Queries"), ("Mutation", "Mutations"), ("Subscription", "Subscriptions")] {
        let Some(TypeDefinition { kind: TypeKind::Object(object), .. }) = find(root) else { continue };
        out += &format!("### {title}\n\n");
        for field in &object.fields {
            operation(&mut out, root, &field.node);
        }
    }

    let kinds: [(&str, fn(&TypeKind) -> bool); 5] = [
        ("Object types", |k| matches!(k, TypeKind::Object(_) | TypeKind::Interface(_))),
        ("Input types", |k| matches!(k, TypeKind::InputObject(_))),
        ("Enums", |k| matches!(k, TypeKind::Enum(_))),
        ("Unions", |k| matches!(k, TypeKind::Union(_))),
        ("Scalars", |k| matches!(k, TypeKind::Scalar)),
    ];
    for (title, is) in kinds {
        out += &format!("### {title}\n\n");
        let mut of_kind: Vec<_> = types.iter().filter(|t| is(&t.kind) && !["Query", "Mutation", "Subscription"].contains(&t.name.node.as_str())).collect();
        of_kind.sort_by_key(|t| t.name.node.to_string());
        for t in of_kind {
            named_type(&mut out, t);
        }
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// One root field: heading, signature, description, arguments.
fn operation(out: &mut String, root: &str, field: &FieldDefinition) {
    let name = field.name.node.as_str();
    *out += &format!("#### `{root}.{name}`\n\n");
    let args: Vec<String> = field.arguments.iter().map(|a| format!("{}: {}", a.node.name.node, a.node.ty.node)).collect();
    let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
    *out += &format!("```graphql\n{name}{args}: {}\n```\n\n", field.ty.node);
    paragraph(out, &field.description);
    *out += &format!("Returns {}.\n\n", type_link(&field.ty.node));
    if !field.arguments.is_empty() {
        input_table(out, "Argument", &field.arguments);
    }
}

fn named_type(out: &mut String, t: &TypeDefinition) {
    *out += &format!("#### {}\n\n", t.name.node);
    paragraph(out, &t.description);
    match &t.kind {
        TypeKind::Object(o) => field_table(out, &o.fields),
        TypeKind::Interface(i) => field_table(out, &i.fields),
        TypeKind::InputObject(i) => {
            if t.directives.iter().any(|d| d.node.name.node.as_str() == "oneOf") {
                *out += "Give exactly one of these fields (`@oneOf`).\n\n";
            }
            input_table(out, "Field", &i.fields)
        }
        TypeKind::Enum(e) => {
            *out += "| Value | Description |\n| --- | --- |\n";
            for v in &e.values {
                *out += &format!("| `{}` | {} |\n", v.node.value.node, cell(&v.node.description));
            }
            *out += "\n";
        }
        TypeKind::Union(u) => {
            let members: Vec<String> = u.members.iter().map(|m| format!("[{0}](#{1})", m.node, m.node.to_lowercase())).collect();
            *out += &format!("One of: {}.\n\n", members.join(", "));
        }
        TypeKind::Scalar => {}
    }
}

fn field_table(out: &mut String, fields: &[Positioned<FieldDefinition>]) {
    *out += "| Field | Type | Description |\n| --- | --- | --- |\n";
    for f in fields {
        let f = &f.node;
        let args: Vec<String> = f.arguments.iter().map(|a| format!("{}: {}", a.node.name.node, a.node.ty.node)).collect();
        let name = if args.is_empty() { format!("`{}`", f.name.node) } else { format!("`{}({})`", f.name.node, args.join(", ")) };
        *out += &format!("| {name} | {} | {} |\n", type_link(&f.ty.node), cell(&f.description));
    }
    *out += "\n";
}

fn input_table(out: &mut String, what: &str, inputs: &[Positioned<InputValueDefinition>]) {
    let defaults = inputs.iter().any(|i| i.node.default_value.is_some());
    if defaults {
        *out += &format!("| {what} | Type | Default | Description |\n| --- | --- | --- | --- |\n");
    } else {
        *out += &format!("| {what} | Type | Description |\n| --- | --- | --- |\n");
    }
    for i in inputs {
        let i = &i.node;
        let default = match &i.default_value {
            Some(d) => format!(" `{}` |", d.node),
            None if defaults => " |".to_string(),
            None => String::new(),
        };
        *out += &format!("| `{}` | {} |{default} {} |\n", i.name.node, type_link(&i.ty.node), cell(&i.description));
    }
    *out += "\n";
}

fn paragraph(out: &mut String, description: &Option<Positioned<String>>) {
    if let Some(d) = description {
        *out += d.node.trim();
        *out += "\n\n";
    }
}

/// A description squeezed into one table cell.
fn cell(description: &Option<Positioned<String>>) -> String {
    description.as_ref().map(|d| d.node.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|")).unwrap_or_default()
}

/// `[Job!]!` as one code span, linked to the named type's heading unless it
/// is a built-in scalar.
fn type_link(ty: &Type) -> String {
    fn named(ty: &Type) -> &str {
        match &ty.base {
            BaseType::Named(name) => name.as_str(),
            BaseType::List(inner) => named(inner),
        }
    }
    match named(ty) {
        "String" | "Int" | "Float" | "Boolean" | "ID" => format!("`{ty}`"),
        name => format!("[`{ty}`](#{})", name.to_lowercase()),
    }
}
