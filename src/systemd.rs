//! The service manager protocol (`Type=notify`): `READY=1`, `WATCHDOG=1`, `STOPPING=1` and
//! `STATUS=` lines sent to `$NOTIFY_SOCKET`. Without that variable (not started by systemd)
//! every call does nothing.

use sd_notify::NotifyState;
use std::time::Duration;

fn send(states: &[NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(states) {
        tracing::debug!(%error, "could not notify the service manager");
    }
}

/// Startup is finished: partitions assigned, HTTP port bound.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// A one-line status shown by `systemctl status`.
pub fn status(status: &str) {
    send(&[NotifyState::Status(status)]);
}

/// The draining has begun.
pub fn stopping(status: &str) {
    send(&[NotifyState::Stopping, NotifyState::Status(status)]);
}

/// Every loop is alive.
pub fn watchdog() {
    send(&[NotifyState::Watchdog]);
}

/// The watchdog interval (`WatchdogSec=`) when the service manager expects pings.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
}
