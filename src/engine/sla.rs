//! SLA clocks: one [`Clock`] per cycle of a metric (SLA.md, Metrics and cycles).
//!
//! Invariants:
//! - SLA time used is `used_ms` plus, while running, the calendar time from `since` on.
//!   Only inputs (pause, resume, re-target, fulfil) move `used_ms`/`since`; a timer that
//!   fires reads the clock without settling it, so a late input can still be measured at
//!   its own `ts` (EVENTS.md section 4).
//! - A running clock has exactly one armed timer: its next warning, its breach, or its next
//!   ladder level, in that order; a paused or finished clock has none.
//! - A warning or breach is emitted at most once per cycle; ladder levels fire in order,
//!   each once (repeats are numbered).

use super::calendar::Calendar;
use super::rules::{Ladder, Policy};
use super::wheel::TimerHandle;
use crate::contract::Metric;
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where a cycle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Running,
    Paused,
    /// Fulfilled or ended. A fulfilled `resolution` cycle can be resumed by a reopen.
    Done,
}

/// What a clock is waiting for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// The warning at this percentage of the target.
    Warning(u8),
    Breach,
    /// Ladder level `index` (0-based); `repeat` 0 is the level itself, k >= 1 its k-th repeat.
    Level {
        index: usize,
        repeat: u32,
    },
}

/// One cycle of one metric.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Clock {
    pub metric: Metric,
    /// From 1, per metric per ticket.
    pub cycle: u32,
    /// The policy whose target, calendar, pause_on, warn_at and ladder apply.
    #[serde(with = "crate::checkpoint::shared::policy")]
    pub policy: Arc<Policy>,
    pub target_ms: i64,
    pub phase: Phase,
    /// SLA time used up to `since` (the whole time when not running).
    used_ms: i64,
    /// While running: the instant from which SLA time is still to be counted.
    since: Millis,
    /// When the breach fired (a timer's due instant, or the change that made it due).
    pub breached_at: Option<Millis>,
    /// Ladder time (on the ladder's calendar) accrued since the breach, up to `since`.
    ladder_ms: i64,
    /// Bit `p` set: the warning at `p`% was emitted, or skipped for good by the breach. Two
    /// words rather than a `u128`, whose 16-byte alignment would pad every clock.
    warned: [u64; 2],
    /// Ladder levels fired so far.
    pub levels_fired: usize,
    /// Repeats of the last level fired so far.
    pub repeats_fired: u32,
    /// `sla.fulfilled` emitted so far in this cycle (a reopen can fulfil it again).
    pub fulfilled_count: u32,
    pub timer: Option<TimerHandle>,
}

