"""Linnet test harness.

Two helpers used by Linnet's Rust integration tests and Python end-to-end tests:

* :mod:`linnet_harness.server` / :class:`ProsodyServer` - a throwaway Prosody
  instance on free loopback ports with its own test CA.
* :mod:`linnet_harness.peer` / :class:`Peer` - a scripted XMPP peer built on
  slixmpp, an independent implementation used to prove interoperability.

Both CLIs speak JSON lines on stdin/stdout (see the module docstrings).
"""

from .prosody import ProsodyServer, ProsodyError

__all__ = ["ProsodyServer", "ProsodyError", "Peer", "PeerError"]


def __getattr__(name):
    # Import the slixmpp-based peer lazily so the server works without slixmpp.
    if name in ("Peer", "PeerError"):
        from . import peer_client
        return getattr(peer_client, name)
    raise AttributeError(name)
