import Testing
@testable import Checkpointing
