import Foundation

/// A file operation's failure as a person reads it: the path it concerns and the system's reason
/// ("/data/cp: Not a directory"), where Foundation's own description is an NSError dump with
/// the reason two levels down.
struct FileErrorReason: CustomStringConvertible {
    let description: String

    /// `error` as a reason; `path`, when given, names the file if the error itself does not
    /// (a failed write through a `FileHandle` carries no path).
    init(_ error: any Error, path fallback: String? = nil) {
        let cocoa = error as NSError
        let path = cocoa.userInfo[NSFilePathErrorKey] as? String ?? fallback
        let reason: String
        // On Linux the underlying error is kept as a Swift error, not bridged.
        if let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? any Error,
            case let system = underlying as NSError, system.domain == NSPOSIXErrorDomain
        {
            reason = String(cString: strerror(Int32(system.code)))
        } else if cocoa.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(cocoa.code)))
        } else if let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? any Error {
            reason = "\(underlying)"
        } else {
            reason = cocoa.localizedFailureReason ?? cocoa.localizedDescription
        }
        description = path.map { "\($0): \(reason)" } ?? reason
    }
}
