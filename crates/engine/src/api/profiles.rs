//! Profiles (XEP-0292 vCard4, XEP-0054 vcard-temp as the fallback), our nickname (XEP-0172)
//! and a contact's online resources with the client each runs (XEP-0092).

use std::time::Duration;

use serde::Serialize;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::nick::Nick;
use tokio_xmpp::parsers::version::{VersionQuery, VersionResult};

use crate::features::avatar;
use crate::features::new_id;
use crate::features::profile::{self, Profile, ProfileSource};
use crate::*;

/// How long a resource gets to say which client it runs before it is shown without one.
const VERSION_WAIT: Duration = Duration::from_secs(5);

/// A person's profile and where it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ProfileView {
    /// The fields (all `None` when there is no profile).
    pub profile: Profile,
    /// vCard4, vcard-temp, or none.
    pub source: ProfileSource,
}

/// One online resource of a contact (RFC 6121 §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ResourceView {
    /// The resourcepart of the full JID.
    pub resource: String,
    /// Its presence.
    pub presence: PresenceInfo,
    /// The client it runs, as its software version answer names it (XEP-0092): "name
    /// version", then " (os)" when given; `None` when it did not answer within 5 s.
    pub client: Option<String>,
}

fn client_words(version: VersionResult) -> String {
    let mut words = format!("{} {}", version.name.trim(), version.version.trim());
    if let Some(os) = version.os.filter(|o| !o.trim().is_empty()) {
        words.push_str(&format!(" ({})", os.trim()));
    }
    words.trim().to_owned()
}

impl Engine {
    /// The profile of bare JID `jid` (our own account's too): the `current` item of their
    /// vCard4 node (XEP-0292 §3.1), else their vcard-temp (XEP-0054 §3.1); `source: None`
    /// when they have neither or the server refuses both (forbidden, not found).
    ///
    /// Errors: [`EngineError::InvalidJid`]; [`EngineError::NotConnected`] when offline or
    /// the server does not answer within 30 s.
    pub async fn profile(&self, account_id: i64, jid: &str) -> Result<ProfileView, EngineError> {
        let bare = parse_bare_jid(jid)?;
        match self
            .request(account_id, profile::vcard4_request(&bare))
            .await
        {
            Ok(payload) => match profile::read_vcard4(payload) {
                Ok(Some(found)) => {
                    return Ok(ProfileView {
                        profile: found,
                        source: ProfileSource::Vcard4,
                    })
                }
                Ok(None) => {}
                Err(e) => tracing::info!(account = account_id, "vCard4 of {bare} unreadable: {e}"),
            },
            Err(EngineError::Server(why)) => {
                tracing::debug!(account = account_id, "no vCard4 of {bare}: {why}")
            }
            Err(e) => return Err(e),
        }
        let own = self.inner.store.account(account_id).await?.jid == bare.as_str();
        let request = avatar::vcard_request(if own { None } else { Some(&bare) });
        let none = ProfileView {
            profile: Profile::default(),
            source: ProfileSource::None,
        };
        match self.request(account_id, request).await {
            Ok(Some(vcard)) => match profile::from_vcard_temp(&vcard) {
                Ok(found) if !found.is_empty() => Ok(ProfileView {
                    profile: found,
                    source: ProfileSource::VcardTemp,
                }),
                Ok(_) => Ok(none),
                Err(e) => {
                    tracing::info!(account = account_id, "vCard of {bare} unreadable: {e}");
                    Ok(none)
                }
            },
            Ok(None) => Ok(none),
            Err(EngineError::Server(why)) => {
                tracing::debug!(account = account_id, "no vCard of {bare}: {why}");
                Ok(none)
            }
            Err(e) => Err(e),
        }
    }

