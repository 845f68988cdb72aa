// The Checkpointing module: the checkpoint store. See docs/MODULES.md for what it owns and what
// it must not know about (Kafka, operators).
//
// - `CheckpointStore` writes a checkpoint (snapshots captured in O(1) by `KeyedState`) on its own
//   queue as full or incremental state files plus a manifest, and verifies, restores, discards
//   and applies retention.
// - `ChainPlanner` decides full base, delta or nothing per partition, without I/O.
// - `StateFileFormat` is the binary state file format; `ManifestFile` the manifest envelope.
// - `DurableFiles` holds the atomic, durable, owner-only file operations.