impl Clock {
    /// A new cycle started at `at`, running unless `paused`.
    pub fn start(metric: Metric, cycle: u32, policy: Arc<Policy>, target_ms: i64, at: Millis, paused: bool) -> Clock {
        Clock {
            metric,
            cycle,
            policy,
            target_ms,
            phase: if paused { Phase::Paused } else { Phase::Running },
            used_ms: 0,
            since: at,
            breached_at: None,
            ladder_ms: 0,
            warned: [0; 2],
            levels_fired: 0,
            repeats_fired: 0,
            fulfilled_count: 0,
            timer: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.phase != Phase::Done
    }

    pub fn is_breached(&self) -> bool {
        self.breached_at.is_some()
    }

    pub fn calendar(&self) -> &Calendar {
        &self.policy.calendar
    }

    fn ladder(&self) -> Option<&Arc<Ladder>> {
        self.policy.metric(self.metric).ladder.as_ref()
    }

    pub fn ladder_level(&self, index: usize) -> Option<&super::rules::LadderLevel> {
        self.ladder().and_then(|l| l.levels.get(index))
    }

    fn ladder_calendar(&self) -> &Calendar {
        match self.ladder().and_then(|l| l.calendar.as_ref()) {
            Some(own) => own,
            None => &self.policy.calendar,
        }
    }

    /// SLA time used at `at` (an instant before the last settle point counts as that point).
    pub fn used_at(&self, at: Millis) -> i64 {
        if self.phase == Phase::Running && at > self.since {
            self.used_ms.saturating_add(self.calendar().sla_time(self.since, at))
        } else {
            self.used_ms
        }
    }

    /// Moves the settle point to `at`, accruing SLA time and ladder time.
    pub fn settle(&mut self, at: Millis) {
        if self.phase != Phase::Running || at <= self.since {
            return;
        }
        self.used_ms = self.used_ms.saturating_add(self.calendar().sla_time(self.since, at));
        if let Some(breach) = self.breached_at {
            let anchor = self.since.max(breach);
            if at > anchor {
                self.ladder_ms = self.ladder_ms.saturating_add(self.ladder_calendar().sla_time(anchor, at));
            }
        }
        self.since = at;
    }

    pub fn pause(&mut self, at: Millis) {
        self.settle(at);
        if self.phase == Phase::Running {
            self.phase = Phase::Paused;
            self.since = self.since.max(at);
        }
    }

    pub fn resume(&mut self, at: Millis) {
        if self.phase == Phase::Paused || self.phase == Phase::Done {
            self.phase = Phase::Running;
            self.since = self.since.max(at);
        }
    }

    /// Ends the cycle (fulfilled or not); returns the SLA time used at `at`.
    pub fn finish(&mut self, at: Millis) -> i64 {
        let used = self.used_at(at);
        self.settle(at);
        self.phase = Phase::Done;
        used
    }

    fn warning_threshold(&self, pct: u8) -> i64 {
        // T * p / 100 rounded down, without overflow for any target.
        ((self.target_ms as i128 * pct as i128) / 100) as i64
    }

    pub fn has_warned(&self, pct: u8) -> bool {
        let bit = pct as usize % 128;
        self.warned[bit / 64] & (1 << (bit % 64)) != 0
    }

    pub fn mark_warned(&mut self, pct: u8) {
        let bit = pct as usize % 128;
        self.warned[bit / 64] |= 1 << (bit % 64);
    }

    /// The next milestone and the amount (policy time for warnings and the breach, ladder time for
    /// levels) at which it is due; `None` when the cycle has nothing left to fire.
    pub fn next_milestone(&self) -> Option<(Milestone, i64)> {
        if self.breached_at.is_none() {
            for &pct in &self.policy.warn_at {
                if !self.has_warned(pct) {
                    return Some((Milestone::Warning(pct), self.warning_threshold(pct)));
                }
            }
            return Some((Milestone::Breach, self.target_ms));
        }
        let ladder = self.ladder()?;
        if let Some(level) = ladder.levels.get(self.levels_fired) {
            return Some((Milestone::Level { index: self.levels_fired, repeat: 0 }, level.after_ms));
        }
        let last = ladder.levels.len().checked_sub(1)?;
        let repeat = ladder.levels[last].repeat?;
        if self.repeats_fired >= repeat.count {
            return None;
        }
        let k = self.repeats_fired + 1;
        let amount = ladder.levels[last].after_ms.saturating_add(repeat.every_ms.saturating_mul(k as i64));
        Some((Milestone::Level { index: last, repeat: k }, amount))
    }

    /// The instant `milestone` (due at `amount`) falls due if the clock keeps running from its
    /// settle point.
    pub fn due_instant(&self, milestone: Milestone, amount: i64) -> Millis {
        match milestone {
            Milestone::Warning(_) | Milestone::Breach => {
                self.calendar().add(self.since, amount.saturating_sub(self.used_ms).max(0))
            }
            Milestone::Level { .. } => {
                let anchor = self.since.max(self.breached_at.unwrap_or(self.since));
                self.ladder_calendar().add(anchor, amount.saturating_sub(self.ladder_ms).max(0))
            }
        }
    }

    /// When the breach comes (or came) as things stand: the planned instant while running and
    /// not breached, the breach instant once breached.
    pub fn breach_instant(&self) -> Millis {
        match self.breached_at {
            Some(at) => at,
            None => self.calendar().add(self.since, self.target_ms.saturating_sub(self.used_ms).max(0)),
        }
    }

    /// Ladder time (on the ladder's calendar) accrued since the breach, at `at`; 0 before it.
    pub fn ladder_used_at(&self, at: Millis) -> i64 {
        let Some(breach) = self.breached_at else {
            return 0;
        };
        let anchor = self.since.max(breach);
        if self.phase == Phase::Running && at > anchor {
            self.ladder_ms.saturating_add(self.ladder_calendar().sla_time(anchor, at))
        } else {
            self.ladder_ms
        }
    }

    /// The next ladder milestone if the ladder time used at `at` already reached it, running or
    /// paused (DETAILS.md: a level made due at once by a change fires at the change).
    pub fn level_reached(&self, at: Millis) -> Option<Milestone> {
        match self.next_milestone()? {
            (level @ Milestone::Level { .. }, amount) if amount <= self.ladder_used_at(at) => Some(level),
            _ => None,
        }
    }

    /// The amount of SLA time (policy calendar) still to run before the breach, at `at`.
    pub fn breach_due_from(&self, at: Millis) -> Millis {
        let used = self.used_at(at);
        self.calendar().add(at.max(self.since), self.target_ms.saturating_sub(used).max(0))
    }

    /// Records the breach at `at`: warnings not yet emitted are skipped for good and the ladder
    /// starts counting.
    pub fn mark_breached(&mut self, at: Millis) {
        self.breached_at = Some(at);
        self.warned = [u64::MAX; 2];
        self.ladder_ms = 0;
    }

    /// Records a fired ladder milestone.
    pub fn mark_level(&mut self, milestone: Milestone) {
        if let Milestone::Level { repeat, .. } = milestone {
            if repeat == 0 {
                self.levels_fired += 1;
            } else {
                self.repeats_fired = repeat;
            }
        }
    }

    /// Takes a new policy and target, keeping the SLA time used (settled at `at` first).
    pub fn retarget(&mut self, at: Millis, policy: Arc<Policy>, target_ms: i64) {
        self.settle(at);
        self.policy = policy;
        self.target_ms = target_ms;
        // A ladder of the new policy keeps the progress by level index.
    }

    /// The warnings of the current `warn_at` that are due at the SLA time used `used` and not yet
    /// emitted, ascending.
    pub fn warnings_due(&self, used: i64) -> Vec<u8> {
        if self.breached_at.is_some() {
            return Vec::new();
        }
        self.policy
            .warn_at
            .iter()
            .copied()
            .filter(|&p| !self.has_warned(p) && self.warning_threshold(p) <= used)
            .collect()
    }
}
