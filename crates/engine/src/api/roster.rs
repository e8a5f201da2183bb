//! Roster (RFC 6121 §2), subscriptions (§3) and presence (§4).

use crate::*;

impl Engine {
    /// Adds or updates a contact (roster set, RFC 6121 §2.3) and asks for their presence
    /// (RFC 6121 §3.1.1, with our XEP-0172 nickname). Requires the account to be online.
    pub async fn add_contact(
        &self,
        account_id: i64,
        jid: &str,
        name: Option<String>,
        groups: Vec<String>,
    ) -> Result<(), EngineError> {
        let bare = parse_bare_jid(jid)?;
        self.roster_set(account_id, roster_set(bare.clone(), name, groups))
            .await?;
        let subscribe = self.subscribe_presence(account_id).await;
        self.presence_to(account_id, bare, subscribe).await
    }

    /// Renames or regroups a contact (roster set).
    pub async fn update_contact(
        &self,
        account_id: i64,
        jid: &str,
        name: Option<String>,
        groups: Vec<String>,
    ) -> Result<(), EngineError> {
        self.roster_set(account_id, roster_set(parse_bare_jid(jid)?, name, groups))
            .await
    }

    /// Removes a contact (RFC 6121 §2.5; the server cancels subscriptions both ways).
    pub async fn remove_contact(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        self.roster_set(account_id, roster_remove(parse_bare_jid(jid)?))
            .await
    }

    async fn roster_set(
        &self,
        account_id: i64,
        roster: tokio_xmpp::parsers::roster::Roster,
    ) -> Result<(), EngineError> {
        let (done, wait) = oneshot::channel();
        self.send_command(account_id, Command::RosterSet(roster, done))
            .await?;
        match tokio::time::timeout(std::time::Duration::from_secs(30), wait).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(EngineError::NotConnected),
            Err(_) => Err(EngineError::Server("no answer within 30 s".into())),
        }
    }

    async fn presence_to(
        &self,
        account_id: i64,
        to: BareJid,
        presence: Presence,
    ) -> Result<(), EngineError> {
        let presence = presence.with_to(Jid::from(to));
        self.send_command(account_id, Command::Send(Box::new(presence.into())))
            .await
    }

    /// Asks to see a contact's presence (RFC 6121 §3.1.1).
    pub async fn request_subscription(
        &self,
        account_id: i64,
        jid: &str,
    ) -> Result<(), EngineError> {
        let bare = parse_bare_jid(jid)?;
        let subscribe = self.subscribe_presence(account_id).await;
        self.presence_to(account_id, bare, subscribe).await
    }

    /// Approves an inbound subscription request (RFC 6121 §3.1.4).
    pub async fn approve_subscription(
        &self,
        account_id: i64,
        jid: &str,
    ) -> Result<(), EngineError> {
        let bare = parse_bare_jid(jid)?;
        self.presence_to(account_id, bare.clone(), Presence::subscribed())
            .await?;
        self.inner
            .store
            .remove_subscription_request(account_id, bare.as_str())
            .await?;
        Ok(())
    }

    /// Denies an inbound request, or cancels a subscription we granted (RFC 6121 §3.2).
    pub async fn deny_subscription(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        let bare = parse_bare_jid(jid)?;
        self.presence_to(
            account_id,
            bare.clone(),
            Presence::new(tokio_xmpp::parsers::presence::Type::Unsubscribed),
        )
        .await?;
        self.inner
            .store
            .remove_subscription_request(account_id, bare.as_str())
            .await?;
        Ok(())
    }

    /// Stops seeing a contact's presence (RFC 6121 §3.3).
    pub async fn unsubscribe(&self, account_id: i64, jid: &str) -> Result<(), EngineError> {
        self.presence_to(account_id, parse_bare_jid(jid)?, Presence::unsubscribe())
            .await
    }

    /// Pending inbound subscription requests.
    pub async fn subscription_requests(
        &self,
        account_id: i64,
    ) -> Result<Vec<SubscriptionRequestRow>, EngineError> {
        self.inner.store.subscription_requests(account_id).await
    }

    /// Sets our own presence on an account: kept in the store (so it survives restarts), sent
    /// now if online, and at every connect (RFC 6121 §4.2).
    ///
    /// Errors: [`EngineError::Store`]; [`EngineError::NotConnected`] when the account is
    /// disabled (the presence is kept all the same and used once it is enabled).
    pub async fn set_presence(
        &self,
        account_id: i64,
        show: Show,
        status: Option<String>,
    ) -> Result<(), EngineError> {
        self.inner
            .store
            .set_own_presence(account_id, show, status.as_deref())
            .await?;
        self.send_command(account_id, Command::SetPresence { show, status })
            .await
    }

    /// Roster of an account with each contact's best presence, from the store (so it shows
    /// before the network answers).
    pub async fn contacts(&self, account_id: i64) -> Result<Vec<Contact>, EngineError> {
        let rows = self.inner.store.roster(account_id).await?;
        let mut avatars = self.inner.store.avatars(account_id).await?;
        let mut nicks = self.inner.store.nicks(account_id).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let presence = self.inner.presence.best(account_id, &r.jid);
                let avatar = avatars.remove(&r.jid);
                let nick = nicks.remove(&r.jid);
                Contact::from_row(r, presence, avatar, nick)
            })
            .collect())
    }

    /// Best presence of one contact.
    pub fn presence(&self, account_id: i64, jid: &str) -> PresenceInfo {
        self.inner.presence.best(account_id, jid)
    }

    /// The roster version we hold (XEP-0237), `None` before the first versioned roster.
    ///
    /// Errors: [`EngineError::UnknownAccount`].
    pub async fn roster_version(&self, account_id: i64) -> Result<Option<String>, EngineError> {
        Ok(self.inner.store.account(account_id).await?.roster_ver)
    }
}
