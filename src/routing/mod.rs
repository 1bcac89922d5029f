//! Routing: the road graph, shortest paths and the min-cost-flow solver behind
//! shelter assignment. Plain Rust over plain data; analyses call it.
//!
//! - [`graph`]: road layers → a CSR graph with per-arc lengths, profiles for speeds;
//! - [`search`]: a bounded, reusable Dijkstra (one multi-target search per unit);
//! - [`hierarchy`]: point-to-point routes by contraction hierarchies (`fast_paths`);
//! - [`snap`]: the nearest point on a road segment, and the ways onto the graph from it;
//! - [`travel`]: door-to-door travel time, the one costing model every analysis uses;
//! - [`trips`]: one-to-many trips on that model (the k nearest, or everything within a
//!   radius);
//! - [`simplex`]: exact min-cost flow by the network simplex method (the assignment);
//! - [`flow`]: successive shortest paths with potentials, the simpler reference solver
//!   the simplex is tested against.

pub mod flow;
pub mod graph;
pub mod hierarchy;
pub mod order;
pub mod search;
pub mod simplex;
pub mod snap;
pub mod travel;
pub mod trips;

pub use graph::{GraphError, Profile, RoadGraph};
