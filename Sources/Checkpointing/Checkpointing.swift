// The Checkpointing module. See docs/MODULES.md for what it owns and what it must not know about.
