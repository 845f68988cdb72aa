import Testing
@testable import Operators
