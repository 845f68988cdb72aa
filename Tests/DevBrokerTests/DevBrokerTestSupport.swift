import Testing
@testable import DevBroker
