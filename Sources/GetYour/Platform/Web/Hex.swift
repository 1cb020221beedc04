extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, two digits per byte (digests, random keys). Written out by hand:
    /// `String(format:)` per byte costs more than the SHA-256 it prints.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