    /// Makes `profile` ours on the account (fields trimmed, empty ones left out): written
    /// into our vcard-temp (XEP-0054 §3.2, the photo and other fields kept), published as our
    /// vCard4 (XEP-0292 §3.2), and its nickname published as our user nickname (XEP-0172
    /// §4.1; none: the empty nick, §4.5), which also goes into our subscription requests.
    ///
    /// Errors: [`EngineError::NotConnected`] when offline; [`EngineError::Server`] when the
    /// server refuses the vCard4 or nickname publish (a vcard-temp it will not take is
    /// logged, not an error: the vCard4 is the profile's home).
    pub async fn set_profile(&self, account_id: i64, profile: Profile) -> Result<(), EngineError> {
        let profile = profile.cleaned();
        let current = match self.request(account_id, avatar::vcard_request(None)).await {
            Ok(current) => current,
            // None yet (item-not-found): a new one.
            Err(EngineError::Server(_)) => None,
            // Never written over a vCard we could not read (its photo would go).
            Err(e) => return Err(e),
        };
        let vcard = profile::with_profile(current.as_ref(), &profile);
        if let Err(e) = self
            .request(account_id, profile::vcard_temp_set(vcard))
            .await
        {
            tracing::warn!(account = account_id, "our vCard was not updated: {e}");
        }
        self.request(account_id, profile::publish_vcard4(&profile))
            .await?;
        self.request(
            account_id,
            profile::publish_nick(profile.nickname.as_deref()),
        )
        .await?;
        let jid = self.inner.store.account(account_id).await?.jid;
        if self
            .inner
            .store
            .set_nick(account_id, &jid, profile.nickname.as_deref())
            .await?
        {
            self.emit(EngineEvent::RosterChanged { account_id });
        }
        Ok(())
    }

    /// The online resources of contact `jid`, most available first, each with the client it
    /// runs (asked now, XEP-0092 §3; at most 5 s each, all at once). Empty when offline.
    ///
    /// Errors: [`EngineError::InvalidJid`].
    pub async fn contact_resources(
        &self,
        account_id: i64,
        jid: &str,
    ) -> Result<Vec<ResourceView>, EngineError> {
        let bare = parse_bare_jid(jid)?;
        let online = self.inner.presence.online(account_id, bare.as_str());
        let asks = online.into_iter().map(|(resource, presence)| {
            let bare = bare.clone();
            async move {
                let client = match bare.with_resource_str(&resource) {
                    Ok(full) => {
                        let iq = Iq::from_get(new_id(), VersionQuery).with_to(Jid::from(full));
                        match tokio::time::timeout(VERSION_WAIT, self.request(account_id, iq)).await
                        {
                            Ok(Ok(Some(payload))) => {
                                VersionResult::try_from(payload).ok().map(client_words)
                            }
                            _ => None,
                        }
                    }
                    Err(_) => None,
                };
                ResourceView {
                    resource,
                    presence,
                    client,
                }
            }
        });
        Ok(futures::future::join_all(asks).await)
    }

    /// A subscription request (RFC 6121 §3.1.1) carrying our nickname when we have one
    /// (XEP-0172 §4.2).
    pub(crate) async fn subscribe_presence(&self, account_id: i64) -> Presence {
        let mut presence = Presence::subscribe();
        let own = match self.inner.store.account(account_id).await {
            Ok(account) => self
                .inner
                .store
                .nick_of(account_id, &account.jid)
                .await
                .ok()
                .flatten(),
            Err(_) => None,
        };
        if let Some(nick) = own {
            presence.payloads.push(Nick(nick).into());
        }
        presence
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_named_with_its_version_and_system() {
        let words = |name: &str, version: &str, os: Option<&str>| {
            client_words(VersionResult {
                name: name.into(),
                version: version.into(),
                os: os.map(Into::into),
            })
        };
        assert_eq!(words("Gajim", "1.9", Some("Linux")), "Gajim 1.9 (Linux)");
        assert_eq!(words("Dino", "0.4", Some(" ")), "Dino 0.4");
        assert_eq!(words("x", "", None), "x");
    }
}
