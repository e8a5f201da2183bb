//! In-band registration (XEP-0077): the server's sign-up form read into the one form shape the
//! UI draws ([`super::forms`]), the submission written back the way the form came (an XEP-0004
//! form, §6, or the legacy fields, §3.1), and the password change (§3.3) and account removal
//! (§3.2) payloads. Pure: the stream that carries them is `account::registration`'s.

use serde::{Deserialize, Serialize};
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::data_forms::{DataForm, DataFormType};
use tokio_xmpp::parsers::ibr::{FieldsQuery, LegacyQuery, RemoveQuery};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::ns;
use tokio_xmpp::parsers::stanza_error::{DefinedCondition, StanzaError};

use super::forms::{self, FieldValues, FormField};
use super::new_id;

/// Where to register an account: the server's domain and, as for an account, optional
/// connection overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RegistrationServer {
    /// The server's domain, e.g. `example.org` (the part after `@` of the new JID).
    pub domain: String,
    /// Host override; `None` or empty looks up SRV records (RFC 6120 §3.2).
    pub host: Option<String>,
    /// Port override (default 5222, or 5223 with direct TLS).
    pub port: Option<u16>,
    /// XEP-0368 direct TLS instead of STARTTLS.
    pub direct_tls: bool,
}

/// A server's sign-up form (XEP-0077 §3.1) as fields to fill in, whether it came as an XEP-0004
/// form or as legacy fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RegistrationForm {
    /// Names the open connection the form came on; [`crate::Engine::register`] submits on it.
    pub session: String,
    /// The server's domain.
    pub domain: String,
    /// Form title, if any (remote text).
    pub title: Option<String>,
    /// Instructions, if any (remote text).
    pub instructions: Option<String>,
    /// The fields, in the server's order. Legacy fields become `text-single` fields named by
    /// their element (`username`, `email`, …), `password` a `text-private` one, `key` hidden.
    pub fields: Vec<FormField>,
}

/// How a form is sent back: the server's XEP-0004 form (its `FORM_TYPE`, e.g.
/// `jabber:iq:register` or `urn:xmpp:captcha` for XEP-0158), or the legacy fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// An XEP-0004 form with this `FORM_TYPE` (none when the server gave none).
    DataForm(Option<String>),
    /// `<username/>`, `<password/>`, … children of the query (§3.1 Example 2).
    Legacy,
}

/// A sign-up form read, before it is given a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadForm {
    pub title: Option<String>,
    pub instructions: Option<String>,
    pub fields: Vec<FormField>,
    pub shape: Shape,
    /// `<registered/>`: the stream is already tied to an account (§3.2).
    pub registered: bool,
}

/// The request for the sign-up form (§3.1 Example 1), to the server (no `to`: an
/// unauthenticated stream talks only to its server).
pub(crate) fn form_request() -> Iq {
    Iq::from_get(new_id(), FieldsQuery)
}

/// Words for the legacy field names of §14.1, as a form label.
fn legacy_label(name: &str) -> Option<&'static str> {
    Some(match name {
        "username" => "User name",
        "password" => "Password",
        "nick" => "Nickname",
        "name" => "Full name",
        "first" => "First name",
        "last" => "Last name",
        "email" => "Email",
        "address" => "Street address",
        "city" => "City",
        "state" => "State or region",
        "zip" => "Postal code",
        "phone" => "Phone",
        "url" => "Web address",
        "date" => "Date",
        "misc" | "text" => "Other",
        _ => return None,
    })
}

