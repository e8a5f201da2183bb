//! Ad-hoc commands (XEP-0050) on our server or any entity: listed, run stage by stage,
//! cancelled. Parsing and building are in `features::adhoc`.

use crate::*;
use features::adhoc::{self, CommandAction, CommandItem, CommandSession, CommandStage};
use tokio_xmpp::parsers::disco::DiscoItemsQuery;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::Jid;

/// `entity` as a JID, or the account's own server when `None`.
async fn entity_of(
    engine: &Engine,
    account_id: i64,
    entity: Option<&str>,
) -> Result<Jid, EngineError> {
    match entity.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Jid::new(e).map_err(|err| EngineError::InvalidJid {
            input: e.to_owned(),
            reason: err.to_string(),
        }),
        None => {
            let account = engine.inner.store.account(account_id).await?;
            let domain = parse_bare_jid(&account.jid)?.domain().to_owned();
            Ok(Jid::from(domain))
        }
    }
}

fn words(e: EngineError) -> EngineError {
    match e {
        EngineError::Server(condition) => EngineError::Server(adhoc::refusal(&condition)),
        other => other,
    }
}

impl Engine {
    /// The commands `entity` (our server when `None`) offers us (XEP-0050 §2.2), in its
    /// order; empty when it offers none.
    ///
    /// Errors: [`EngineError::InvalidJid`], [`EngineError::NotConnected`],
    /// [`EngineError::Server`] in words when the entity refuses.
    pub async fn list_commands(
        &self,
        account_id: i64,
        entity: Option<&str>,
    ) -> Result<Vec<CommandItem>, EngineError> {
        let to = entity_of(self, account_id, entity).await?;
        let iq = Iq::from_get(
            features::new_id(),
            DiscoItemsQuery {
                node: Some(adhoc::NS.to_owned()),
                rsm: None,
            },
        )
        .with_to(to);
        match self.request(account_id, iq).await {
            Ok(payload) => Ok(adhoc::command_items(payload)),
            // An entity without commands may refuse the node instead of listing nothing.
            Err(EngineError::Server(c)) if c == "item-not-found" => Ok(Vec::new()),
            Err(e) => Err(words(e)),
        }
    }

    /// Runs command `node` of `entity` (XEP-0050 §3.2): its first stage.
    ///
    /// Errors: as [`Self::list_commands`]; [`EngineError::Server`] when the answer holds no
    /// command.
    pub async fn run_command(
        &self,
        account_id: i64,
        entity: &str,
        node: &str,
    ) -> Result<CommandStage, EngineError> {
        let to = entity_of(self, account_id, Some(entity)).await?;
        self.command_iq(account_id, to, adhoc::execute(node)).await
    }

    /// The next stage of a running command: `action` with the form's `values` (§3.4).
    ///
    /// Errors: as [`Self::run_command`].
    pub async fn continue_command(
        &self,
        account_id: i64,
        session: &CommandSession,
        action: CommandAction,
        values: Vec<FieldValues>,
    ) -> Result<CommandStage, EngineError> {
        let to = entity_of(self, account_id, Some(&session.jid)).await?;
        let payload = adhoc::submit(
            &session.node,
            session.id.as_deref(),
            action,
            session.form_type.as_deref(),
            values,
        );
        self.command_iq(account_id, to, payload).await
    }

    /// Cancels a running command (§3.5); the entity's answer is not waited for beyond the
    /// usual IQ timeout and a refusal is not an error (the session ends either way).
    ///
    /// Errors: [`EngineError::InvalidJid`], [`EngineError::NotConnected`].
    pub async fn cancel_command(
        &self,
        account_id: i64,
        session: &CommandSession,
    ) -> Result<(), EngineError> {
        let to = entity_of(self, account_id, Some(&session.jid)).await?;
        let iq = Iq::Set {
            from: None,
            to: Some(to),
            id: features::new_id(),
            payload: adhoc::cancel(&session.node, session.id.as_deref()),
        };
        match self.request(account_id, iq).await {
            Ok(_) | Err(EngineError::Server(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn command_iq(
        &self,
        account_id: i64,
        to: Jid,
        payload: tokio_xmpp::minidom::Element,
    ) -> Result<CommandStage, EngineError> {
        let jid = to.to_string();
        let iq = Iq::Set {
            from: None,
            to: Some(to),
            id: features::new_id(),
            payload,
        };
        let answer = self.request(account_id, iq).await.map_err(words)?;
        adhoc::parse_stage(&jid, answer).map_err(EngineError::Server)
    }
}
