//! A client's tracking mode: the flags other sessions read when invalidating
//! (`ClientTracking`, in its handle) and its BCAST prefixes.

use std::collections::BTreeSet;

use bytes::Bytes;

use crate::sync::{AtomicU64, Ordering};

/// Tracking flags as a bitset (Redis's CLIENT_TRACKING_* flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrackingFlags(pub u64);

impl TrackingFlags {
    /// CLIENT TRACKING ON.
    pub const ON: Self = Self(1);
    /// BCAST mode.
    pub const BCAST: Self = Self(1 << 1);
    /// OPTIN mode.
    pub const OPTIN: Self = Self(1 << 2);
    /// OPTOUT mode.
    pub const OPTOUT: Self = Self(1 << 3);
    /// NOLOOP: no invalidation for the client's own writes.
    pub const NOLOOP: Self = Self(1 << 4);
    /// The client it redirects to has gone.
    pub const BROKEN_REDIR: Self = Self(1 << 5);
    /// CLIENT CACHING YES/NO applies to the next command.
    pub const CACHING: Self = Self(1 << 6);

    /// Whether every flag of `other` is set.
    pub fn has(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

/// The tracking state of one client, in its handle so invalidating sessions can read it.
#[derive(Default)]
pub struct ClientTracking {
    flags: AtomicU64,
    /// The client id invalidations are redirected to (0 = none).
    redirect: AtomicU64,
    /// BCAST prefixes, sorted as Redis lists them; only the client's own session changes them.
    pub prefixes: crate::sync::Mutex<BTreeSet<Bytes>>,
}

impl ClientTracking {
    /// The current flags.
    #[inline]
    pub fn flags(&self) -> TrackingFlags {
        TrackingFlags(self.flags.load(Ordering::Relaxed))
    }

    /// Replaces the flags.
    pub fn set_flags(&self, flags: TrackingFlags) {
        self.flags.store(flags.0, Ordering::Relaxed);
    }

    /// Sets `flag`.
    pub fn insert(&self, flag: TrackingFlags) {
        self.flags.fetch_or(flag.0, Ordering::Relaxed);
    }

    /// Clears `flag`.
    pub fn remove(&self, flag: TrackingFlags) {
        self.flags.fetch_and(!flag.0, Ordering::Relaxed);
    }

    /// The redirect target id (0 = none).
    pub fn redirect(&self) -> u64 {
        self.redirect.load(Ordering::Relaxed)
    }

    /// Sets the redirect target id.
    pub fn set_redirect(&self, id: u64) {
        self.redirect.store(id, Ordering::Relaxed);
    }
}
