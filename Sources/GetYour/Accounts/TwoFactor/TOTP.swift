import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as authenticator apps
/// compute them: HMAC-SHA1, 30-second steps, 6 digits by default.
public struct TOTP: Sendable {
    public let secret: [UInt8]
    public let digits: Int
    public let period: TimeInterval

    public init(secret: [UInt8], digits: Int = 6, period: TimeInterval = 30) {
        self.secret = secret
        self.digits = digits
        self.period = period
    }

    /// The time step a moment falls in (T in RFC 6238 §4.2, with T0 = 0).
    public func step(at date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / period).rounded(.down)) }

    /// The code for one time step, zero-padded to `digits`.
    public func code(forStep step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        // Dynamic truncation (RFC 4226 §5.3).
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary =
            (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    public func code(at date: Date) -> String { code(forStep: step(at: date)) }

    /// The step whose code `candidate` is, looking one step either side of `date` for clock
    /// drift (RFC 6238 §5.2), or nil. Compared in constant time.
    public func matchingStep(_ candidate: String, at date: Date) -> Int64? {
        guard candidate.count == digits, candidate.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let now = step(at: date)
        var found: Int64?
        for step in [now - 1, now, now + 1] where CSRF.constantTimeEquals(Array(code(forStep: step).utf8), Array(candidate.utf8)) {
            found = step
        }
        return found
    }

    /// A new random 160-bit secret (RFC 4226 §4 recommends at least 160 bits).
    public static func newSecret() -> [UInt8] { (0..<20).map { _ in UInt8.random(in: .min ... .max) } }

    /// The `otpauth://` URI authenticator apps read from the QR code.
    public static func provisioningURI(secret: [UInt8], account: String, issuer: String) -> String {
        var components = URLComponents()
        components.scheme = "otpauth"
        components.host = "totp"
        components.path = "/" + issuer + ":" + account
        components.queryItems = [
            URLQueryItem(name: "secret", value: Base32.encode(secret)),
            URLQueryItem(name: "issuer", value: issuer),
            URLQueryItem(name: "algorithm", value: "SHA1"),
            URLQueryItem(name: "digits", value: "6"),
            URLQueryItem(name: "period", value: "30"),
        ]
        return components.string ?? ""
    }
}

/// RFC 4648 base32 (upper case, no padding), the form TOTP secrets are typed in.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        var buffer = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes, ignoring spaces, hyphens, padding and case; nil on any other character.
    public static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer = 0, bits = 0
        for character in text.uppercased().utf8 where ![UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "=")].contains(character) {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                output.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return output
    }
}

/// A secret stored sealed (ChaCha20-Poly1305) under a key derived from `security.secret_key`,
/// so a copy of the database alone does not give anyone a staff member's second factor.
enum SealedSecret {
    static func key(_ secretKey: String) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Data(("totp-seal:" + secretKey).utf8)))
    }

    static func seal(_ secret: [UInt8], secretKey: String) throws -> String {
        try ChaChaPoly.seal(Data(secret), using: key(secretKey)).combined.base64EncodedString()
    }

    static func open(_ sealed: String, secretKey: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: sealed), let box = try? ChaChaPoly.SealedBox(combined: data),
            let plain = try? ChaChaPoly.open(box, using: key(secretKey))
        else { return nil }
        return Array(plain)
    }
}
