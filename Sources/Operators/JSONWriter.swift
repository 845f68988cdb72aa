/// Writes a JSON object into a byte buffer, the per-record output path of the YAML operators.
struct JSONWriter {
    private(set) var bytes: [UInt8]
    private var first = true

    init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// `"name":` with the name escaped; operators compute it once per field, not per record.
    static func encodedName(_ name: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        appendString(name, to: &out)
        out.append(UInt8(ascii: ":"))
        return out
    }

    /// Starts a member whose name was made by ``encodedName(_:)``.
    mutating func name(_ encoded: [UInt8]) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        // From a buffer pointer: appending the array itself counted its reference up and down.
        encoded.withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ content: some Collection<UInt8>) {
        Self.appendString(content, to: &bytes)
    }

    mutating func raw(_ text: some Collection<UInt8>) {
        bytes.append(contentsOf: text)
    }

    mutating func integer(_ value: Int64) {
        Self.appendInteger(value, to: &bytes)
    }

    /// A number: integral values below 2^53 as integers (`3`, not `3.0`), others in Swift's
    /// shortest round-trip form; NaN and infinities (not JSON) as `null`.
    mutating func number(_ value: Double) {
        if !value.isFinite {
            bytes.append(contentsOf: "null".utf8)
        } else if value == value.rounded(.towardZero), abs(value) < 9_007_199_254_740_992 {
            Self.appendInteger(Int64(value), to: &bytes)
        } else if !Self.appendShortDecimal(value, to: &bytes) {
            // Swift's shortest round-trip digits (what `description` gives), written straight
            // into the buffer: `description` made a String per number, a heap allocation once
            // it is longer than 15 bytes, as running sums' binary fractions often are.
            var stream = ByteStream(bytes: bytes)
            bytes = []
            value.write(to: &stream)
            bytes = stream.bytes
        }
    }

    /// Appends what is written to it to a byte array; `Double.write(to:)` hands it ASCII bytes.
    private struct ByteStream: TextOutputStream {
        var bytes: [UInt8]

        mutating func write(_ string: String) {
            bytes.append(contentsOf: string.utf8)
        }

        mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
            bytes.append(contentsOf: buffer)
        }
    }

    private static let powersOfTen: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6]

    /// Writes `value` with the fewest decimals (at most 6) that read back as exactly `value`,
    /// without the String that `description` allocates; `false` when it needs more digits.
    ///
    /// With |value| < 1e9 and 10^k ≤ 1e6, `scaled` is an integer below 2^53, so `scaled / 10^k`
    /// is the correctly rounded quotient of two exact doubles: it equals `value` exactly when the
    /// decimal `scaled`·10^-k reads back as `value`. The first such k gives the shortest form.
    static func appendShortDecimal(_ value: Double, to bytes: inout [UInt8]) -> Bool {
        guard abs(value) < 1e9 else { return false }
        for decimals in 1..<powersOfTen.count {
            let scaled = (value * powersOfTen[decimals]).rounded()
            guard scaled / powersOfTen[decimals] == value else { continue }
            var magnitude = Int64(abs(scaled))
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            // The decimals on the stack, last digit first (an array here was an allocation per
            // number with a fraction).
            var fraction: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &fraction) { digits in
                for position in stride(from: decimals - 1, through: 0, by: -1) {
                    digits[position] = UInt8(magnitude % 10) + 0x30
                    magnitude /= 10
                }
            }
            appendInteger(magnitude, to: &bytes)
            bytes.append(UInt8(ascii: "."))
            withUnsafeBytes(of: &fraction) { bytes.append(contentsOf: $0[..<decimals]) }
            return true
        }
        return false
    }

    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(magnitude % 10) + 0x30
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    static func appendString(_ content: some Collection<UInt8>, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in content {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
