//! XEP-0004 data forms as the UI sees them: one shape for every form a server or entity sends
//! us (room configuration, XEP-0045 §10.2; in-band registration, XEP-0077 §3.1), read from
//! xmpp-parsers' `DataForm` and written back as a `submit` form.

use serde::{Deserialize, Serialize};
use tokio_xmpp::parsers::data_forms::{DataForm, Field, FieldType};

/// One field of a data form (XEP-0004 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FormField {
    /// Field name, e.g. `muc#roomconfig_roomname`; empty for `fixed` text.
    pub var: String,
    /// XEP-0004 §3.3 type: `boolean`, `fixed`, `hidden`, `jid-multi`, `jid-single`,
    /// `list-multi`, `list-single`, `text-multi`, `text-private` or `text-single`.
    pub kind: String,
    /// Human-readable label (remote text).
    pub label: Option<String>,
    /// Longer help text (remote text).
    pub desc: Option<String>,
    /// Whether the form needs a value.
    pub required: bool,
    /// Current values (booleans as `0`/`1`/`false`/`true`).
    pub values: Vec<String>,
    /// Choices of a list field.
    pub options: Vec<FormOption>,
}

/// One choice of a list field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FormOption {
    /// Shown text (remote text), if any.
    pub label: Option<String>,
    /// The value sent back.
    pub value: String,
}

/// A field's new values in a submitted form ([`crate::Engine::set_room_config`],
/// [`crate::Engine::register`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FieldValues {
    /// Field name.
    pub var: String,
    /// Values (one for single fields; booleans `1` or `0`).
    pub values: Vec<String>,
}

fn kind(t: &FieldType) -> &'static str {
    match t {
        FieldType::Boolean => "boolean",
        FieldType::Fixed => "fixed",
        FieldType::Hidden => "hidden",
        FieldType::JidMulti => "jid-multi",
        FieldType::JidSingle => "jid-single",
        FieldType::ListMulti => "list-multi",
        FieldType::ListSingle => "list-single",
        FieldType::TextMulti => "text-multi",
        FieldType::TextPrivate => "text-private",
        FieldType::TextSingle => "text-single",
    }
}

/// The fields of `form` in its order (XEP-0004 §3.2), options and current values included.
pub(crate) fn fields_of(form: DataForm) -> Vec<FormField> {
    form.fields
        .into_iter()
        .map(|f| FormField {
            var: f.var.unwrap_or_default(),
            kind: kind(&f.type_).to_owned(),
            label: f.label,
            desc: f.desc,
            required: f.required,
            values: f.values,
            options: f
                .options
                .into_iter()
                .map(|o| FormOption {
                    label: o.label,
                    value: o.value,
                })
                .collect(),
        })
        .collect()
}

/// One field of a `submit` form (XEP-0004 §3.4: values only), or `None` for a field without
/// a name or the `FORM_TYPE`, which [`DataForm::new`] writes itself.
pub(crate) fn submitted_field(f: FieldValues) -> Option<Field> {
    if f.var.is_empty() || f.var == "FORM_TYPE" {
        return None;
    }
    let mut field = Field::new(&f.var, FieldType::TextSingle);
    field.values = f.values;
    Some(field)
}
