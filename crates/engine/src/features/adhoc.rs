//! Ad-hoc commands (XEP-0050): listing an entity's commands (§2.2, disco#items on the
//! commands node), running one (§3.2, `action='execute'`), going through its stages with a
//! data form (XEP-0004) each, and reading its notes (§3.4). The forms reach the UI as the
//! same [`FormField`]s as a room's settings or a sign-up form (one renderer).
//!
//! xmpp-parsers 0.23 has no ad-hoc types: the `<command/>` element is built with the minidom
//! builder and read here, with the XEP's own examples as unit tests.

use serde::Serialize;
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::data_forms::{DataForm, DataFormType};
use tokio_xmpp::parsers::disco::DiscoItemsResult;

use super::facets::attr;
use super::forms::{self, FieldValues, FormField};

/// `http://jabber.org/protocol/commands` (XEP-0050 §4), also the disco node of the list.
pub const NS: &str = "http://jabber.org/protocol/commands";

/// One command an entity offers (XEP-0050 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CommandItem {
    /// The entity that runs it.
    pub jid: String,
    /// Its node, which names it to the entity.
    pub node: String,
    /// Its name for people (remote text); the node when it has none.
    pub name: String,
}

/// How far a command got (XEP-0050 §3.4 `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// It waits for the next stage.
    Executing,
    /// It is done.
    Completed,
    /// It was cancelled.
    Canceled,
}

/// What a stage offers to do next (XEP-0050 §3.4 `<actions/>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CommandAction {
    /// The next stage.
    Next,
    /// The stage before.
    Prev,
    /// Finish with this stage's values.
    Complete,
}

impl CommandAction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Prev => "prev",
            Self::Complete => "complete",
        }
    }

    /// The action named `name` in `<actions/>` (an element name or its `execute`).
    fn from_name(name: &str) -> Option<Self> {
        [Self::Next, Self::Prev, Self::Complete]
            .into_iter()
            .find(|a| a.as_str() == name)
    }
}

/// A note of a stage (XEP-0050 §3.4 `<note/>`): remote text with its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CommandNote {
    /// `info`, `warn` or `error` (`info` when the entity names none or another).
    pub kind: String,
    /// The text.
    pub text: String,
}

/// Which running command a next stage belongs to, as the UI hands it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
pub struct CommandSession {
    /// The entity.
    pub jid: String,
    /// The command's node.
    pub node: String,
    /// The session the next stages go in (`sessionid`); `None` when the entity gave none.
    pub id: Option<String>,
    /// The current form's FORM_TYPE, sent back with the values.
    pub form_type: Option<String>,
}

/// One stage of a running command: what the entity answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CommandStage {
    /// The command and its session.
    pub session: CommandSession,
    /// How far it got.
    pub status: CommandStatus,
    /// The form's title, if any (remote text).
    pub title: Option<String>,
    /// The form's instructions, if any (remote text).
    pub instructions: Option<String>,
    /// The form's fields (empty when this stage has no form). A `result` form's fields
    /// are read-only values to show.
    pub fields: Vec<FormField>,
    /// Whether the form is a `result` (values to read) rather than one to fill in.
    pub result: bool,
    /// Notes to show.
    pub notes: Vec<CommandNote>,
    /// What may be done next; with a form and none named, `complete` alone (§3.4).
    pub actions: Vec<CommandAction>,
    /// The action Enter should take (`execute` of `<actions/>`), if named.
    pub default_action: Option<CommandAction>,
}

