//! A tiny query builder: SQL text with `?` placeholders plus the values to bind,
//! so filters can be assembled from optional parts on every backend.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

#[derive(Debug, Clone)]
pub enum Value {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::OptInt(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::OptText(v)
    }
}

/// Conditions joined with AND.
#[derive(Debug, Default)]
pub struct Where {
    parts: Vec<String>,
    pub binds: Vec<Value>,
}

impl Where {
    pub fn and(&mut self, sql: impl Into<String>, values: impl IntoIterator<Item = Value>) -> &mut Self {
        self.parts.push(sql.into());
        self.binds.extend(values);
        self
    }

    /// `col IN (?, ?, ...)`; an empty list matches nothing.
    pub fn and_in(&mut self, col: &str, values: &[String]) -> &mut Self {
        if values.is_empty() {
            return self.and("1 = 0", []);
        }
        let marks = vec!["?"; values.len()].join(", ");
        self.and(format!("{col} IN ({marks})"), values.iter().cloned().map(Value::Text))
    }

    pub fn sql(&self) -> String {
        if self.parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.parts.join(" AND "))
        }
    }
}

pub fn bind<'q>(mut q: Query<'q, Any, AnyArguments<'q>>, values: &[Value]) -> Query<'q, Any, AnyArguments<'q>> {
    for v in values {
        q = match v.clone() {
            Value::Int(i) => q.bind(i),
            Value::OptInt(i) => q.bind(i),
            Value::Text(s) => q.bind(s),
            Value::OptText(s) => q.bind(s),
        };
    }
    q
}

/// [`bind`] for the native SQLite driver (the timeline's read path).
pub fn bind_sqlite<'q>(
    mut q: Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    values: &[Value],
) -> Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    for v in values {
        q = match v.clone() {
            Value::Int(i) => q.bind(i),
            Value::OptInt(i) => q.bind(i),
            Value::Text(s) => q.bind(s),
            Value::OptText(s) => q.bind(s),
        };
    }
    q
}

/// Sort direction for the admin grids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

impl Direction {
    pub fn sql(self) -> &'static str {
        match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        }
    }
}

/// Offset paging; connections encode the offset in their cursors.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}
