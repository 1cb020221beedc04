import Foundation
import JWT
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// Partner-API test keys (`Tests/Fixtures/api`, test-only) and token makers.
enum APITest {
    static let secret = "api-test-secret-0123456789-abcdefghijklmnop"
    static let folder = TestApp.root.appendingPathComponent("Tests/Fixtures/api")

    static var variables: [String: String] {
        [
            "GETYOUR_API_JWT_HS256_SECRET": secret,
            "GETYOUR_API_JWT_PUBLIC_KEYS":
                "es-1=ES256:\(folder.appendingPathComponent("es256-public.pem").path); rs-1=RS256:\(folder.appendingPathComponent("rs256-public.pem").path)",
        ]
    }

    static func settings(_ extra: [String: String] = [:]) throws -> Settings {
        try TestApp.settings(variables: variables.merging(extra) { _, new in new })
    }

    static func pem(_ name: String) throws -> String { try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) }

    static func claims(
        sub: String = "recreation-dept", roles: [String] = ["program:recreation"], now: Date, lifetime: TimeInterval = 900,
        iat: Bool = true
    ) -> APIClaims {
        APIClaims(
            sub: .init(value: sub), exp: .init(value: now.addingTimeInterval(lifetime)), nbf: nil, iat: iat ? .init(value: now) : nil,
            iss: nil,
            aud: nil, roles: roles)
    }

    enum Key { case hs256(String), es256, rs256 }

    static func token(_ claims: APIClaims, key: Key = .hs256(secret), kid: String? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        switch key {
        case .hs256(let secret): await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        case .es256: await keys.add(ecdsa: try ES256PrivateKey(pem: pem("es256-private.pem")))
        case .rs256: await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: pem("rs256-private.pem")), digestAlgorithm: .sha256)
        }
        return try await keys.sign(claims, kid: kid.map { JWKIdentifier(string: $0) })
    }

    /// A token whose header and signature are written by hand (alg none, algorithm confusion).
    static func handMade(header: String, claims: APIClaims, signature: (Data) -> Data) throws -> String {
        func encode(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let input = encode(Data(header.utf8)) + "." + encode(try encoder.encode(claims))
        return input + "." + encode(signature(Data(input.utf8)))
    }
}

extension Application {
    /// A GET to the API with an optional bearer token; the answer and its JSON.
    func apiGet(_ path: String, token: String?) async throws -> (TestingHTTPResponse, [String: Any]) {
        var headers = HTTPHeaders()
        if let token { headers.add(name: .authorization, value: "Bearer \(token)") }
        let response = try await testing(method: .inMemory).performTest(
            request: TestingHTTPRequest(method: .GET, url: URI(path: path), headers: headers, body: ByteBuffer()))
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
        return (response, json)
    }
}