/// The commands in a disco#items answer on the commands node (§2.2).
pub(crate) fn command_items(payload: Option<Element>) -> Vec<CommandItem> {
    payload
        .and_then(|p| DiscoItemsResult::try_from(p).ok())
        .map(|r| {
            r.items
                .into_iter()
                .filter_map(|i| {
                    let node = i.node?;
                    Some(CommandItem {
                        jid: i.jid.to_string(),
                        name: i
                            .name
                            .filter(|n| !n.trim().is_empty())
                            .unwrap_or_else(|| node.clone()),
                        node,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `<command action='execute'/>` for `node` (§3.2).
pub(crate) fn execute(node: &str) -> Element {
    let command = attr(Element::builder("command", NS), "node", node);
    attr(command, "action", "execute").build()
}

/// The next stage: `action` with `values` (the form submitted) in `session` (§3.4).
pub(crate) fn submit(
    stage_node: &str,
    session: Option<&str>,
    action: CommandAction,
    form_type: Option<&str>,
    values: Vec<FieldValues>,
) -> Element {
    let mut command = attr(Element::builder("command", NS), "node", stage_node);
    command = attr(command, "action", action.as_str());
    if let Some(session) = session {
        command = attr(command, "sessionid", session);
    }
    let mut command = command.build();
    if action != CommandAction::Prev {
        let fields = values
            .into_iter()
            .filter_map(forms::submitted_field)
            .collect();
        let form = match form_type {
            Some(form_type) => DataForm::new(DataFormType::Submit, form_type, fields),
            None => DataForm {
                type_: DataFormType::Submit,
                title: None,
                instructions: None,
                fields,
            },
        };
        command.append_child(form.into());
    }
    command
}

/// `action='cancel'` (§3.5).
pub(crate) fn cancel(node: &str, session: Option<&str>) -> Element {
    let mut command = attr(Element::builder("command", NS), "node", node);
    command = attr(command, "action", "cancel");
    if let Some(session) = session {
        command = attr(command, "sessionid", session);
    }
    command.build()
}

/// Reads the `<command/>` of an answer from `jid`.
///
/// Errors: in words, when the answer holds no command element.
pub(crate) fn parse_stage(jid: &str, payload: Option<Element>) -> Result<CommandStage, String> {
    let command = payload
        .filter(|p| p.is("command", NS))
        .ok_or_else(|| "the answer holds no command".to_owned())?;
    let status = match command.attr("status") {
        Some("completed") => CommandStatus::Completed,
        Some("canceled") => CommandStatus::Canceled,
        _ => CommandStatus::Executing,
    };
    let notes = command
        .children()
        .filter(|c| c.is("note", NS))
        .map(|n| CommandNote {
            kind: match n.attr("type") {
                Some(k @ ("warn" | "error")) => k.to_owned(),
                _ => "info".to_owned(),
            },
            text: n.text(),
        })
        .collect();
    let form = command
        .get_child("x", tokio_xmpp::parsers::ns::DATA_FORMS)
        .cloned()
        .map(DataForm::try_from)
        .and_then(Result::ok);
    let mut actions = Vec::new();
    let mut default_action = None;
    if let Some(offered) = command.get_child("actions", NS) {
        for action in offered
            .children()
            .filter_map(|c| CommandAction::from_name(c.name()))
        {
            if !actions.contains(&action) {
                actions.push(action);
            }
        }
        default_action = offered.attr("execute").and_then(CommandAction::from_name);
    }
    let result = form
        .as_ref()
        .is_some_and(|f| f.type_ == DataFormType::Result_);
    if status == CommandStatus::Executing && actions.is_empty() && form.is_some() && !result {
        actions.push(CommandAction::Complete); // §3.4: no <actions/> means "complete"
    }
    let (title, instructions, form_type, fields) = match form {
        Some(form) => (
            form.title.clone(),
            form.instructions.clone(),
            form.form_type().map(str::to_owned),
            forms::fields_of(form),
        ),
        None => (None, None, None, Vec::new()),
    };
    Ok(CommandStage {
        session: CommandSession {
            jid: jid.to_owned(),
            node: command.attr("node").unwrap_or_default().to_owned(),
            id: command.attr("sessionid").map(str::to_owned),
            form_type,
        },
        status,
        title,
        instructions,
        fields,
        result,
        notes,
        actions,
        default_action,
    })
}

/// Words for a refused command request (XEP-0050 §4.4 and RFC 6120 conditions).
pub(crate) fn refusal(condition: &str) -> String {
    match condition {
        "forbidden" => "You are not allowed to run this command.".into(),
        "item-not-found" => "This command does not exist (any more) there.".into(),
        "bad-request" | "not-acceptable" => {
            "The command did not accept these values. Check them and try again.".into()
        }
        "not-allowed" => "The command's session has expired. Run it again.".into(),
        "feature-not-implemented" | "service-unavailable" => {
            "This address offers no commands.".into()
        }
        other => format!("The command failed ({}).", other.replace('-', " ")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn the_list_of_xep_0050_example_2_is_read() {
        let xml = "<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'>\
            <item jid='responder@domain' node='list' name='List Service Configurations'/>\
            <item jid='responder@domain' node='config' name='Configure Service'/>\
            <item jid='responder@domain' node='reset' name='Reset Service Configuration'/>\
            <item jid='responder@domain' node='start' name='Start Service'/>\
            <item jid='responder@domain' node='stop' name='Stop Service'/>\
            <item jid='responder@domain' node='restart' name='Restart Service'/></query>";
        let items = command_items(Some(xml.parse().unwrap()));
        assert_eq!(items.len(), 6);
        assert_eq!(
            items[1],
            CommandItem {
                jid: "responder@domain".into(),
                node: "config".into(),
                name: "Configure Service".into()
            }
        );
    }

    #[test]
    fn a_multi_stage_form_of_example_5_offers_its_actions() {
        let xml = "<command xmlns='http://jabber.org/protocol/commands' sessionid='config:20020923T213616Z-700' node='config' status='executing'>\
            <actions execute='next'><next/></actions>\
            <x xmlns='jabber:x:data' type='form'><title>Configure Service</title>\
            <instructions>Please select the service to configure.</instructions>\
            <field var='service' label='Service' type='list-single'>\
              <option><value>httpd</value></option><option><value>jabberd</value></option></field>\
            </x></command>";
        let stage = parse_stage("responder@domain", Some(xml.parse().unwrap())).unwrap();
        assert_eq!(
            stage.session.id.as_deref(),
            Some("config:20020923T213616Z-700")
        );
        assert_eq!(stage.session.node, "config");
        assert_eq!(stage.status, CommandStatus::Executing);
        assert_eq!(stage.actions, vec![CommandAction::Next]);
        assert_eq!(stage.default_action, Some(CommandAction::Next));
        assert_eq!(stage.title.as_deref(), Some("Configure Service"));
        assert_eq!(stage.fields[0].var, "service");
        assert_eq!(stage.fields[0].options.len(), 2);
        assert!(!stage.result);
    }

    #[test]
    fn a_completed_stage_with_a_note_of_example_4_ends_it() {
        let xml = "<command xmlns='http://jabber.org/protocol/commands' sessionid='list:20020923T213616Z-700' node='list' status='completed'>\
            <note type='info'>Service 'httpd' has been configured.</note></command>";
        let stage = parse_stage("responder@domain", Some(xml.parse().unwrap())).unwrap();
        assert_eq!(stage.status, CommandStatus::Completed);
        assert!(stage.actions.is_empty() && stage.fields.is_empty());
        assert_eq!(
            stage.notes,
            vec![CommandNote {
                kind: "info".into(),
                text: "Service 'httpd' has been configured.".into()
            }]
        );
    }

    #[test]
    fn a_form_without_actions_can_only_be_completed() {
        let xml = "<command xmlns='http://jabber.org/protocol/commands' node='n' sessionid='s' status='executing'>\
            <x xmlns='jabber:x:data' type='form'><field var='a' type='text-single'/></x></command>";
        let stage = parse_stage("e", Some(xml.parse().unwrap())).unwrap();
        assert_eq!(stage.actions, vec![CommandAction::Complete]);
    }

    #[test]
    fn the_submission_carries_the_session_the_action_and_the_values() {
        let values = vec![FieldValues {
            var: "service".into(),
            values: vec!["httpd".into()],
        }];
        let el = submit(
            "config",
            Some("config:20020923T213616Z-700"),
            CommandAction::Next,
            None,
            values,
        );
        assert_eq!(el.attr("action"), Some("next"));
        assert_eq!(el.attr("sessionid"), Some("config:20020923T213616Z-700"));
        let form = DataForm::try_from(el.get_child("x", "jabber:x:data").unwrap().clone()).unwrap();
        assert_eq!(form.type_, DataFormType::Submit);
        assert_eq!(form.fields[0].var.as_deref(), Some("service"));
        assert_eq!(form.fields[0].values, vec!["httpd".to_owned()]);
        let back = submit("config", Some("s"), CommandAction::Prev, None, Vec::new());
        assert!(
            back.get_child("x", "jabber:x:data").is_none(),
            "prev sends no form"
        );
        let gone = cancel("config", Some("s"));
        assert_eq!(
            (gone.attr("action"), gone.attr("sessionid")),
            (Some("cancel"), Some("s"))
        );
    }

    #[test]
    fn no_command_is_an_error_not_a_panic() {
        assert!(parse_stage("e", None).is_err());
        let other: Element = "<query xmlns='jabber:iq:version'/>".parse().unwrap();
        assert!(parse_stage("e", Some(other)).is_err());
    }
}
