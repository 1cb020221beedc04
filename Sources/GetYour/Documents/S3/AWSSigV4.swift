import Crypto
import Foundation

/// AWS Signature Version 4 for the `Authorization` header (header-based authentication), as
/// AWS's "Create a signed AWS API request" describes it. Small on purpose: it signs one
/// request whose payload hash the caller already knows, and nothing else (no presigned URLs,
/// no chunked payload signing). Tested against AWS's published test vectors
/// (`Tests/GetYourTests/Documents/AWSSigV4Tests.swift`).
public struct AWSSigV4: Sendable {
    public struct Credentials: Sendable {
        public var accessKeyID: String
        public var secretAccessKey: String
        /// For temporary credentials (STS): sent as `x-amz-security-token` and signed.
        public var sessionToken: String?

        public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    public let credentials: Credentials
    public let region: String
    public let service: String

    public init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The SHA-256 of an empty payload, in hex.
    public static let emptyPayloadHash = hex(SHA256.hash(data: [UInt8]()))

    /// The headers to add to the request: `x-amz-date`, `x-amz-security-token` when the
    /// credentials have one, and `Authorization`.
    ///
    /// - Parameters:
    ///   - path: the request path exactly as sent, already percent-encoded (`encodePath`).
    ///   - query: the query's names and values, not encoded (a name alone has a nil value).
    ///   - headers: every other header to sign (not `host`, which is `host`).
    ///   - payloadHash: the hex SHA-256 of the body, as also sent in `x-amz-content-sha256`
    ///     to S3.
    public func sign(
        method: String, host: String, path: String, query: [URLQueryItem], headers: [(String, String)], payloadHash: String,
        date: Date
    ) -> [(String, String)] {
        let (amzDate, day) = Self.timestamps(date)
        var added = [("x-amz-date", amzDate)]
        if let token = credentials.sessionToken, !token.isEmpty { added.append(("x-amz-security-token", token)) }

        // Header names lower-cased, values trimmed with inner runs of spaces made one; sorted.
        var canonical: [String: String] = [:]
        for (name, value) in [("host", host)] + headers + added {
            let key = name.lowercased()
            let clean = value.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true).joined(
                separator: " ")
            canonical[key] = canonical[key].map { $0 + "," + clean } ?? clean
        }
        let names = canonical.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let headerBlock = names.map { "\($0):\(canonical[$0]!)\n" }.joined()

        let pairs: [(name: String, value: String)] = query.map { (Self.encode($0.name), Self.encode($0.value ?? "")) }
        let sortedPairs = pairs.sorted { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
        let canonicalQuery = sortedPairs.map { $0.name + "=" + $0.value }.joined(separator: "&")
        let canonicalRequest = [method, path, canonicalQuery, headerBlock, signedHeaders, payloadHash].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        var key = SymmetricKey(data: Data(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        added.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
            ))
        return added
    }

    /// `20150830T123600Z` and `20150830`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
        return (day + String(format: "T%02d%02d%02dZ", c.hour!, c.minute!, c.second!), day)
    }

    /// RFC 3986 percent-encoding as SigV4 wants it: only `A–Z a–z 0–9 - _ . ~` stay as they
    /// are (and `/` in a path); every other byte of the UTF-8 becomes `%XX` in upper case.
    public static func encode(_ text: String, keepingSlashes: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepingSlashes:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.hexString
    }
}