/// Reads a `<query xmlns='jabber:iq:register'/>` answer (§3.1 Examples 2 and 6): its XEP-0004
/// form when it has one (§6: then the form is what counts), else its legacy fields.
///
/// Errors: in words, when the answer is not a registration query or has no field to fill.
pub(crate) fn read_form(payload: Option<&Element>) -> Result<ReadForm, String> {
    let query = payload
        .filter(|q| q.is("query", ns::REGISTER))
        .ok_or("the server sent no sign-up form")?;
    let text = |name: &str| {
        query
            .get_child(name, ns::REGISTER)
            .map(Element::text)
            .filter(|t| !t.trim().is_empty())
    };
    let instructions = text("instructions");
    let registered = query.has_child("registered", ns::REGISTER);
    if let Some(form) = query
        .get_child("x", ns::DATA_FORMS)
        .cloned()
        .map(DataForm::try_from)
        .and_then(Result::ok)
    {
        let form_type = form.form_type().map(str::to_owned);
        return Ok(ReadForm {
            title: form.title.clone(),
            instructions: form.instructions.clone().or(instructions),
            fields: forms::fields_of(form),
            shape: Shape::DataForm(form_type),
            registered,
        });
    }
    let fields: Vec<FormField> = query
        .children()
        .filter(|c| c.ns() == ns::REGISTER)
        .filter(|c| !matches!(c.name(), "instructions" | "registered" | "remove"))
        .map(|c| FormField {
            var: c.name().to_owned(),
            kind: match c.name() {
                "password" => "text-private",
                "key" => "hidden",
                _ => "text-single",
            }
            .to_owned(),
            label: legacy_label(c.name()).map(str::to_owned),
            desc: None,
            required: c.name() != "key",
            values: Some(c.text())
                .filter(|t| !t.is_empty())
                .into_iter()
                .collect(),
            options: Vec::new(),
        })
        .collect();
    if fields.is_empty() {
        return Err("the server's sign-up form has nothing to fill in".into());
    }
    Ok(ReadForm {
        title: None,
        instructions,
        fields,
        shape: Shape::Legacy,
        registered,
    })
}

/// The submission of a form read as `shape` with `values` (§3.1 Example 3, §6 Example 8).
/// Legacy fields are written as elements, in the order given; unknown names too (the server
/// listed them).
pub(crate) fn submission(shape: &Shape, values: Vec<FieldValues>) -> Iq {
    let query = match shape {
        Shape::DataForm(form_type) => {
            let fields = values
                .into_iter()
                .filter_map(forms::submitted_field)
                .collect();
            let form = match form_type {
                Some(t) => DataForm::new(DataFormType::Submit, t, fields),
                None => DataForm {
                    type_: DataFormType::Submit,
                    title: None,
                    instructions: None,
                    fields,
                },
            };
            Element::builder("query", ns::REGISTER)
                .append(Element::from(form))
                .build()
        }
        Shape::Legacy => values
            .into_iter()
            .filter(|f| !f.var.is_empty())
            .fold(Element::builder("query", ns::REGISTER), |q, f| {
                q.append(
                    Element::builder(f.var, ns::REGISTER)
                        .append(f.values.into_iter().next().unwrap_or_default())
                        .build(),
                )
            })
            .build(),
    };
    Iq::Set {
        from: None,
        to: None,
        id: new_id(),
        payload: query,
    }
}

/// The user name a submission asks for (its `username` field), trimmed; `None` when empty.
pub(crate) fn username_of(values: &[FieldValues]) -> Option<String> {
    values
        .iter()
        .find(|f| f.var == "username")
        .and_then(|f| f.values.first())
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
}

/// The password a submission sets (its `password` field), untrimmed; `None` when empty.
pub fn password_of(values: &[FieldValues]) -> Option<String> {
    values
        .iter()
        .find(|f| f.var == "password")
        .and_then(|f| f.values.first())
        .filter(|p| !p.is_empty())
        .cloned()
}

/// A password change for our account (§3.3 Example 18): `username` is our JID's local part.
/// Sent without `to`, so our own server answers on the account's behalf (RFC 6120 §10.3.3).
pub(crate) fn password_change(username: &str, password: &str) -> Iq {
    Iq::from_set(
        new_id(),
        LegacyQuery {
            username: Some(username.to_owned()),
            password: Some(password.to_owned()),
            ..LegacyQuery::default()
        },
    )
}

/// Removal of our account from the server (§3.2 Example 13).
pub(crate) fn removal() -> Iq {
    Iq::from_set(new_id(), RemoveQuery { remove: true })
}

