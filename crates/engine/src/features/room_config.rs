//! Room configuration (XEP-0045 §10.2): a room owner fetches the room's configuration form
//! (an XEP-0004 data form inside `muc#owner`) and submits it with changed values.

use serde::Serialize;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::data_forms::{DataForm, DataFormType};

use super::forms;
pub use super::forms::{FieldValues, FormField, FormOption};
use crate::error::EngineError;

/// `http://jabber.org/protocol/muc#owner` (XEP-0045 §10).
pub const MUC_OWNER: &str = "http://jabber.org/protocol/muc#owner";
/// The FORM_TYPE of room configuration forms (XEP-0045 §15.5.3).
pub const ROOMCONFIG: &str = "http://jabber.org/protocol/muc#roomconfig";

/// A room's configuration form as the room sent it (XEP-0004 §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RoomConfigForm {
    /// Form title, if any (remote text).
    pub title: Option<String>,
    /// Instructions, if any (remote text).
    pub instructions: Option<String>,
    /// Fields in the room's order.
    pub fields: Vec<FormField>,
}

/// The `<query xmlns='muc#owner'/>` payload: empty to ask for the form (§10.2), or with a
/// submitted form.
pub(crate) fn owner_query(form: Option<DataForm>) -> Element {
    let mut query = Element::builder("query", MUC_OWNER).build();
    if let Some(form) = form {
        query.append_child(form.into());
    }
    query
}

/// The form inside a `muc#owner` answer.
///
/// Errors: [`EngineError::Server`] when the answer has no form.
pub(crate) fn parse_config(payload: Option<Element>) -> Result<RoomConfigForm, EngineError> {
    let form = payload
        .as_ref()
        .filter(|q| q.is("query", MUC_OWNER))
        .and_then(|q| q.get_child("x", tokio_xmpp::parsers::ns::DATA_FORMS))
        .cloned()
        .map(DataForm::try_from)
        .and_then(Result::ok)
        .ok_or_else(|| EngineError::Server("the room sent no configuration form".into()))?;
    Ok(RoomConfigForm {
        title: form.title.clone(),
        instructions: form.instructions.clone(),
        fields: forms::fields_of(form),
    })
}

/// A submitted room configuration form (§10.2) with `fields`; `FORM_TYPE` is added when
/// missing, and fields without a name are dropped.
pub(crate) fn submit_form(fields: Vec<FieldValues>) -> DataForm {
    let fields = fields
        .into_iter()
        .filter_map(forms::submitted_field)
        .collect();
    DataForm::new(DataFormType::Submit, ROOMCONFIG, fields)
}

/// Words for a refused configuration request.
pub(crate) fn refusal(condition: &str) -> String {
    match condition {
        "forbidden" => "Only the room's owners can change its settings.".into(),
        "not-acceptable" | "bad-request" => {
            "The room did not accept these settings. Check the values and try again.".into()
        }
        "item-not-found" => "This room no longer exists.".into(),
        other => format!("The room refused ({}).", other.replace('-', " ")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_form_is_read_field_by_field() {
        let xml = "<query xmlns='http://jabber.org/protocol/muc#owner'>\
            <x xmlns='jabber:x:data' type='form'><title>Configure</title>\
            <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roomconfig</value></field>\
            <field type='fixed'><value>Basics</value></field>\
            <field var='muc#roomconfig_roomname' type='text-single' label='Name'><value>Ops</value></field>\
            <field var='muc#roomconfig_persistentroom' type='boolean' label='Persistent'><value>0</value></field>\
            <field var='muc#roomconfig_whois' type='list-single' label='Who sees JIDs'>\
              <value>moderators</value><option label='Moderators'><value>moderators</value></option>\
              <option label='Anyone'><value>anyone</value></option></field>\
            </x></query>";
        let form = parse_config(Some(xml.parse().unwrap())).unwrap();
        assert_eq!(form.title.as_deref(), Some("Configure"));
        let kinds: Vec<(&str, &str)> = form
            .fields
            .iter()
            .map(|f| (f.var.as_str(), f.kind.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("FORM_TYPE", "hidden"),
                ("", "fixed"),
                ("muc#roomconfig_roomname", "text-single"),
                ("muc#roomconfig_persistentroom", "boolean"),
                ("muc#roomconfig_whois", "list-single"),
            ]
        );
        assert_eq!(form.fields[2].values, vec!["Ops"]);
        assert_eq!(form.fields[4].options.len(), 2);
        assert_eq!(form.fields[4].options[1].label.as_deref(), Some("Anyone"));
    }

    #[test]
    fn no_form_is_an_error_not_a_panic() {
        let xml = "<query xmlns='http://jabber.org/protocol/muc#owner'/>";
        assert!(parse_config(Some(xml.parse().unwrap())).is_err());
        assert!(parse_config(None).is_err());
    }

    #[test]
    fn a_submission_carries_form_type_first() {
        let form = submit_form(vec![
            FieldValues {
                var: "FORM_TYPE".into(),
                values: vec!["ignored".into()],
            },
            FieldValues {
                var: "muc#roomconfig_roomname".into(),
                values: vec!["Ops".into()],
            },
        ]);
        assert_eq!(form.form_type(), Some(ROOMCONFIG));
        assert_eq!(form.fields.len(), 2);
        let xml = String::from(&owner_query(Some(form)));
        assert!(
            xml.contains("type=\"submit\"") || xml.contains("type='submit'"),
            "{xml}"
        );
    }
}
