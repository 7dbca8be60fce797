//! What the engine's state costs in memory, by component, for `slad_memory_bytes`: estimated
//! from counts and capacities in time proportional to the tenants (never to the tickets), so a
//! gauge can be refreshed every second. The per-item constants are the sizes measured with the
//! memory benchmark (README, Memory); they are estimates, the process RSS is the truth.

use super::sla::Clock;

/// Heap bytes of a typical ticket besides its slot: id text, two skills, a short context.
pub const TICKET_HEAP_BYTES: usize = 128;
/// Heap bytes of one clock besides its struct (allocator overhead of the ticket's clock list).
pub const CLOCK_HEAP_BYTES: usize = 8;
/// One agent's profile, indexes and counters.
pub const AGENT_BYTES: usize = 512;
/// One queued ticket's entry, requirements and index positions.
pub const QUEUED_BYTES: usize = 256;
/// One ticket in its agent's assignment sets.
pub const ASSIGNMENT_BYTES: usize = 16;
/// One journey step (its JSON entry) and its recency entry.
pub const JOURNEY_STEP_BYTES: usize = 160;

/// Estimated bytes by component.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUse {
    /// Ticket slots, the id index, shared names and each ticket's own heap.
    pub tickets: usize,
    pub clocks: usize,
    pub wheel: usize,
    /// Event ids and closed ticket ids.
    pub dedupe: usize,
    pub routing: usize,
    pub journeys: usize,
}

impl MemoryUse {
    pub fn clock_bytes(clocks: usize) -> usize {
        clocks * (size_of::<Clock>() + CLOCK_HEAP_BYTES)
    }

    pub fn add(&mut self, other: MemoryUse) {
        self.tickets += other.tickets;
        self.clocks += other.clocks;
        self.wheel += other.wheel;
        self.dedupe += other.dedupe;
        self.routing += other.routing;
        self.journeys += other.journeys;
    }

    /// `(component label, bytes)`, in the order of the gauge's series.
    pub fn components(&self) -> [(&'static str, usize); 6] {
        [
            ("tickets", self.tickets),
            ("clocks", self.clocks),
            ("wheel", self.wheel),
            ("dedupe", self.dedupe),
            ("routing", self.routing),
            ("journeys", self.journeys),
        ]
    }

    pub fn total(&self) -> usize {
        self.components().iter().map(|(_, b)| b).sum()
    }
}