/// Words for a refused sign-up (§3.1 and §3.3 error cases), with the server's own text
/// after them when it sent one.
pub(crate) fn refusal(error: &StanzaError) -> String {
    let words = match error.defined_condition {
        DefinedCondition::Conflict => "That user name is taken on this server. Choose another.",
        DefinedCondition::NotAcceptable | DefinedCondition::BadRequest => {
            "The server did not accept these details: a field is missing or not allowed."
        }
        DefinedCondition::NotAllowed | DefinedCondition::Forbidden => {
            "This server does not let new accounts be created here."
        }
        DefinedCondition::ResourceConstraint | DefinedCondition::PolicyViolation => {
            "The server is limiting sign-ups right now. Try again later."
        }
        DefinedCondition::NotAuthorized => "The server needs more before it allows this.",
        DefinedCondition::ServiceUnavailable | DefinedCondition::FeatureNotImplemented => {
            "This server does not offer sign-up from a client."
        }
        _ => "The server refused.",
    };
    let said = error
        .texts
        .values()
        .next()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty());
    match said {
        Some(said) => format!("{words} The server said: “{said}”"),
        None => words.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn el(xml: &str) -> Element {
        xml.parse().unwrap()
    }

    fn payload(iq: Iq) -> Element {
        match iq {
            Iq::Set { payload, .. } | Iq::Get { payload, .. } => payload,
            other => panic!("not a request: {other:?}"),
        }
    }

    #[test]
    fn legacy_fields_of_xep_0077_example_2_become_form_fields() {
        let form = read_form(Some(&el("<query xmlns='jabber:iq:register'>\
              <instructions>Choose a username and password for use with this service. \
              Please also provide your email address.</instructions>\
              <username/><password/><email/></query>")))
        .unwrap();
        assert_eq!(form.shape, Shape::Legacy);
        assert!(form.instructions.unwrap().starts_with("Choose a username"));
        let fields: Vec<(&str, &str, Option<&str>)> = form
            .fields
            .iter()
            .map(|f| (f.var.as_str(), f.kind.as_str(), f.label.as_deref()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("username", "text-single", Some("User name")),
                ("password", "text-private", Some("Password")),
                ("email", "text-single", Some("Email")),
            ]
        );
        assert!(form
            .fields
            .iter()
            .all(|f| f.required && f.values.is_empty()));
    }

    #[test]
    fn a_data_form_wins_over_legacy_fields_as_in_xep_0077_example_6() {
        let form = read_form(Some(&el("<query xmlns='jabber:iq:register'>\
              <instructions>Use the enclosed form to register.</instructions>\
              <username/><password/>\
              <x xmlns='jabber:x:data' type='form'>\
                <title>Contest Registration</title>\
                <instructions>Please provide the following information.</instructions>\
                <field type='hidden' var='FORM_TYPE'><value>jabber:iq:register</value></field>\
                <field type='text-single' label='Given Name' var='first'><required/></field>\
                <field type='text-single' label='Family Name' var='last'><required/></field>\
                <field type='text-single' label='Email Address' var='email'><required/></field>\
                <field type='list-single' label='Gender' var='x-gender'>\
                  <option label='Male'><value>M</value></option>\
                  <option label='Female'><value>F</value></option></field>\
              </x></query>")))
        .unwrap();
        assert_eq!(
            form.shape,
            Shape::DataForm(Some("jabber:iq:register".into()))
        );
        assert_eq!(form.title.as_deref(), Some("Contest Registration"));
        assert_eq!(
            form.instructions.as_deref(),
            Some("Please provide the following information.")
        );
        let vars: Vec<&str> = form.fields.iter().map(|f| f.var.as_str()).collect();
        assert_eq!(
            vars,
            vec!["FORM_TYPE", "first", "last", "email", "x-gender"]
        );
        assert!(form.fields[1].required);
        assert_eq!(form.fields[4].options.len(), 2);
    }

    #[test]
    fn a_captcha_form_keeps_its_form_type_on_submit() {
        // XEP-0158 §3.2 Example 3, trimmed: the challenge form of a registration.
        let form = read_form(Some(&el("<query xmlns='jabber:iq:register'>\
              <instructions>Please fill in the form.</instructions>\
              <x xmlns='jabber:x:data' type='form'>\
                <field type='hidden' var='FORM_TYPE'><value>urn:xmpp:captcha</value></field>\
                <field type='hidden' var='challenge'><value>F3A6292C</value></field>\
                <field var='username' type='text-single' label='User name'><required/></field>\
                <field var='ocr' label='Enter the text you see'><required/></field>\
              </x></query>")))
        .unwrap();
        let iq = submission(
            &form.shape,
            vec![
                FieldValues {
                    var: "FORM_TYPE".into(),
                    values: vec!["x".into()],
                },
                FieldValues {
                    var: "challenge".into(),
                    values: vec!["F3A6292C".into()],
                },
                FieldValues {
                    var: "ocr".into(),
                    values: vec!["7nHL3".into()],
                },
            ],
        );
        let query = payload(iq);
        let x = DataForm::try_from(query.get_child("x", ns::DATA_FORMS).unwrap().clone()).unwrap();
        assert_eq!(x.type_, DataFormType::Submit);
        assert_eq!(x.form_type(), Some("urn:xmpp:captcha"));
        let vars: Vec<_> = x.fields.iter().filter_map(|f| f.var.as_deref()).collect();
        assert!(
            vars.contains(&"challenge") && vars.contains(&"ocr"),
            "{vars:?}"
        );
    }

    #[test]
    fn a_legacy_submission_is_xep_0077_example_3() {
        let iq = submission(
            &Shape::Legacy,
            vec![
                FieldValues {
                    var: "username".into(),
                    values: vec!["bill".into()],
                },
                FieldValues {
                    var: "password".into(),
                    values: vec!["Calliope".into()],
                },
                FieldValues {
                    var: "email".into(),
                    values: vec!["bard@shakespeare.lit".into()],
                },
            ],
        );
        let query = payload(iq);
        let expected = el(
            "<query xmlns='jabber:iq:register'><username>bill</username>\
            <password>Calliope</password><email>bard@shakespeare.lit</email></query>",
        );
        assert_eq!(query, expected);
    }

    #[test]
    fn password_change_and_removal_are_examples_18_and_13() {
        assert_eq!(
            payload(password_change("bill", "newpass")),
            el(
                "<query xmlns='jabber:iq:register'><username>bill</username>\
                <password>newpass</password></query>"
            )
        );
        assert_eq!(
            payload(removal()),
            el("<query xmlns='jabber:iq:register'><remove/></query>")
        );
    }

    #[test]
    fn nothing_to_fill_or_no_query_is_an_error_not_a_panic() {
        assert!(read_form(None).is_err());
        assert!(read_form(Some(&el("<query xmlns='jabber:iq:roster'/>"))).is_err());
        assert!(read_form(Some(&el(
            "<query xmlns='jabber:iq:register'><registered/></query>"
        )))
        .is_err());
    }

    #[test]
    fn a_taken_user_name_is_said_in_words_with_the_servers_text() {
        let error = StanzaError::new(
            tokio_xmpp::parsers::stanza_error::ErrorType::Cancel,
            DefinedCondition::Conflict,
            "en",
            "The requested username already exists.",
        );
        let words = refusal(&error);
        assert!(words.starts_with("That user name is taken"), "{words}");
        assert!(words.contains("already exists"), "{words}");
    }

    #[test]
    fn the_user_name_and_password_are_read_from_the_values() {
        let values = vec![
            FieldValues {
                var: "username".into(),
                values: vec![" bill ".into()],
            },
            FieldValues {
                var: "password".into(),
                values: vec![" pw ".into()],
            },
        ];
        assert_eq!(username_of(&values).as_deref(), Some("bill"));
        assert_eq!(password_of(&values).as_deref(), Some(" pw "));
        assert_eq!(username_of(&[]), None);
    }
}
