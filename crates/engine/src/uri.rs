//! `xmpp:` URIs (RFC 5122) with their XEP-0147 query actions: what a link clicked in a
//! browser or another program asks Linnet to do. Parsed with the `url` crate (RFC 3986), the
//! address checked as a JID; nothing here acts: the window shows what was asked and the user
//! confirms (a message is put in the composer, never sent).

use tokio_xmpp::parsers::jid::Jid;

/// What an `xmpp:` URI asks for (XEP-0147 §3, the actions of its registry that Linnet knows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum UriAction {
    /// No action, or `?message`: open a chat with the JID, `body` in the composer.
    Message,
    /// `?join`: join the group chat (XEP-0045), after the user confirmed.
    Join,
    /// `?subscribe` or `?roster`: add the JID as a contact, after the user confirmed.
    Subscribe,
    /// `?register` (XEP-0147 §4, the query type of XEP-0077): create an account on the
    /// server the JID names (its domain), from its sign-up form, once the user goes on.
    Register,
}

/// A parsed `xmpp:` URI: the target JID and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct XmppUri {
    /// The target (RFC 5122 §2.2: the path), a bare or full JID.
    pub jid: String,
    /// What to do (an unknown action opens a chat, as RFC 5122 §2.5 lets a client).
    pub action: UriAction,
    /// `;body=`: the text to put in the composer (`message`).
    pub body: Option<String>,
    /// `;name=`: the name to give the contact (`subscribe`, `roster`).
    pub name: Option<String>,
}

/// Parses `xmpp:JID[?action[;key=value]*]` (RFC 5122 §2; the `//account/` authority form is
/// read and its account ignored). Keys and values are percent-decoded (§2.7).
///
/// Errors, in words: not an `xmpp:` URI, no JID, or one that is not a valid JID.
pub fn parse_xmpp_uri(text: &str) -> Result<XmppUri, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("Not a link: {e}."))?;
    if url.scheme() != "xmpp" {
        return Err("Not an xmpp: link.".into());
    }
    let path = url.path().trim_start_matches('/');
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| "The address in the link is not valid text.".to_owned())?;
    if decoded.is_empty() {
        return Err("The link names no address.".into());
    }
    let jid = Jid::new(&decoded).map_err(|e| format!("The link's address is not valid: {e}."))?;
    let query = url.query().unwrap_or_default();
    let mut parts = query.split(';');
    let action = parts.next().unwrap_or_default();
    let pairs: Vec<(String, String)> = parts
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect();
    let value = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let action = match action {
        "join" => UriAction::Join,
        "subscribe" | "roster" => UriAction::Subscribe,
        "register" => UriAction::Register,
        _ => UriAction::Message,
    };
    Ok(XmppUri {
        jid: jid.to_string(),
        action,
        body: value("body").filter(|_| action == UriAction::Message),
        name: value("name").filter(|_| action == UriAction::Subscribe),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn uri(jid: &str, action: UriAction, body: Option<&str>, name: Option<&str>) -> XmppUri {
        XmppUri {
            jid: jid.into(),
            action,
            body: body.map(str::to_owned),
            name: name.map(str::to_owned),
        }
    }

    #[test]
    fn the_rfc_and_xep_examples_parse() {
        use UriAction::*;
        // RFC 5122 §2.2 and XEP-0147 §3 examples.
        assert_eq!(
            parse_xmpp_uri("xmpp:romeo@montague.net").unwrap(),
            uri("romeo@montague.net", Message, None, None)
        );
        assert_eq!(
            parse_xmpp_uri(
                "xmpp:romeo@montague.net?message;subject=Test%20Message;body=Here%27s%20a%20test%20message"
            )
            .unwrap(),
            uri("romeo@montague.net", Message, Some("Here's a test message"), None)
        );
        assert_eq!(
            parse_xmpp_uri("xmpp:darkcave@chat.shakespeare.lit?join").unwrap(),
            uri("darkcave@chat.shakespeare.lit", Join, None, None)
        );
        assert_eq!(
            parse_xmpp_uri("xmpp:romeo@montague.net?roster;name=Romeo%20Montague;group=Friends")
                .unwrap(),
            uri(
                "romeo@montague.net",
                Subscribe,
                None,
                Some("Romeo Montague")
            )
        );
        // XEP-0147's registry: `register` (XEP-0077), here on a server's domain.
        assert_eq!(
            parse_xmpp_uri("xmpp:shakespeare.lit?register").unwrap(),
            uri("shakespeare.lit", Register, None, None)
        );
        // RFC 5122 §2.2's authority form: the account part is ignored.
        assert_eq!(
            parse_xmpp_uri("xmpp://guest@example.com/support@example.com?message").unwrap(),
            uri("support@example.com", Message, None, None)
        );
        // RFC 5122 §2.7.2's example of escapes in the node.
        let nasty = parse_xmpp_uri(
            "xmpp:nasty!%23$%25()*+,-.;=%3F%5B%5C%5D%5E_%60%7B%7C%7D~node@example.com",
        )
        .unwrap();
        assert_eq!(nasty.jid, "nasty!#$%()*+,-.;=?[\\]^_`{|}~node@example.com");
        assert_eq!(
            parse_xmpp_uri("xmpp:juliet@example.com/balcony?message;body=hi").unwrap(),
            uri("juliet@example.com/balcony", Message, Some("hi"), None)
        );
    }

    #[test]
    fn what_is_no_xmpp_uri_is_refused_in_words() {
        assert!(parse_xmpp_uri("https://example.com")
            .unwrap_err()
            .contains("xmpp:"));
        assert!(parse_xmpp_uri("xmpp:").is_err());
        assert!(parse_xmpp_uri("xmpp:@@example.com")
            .unwrap_err()
            .contains("not valid"));
        assert!(parse_xmpp_uri("not a link").is_err());
    }
}
